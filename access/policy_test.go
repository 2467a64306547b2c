package access

import (
	"fmt"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

// TestPolicyMatrix walks roles × relationship to the incident × actions.
func TestPolicyMatrix(t *testing.T) {
	inc := func(stage incident.Stage) *incident.Incident {
		return &incident.Incident{Stage: stage, Reporter: incident.Actor{ID: "u-rep"}, Participants: []string{"u-part", "li.na"}}
	}
	who := map[string]Principal{
		"anonymous":           {},
		"reporter (own)":      {UserID: "u-rep", Roles: []Role{Reporter}},
		"reporter (other)":    {UserID: "u-x", Roles: []Role{Reporter}},
		"responder (outside)": {UserID: "u-y", Roles: []Role{Reporter, Responder}},
		"responder (by id)":   {UserID: "u-part", Roles: []Role{Reporter, Responder}},
		"responder (by name)": {UserID: "u-li", Username: "li.na", Roles: []Role{Reporter, Responder}},
		"coordinator":         {UserID: "u-c", Roles: []Role{Reporter, Coordinator}},
		"manager":             {UserID: "u-m", Roles: []Role{Reporter, Manager}},
		"admin":               {UserID: "u-a", Roles: []Role{Admin}},
	}
	// Tasks: one assigned to li.na (who is a participant by name), one to
	// someone else, one to a vendor whose name is li.na's username.
	assigned := incident.Task{ID: "t1", Assignee: "li.na", AssigneeKind: incident.AssignPerson}
	other := incident.Task{ID: "t2", Assignee: "wang.wei", AssigneeKind: incident.AssignPerson}
	vendor := incident.Task{ID: "t3", Assignee: "li.na", AssigneeKind: incident.AssignVendor}
	type action struct {
		name string
		do   func(Principal) bool
	}
	actions := []action{
		{"view", func(p Principal) bool { return CanView(p, inc(incident.Handle)) }},
		{"confirm", func(p Principal) bool { return CanTransition(p, inc(incident.Receive), incident.Confirm) }},
		{"reject", func(p Principal) bool { return CanTransition(p, inc(incident.Confirm), incident.Rejected) }},
		{"plan", func(p Principal) bool { return CanTransition(p, inc(incident.Confirm), incident.Plan) }},
		{"handle→review", func(p Principal) bool { return CanTransition(p, inc(incident.Handle), incident.Review) }},
		{"close", func(p Principal) bool { return CanTransition(p, inc(incident.Review), incident.Closed) }},
		{"reopen closed", func(p Principal) bool { return CanTransition(p, inc(incident.Closed), incident.Review) }},
		{"level", func(p Principal) bool { return CanChangeLevel(p, inc(incident.Plan)) }},
		{"ack", func(p Principal) bool { return CanAcknowledge(p, inc(incident.Receive)) }},
		{"board", CanSeeBoard},
		{"report", CanReport},
		{"administer", CanAdminister},
		{"edit roster", CanEditRoster},
		{"edit policy", CanEditPolicy},
		{"manage outbox", CanManageOutbox},
		{"plan", func(p Principal) bool { return CanPlan(p, inc(incident.Plan)) }},
		{"approve plan", func(p Principal) bool { return CanApprovePlan(p, inc(incident.Plan)) }},
		{"work own task", func(p Principal) bool { return CanWorkTask(p, inc(incident.Handle), &assigned) }},
		{"work other task", func(p Principal) bool { return CanWorkTask(p, inc(incident.Handle), &other) }},
		{"work vendor task", func(p Principal) bool { return CanWorkTask(p, inc(incident.Handle), &vendor) }},
		{"read runbooks", CanReadRunbooks},
		{"edit runbooks", CanEditRunbooks},
	}
	// Each row: the actions allowed, in the order above (1 = allowed).
	want := map[string]string{
		"anonymous":           "0000000000000000000000",
		"reporter (own)":      "1000000000100000000000",
		"reporter (other)":    "0000000000100000000000",
		"responder (outside)": "0000000001100000000010",
		"responder (by id)":   "1110100011100000000010",
		"responder (by name)": "1110100011100000010010",
		"coordinator":         "1111100111101001011111",
		"manager":             "1111111111100001111110",
		"admin":               "1111101111111111111111",
	}
	for name, p := range who {
		got := ""
		for _, a := range actions {
			got += map[bool]string{true: "1", false: "0"}[a.do(p)]
		}
		if got != want[name] {
			for i, a := range actions {
				if got[i] != want[name][i] {
					t.Errorf("%s may %s = %c, want %c", name, a.name, got[i], want[name][i])
				}
			}
		}
	}
	if len(want) != len(who) {
		t.Fatal(fmt.Sprint("rows: ", len(want), " vs ", len(who)))
	}
}
