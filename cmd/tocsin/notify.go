package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
)

// Notification timings.
const (
	// outboxPollMongo is how often the worker reads the outbox against
	// MongoDB, where other instances enqueue messages it is not told of.
	outboxPollMongo = 2 * time.Second
	// outboxPollEmbedded is the safety poll of the embedded store, whose
	// one process wakes its worker for every message; reading the outbox
	// there scans it.
	outboxPollEmbedded = 5 * time.Minute
	// announceLookback is how far back the announcer reconciles changed
	// incidents at start-up (ADR 0004).
	announceLookback = 24 * time.Hour
	// outboxRetentionDaily purges sent messages at a quiet hour (03:47 in
	// China), after the escalation retention.
	outboxRetentionDaily = "47 19 * * *"
)

// notifyWorkers are the parts of notification: the outbox every producer
// enqueues into, the worker that delivers it, the announcer that turns
// incident changes into messages, and the admin view for the web layer.
// Senders and planners are added before build; Observer must be
// registered with the incident service before any change is made; start
// runs the worker until ctx ends.
type notifyWorkers struct {
	senders  map[notify.Channel]notify.Sender
	planners []notify.Planner

	out       *notify.Outbox
	worker    *notify.Worker
	ann       *notify.Announcer
	admin     *notify.Admin
	db        *store.DB
	incidents *incident.Service
	log       *slog.Logger
}

// addSender makes ch deliverable through s. A channel without a sender
// (chat switched off) is only logged. Call it before build.
func (n *notifyWorkers) addSender(ch notify.Channel, s notify.Sender) {
	if n.worker != nil {
		panic(fmt.Sprintf("notify: sender for %s added after the worker was built", ch))
	}
	if n.senders == nil {
		n.senders = map[notify.Channel]notify.Sender{}
	}
	n.senders[ch] = s
}

// addPlanner adds what p plans for every incident change to the
// announcer. Call it before build.
func (n *notifyWorkers) addPlanner(p notify.Planner) {
	if n.ann != nil {
		panic("notify: planner added after the announcer was built")
	}
	n.planners = append(n.planners, p)
}

// Observer forwards incident changes to the announcer, which is built
// after the incident service that needs the observer: build runs before
// any change can be made.
func (n *notifyWorkers) Observer() incident.Observer {
	return incident.ObserverFunc(func(ctx context.Context, ev incident.Event) {
		if n.ann != nil {
			n.ann.IncidentChanged(ctx, ev)
		}
	})
}

// build wires the outbox, the worker and the announcer on db for the
// incident service svc.
func (n *notifyWorkers) build(db *store.DB, svc *incident.Service, log *slog.Logger) error {
	if db == nil || svc == nil || log == nil {
		return errors.New("notify: a store, an incident service and a logger are required")
	}
	n.db, n.incidents, n.log = db, svc, log
	opts := notify.WorkerOptions{Logger: log, Poll: outboxPollMongo}
	if db.Embedded() {
		// One process owns the data directory, so a fixed name is unique:
		// a restarted hub settles its own claims at once (ADR 0004).
		opts.Owner, opts.Poll = "embedded", outboxPollEmbedded
	}
	n.worker = notify.NewWorker(db.Outbox(), n.senders, opts)
	n.outbox(db, log).OnEnqueue(n.worker.Wake)
	n.ann = notify.NewAnnouncer(n.out, log, n.planners...)
	n.admin = notify.NewAdmin(db.Outbox(), n.worker)
	channels := make([]string, 0, len(n.senders))
	for ch := range n.senders {
		channels = append(channels, string(ch))
	}
	log.Info("notifications", "channels", channels, "owner", n.worker.Owner(), "poll", opts.Poll.String(),
		"note", "messages for other channels are logged and marked sent")
	return nil
}

// outbox is the one outbox every producer enqueues into; build makes its
// writes wake the worker.
func (n *notifyWorkers) outbox(db *store.DB, log *slog.Logger) *notify.Outbox {
	if n.out == nil {
		n.out = notify.NewOutbox(db.Outbox(), time.Now, log)
	}
	return n.out
}

// addJobs registers the outbox's retention with the periodic jobs.
func (n *notifyWorkers) addJobs(j *escalation.Jobs) error {
	return j.Add("outbox-retention", outboxRetentionDaily, n.worker.PurgeSent)
}

// start runs the worker in wg until ctx ends, and reconciles the incidents
// changed in the last day, so that messages lost to a crash between a
// change and its enqueueing are enqueued now.
func (n *notifyWorkers) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() {
		if err := n.worker.Run(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notification worker stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := n.reconcile(ctx, time.Now()); err != nil && ctx.Err() == nil {
			n.log.Error("reconcile notifications; the next change of each incident enqueues its messages", "err", err)
		}
	})
}

// reconcile replays the incidents updated since now-announceLookback to
// the announcer. The incident store has no filter by update time, so it
// lists every incident in brief (one scan) and reads the recent ones in
// full.
func (n *notifyWorkers) reconcile(ctx context.Context, now time.Time) error {
	if len(n.planners) == 0 {
		return nil // nothing would be planned
	}
	page, err := n.db.Incidents().ListAll(ctx, incident.ListFilter{Brief: true})
	if err != nil {
		return err
	}
	since := now.Add(-announceLookback)
	var recent []*incident.Incident
	for _, brief := range page.Items {
		if brief.UpdatedAt.Before(since) {
			continue
		}
		inc, err := n.incidents.Get(ctx, brief.ID)
		if err != nil {
			return err
		}
		recent = append(recent, inc)
	}
	n.ann.Reconcile(ctx, recent)
	return nil
}
