package share_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// clock is a fast-forwardable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder is a Notifier that keeps what it was given.
type recorder struct {
	mu      sync.Mutex
	notices []share.Notice
}

func (r *recorder) Notify(_ context.Context, ns ...share.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, ns...)
	return nil
}

// of are the notices of kind, in order.
func (r *recorder) of(kind string) []share.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []share.Notice
	for _, n := range r.notices {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// env is a Service over the real store, a real audit trail, a recording
// notifier and a clock the test moves.
type env struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	clock *clock
	notes *recorder
	trail *audit.Trail
	svc   *share.Service
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t *testing.T) *env {
	t.Parallel()
	db := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, db: db, clock: &clock{now: day0}, notes: &recorder{}}
	e.trail = audit.NewTrail(db.Audit(), e.clock.Now, discard())
	go func() { _ = e.trail.Run(ctx) }()
	m, err := share.NewMasker(share.MaskConfig{})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = share.NewService(db.Shares(), db.Incidents(), m, e.notes, e.trail, e.clock.Now, discard())
	return e
}

// incident stores an incident numbered n.
func (e *env) incident(n string, restricted bool) *incident.Incident {
	e.t.Helper()
	inc := &incident.Incident{Number: n, Title: "Phishing wave " + n, Category: incident.CyberAttack, Level: incident.Serious,
		SuggestedLevel: incident.Serious, Stage: incident.Handle, Restricted: restricted, Source: "web",
		Description: "Reported by Zhang Wei, 13812345678, zhang.wei@example.cn; mail relay 10.1.2.3 affected.",
		Reporter:    incident.Actor{ID: "u-rep", Name: "Zhang Wei", Username: "zhang.wei"}, AckedBy: &incident.Actor{ID: "u-bob", Name: "Bob"},
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(), StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: e.clock.Now()}}
	if err := e.db.Incidents().Insert(e.ctx, inc); err != nil {
		e.t.Fatal(err)
	}
	return inc
}

// approved submits r by alice and has mgr approve it.
func (e *env) approved(r share.Request) *share.Grant {
	e.t.Helper()
	g, err := e.svc.Submit(e.ctx, r, alice)
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	g, err = e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove, Comment: "ok"}, mgr)
	if err != nil {
		e.t.Fatalf("approve: %v", err)
	}
	return g
}

// req is a request of kind for incidents from now for d.
func (e *env) req(kind share.Kind, d time.Duration, incidents ...string) share.Request {
	now := e.clock.Now()
	return share.Request{Kind: kind, Purpose: "joint investigation", Incidents: incidents,
		Sections: []share.Section{share.Description, share.Timeline}, From: now, Until: now.Add(d)}
}

// records are the audit records written so far (after the trail is
// flushed), whose action is one of actions (all when none).
func (e *env) records(actions ...audit.Action) []audit.Record {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if err := e.trail.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Record
	if err := e.db.Audit().Scan(ctx, 1, func(r audit.Record) error {
		if len(actions) == 0 || slices.Contains(actions, r.Action) {
			out = append(out, r)
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// accesses is the access log, oldest first.
func (e *env) accesses(f share.AccessFilter) []share.Access {
	e.t.Helper()
	as, err := e.svc.Accesses(e.ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(as)
	return as
}

func (e *env) grant(id string) *share.Grant {
	e.t.Helper()
	g, err := e.svc.Grant(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// aliceWeb is alice through the web.
var aliceWeb = share.Requester{Party: alice, Roles: []string{"reporter"}, Addr: "198.51.100.7"}
