package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func mustInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var inv *incident.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error = %v, want *incident.InvalidError on %s", err, field)
	}
	if _, ok := inv.Fields[field]; !ok {
		t.Fatalf("error %v does not name field %s", err, field)
	}
}

// seedRoster stores an assessment team rotating alice and bob daily at
// 09:00 Shanghai from t0's day, led by carol, and a management team.
func seedRoster(t *testing.T, r *store.Rosters) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []escalation.Person{
		{ID: "alice", Name: "Alice", Roles: []escalation.Role{escalation.RoleNetworkEngineer}, TimeZone: "Asia/Shanghai",
			Contacts: []escalation.Contact{{Kind: escalation.ContactSlack, Value: "U1"}, {Kind: escalation.ContactPhone, Value: "+86 10 1234"}}},
		{ID: "bob", Name: "Bob"},
		{ID: "carol", Name: "Carol", Roles: []escalation.Role{escalation.RoleCoordinator}},
		{ID: "sam", Name: "Sam", Roles: []escalation.Role{escalation.RoleSecurityManager}},
	} {
		if err := r.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range []escalation.Team{assessment(), {ID: escalation.DefaultManagementTeam, Name: "Management",
		Kind: escalation.ManagementTeam, Members: []string{"sam"}}} {
		if err := r.SaveTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
}

func assessment() escalation.Team {
	return escalation.Team{ID: escalation.DefaultAssessmentTeam, Name: "Assessment group", Kind: escalation.AssessmentGroup,
		Members: []string{"alice", "bob", "carol"}, Lead: "carol", Critical: true,
		Rotation: &escalation.Rotation{Participants: []string{"alice", "bob"}, Interval: escalation.Daily,
			HandoffTime: "09:00", TimeZone: "Asia/Shanghai", Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}}
}

func TestRosterPeopleTeamsDepartments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t).Rosters()
	seedRoster(t, r)

	people, err := r.People(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range people {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"alice", "bob", "carol", "sam"}) {
		t.Fatalf("People = %v", ids)
	}
	if want := (escalation.Person{ID: "alice", Name: "Alice", Roles: []escalation.Role{escalation.RoleNetworkEngineer}, TimeZone: "Asia/Shanghai",
		Contacts: []escalation.Contact{{Kind: escalation.ContactSlack, Value: "U1"}, {Kind: escalation.ContactPhone, Value: "+86 10 1234"}}}); !reflect.DeepEqual(people[0], want) {
		t.Errorf("alice = %+v, want %+v", people[0], want)
	}
	teams, err := r.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 2 || !reflect.DeepEqual(teams[0], assessment()) {
		t.Fatalf("Teams = %+v\nwant first %+v", teams, assessment())
	}

	// Replacing keeps one document.
	if err := r.SavePerson(ctx, escalation.Person{ID: "bob", Name: "Robert"}); err != nil {
		t.Fatal(err)
	}
	if people, _ := r.People(ctx); len(people) != 4 || people[1].Name != "Robert" {
		t.Errorf("after replacing bob: %+v", people)
	}

	// Validation and references are refused before anything is written.
	mustInvalid(t, r.SavePerson(ctx, escalation.Person{ID: "", Name: "Nobody"}), "id")
	mustInvalid(t, r.SaveTeam(ctx, escalation.Team{ID: "x", Name: "X", Kind: escalation.SupportTeam, Members: []string{"alice", "zoe"}}), "members[1]")
	bad := assessment()
	bad.Rotation.TimeZone = "Mars/Olympus"
	mustInvalid(t, r.SaveTeam(ctx, bad), "rotation.time_zone")
	mustInvalid(t, r.SaveDepartment(ctx, escalation.Department{Name: "IT", Liaison: "zoe"}), "liaison")
	mustInvalid(t, r.SaveDepartment(ctx, escalation.Department{Name: "IT"}), "liaison")

	if err := r.SaveDepartment(ctx, escalation.Department{Name: "IT", Liaison: "bob"}); err != nil {
		t.Fatal(err)
	}
	if ds, err := r.Departments(ctx); err != nil || !reflect.DeepEqual(ds, []escalation.Department{{Name: "IT", Liaison: "bob"}}) {
		t.Fatalf("Departments = %+v, %v", ds, err)
	}

	// Deleting what is referred to is refused.
	if err := r.DeletePerson(ctx, "alice"); !errors.Is(err, escalation.ErrInUse) {
		t.Errorf("deleting a team member: %v, want ErrInUse", err)
	}
	if err := r.SaveTeam(ctx, escalation.Team{ID: "spare", Name: "Spare", Kind: escalation.SupportTeam}); err != nil {
		t.Fatal(err)
	}
	if err := r.SavePerson(ctx, escalation.Person{ID: "zoe", Name: "Zoe"}); err != nil {
		t.Fatal(err)
	}
	if err := r.SaveDepartment(ctx, escalation.Department{Name: "HR", Liaison: "zoe"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeletePerson(ctx, "zoe"); !errors.Is(err, escalation.ErrInUse) {
		t.Errorf("deleting a liaison: %v, want ErrInUse", err)
	}
	if err := r.DeleteTeam(ctx, escalation.DefaultAssessmentTeam); !errors.Is(err, escalation.ErrInUse) {
		t.Errorf("deleting a team the default policies page: %v, want ErrInUse", err)
	}
	if err := r.DeleteTeam(ctx, "spare"); err != nil {
		t.Errorf("deleting an unused team: %v", err)
	}
	if err := r.DeleteTeam(ctx, "spare"); !errors.Is(err, escalation.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	if err := r.SavePerson(ctx, escalation.Person{ID: "temp", Name: "Temp"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeletePerson(ctx, "temp"); err != nil {
		t.Errorf("deleting an unused person: %v", err)
	}

	// A department is deleted once nobody belongs to it.
	if err := r.SavePerson(ctx, escalation.Person{ID: "hana", Name: "Hana", Department: "HR"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDepartment(ctx, "HR"); !errors.Is(err, escalation.ErrInUse) {
		t.Errorf("deleting a department someone belongs to: %v, want ErrInUse", err)
	}
	if err := r.SavePerson(ctx, escalation.Person{ID: "hana", Name: "Hana"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDepartment(ctx, "HR"); err != nil {
		t.Errorf("deleting an unused department: %v", err)
	}
	if ds, err := r.Departments(ctx); err != nil || !reflect.DeepEqual(ds, []escalation.Department{{Name: "IT", Liaison: "bob"}}) {
		t.Errorf("Departments after the deletion = %+v, %v", ds, err)
	}
	if err := r.DeleteDepartment(ctx, "HR"); !errors.Is(err, escalation.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
}

func TestRosterOverridesAndLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t).Rosters()
	seedRoster(t, r)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	day := func(d, hh int) time.Time { return time.Date(2026, 3, d, hh, 0, 0, 0, sh).UTC() }

	past := escalation.Override{Team: "assessment", Person: "carol", Start: day(2, 10), End: day(2, 12), Note: "dentist"}
	now := escalation.Override{Team: "assessment", Person: "carol", Replaces: "alice", Start: day(3, 10), End: day(3, 14)}
	later := escalation.Override{Team: "assessment", Start: day(5, 0), End: day(6, 0), Note: "nobody"}
	var ids []string
	for _, o := range []escalation.Override{past, now, later} {
		id, err := r.SaveOverride(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("override ids %v do not grow with creation", ids)
	}
	mustInvalid(t, func() error {
		_, err := r.SaveOverride(ctx, escalation.Override{Team: "assessment", Person: "bob", Start: day(4, 0), End: day(3, 0)})
		return err
	}(), "end")

	got, err := r.Overrides(ctx, day(3, 0), day(5, 1))
	if err != nil {
		t.Fatal(err)
	}
	now.ID, later.ID = ids[1], ids[2]
	if !reflect.DeepEqual(got, []escalation.Override{now, later}) {
		t.Fatalf("Overrides(3rd, 5th 01:00) = %+v", got)
	}
	// [from, to): an override ending at from or starting at to is outside.
	if got, _ := r.Overrides(ctx, day(2, 12), day(3, 10)); len(got) != 0 {
		t.Errorf("Overrides touching only at the ends = %+v", got)
	}

	// Updating by id keeps the id; deleting removes.
	now.End = day(3, 16)
	if id, err := r.SaveOverride(ctx, now); err != nil || id != now.ID {
		t.Fatalf("SaveOverride(update) = %q, %v", id, err)
	}
	if err := r.DeleteOverride(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteOverride(ctx, ids[0]); !errors.Is(err, escalation.ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
	if err := r.DeleteOverride(ctx, "not-an-id"); !errors.Is(err, escalation.ErrNotFound) {
		t.Errorf("deleting a bad id: %v, want ErrNotFound", err)
	}

	// Load as of the 3rd at noon: alice's shift (the rotation started on
	// the 1st at 09:00: alice, bob, alice), taken by carol.
	dir, ps, err := r.Load(ctx, day(3, 12))
	if err != nil {
		t.Fatal(err)
	}
	if len(dir.Overrides("assessment")) != 2 {
		t.Errorf("Load kept overrides %+v; want the two not ended", dir.Overrides("assessment"))
	}
	onCall := escalation.Step{Target: escalation.Target{Kind: escalation.TargetOnCall, Team: "assessment"}}
	if people, why := escalation.Resolve(onCall, dir, day(3, 12)); !slices.Equal(people, []string{"carol"}) {
		t.Errorf("on call on the 3rd at noon: %v (%s), want carol", people, why)
	}
	if people, _ := escalation.Resolve(onCall, dir, day(3, 17)); !slices.Equal(people, []string{"alice"}) {
		t.Errorf("on call on the 3rd at 17:00: %v, want alice", people)
	}
	if _, why := escalation.Resolve(onCall, dir, day(5, 12)); why == "" {
		t.Error("the removal override on the 5th should leave nobody on call")
	}
	if !reflect.DeepEqual(ps, escalation.DefaultPolicies()) {
		t.Error("with no stored policies, Load should give the defaults")
	}
}

func TestRosterHandovers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t).Rosters()
	for i, at := range []time.Time{at(0), at(60 * 24), at(120 * 24)} {
		h := escalation.Handover{Team: "assessment", Outgoing: "alice", Incoming: "bob", At: at,
			Note: "note " + string(rune('a'+i)), WrittenBy: "alice"}
		if _, err := r.SaveHandover(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.SaveHandover(ctx, escalation.Handover{Team: "other", Outgoing: "x", At: at(0), Note: "n", WrittenBy: "x"}); err != nil {
		t.Fatal(err)
	}
	mustInvalid(t, func() error {
		_, err := r.SaveHandover(ctx, escalation.Handover{Team: "assessment", Outgoing: "alice", At: at(0), WrittenBy: "alice"})
		return err
	}(), "note")

	got, err := r.Handovers(ctx, "assessment", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Note != "note c" || got[1].Note != "note b" || !got[0].At.Equal(at(120*24)) || got[0].ID == "" {
		t.Fatalf("Handovers(assessment, 2) = %+v; want the two newest, newest first", got)
	}
	if got[0].Outgoing != "alice" || got[0].Incoming != "bob" || got[0].WrittenBy != "alice" || got[0].Team != "assessment" {
		t.Errorf("round trip lost fields: %+v", got[0])
	}
}

func TestRosterPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t).Rosters()
	ps, err := r.Policies(ctx)
	if err != nil || !reflect.DeepEqual(ps, escalation.DefaultPolicies()) {
		t.Fatalf("Policies with none stored = %+v, %v; want the defaults", ps, err)
	}
	serious, _ := escalation.PolicyFor(escalation.DefaultPolicies(), incident.Serious)
	serious.Steps = append(serious.Steps, escalation.Step{
		Target: escalation.Target{Kind: escalation.TargetPerson, Person: "sam"}, Delay: escalation.Duration(10 * time.Minute), Repeat: 2})
	serious.Deadlines.Confirm = escalation.Duration(45 * time.Minute)
	if err := r.SavePolicy(ctx, serious); err != nil {
		t.Fatal(err)
	}
	ps, err = r.Policies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := escalation.DefaultPolicies()
	want[1] = serious
	if !reflect.DeepEqual(ps, want) {
		t.Fatalf("Policies = %+v\nwant %+v", ps, want)
	}
	if err := escalation.ValidatePolicies(ps); err != nil {
		t.Errorf("the merged set does not validate: %v", err)
	}
	bad := serious
	bad.Deadlines.Confirm = escalation.Duration(time.Minute) // shorter than ack
	mustInvalid(t, r.SavePolicy(ctx, bad), "deadlines.confirm")
	mustInvalid(t, r.SavePolicy(ctx, escalation.Policy{Level: "grave"}), "level")

	// sam is now a policy's target.
	if err := r.SavePerson(ctx, escalation.Person{ID: "sam", Name: "Sam"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeletePerson(ctx, "sam"); !errors.Is(err, escalation.ErrInUse) {
		t.Errorf("deleting a policy's target: %v, want ErrInUse", err)
	}
}
