package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
)

// Periodic jobs. "@every" schedules are aligned across instances, so each
// run is claimed once however many hubs run.
const (
	reconcileEvery = "@every 10m"  // re-derive every open incident's timers: the recovery path
	handoverEvery  = "@every 15m"  // ask outgoing on-call people for handover notes
	handoverAhead  = time.Hour     // how far ahead hand-offs are announced
	coverageDaily  = "0 1 * * *"   // 09:00 in China: warn coordinators of coverage gaps
	retentionDaily = "17 19 * * *" // 03:17 in China: purge finished timers and job runs at a quiet hour
	sessionsDaily  = "37 19 * * *" // 03:37 in China: delete ended sessions and stale sign-in lockouts
)

// escalationWorkers are the background parts of escalation: the escalator
// (incidents → timers → pages), the durable timer engine and the periodic
// jobs. Observer must be registered with the incident service before any
// change is made; Start runs the workers until ctx ends.
type escalationWorkers struct {
	esc  *escalation.Escalator
	eng  *escalation.Engine
	jobs *escalation.Jobs
	log  *slog.Logger
}

// Observer forwards incident changes to the escalator, which is built after
// the incident service that needs the observer: esc is set before Start and
// before any change can be made.
func (w *escalationWorkers) Observer() incident.Observer {
	return incident.ObserverFunc(func(ctx context.Context, ev incident.Event) {
		if w.esc != nil {
			w.esc.IncidentChanged(ctx, ev)
		}
	})
}

// build wires the workers on db for the incident service svc; pages go
// to out, the outbox whose worker delivers them.
func (w *escalationWorkers) build(db *store.DB, svc *incident.Service, out *notify.Outbox, log *slog.Logger) error {
	w.log = log
	opts := escalation.EngineOptions{Logger: log, Now: time.Now}
	if db.Embedded() {
		// The data directory is locked to one process, so a fixed name is
		// unique: after a crash the restarted hub takes over its own claims
		// and lease at once instead of waiting for them to expire.
		opts.Owner = "embedded"
	}
	w.eng = escalation.NewEngine(db.Timers(), func(ctx context.Context, t escalation.Timer) error {
		return w.esc.Fire(ctx, t)
	}, opts)
	w.esc = escalation.NewEscalator(svc, db.Rosters(), w.eng, out, time.Now, log)
	w.jobs = escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Logger: log, Now: time.Now})
	esc := w.esc
	return errors.Join(
		w.jobs.Add("reconcile", reconcileEvery, esc.Reconcile),
		w.jobs.Add("handover", handoverEvery, func(ctx context.Context) error {
			now := time.Now()
			return esc.HandoverPrompts(ctx, now, now.Add(handoverAhead))
		}),
		w.jobs.Add("coverage", coverageDaily, func(ctx context.Context) error {
			return esc.CoverageWarnings(ctx, time.Now())
		}),
		w.jobs.Add("retention", retentionDaily, escalation.Retention(w.eng, w.jobs)),
		w.jobs.Add("sessions", sessionsDaily, purgeSessions(db.Accounts(), log)),
	)
}

// purgeSessions is the daily job that deletes ended sessions and the
// failed sign-ins that no longer lock anything.
func purgeSessions(st access.Store, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		sessions, throttles, err := access.PurgeExpired(ctx, st, time.Now())
		log.InfoContext(ctx, "ended sessions purged", "sessions", sessions, "throttles", throttles)
		return err
	}
}

// start runs the escalator, the engine and the jobs in wg until ctx ends.
// The escalator reconciles every open incident when it starts, so timers
// lost to a crash between an incident's change and its scheduling come
// back, and timers that fell due while the hub was down fire at once.
func (w *escalationWorkers) start(ctx context.Context, wg *sync.WaitGroup) {
	for name, run := range map[string]func(context.Context) error{
		"escalator": w.esc.Run, "timer engine": w.eng.Run, "jobs": w.jobs.Run,
	} {
		wg.Go(func() {
			if err := run(ctx); err != nil && ctx.Err() == nil {
				w.log.Error(fmt.Sprintf("%s stopped", name), "err", err)
			}
		})
	}
}
