package escalation_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// observerFunc adapts a function to incident.Observer, so the service can
// be built before the escalator that observes it.
type observerFunc func(context.Context, incident.Event)

func (f observerFunc) IncidentChanged(ctx context.Context, ev incident.Event) { f(ctx, ev) }

// story is the whole escalation path on the real store: incident service,
// timer engine, roster store, outbox and escalator, on a clock the test moves.
type story struct {
	t     *testing.T
	ctx   context.Context
	clock *escClock
	db    *store.DB
	svc   *incident.Service
	eng   *escalation.Engine
	esc   *escalation.Escalator
	out   *notify.Outbox
}

// storyStart is a Saturday morning: alice's day on call.
var storyStart = time.Date(2026, 3, 21, 9, 30, 0, 0, time.UTC)

func newStory(t *testing.T) *story {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &story{t: t, ctx: ctx, clock: &escClock{t: storyStart}, db: storetest.New(t)}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ros := s.db.Rosters()
	seedStoryRoster(t, ros)
	var esc *escalation.Escalator
	s.svc = incident.NewService(s.db.Incidents(), s.clock.Now,
		observerFunc(func(ctx context.Context, ev incident.Event) { esc.IncidentChanged(ctx, ev) }))
	s.out = notify.NewOutbox(s.db.Outbox(), s.clock.Now, log)
	s.eng = escalation.NewEngine(s.db.Timers(), func(ctx context.Context, tm escalation.Timer) error { return esc.Fire(ctx, tm) },
		escalation.EngineOptions{Owner: "story", Now: s.clock.Now, Logger: log})
	esc = escalation.NewEscalator(s.svc, ros, s.eng, s.out, s.clock.Now, log)
	s.esc = esc
	done := make(chan error, 1)
	go func() { done <- esc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// seedStoryRoster: the assessment group rotates alice and bob daily at
// 09:00 UTC and is led by carol; management has sam (security manager) and
// lee (leadership). The serious policy is stored: on-call → lead →
// security manager → leadership, 10 minutes apart, confirm within 30.
func seedStoryRoster(t *testing.T, r *store.Rosters) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []escalation.Person{
		{ID: "alice", Name: "Alice", Contacts: []escalation.Contact{{Kind: escalation.ContactSlack, Value: "U01ALICE"}}},
		{ID: "bob", Name: "Bob", Contacts: []escalation.Contact{{Kind: escalation.ContactEmail, Value: "bob@example.org"}}},
		{ID: "carol", Name: "Carol"},
		{ID: "sam", Name: "Sam", Roles: []escalation.Role{escalation.RoleSecurityManager}},
		{ID: "lee", Name: "Lee", Roles: []escalation.Role{escalation.RoleLeadership}},
	} {
		if err := r.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range []escalation.Team{
		{ID: "assessment", Name: "Assessment group", Kind: escalation.AssessmentGroup, Members: []string{"alice", "bob", "carol"},
			Lead: "carol", Critical: true, Rotation: &escalation.Rotation{Participants: []string{"alice", "bob"},
				Interval: escalation.Daily, HandoffTime: "09:00", TimeZone: "UTC", Start: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}},
		{ID: "management", Name: "Management", Kind: escalation.ManagementTeam, Members: []string{"sam", "lee"}},
	} {
		if err := r.SaveTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	serious, _ := escalation.PolicyFor(escalation.DefaultPolicies(), incident.Serious)
	serious.Steps[0].Repeat = 0
	serious.Deadlines.Ack = escalation.Duration(10 * time.Minute)
	if err := r.SavePolicy(ctx, serious); err != nil {
		t.Fatal(err)
	}
}

func (s *story) report(title string) *incident.Incident {
	s.t.Helper()
	res, err := s.svc.Report(s.ctx, incident.ReportInput{Title: title, Description: "seen by EDR", SuggestedLevel: incident.Serious, Source: "api"},
		incident.Actor{ID: "u-rep", Name: "Reporter"})
	if err != nil {
		s.t.Fatal(err)
	}
	return res.Incident
}

func (s *story) get(ref string) *incident.Incident {
	s.t.Helper()
	inc, err := s.svc.Get(s.ctx, ref)
	if err != nil {
		s.t.Fatal(err)
	}
	return inc
}

// sync is the barrier after a change: the observer has queued the incident
// for Run's worker already, and syncing here too (idempotent) makes the
// assertions that follow independent of the worker's timing.
func (s *story) sync(ref string) {
	s.t.Helper()
	if err := s.esc.Sync(s.ctx, s.get(ref)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *story) tick() int {
	s.t.Helper()
	n, err := s.eng.Tick(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *story) outbox() []notify.Message {
	s.t.Helper()
	msgs, err := s.out.List(s.ctx, "", 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	return msgs
}

func (s *story) outboxKeys() []string {
	var keys []string
	for _, m := range s.outbox() {
		keys = append(keys, m.Key)
	}
	return keys
}

func (s *story) pending(number string) []string {
	s.t.Helper()
	ts, err := s.eng.Pending(s.ctx, number)
	if err != nil {
		s.t.Fatal(err)
	}
	var keys []string
	for _, tm := range ts {
		keys = append(keys, tm.Key)
	}
	slices.Sort(keys)
	return keys
}

func (s *story) entries(ref string, kind incident.EntryKind) []string {
	s.t.Helper()
	var notes []string
	for _, e := range s.get(ref).Timeline {
		if e.Kind == kind {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

func TestEscalationStory(t *testing.T) {
	s := newStory(t)
	serious := "INC-2026-000001/serious/"

	// A serious incident is reported; the observer brings it to Run's worker,
	// which plans its timers.
	inc := s.report("Trojan beaconing from the build server")
	num := inc.Number
	waitFor(t, "the worker to schedule the new incident's timers", func() bool { return len(s.pending(num)) > 0 })
	s.sync(num)
	if p := s.pending(num); !slices.Contains(p, serious+"ack/step1/r0/20260321T093000Z") {
		t.Fatalf("pending after report: %v", p)
	}

	// Step 1 is due at once: alice, on call, is paged.
	if n := s.tick(); n != 1 {
		t.Fatalf("Tick fired %d at the report, want 1", n)
	}
	alicePage := escalation.PageKey(num, 1, 0, "alice")
	if got := s.outboxKeys(); !slices.Equal(got, []string{alicePage}) {
		t.Fatalf("outbox %v, want alice's page %s", got, alicePage)
	}
	if m := s.outbox()[0]; m.Recipient != "alice" || m.Channel != "slack" || m.Kind != notify.KindPage || m.Status != notify.StatusPending {
		t.Errorf("alice's page: %+v", m)
	}
	if es := s.entries(num, incident.EntryEscalation); len(es) != 1 || !strings.HasPrefix(es[0], "step 1 (on-call of assessment): paged alice [timer ") {
		t.Fatalf("timeline: %q", es)
	}

	// Nobody acknowledges: past step 2's delay the lead, carol, is paged.
	s.clock.Advance(11 * time.Minute)
	if n := s.tick(); n != 1 {
		t.Fatalf("Tick fired %d at 11m, want 1", n)
	}
	carolPage := escalation.PageKey(num, 2, 0, "carol")
	if got := s.outboxKeys(); !slices.Equal(got, []string{alicePage, carolPage}) {
		t.Fatalf("outbox %v", got)
	}

	// Carol acknowledges at 12m: the rest of the chain is cancelled.
	s.clock.Advance(time.Minute)
	if _, err := s.svc.Acknowledge(s.ctx, num, incident.Actor{ID: "carol", Name: "Carol"}); err != nil {
		t.Fatal(err)
	}
	s.sync(num)
	for _, k := range s.pending(num) {
		if strings.Contains(k, "/ack/") {
			t.Errorf("ack timer %s pending after the acknowledgement", k)
		}
	}

	// Nobody confirms: at 31m the confirm deadline is missed. No more ack
	// pages (steps 3 and 4 would have been due at 20m and 30m); the chain's
	// next step after the acknowledgement, step 3 (sam), hears of the miss.
	s.clock.Advance(19 * time.Minute)
	if n := s.tick(); n != 1 {
		t.Fatalf("Tick fired %d at 31m, want only the confirm deadline", n)
	}
	samNotice := num + "/deadline/confirm/sam"
	if got := s.outboxKeys(); !slices.Equal(got, []string{alicePage, carolPage, samNotice}) {
		t.Fatalf("outbox %v", got)
	}
	dl := s.entries(num, incident.EntryDeadline)
	if len(dl) != 1 || !strings.HasPrefix(dl[0], "confirm deadline missed (30m for serious); step 3 (security_manager of management): notified sam [timer ") {
		t.Fatalf("deadline entries: %q", dl)
	}

	// Reclassified special a minute later: every serious timer is cancelled
	// and the special ones are pending.
	s.clock.Advance(time.Minute)
	before := s.pending(num)
	inc = s.get(num)
	if _, err := s.svc.ChangeLevel(s.ctx, num, inc.Version, incident.Special, "attack from outside the network", incident.Actor{ID: "carol", Name: "Carol"}); err != nil {
		t.Fatal(err)
	}
	s.sync(num)
	after := s.pending(num)
	if len(before) == 0 || len(after) == 0 {
		t.Fatalf("pending before %v, after %v", before, after)
	}
	for _, k := range before {
		if slices.Contains(after, k) {
			t.Errorf("serious timer %s survived the level change", k)
		}
	}
	for _, k := range after {
		if !strings.HasPrefix(k, "INC-2026-000001/special/") {
			t.Errorf("pending after the level change: %s", k)
		}
	}
	want, _ := escalation.PlanIncident(s.get(num), escalation.DefaultPolicies())
	if len(want) != len(after) {
		t.Errorf("pending %v, want the special plan (%d timers)", after, len(want))
	}
	// Its deadlines already past fall due at once and go to step 4 under
	// special (leadership): lee hears; sam is not told twice.
	if n := s.tick(); n != 2 {
		t.Fatalf("Tick fired %d after the level change, want the confirm and dispatch deadlines", n)
	}
	if got := s.outboxKeys(); !slices.Equal(got, []string{alicePage, carolPage, samNotice, num + "/deadline/confirm/lee", num + "/deadline/dispatch/lee"}) {
		t.Fatalf("outbox %v", got)
	}

	// A second incident while the assessment group's duty is removed:
	// step 1 has nobody on call and the chain moves to carol at once.
	s.clock.Advance(8 * time.Minute) // 40m
	if _, err := s.db.Rosters().SaveOverride(s.ctx, escalation.Override{Team: "assessment",
		Start: s.clock.Now().Add(-5 * time.Minute), End: s.clock.Now().Add(2 * time.Hour), Note: "team offsite"}); err != nil {
		t.Fatal(err)
	}
	inc2 := s.report("Unapproved change to the core switch config")
	num2 := inc2.Number
	s.sync(num2)
	if n := s.tick(); n != 1 {
		t.Fatalf("Tick fired %d for the second report, want 1", n)
	}
	carolPage2 := escalation.PageKey(num2, 2, 0, "carol")
	if got := s.outboxKeys(); len(got) != 6 || got[5] != carolPage2 {
		t.Fatalf("outbox %v, want carol paged for %s", got, num2)
	}
	es := s.entries(num2, incident.EntryEscalation)
	if len(es) != 1 || !strings.HasPrefix(es[0],
		"step 1 (on-call of assessment): nobody on call for team assessment — escalated to step 2 (lead of assessment): paged carol [timer ") {
		t.Fatalf("timeline of %s: %q", num2, es)
	}

	// Nothing doubles: Tick again at the same time, Fire the fired timer
	// again, then two instances ticking at once when steps 2 and 3 fall due.
	if n := s.tick(); n != 0 {
		t.Errorf("a second Tick at the same time fired %d", n)
	}
	plan2, _ := escalation.PlanIncident(s.get(num2), mustPolicies(t, s))
	for range 2 {
		if err := s.esc.Fire(s.ctx, plan2[0]); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.outboxKeys(); len(got) != 6 {
		t.Fatalf("firing again enqueued: %v", got)
	}
	if es := s.entries(num2, incident.EntryEscalation); len(es) != 1 {
		t.Fatalf("firing again recorded: %q", es)
	}
	s.clock.Advance(21 * time.Minute)
	var wg sync.WaitGroup
	fired := make([]int, 2)
	for i := range fired {
		wg.Go(func() {
			n, err := s.eng.Tick(s.ctx)
			if err != nil {
				t.Error(err)
			}
			fired[i] = n
		})
	}
	wg.Wait()
	if fired[0]+fired[1] != 2 {
		t.Errorf("two Ticks at once fired %v, want steps 2 and 3 once in all", fired)
	}
	if got := s.outboxKeys(); len(got) != 7 || got[6] != escalation.PageKey(num2, 3, 0, "sam") {
		t.Fatalf("outbox %v, want sam paged once more", got)
	}
	es = s.entries(num2, incident.EntryEscalation)
	if len(es) != 3 || !slices.ContainsFunc(es, func(n string) bool {
		return strings.HasPrefix(n, "step 2 (lead of assessment): already paged: carol [timer ")
	}) ||
		!slices.ContainsFunc(es, func(n string) bool {
			return strings.HasPrefix(n, "step 3 (security_manager of management): paged sam [timer ")
		}) {
		t.Fatalf("timeline of %s: %q", num2, es)
	}
}

func mustPolicies(t *testing.T, s *story) []escalation.Policy {
	t.Helper()
	ps, err := s.db.Rosters().Policies(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
