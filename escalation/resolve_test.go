package escalation

import (
	"reflect"
	"slices"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

func roster(overrides ...Override) *Roster {
	people := []Person{
		{ID: "alice", Name: "Alice", Roles: []Role{RoleNetworkEngineer}},
		{ID: "bob", Name: "Bob", Roles: []Role{RoleApplicationEngineer}},
		{ID: "carol", Name: "Carol"},
		{ID: "sam", Name: "Sam", Roles: []Role{RoleSecurityManager}},
		{ID: "lee", Name: "Lee", Roles: []Role{RoleLeadership}},
		{ID: "lin", Name: "Lin", Roles: []Role{RoleLeadership, RoleSecurityManager}},
	}
	mgmt := Team{ID: DefaultManagementTeam, Name: "Management", Kind: ManagementTeam, Members: []string{"sam", "lee", "lin", "lee"}}
	empty := Team{ID: "vendor", Name: "Vendor", Kind: VendorTeam}
	return NewRoster(people, []Team{assessmentTeam(), mgmt, empty}, overrides)
}

func TestResolve(t *testing.T) {
	at := day2(12, 0) // bob's shift
	removed := ov("away", "", "bob", day2(11, 0), day2(13, 0))
	onCall := Step{Target: Target{Kind: TargetOnCall, Team: "assessment"}}
	tests := []struct {
		name   string
		dir    *Roster
		step   Step
		want   []string
		reason string
	}{
		{"on-call", roster(), onCall, []string{"bob"}, ""},
		{"on-call with an override", roster(ov("swap", "carol", "bob", day2(11, 0), day2(13, 0))), onCall, []string{"carol"}, ""},
		{"nobody on call", roster(removed), onCall, nil, "nobody on call for team assessment"},
		{"lead", roster(), Step{Target: Target{Kind: TargetLead, Team: "assessment"}}, []string{"carol"}, ""},
		{"no lead", roster(), Step{Target: Target{Kind: TargetLead, Team: DefaultManagementTeam}}, nil, "team management has no lead"},
		{"person", roster(), Step{Target: Target{Kind: TargetPerson, Person: "lee"}}, []string{"lee"}, ""},
		{"unknown person", roster(), Step{Target: Target{Kind: TargetPerson, Person: "zoe"}}, nil, "person zoe is not in the roster"},
		{"whole team, without repeats", roster(), Step{Target: Target{Kind: TargetTeam, Team: DefaultManagementTeam}}, []string{"sam", "lee", "lin"}, ""},
		{"empty team", roster(), Step{Target: Target{Kind: TargetTeam, Team: "vendor"}}, nil, "team vendor has no members"},
		{"role", roster(), Step{Target: Target{Kind: TargetRole, Team: DefaultManagementTeam, Role: RoleSecurityManager}}, []string{"sam", "lin"}, ""},
		{"role nobody holds", roster(), Step{Target: Target{Kind: TargetRole, Team: "assessment", Role: RoleLeadership}}, nil, "nobody in team assessment has role leadership"},
		{"unknown team", roster(), Step{Target: Target{Kind: TargetOnCall, Team: "night"}}, nil, "team night does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Resolve(tt.step, tt.dir, at)
			if !slices.Equal(got, tt.want) || why != tt.reason {
				t.Fatalf("Resolve = %v, %q; want %v, %q", got, why, tt.want, tt.reason)
			}
		})
	}
}

// TestResolveChain: a step with nobody to page passes to the next at once,
// and the reasons are kept for the timeline.
func TestResolveChain(t *testing.T) {
	p, _ := PolicyFor(DefaultPolicies(), incident.Serious)
	at := day2(12, 0)
	removed := ov("away", "", "bob", day2(11, 0), day2(13, 0))

	step, people, skipped := ResolveChain(p, 1, roster(), at)
	if step != 1 || !slices.Equal(people, []string{"bob"}) || skipped != nil {
		t.Fatalf("plain: %d %v %v", step, people, skipped)
	}
	step, people, skipped = ResolveChain(p, 1, roster(removed), at)
	if step != 2 || !slices.Equal(people, []string{"carol"}) || !reflect.DeepEqual(skipped, []Skip{{1, "nobody on call for team assessment"}}) {
		t.Fatalf("no on-call: %d %v %v", step, people, skipped)
	}
	step, people, _ = ResolveChain(p, 3, roster(), at)
	if step != 3 || !slices.Equal(people, []string{"sam", "lin"}) {
		t.Fatalf("from step 3: %d %v", step, people)
	}

	// Nobody anywhere: step 0 and a reason per step.
	empty := NewRoster(nil, nil, nil)
	step, people, skipped = ResolveChain(p, 1, empty, at)
	if step != 0 || people != nil || len(skipped) != len(p.Steps) {
		t.Fatalf("empty roster: %d %v %v", step, people, skipped)
	}
	if step, _, skipped := ResolveChain(p, len(p.Steps)+1, roster(), at); step != 0 || skipped != nil {
		t.Fatalf("past the last step: %d %v", step, skipped)
	}
}
