package escalation_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// These tests drive the Escalator through fakes of its four dependencies;
// story_test.go runs it on the real engine, store and incident service.

// escClock is a clock tests move by hand.
type escClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *escClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *escClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// fakeIncidents is an IncidentSource in memory.
type fakeIncidents struct {
	mu   sync.Mutex
	byID map[string]*incident.Incident
	page int // List page size, to exercise paging
	now  func() time.Time
}

func (f *fakeIncidents) put(inc *incident.Incident) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byID[inc.ID] = inc.Clone()
}

func (f *fakeIncidents) Get(_ context.Context, ref string) (*incident.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inc := range f.byID {
		if inc.ID == ref || inc.Number == ref {
			return inc.Clone(), nil
		}
	}
	return nil, fmt.Errorf("get %s: %w", ref, incident.ErrNotFound)
}

func (f *fakeIncidents) List(_ context.Context, flt incident.ListFilter) (incident.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []*incident.Incident
	for _, inc := range f.byID {
		if (len(flt.Stages) == 0 || slices.Contains(flt.Stages, inc.Stage)) && (flt.After == "" || inc.ID < flt.After) {
			c := inc.Clone()
			if flt.Brief {
				c.Timeline, c.Description = nil, ""
			}
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b *incident.Incident) int { return cmp.Compare(b.ID, a.ID) })
	var p incident.Page
	if len(all) > f.page {
		all = all[:f.page]
		p.Next = all[f.page-1].ID
	}
	p.Items = all
	return p, nil
}

func (f *fakeIncidents) Record(_ context.Context, id string, e incident.Entry, join ...string) (*incident.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inc, ok := f.byID[id]
	if !ok {
		return nil, incident.ErrNotFound
	}
	for _, p := range join {
		if !slices.Contains(inc.Participants, p) {
			inc.Participants = append(inc.Participants, p)
		}
	}
	if e.At.IsZero() {
		e.At = f.now()
	}
	inc.Timeline = append(inc.Timeline, e)
	inc.Version++
	return inc.Clone(), nil
}

func (f *fakeIncidents) entries(id string, kind incident.EntryKind) []incident.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []incident.Entry
	for _, e := range f.byID[id].Timeline {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// fakeScheduler keeps timers as the engine does: a key once scheduled is
// there for good, so scheduling a fired or cancelled key again does
// nothing.
type fakeScheduler struct {
	mu        sync.Mutex
	timers    map[string]escalation.Timer
	fired     map[string]bool
	cancelled map[string]bool
	calls     int
}

func newFakeScheduler() *fakeScheduler {
	return &fakeScheduler{timers: map[string]escalation.Timer{}, fired: map[string]bool{}, cancelled: map[string]bool{}}
}

func (s *fakeScheduler) Schedule(_ context.Context, ts []escalation.Timer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	for _, t := range ts {
		if _, ok := s.timers[t.Key]; !ok {
			s.timers[t.Key] = t
		}
	}
	return nil
}

func (s *fakeScheduler) Cancel(_ context.Context, keys []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if _, ok := s.timers[k]; ok && !s.fired[k] {
			s.cancelled[k] = true
		}
	}
	return nil
}

func (s *fakeScheduler) Pending(_ context.Context, number string) ([]escalation.Timer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []escalation.Timer
	for k, t := range s.timers {
		if t.Incident == number && !s.fired[k] && !s.cancelled[k] {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b escalation.Timer) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

func (s *fakeScheduler) pendingKeys(number string) []string {
	ts, _ := s.Pending(context.Background(), number)
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = t.Key
	}
	return keys
}

// due fires (marks) and returns the pending timers due at now, by due time.
func (s *fakeScheduler) due(now time.Time) []escalation.Timer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []escalation.Timer
	for k, t := range s.timers {
		if !s.fired[k] && !s.cancelled[k] && !t.DueAt.After(now) {
			out = append(out, t)
			s.fired[k] = true
		}
	}
	slices.SortFunc(out, func(a, b escalation.Timer) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// fakePager is an outbox in memory.
type fakePager struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (p *fakePager) Enqueue(_ context.Context, msgs ...notify.Message) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, m := range msgs {
		if !slices.ContainsFunc(p.msgs, func(x notify.Message) bool { return x.Key == m.Key }) {
			p.msgs = append(p.msgs, m)
			n++
		}
	}
	return n, nil
}

func (p *fakePager) keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.msgs))
	for i, m := range p.msgs {
		out[i] = m.Key
	}
	return out
}

// fakeRosters is a RosterReader in memory.
type fakeRosters struct {
	people    []escalation.Person
	teams     []escalation.Team
	overrides []escalation.Override
	policies  []escalation.Policy
}

func (r *fakeRosters) Load(_ context.Context, at time.Time) (*escalation.Roster, []escalation.Policy, error) {
	var ovs []escalation.Override
	for _, o := range r.overrides {
		if o.End.After(at) {
			ovs = append(ovs, o)
		}
	}
	return escalation.NewRoster(r.people, r.teams, ovs), r.pols(), nil
}
func (r *fakeRosters) Teams(context.Context) ([]escalation.Team, error)      { return r.teams, nil }
func (r *fakeRosters) People(context.Context) ([]escalation.Person, error)   { return r.people, nil }
func (r *fakeRosters) Policies(context.Context) ([]escalation.Policy, error) { return r.pols(), nil }
func (r *fakeRosters) Overrides(_ context.Context, from, to time.Time) ([]escalation.Override, error) {
	var out []escalation.Override
	for _, o := range r.overrides {
		if o.Start.Before(to) && o.End.After(from) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (r *fakeRosters) pols() []escalation.Policy {
	if r.policies != nil {
		return r.policies
	}
	return escalation.DefaultPolicies()
}

// escCreated is when the test incidents are reported: alice's day on call.
var escCreated = time.Date(2026, 3, 21, 9, 30, 0, 0, time.UTC)

func escRoster() *fakeRosters {
	return &fakeRosters{
		people: []escalation.Person{
			{ID: "alice", Name: "Alice", Contacts: []escalation.Contact{{Kind: escalation.ContactPhone, Value: "+86 10 1234"}, {Kind: escalation.ContactSlack, Value: "U1"}}},
			{ID: "bob", Name: "Bob", TimeZone: "Asia/Shanghai"},
			{ID: "carol", Name: "Carol", Contacts: []escalation.Contact{{Kind: escalation.ContactEmail, Value: "carol@example.org"}}},
			{ID: "sam", Name: "Sam", Roles: []escalation.Role{escalation.RoleSecurityManager}},
			{ID: "lee", Name: "Lee", Roles: []escalation.Role{escalation.RoleLeadership}},
			{ID: "cora", Name: "Cora", Roles: []escalation.Role{escalation.RoleCoordinator}},
			{ID: "cody", Name: "Cody", Roles: []escalation.Role{escalation.RoleCoordinator}},
		},
		teams: []escalation.Team{
			{ID: "assessment", Name: "Assessment group", Kind: escalation.AssessmentGroup, Members: []string{"alice", "bob", "carol"},
				Lead: "carol", Critical: true, Rotation: &escalation.Rotation{Participants: []string{"alice", "bob"},
					Interval: escalation.Daily, HandoffTime: "09:00", TimeZone: "UTC", Start: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}},
			{ID: "management", Name: "Management", Kind: escalation.ManagementTeam, Members: []string{"sam", "lee"}},
			{ID: "center", Name: "Response center", Kind: escalation.ResponseCenter, Members: []string{"cora", "cody"}},
		},
	}
}

type escFixture struct {
	clock *escClock
	incs  *fakeIncidents
	sched *fakeScheduler
	out   *fakePager
	ros   *fakeRosters
	esc   *escalation.Escalator
}

func newEscFixture(t *testing.T) *escFixture {
	t.Helper()
	f := &escFixture{clock: &escClock{t: escCreated}, sched: newFakeScheduler(), out: &fakePager{}, ros: escRoster()}
	f.incs = &fakeIncidents{byID: map[string]*incident.Incident{}, page: 2, now: f.clock.Now}
	f.esc = escalation.NewEscalator(f.incs, f.ros, f.sched, f.out, f.clock.Now, slog.New(slog.DiscardHandler))
	return f
}

// report stores a new serious incident, as Report would.
func (f *escFixture) report(id, number string) *incident.Incident {
	inc := &incident.Incident{ID: id, Number: number, Version: 1, Title: "Trojan on the build server", Level: incident.Serious,
		Stage: incident.Receive, StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: escCreated},
		CreatedAt: escCreated, Timeline: []incident.Entry{{At: escCreated, Kind: incident.EntryReported}}}
	f.incs.put(inc)
	return inc
}

// change applies edit to the stored incident as a new version.
func (f *escFixture) change(t *testing.T, id string, edit func(*incident.Incident)) *incident.Incident {
	t.Helper()
	inc, err := f.incs.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	edit(inc)
	inc.Version++
	f.incs.put(inc)
	return inc
}

func (f *escFixture) sync(t *testing.T, inc *incident.Incident) {
	t.Helper()
	if err := f.esc.Sync(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
}

// tick fires what is due now, as the engine's Tick does.
func (f *escFixture) tick(t *testing.T) int {
	t.Helper()
	due := f.sched.due(f.clock.Now())
	for _, tm := range due {
		if err := f.esc.Fire(context.Background(), tm); err != nil {
			t.Fatal(err)
		}
	}
	return len(due)
}

func planKeys(t *testing.T, inc *incident.Incident) []string {
	t.Helper()
	ts, err := escalation.PlanIncident(inc, escalation.DefaultPolicies())
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(ts))
	for i, tm := range ts {
		keys[i] = tm.Key
	}
	slices.Sort(keys)
	return keys
}

func TestSyncFollowsTheIncident(t *testing.T) {
	f := newEscFixture(t)
	const num = "INC-2026-000001"
	inc := f.report("a1", num)

	f.sync(t, inc)
	if got, want := f.sched.pendingKeys(num), planKeys(t, inc); !slices.Equal(got, want) || len(got) != 8 {
		t.Fatalf("after report: pending\n%v\nwant the plan\n%v", got, want)
	}
	first := num + "/serious/ack/step1/r0/20260321T093000Z"
	if !slices.Contains(f.sched.pendingKeys(num), first) {
		t.Fatalf("step 1 should be due at the report: %v", f.sched.pendingKeys(num))
	}
	calls := f.sched.calls
	f.sync(t, inc)
	if f.sched.calls != calls {
		t.Error("a second Sync of an unchanged incident scheduled again")
	}

	// Acknowledged at 10m: the chain goes, deadlines stay (aimed at step 2).
	f.clock.Advance(10 * time.Minute)
	inc = f.change(t, "a1", func(i *incident.Incident) { at := f.clock.Now(); i.AckedAt = &at })
	f.sync(t, inc)
	for _, k := range f.sched.pendingKeys(num) {
		if strings.Contains(k, "/ack/") {
			t.Errorf("ack timer %s still pending after the acknowledgement", k)
		}
	}
	if got, want := f.sched.pendingKeys(num), planKeys(t, inc); !slices.Equal(got, want) || len(got) != 3 {
		t.Fatalf("after ack: pending %v, want %v", got, want)
	}

	// Confirmed: the confirm deadline goes.
	inc = f.change(t, "a1", func(i *incident.Incident) {
		i.Stage = incident.Confirm
		i.StageEnteredAt[incident.Confirm] = f.clock.Now()
	})
	f.sync(t, inc)
	if got := f.sched.pendingKeys(num); len(got) != 2 || slices.ContainsFunc(got, func(k string) bool { return strings.Contains(k, "/confirm/") }) {
		t.Fatalf("after confirm: pending %v", got)
	}

	// Reclassified special: every timer is re-planned under special.
	inc = f.change(t, "a1", changeLevel(incident.Special))
	f.sync(t, inc)
	got := f.sched.pendingKeys(num)
	if want := planKeys(t, inc); !slices.Equal(got, want) || len(got) != 2 {
		t.Fatalf("after level change: pending %v, want %v", got, want)
	}
	for _, k := range got {
		if !strings.HasPrefix(k, num+"/special/") || !strings.HasSuffix(k, "/e1") {
			t.Errorf("%s is not a special timer of epoch 1", k)
		}
	}

	// Closed: nothing left.
	inc = f.change(t, "a1", func(i *incident.Incident) { i.Stage = incident.Closed })
	f.sync(t, inc)
	if got := f.sched.pendingKeys(num); len(got) != 0 {
		t.Fatalf("after closing: pending %v", got)
	}
}

// changeLevel changes the level as ChangeLevel does, with its entry.
func changeLevel(l incident.Level) func(*incident.Incident) {
	return func(i *incident.Incident) {
		i.Timeline = append(i.Timeline, incident.Entry{Kind: incident.EntryLevel, From: string(i.Level), To: string(l)})
		i.Level = l
	}
}

// TestSyncLevelBackAndForth: the engine's cancellations are final, so a
// level changed and changed back must not plan the keys it cancelled:
// the epoch in the keys makes them new, and the timers still fire.
func TestSyncLevelBackAndForth(t *testing.T) {
	f := newEscFixture(t)
	const num = "INC-2026-000007"
	f.sync(t, f.report("a7", num))
	f.tick(t) // step 1
	f.clock.Advance(time.Minute)
	f.sync(t, f.change(t, "a7", changeLevel(incident.Special)))
	f.clock.Advance(time.Minute)
	inc := f.change(t, "a7", changeLevel(incident.Serious))
	f.sync(t, inc)
	if got, want := f.sched.pendingKeys(num), planKeys(t, inc); len(want) < 7 || !slices.Equal(got, want) {
		t.Fatalf("after serious → special → serious: pending\n%v\nwant\n%v", got, want)
	}
	if escalation.Epoch(inc) != 2 {
		t.Errorf("Epoch = %d, want 2", escalation.Epoch(inc))
	}
	// Step 1 is not paged again (page keys carry neither level nor epoch);
	// the chain goes on: step 1's repeat at 15m pages alice's next page.
	f.clock.Advance(14 * time.Minute)
	f.tick(t)
	if got := f.out.keys(); !slices.Equal(got, []string{escalation.PageKey(num, 1, 0, "alice"), escalation.PageKey(num, 1, 1, "alice")}) {
		t.Fatalf("outbox %v", got)
	}
}

func TestEpoch(t *testing.T) {
	inc := &incident.Incident{Timeline: []incident.Entry{
		{Kind: incident.EntryReported},
		{Kind: incident.EntryStage, From: "receive", To: "confirm", Changes: []incident.FieldChange{{Field: "level", Before: "serious", After: "serious"}}},
		{Kind: incident.EntryStage, From: "confirm", To: "rejected"},
		{Kind: incident.EntryStage, From: "rejected", To: "receive"},                                                                                        // reopened: 1
		{Kind: incident.EntryStage, From: "receive", To: "confirm", Changes: []incident.FieldChange{{Field: "level", Before: "serious", After: "special"}}}, // 2
		{Kind: incident.EntryLevel, From: "special", To: "ordinary"},                                                                                        // 3
		{Kind: incident.EntryEscalation, Note: "step 1"},
	}}
	if got := escalation.Epoch(inc); got != 3 {
		t.Errorf("Epoch = %d, want 3", got)
	}
}

// TestSyncStaleIncident: Sync given an old copy ends with the plan of the
// stored incident, whatever another Sync did in between.
func TestSyncStaleIncident(t *testing.T) {
	f := newEscFixture(t)
	const num = "INC-2026-000002"
	stale := f.report("a2", num)
	cur := f.change(t, "a2", func(i *incident.Incident) { i.Level = incident.Ordinary })
	f.sync(t, stale)
	if got, want := f.sched.pendingKeys(num), planKeys(t, cur); !slices.Equal(got, want) {
		t.Fatalf("pending %v, want the plan of the stored (ordinary) incident %v", got, want)
	}
}

func TestFirePagesOnceAndRecordsOnce(t *testing.T) {
	f := newEscFixture(t)
	const num = "INC-2026-000003"
	f.sync(t, f.report("a3", num))

	if n := f.tick(t); n != 1 {
		t.Fatalf("%d timers due at the report, want step 1", n)
	}
	want := escalation.PageKey(num, 1, 0, "alice")
	if got := f.out.keys(); !slices.Equal(got, []string{want}) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
	m := f.out.msgs[0]
	if m.Kind != notify.KindPage || m.Recipient != "alice" || m.Incident != num || m.Channel != "slack" ||
		!strings.Contains(m.Subject, num) || !strings.Contains(m.Body, "step 1") {
		t.Errorf("page = %+v", m)
	}
	es := f.incs.entries("a3", incident.EntryEscalation)
	if len(es) != 1 || es[0].Actor != incident.System || !strings.HasPrefix(es[0].Note, "step 1 (on-call of assessment): paged alice [timer "+num+"/serious/ack/step1/r0/") {
		t.Fatalf("escalation entries = %+v", es)
	}
	if got := f.mustGet(t, "a3").Participants; !slices.Equal(got, []string{"alice"}) {
		t.Errorf("participants %v: the person paged must be able to see the incident", got)
	}

	// The same timer again (a retry, a second instance): nothing doubles.
	ts, _ := escalation.PlanFor(escalation.PlanInputOf(f.mustGet(t, "a3")), escalation.DefaultPolicies())
	for range 2 {
		if err := f.esc.Fire(context.Background(), ts[0]); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.out.keys()) != 1 || len(f.incs.entries("a3", incident.EntryEscalation)) != 1 {
		t.Fatalf("firing again doubled: outbox %v, %d entries", f.out.keys(), len(f.incs.entries("a3", incident.EntryEscalation)))
	}

	// The repeat at 15m pages alice again (a new page key), then step 2
	// (carol, the lead) at 30m, with the confirm deadline told to step 3.
	f.clock.Advance(31 * time.Minute)
	if n := f.tick(t); n != 3 {
		t.Fatalf("%d timers due by 31m, want 3", n)
	}
	wantKeys := []string{want, escalation.PageKey(num, 1, 1, "alice"), escalation.PageKey(num, 2, 0, "carol"), num + "/deadline/confirm/sam"}
	if got := f.out.keys(); !slices.Equal(got, wantKeys) {
		t.Fatalf("outbox %v\nwant %v", got, wantKeys)
	}
	dl := f.incs.entries("a3", incident.EntryDeadline)
	if len(dl) != 1 || !strings.HasPrefix(dl[0].Note, "confirm deadline missed (30m for serious); step 3 (security_manager of management): notified sam [timer ") {
		t.Fatalf("deadline entries = %+v", dl)
	}
	if m := f.out.msgs[3]; m.Kind != notify.KindDeadline || m.Channel != notify.ChannelLog {
		t.Errorf("deadline message = %+v", m)
	}
}

func (f *escFixture) mustGet(t *testing.T, id string) *incident.Incident {
	t.Helper()
	inc, err := f.incs.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// TestFireObsolete: a timer that the incident no longer needs does nothing,
// even if its cancellation never reached the engine.
func TestFireObsolete(t *testing.T) {
	f := newEscFixture(t)
	const num = "INC-2026-000004"
	inc := f.report("a4", num)
	ts, _ := escalation.PlanFor(escalation.PlanInputOf(inc), escalation.DefaultPolicies())
	f.change(t, "a4", func(i *incident.Incident) { at := escCreated.Add(time.Minute); i.AckedAt = &at })
	f.clock.Advance(20 * time.Minute)
	if err := f.esc.Fire(context.Background(), ts[1]); err != nil { // step 1, repeat 1, at 15m
		t.Fatal(err)
	}
	f.change(t, "a4", func(i *incident.Incident) { i.Level = incident.Special })
	if err := f.esc.Fire(context.Background(), ts[0]); err != nil {
		t.Fatal(err)
	}
	if len(f.out.keys()) != 0 || len(f.incs.entries("a4", incident.EntryEscalation)) != 0 {
		t.Fatalf("an obsolete timer paged %v", f.out.keys())
	}
	if err := f.esc.Fire(context.Background(), escalation.Timer{Key: "INC-2026-999999/serious/ack/step1/r0/x", Incident: "INC-2026-999999"}); err != nil {
		t.Errorf("a timer of an unknown incident: %v, want it dropped", err)
	}
}

// TestFireNobodyOnCall: a step with nobody to page passes to the next at
// once, says why on the timeline, and that step's own timer later pages
// nobody twice.
func TestFireNobodyOnCall(t *testing.T) {
	f := newEscFixture(t)
	f.ros.overrides = []escalation.Override{{ID: "o1", Team: "assessment", Start: escCreated.Add(-time.Hour), End: escCreated.Add(time.Hour), Note: "offsite"}}
	const num = "INC-2026-000005"
	f.sync(t, f.report("a5", num))
	f.tick(t)
	if got, want := f.out.keys(), []string{escalation.PageKey(num, 2, 0, "carol")}; !slices.Equal(got, want) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
	es := f.incs.entries("a5", incident.EntryEscalation)
	if len(es) != 1 || !strings.HasPrefix(es[0].Note,
		"step 1 (on-call of assessment): nobody on call for team assessment — escalated to step 2 (lead of assessment): paged carol [timer ") {
		t.Fatalf("entries = %+v", es)
	}

	f.clock.Advance(30 * time.Minute) // step 1's repeat (still nobody), step 2's own page, the confirm deadline
	f.tick(t)
	if got := f.out.keys(); len(got) != 2 || got[1] != num+"/deadline/confirm/sam" {
		t.Fatalf("outbox %v: carol paged twice, or the deadline not told", got)
	}
	es = f.incs.entries("a5", incident.EntryEscalation)
	if len(es) != 3 || !strings.HasPrefix(es[2].Note, "step 2 (lead of assessment): already paged: carol") {
		t.Fatalf("entries = %+v", es)
	}
}

func TestFireNobodyLeft(t *testing.T) {
	f := newEscFixture(t)
	f.ros.teams = nil
	const num = "INC-2026-000006"
	f.sync(t, f.report("a6", num))
	f.tick(t)
	es := f.incs.entries("a6", incident.EntryEscalation)
	if len(f.out.keys()) != 0 || len(es) != 1 || !strings.Contains(es[0].Note, "team management does not exist — nobody left in the chain to page [timer ") {
		t.Fatalf("outbox %v, entries %+v", f.out.keys(), es)
	}
}

// TestObserverAndRun: IncidentChanged only queues (it never blocks, even
// with nobody running the queue), and Run syncs the latest state.
func TestObserverAndRun(t *testing.T) {
	f := newEscFixture(t)
	ctx := context.Background()
	var incs []*incident.Incident
	for i := range 3 {
		incs = append(incs, f.report(fmt.Sprint("b", i), fmt.Sprintf("INC-2026-10000%d", i)))
	}
	for range 1000 { // no worker yet: must not block
		f.esc.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: incs[0]})
	}
	f.esc.IncidentChanged(ctx, incident.Event{Kind: incident.EventRecord, Incident: incs[1]})

	// Run reconciles first: every open incident (paged two at a time).
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- f.esc.Run(ctx) }()
	waitFor(t, "reconcile", func() bool {
		for _, inc := range incs {
			if len(f.sched.pendingKeys(inc.Number)) != 8 {
				return false
			}
		}
		return true
	})

	// A change while running is synced.
	closed := f.change(t, "b2", func(i *incident.Incident) { i.Stage = incident.Closed })
	f.esc.IncidentChanged(ctx, incident.Event{Kind: incident.EventStage, Incident: closed})
	waitFor(t, "sync of the closed incident", func() bool { return len(f.sched.pendingKeys(closed.Number)) == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil on cancellation", err)
	}
}

// waitFor polls cond for a worker goroutine's result (not for a timer:
// timers run on the fake clock).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestHandoverPrompts(t *testing.T) {
	f := newEscFixture(t)
	ctx := context.Background()
	from := time.Date(2026, 3, 21, 8, 0, 0, 0, time.UTC) // bob hands to alice at 09:00, alice to bob the next day
	to := from.Add(48 * time.Hour)
	if err := f.esc.HandoverPrompts(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	want := []string{"handover/assessment/20260321T090000Z/bob", "handover/assessment/20260322T090000Z/alice"}
	if got := f.out.keys(); !slices.Equal(got, want) {
		t.Fatalf("prompts %v, want %v", got, want)
	}
	m := f.out.msgs[0]
	if m.Kind != notify.KindHandover || m.Recipient != "bob" || !strings.Contains(m.Body, "alice takes over") ||
		!strings.Contains(m.Subject, "2026-03-21 17:00 CST") { // in bob's zone
		t.Errorf("prompt = %+v", m)
	}
	// Overlapping windows prompt once.
	if err := f.esc.HandoverPrompts(ctx, from.Add(time.Hour), to.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := f.out.keys(); len(got) != 2 {
		t.Fatalf("after an overlapping window: %v", got)
	}
}

func TestCoverageWarnings(t *testing.T) {
	f := newEscFixture(t)
	ctx := context.Background()
	now := escCreated
	gapStart := time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC)
	f.ros.overrides = []escalation.Override{
		{ID: "o1", Team: "assessment", Start: gapStart, End: gapStart.Add(6 * time.Hour)},
		{ID: "o2", Team: "assessment", Start: now.Add(-time.Hour), End: now.Add(time.Hour)}, // a gap already running
	}
	if err := f.esc.CoverageWarnings(ctx, now); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"coverage/assessment/20260321/now/cora", "coverage/assessment/20260321/now/cody",
		"coverage/assessment/20260321/20260325T000000Z/cora", "coverage/assessment/20260321/20260325T000000Z/cody",
	}
	if got := f.out.keys(); !slices.Equal(got, want) {
		t.Fatalf("warnings %v\nwant %v", got, want)
	}
	// Later the same day: nothing new; the next day: warned again.
	if err := f.esc.CoverageWarnings(ctx, now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.keys()); n != 4 {
		t.Fatalf("%d warnings after a second run the same day", n)
	}
	if err := f.esc.CoverageWarnings(ctx, now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.keys()); n != 6 {
		t.Fatalf("%d warnings after the next day's run, want 6 (the running gap has ended)", n)
	}
}

func TestChainNote(t *testing.T) {
	p := escalation.DefaultPolicies()[1]
	tests := []struct {
		kind     escalation.TimerKind
		step     int
		skipped  []escalation.Skip
		paged    []string
		already  []string
		wantNote string
	}{
		{escalation.TimerAckStep, 1, nil, []string{"alice"}, nil, "step 1 (on-call of assessment): paged alice"},
		{escalation.TimerAckStep, 3, []escalation.Skip{{Step: 2, Reason: "team assessment has no lead"}}, []string{"sam"}, []string{"lin"},
			"step 2 (lead of assessment): team assessment has no lead — escalated to step 3 (security_manager of management): paged sam; already paged: lin"},
		{escalation.TimerDeadline, 0, []escalation.Skip{{Step: 3, Reason: "a"}, {Step: 4, Reason: "b"}}, nil, nil,
			"step 3 (security_manager of management): a — escalated to step 4 (leadership of management): b — nobody left in the chain to notify"},
	}
	for _, tt := range tests {
		if got := escalation.ChainNote(p, tt.kind, tt.step, tt.skipped, tt.paged, tt.already); got != tt.wantNote {
			t.Errorf("ChainNote =\n%s\nwant\n%s", got, tt.wantNote)
		}
	}
}

// TestRestrictedPagesCarryNoDetails: the pages and deadline notices of a
// restricted incident say its number and link, nothing else.
func TestRestrictedPagesCarryNoDetails(t *testing.T) {
	f := newEscFixture(t)
	f.esc.SetBaseURL("https://tocsin.example.cn")
	const num = "INC-2026-000009"
	inc := f.report("a9", num)
	inc = f.change(t, inc.ID, func(i *incident.Incident) { i.Restricted = true })
	f.sync(t, inc)
	f.clock.Advance(31 * time.Minute)
	if n := f.tick(t); n < 3 {
		t.Fatalf("%d timers fired", n)
	}
	kinds := map[notify.Kind]bool{}
	for _, m := range f.out.msgs {
		kinds[m.Kind] = true
		if !m.Restricted || m.Incident != num {
			t.Errorf("message %s is not marked restricted: %+v", m.Key, m)
		}
		text := m.Subject + "\n" + m.Body
		for _, leak := range []string{"Trojan", "build server", "serious", "Serious", "严重", "step", "chain"} {
			if strings.Contains(text, leak) {
				t.Errorf("message %s says %q:\n%s", m.Key, leak, text)
			}
		}
		if !strings.Contains(text, num) || !strings.Contains(m.Body, "https://tocsin.example.cn/incidents/"+num) {
			t.Errorf("message %s lacks the number or the link:\n%s", m.Key, text)
		}
	}
	if !kinds[notify.KindPage] || !kinds[notify.KindDeadline] {
		t.Errorf("kinds sent: %v; want pages and a deadline notice", kinds)
	}
}
