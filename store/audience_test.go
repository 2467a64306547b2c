package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestAudienceMatchesPolicy stores incidents of every shape that matters to
// visibility and checks, for people of every kind, that a list narrowed by
// access.AudienceOf holds exactly the incidents access.CanView allows: the
// store's query and the policy never disagree.
func TestAudienceMatchesPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()

	team := func(n string) incident.Assignee { return incident.Assignee{Kind: incident.AssigneeTeam, Name: n} }
	person := func(n string) incident.Assignee { return incident.Assignee{Kind: incident.AssigneePerson, Name: n} }
	vendor := func(n string) incident.Assignee { return incident.Assignee{Kind: incident.AssigneeVendor, Name: n} }
	shapes := []*incident.Incident{
		{Title: "reported by alice", Reporter: incident.Actor{ID: "u-alice"}},
		{Title: "reported by alice, restricted", Reporter: incident.Actor{ID: "u-alice"}, Restricted: true},
		{Title: "alice participates by id", Reporter: incident.Actor{ID: "u-x"}, Participants: []string{"u-alice"}},
		{Title: "alice participates by name, restricted", Reporter: incident.Actor{ID: "u-x"}, Participants: []string{"alice"}, Restricted: true},
		{Title: "network team", Reporter: incident.Actor{ID: "u-x"}, Assignees: []incident.Assignee{team("Network"), vendor("bob")}},
		{Title: "network team, restricted", Reporter: incident.Actor{ID: "u-x"}, Assignees: []incident.Assignee{team("Network")}, Restricted: true},
		{Title: "bob assigned", Reporter: incident.Actor{ID: "u-x"}, Assignees: []incident.Assignee{person("bob")}, Restricted: true},
		{Title: "bob as vendor", Reporter: incident.Actor{ID: "u-x"}, Assignees: []incident.Assignee{vendor("bob"), team("bob")}},
		{Title: "bob's task", Reporter: incident.Actor{ID: "u-x"}, Tasks: []incident.Task{{ID: "t1", TaskSpec: incident.TaskSpec{Title: "t"}, Assignee: "bob", AssigneeKind: incident.AssignPerson}}},
		{Title: "bob's task, restricted", Reporter: incident.Actor{ID: "u-x"}, Tasks: []incident.Task{{ID: "t1", TaskSpec: incident.TaskSpec{Title: "t"}, Assignee: "u-bob", AssigneeKind: incident.AssignPerson}}, Restricted: true},
		{Title: "nobody's", Reporter: incident.Actor{ID: "u-x"}},
		{Title: "nobody's, restricted", Reporter: incident.Actor{ID: "u-x"}, Restricted: true},
	}
	for i, inc := range shapes {
		inc.Number = fmt.Sprintf("INC-2026-%06d", i+1)
		inc.Version, inc.Stage, inc.Level = 1, incident.Handle, incident.Serious
		inc.CreatedAt, inc.UpdatedAt = t0, t0
		if err := st.Insert(ctx, inc); err != nil {
			t.Fatal(err)
		}
	}
	people := map[string]access.Principal{
		"alice (reporter)":     {UserID: "u-alice", Username: "alice", Roles: []access.Role{access.Reporter}},
		"bob (responder)":      {UserID: "u-bob", Username: "bob", Roles: []access.Role{access.Reporter, access.Responder}, Teams: []string{"net", "Network"}},
		"carol (responder)":    {UserID: "u-carol", Username: "carol", Roles: []access.Role{access.Reporter, access.Responder}},
		"dora (team, no role)": {UserID: "u-dora", Username: "dora", Roles: []access.Role{access.Reporter}, Teams: []string{"Network"}},
		"coordinator":          {UserID: "u-c", Username: "c", Roles: []access.Role{access.Reporter, access.Coordinator}},
		"manager":              {UserID: "u-m", Username: "m", Roles: []access.Role{access.Reporter, access.Manager}},
		"auditor":              {UserID: "u-au", Username: "au", Roles: []access.Role{access.Reporter, access.Auditor}},
		"admin":                {UserID: "u-ad", Username: "ad", Roles: []access.Role{access.Admin}},
	}
	for name, p := range people {
		var want []string
		for _, inc := range shapes {
			if access.CanView(p, inc) {
				want = append(want, inc.Title)
			}
		}
		a := access.AudienceOf(p)
		page, err := st.List(ctx, incident.ListFilter{Audience: &a, Limit: 500})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, inc := range page.Items {
			got = append(got, inc.Title)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the store lists %q\nthe policy allows %q", name, got, want)
		}
	}
	// The anonymous audience admits nothing.
	none := access.AudienceOf(access.Principal{})
	if page, err := st.List(ctx, incident.ListFilter{Audience: &none}); err != nil || len(page.Items) != 0 {
		t.Errorf("anonymous audience lists %d incidents, %v", len(page.Items), err)
	}
}
