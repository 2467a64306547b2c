package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Planner turns an incident change into the messages it calls for: the
// Slack card and its thread, the incident channel, the reporter's
// feedback, the destinations configured for the incident's teams and
// level, an assignee's task. Plan must be deterministic in its keys: the
// same change planned twice (a retry, a reconciliation after a crash)
// gives the same keys, which the outbox enqueues once.
type Planner interface {
	Plan(ctx context.Context, ev incident.Event) ([]Message, error)
}

// PlannerFunc adapts a function to Planner.
type PlannerFunc func(ctx context.Context, ev incident.Event) ([]Message, error)

// Plan calls f.
func (f PlannerFunc) Plan(ctx context.Context, ev incident.Event) ([]Message, error) {
	return f(ctx, ev)
}

// EventReconcile is the kind of the events Reconcile replays: "this is the
// incident as it is now; make sure what its last change called for is
// enqueued".
const EventReconcile incident.EventKind = "reconcile"

// announceTimeout bounds the planning and enqueueing of one change, which
// run in the request that made it.
const announceTimeout = 5 * time.Second

// Announcer is the incident observer that enqueues what every change calls
// for. It runs in the request that made the change, right after the change
// is stored, so the messages are in the outbox (and the worker woken)
// before the caller gets its answer. A crash between the two is repaired
// by Reconcile at start-up, and keys make the repair a no-op when nothing
// was missed (ADR 0004).
type Announcer struct {
	planners []Planner
	out      *Outbox
	log      *slog.Logger
	baseURL  string
}

var _ incident.Observer = (*Announcer)(nil)

// NewAnnouncer returns an announcer that enqueues into out what planners
// plan.
func NewAnnouncer(out *Outbox, log *slog.Logger, planners ...Planner) *Announcer {
	return &Announcer{planners: planners, out: out, log: log}
}

// SetBaseURL sets the hub's address, for the link that is all a
// restricted incident's messages carry. Call it before any change is made.
func (a *Announcer) SetBaseURL(u string) { a.baseURL = u }

// Add registers more planners; it must be called before any change is made.
func (a *Announcer) Add(planners ...Planner) { a.planners = append(a.planners, planners...) }

// IncidentChanged plans and enqueues the messages of ev. Failures are
// logged, not returned: the change itself is stored, and Reconcile
// repairs what was lost.
func (a *Announcer) IncidentChanged(ctx context.Context, ev incident.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	a.announce(ctx, ev)
}

func (a *Announcer) announce(ctx context.Context, ev incident.Event) int {
	if ev.Incident == nil {
		return 0
	}
	var msgs []Message
	for _, p := range a.planners {
		m, err := p.Plan(ctx, ev)
		if err != nil {
			a.log.WarnContext(ctx, "plan notifications", "incident", ev.Incident.Number, "event", string(ev.Kind), "err", err)
		}
		msgs = append(msgs, m...)
	}
	if len(msgs) == 0 {
		return 0
	}
	if ev.Incident.Restricted {
		// One place for every channel: a restricted incident's messages
		// say its number and link, whatever their planner wrote.
		link := IncidentLink(a.baseURL, ev.Incident.Number)
		for i := range msgs {
			msgs[i] = Redact(msgs[i], link)
		}
	}
	n, err := a.out.Enqueue(ctx, msgs...)
	if err != nil {
		a.log.ErrorContext(ctx, "enqueue notifications", "incident", ev.Incident.Number, "event", string(ev.Kind), "err", err)
	}
	return n
}

// Reconcile replays the current state of incs (those changed recently) to
// every planner, so that messages lost to a crash between a change and
// its enqueueing are enqueued now. It returns how many were missing.
func (a *Announcer) Reconcile(ctx context.Context, incs []*incident.Incident) int {
	n := 0
	for _, inc := range incs {
		if ctx.Err() != nil {
			break
		}
		n += a.announce(ctx, incident.Event{Kind: EventReconcile, Incident: inc})
	}
	if n > 0 {
		a.log.InfoContext(ctx, "notifications reconciled", "enqueued", n)
	}
	return n
}
