package access

import (
	"fmt"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

// TestPolicyMatrix walks roles × relationship to the incident × actions.
func TestPolicyMatrix(t *testing.T) {
	inc := func(stage incident.Stage) *incident.Incident {
		return &incident.Incident{Stage: stage, Reporter: incident.Actor{ID: "u-rep"}, Participants: []string{"u-part", "li.na"},
			Assignees: []incident.Assignee{{Kind: incident.AssigneeTeam, Name: "Network"}, {Kind: incident.AssigneePerson, Name: "wang.fang"}},
			Tasks:     []incident.Task{{ID: "t1", TaskSpec: incident.TaskSpec{Title: "isolate"}, Assignee: "zhao.min", AssigneeKind: incident.AssignPerson}}}
	}
	restricted := func(stage incident.Stage) *incident.Incident {
		i := inc(stage)
		i.Restricted = true
		return i
	}
	who := map[string]Principal{
		"anonymous":           {},
		"reporter (own)":      {UserID: "u-rep", Roles: []Role{Reporter}},
		"reporter (other)":    {UserID: "u-x", Roles: []Role{Reporter}},
		"responder (outside)": {UserID: "u-y", Roles: []Role{Reporter, Responder}, Teams: []string{"Other"}},
		"responder (by id)":   {UserID: "u-part", Roles: []Role{Reporter, Responder}},
		"responder (by name)": {UserID: "u-li", Username: "li.na", Roles: []Role{Reporter, Responder}},
		"responder (team)":    {UserID: "u-t", Username: "tian", Roles: []Role{Reporter, Responder}, Teams: []string{"net", "Network"}},
		"responder (person)":  {UserID: "u-w", Username: "wang.fang", Roles: []Role{Reporter, Responder}},
		"responder (task)":    {UserID: "u-z", Username: "zhao.min", Roles: []Role{Reporter, Responder}},
		"reporter in team":    {UserID: "u-rt", Username: "rt", Roles: []Role{Reporter}, Teams: []string{"Network"}},
		"coordinator":         {UserID: "u-c", Roles: []Role{Reporter, Coordinator}},
		"manager":             {UserID: "u-m", Roles: []Role{Reporter, Manager}},
		"auditor":             {UserID: "u-au", Roles: []Role{Reporter, Auditor}},
		"auditor+coordinator": {UserID: "u-ac", Roles: []Role{Reporter, Auditor, Coordinator, Admin}},
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
		{"restrict", func(p Principal) bool { return CanRestrict(p, inc(incident.Handle)) }},
		{"view restricted", func(p Principal) bool { return CanView(p, restricted(incident.Handle)) }},
		{"move restricted", func(p Principal) bool { return CanTransition(p, restricted(incident.Handle), incident.Review) }},
		{"lift restriction", func(p Principal) bool { return CanRestrict(p, restricted(incident.Handle)) }},
		{"read audit", CanReadAudit},
		{"own handover", func(p Principal) bool { return CanWriteHandover(p, p.Username) && p.Username != "" }},
	}
	// Each row: the actions allowed, in the order above (1 = allowed).
	//                            view ... edit policy | restrict, view r., move r., lift, audit, handover
	want := map[string]string{
		"anonymous":           "00000000000000" + "00000000" + "000000",
		"reporter (own)":      "10000000001000" + "00000000" + "000000",
		"reporter (other)":    "00000000001000" + "00000000" + "000000",
		"responder (outside)": "00000000011000" + "00000010" + "000000",
		"responder (by id)":   "11101000111000" + "00000010" + "011000",
		"responder (by name)": "11101000111000" + "00010010" + "011001",
		"responder (team)":    "11101000111000" + "00000010" + "000001",
		"responder (person)":  "11101000111000" + "00000010" + "011001",
		"responder (task)":    "11101000111000" + "00000010" + "011001",
		"reporter in team":    "00000000001000" + "00000000" + "000001",
		"coordinator":         "11111001111010" + "01011111" + "100000",
		"manager":             "11111111111000" + "01111110" + "111100",
		"auditor":             "10000000010000" + "00000010" + "010010",
		"auditor+coordinator": "10000000010000" + "00000010" + "010010",
		"admin":               "11111011111111" + "11111111" + "000010",
	}
	if len(want) != len(who) {
		t.Fatal(fmt.Sprint("rows: ", len(want), " vs ", len(who)))
	}
	for name, p := range who {
		got := ""
		for _, a := range actions {
			got += map[bool]string{true: "1", false: "0"}[a.do(p)]
		}
		if len(want[name]) != len(actions) {
			t.Fatalf("%s: row has %d cells, want %d", name, len(want[name]), len(actions))
		}
		if got != want[name] {
			for i, a := range actions {
				if got[i] != want[name][i] {
					t.Errorf("%s may %s = %c, want %c", name, a.name, got[i], want[name][i])
				}
			}
		}
	}
}

// TestAdmitsIsCanView checks that the audience handed to the store admits
// exactly what CanView allows, for every principal and incident shape, so
// that lists and single reads never disagree.
func TestAdmitsIsCanView(t *testing.T) {
	shapes := []*incident.Incident{
		{Reporter: incident.Actor{ID: "u1"}},
		{Reporter: incident.Actor{ID: "u1"}, Restricted: true},
		{Reporter: incident.Actor{ID: "u2"}, Participants: []string{"u1"}, Restricted: true},
		{Reporter: incident.Actor{ID: "u2"}, Assignees: []incident.Assignee{{Kind: incident.AssigneeTeam, Name: "Network"}}},
		{Reporter: incident.Actor{ID: "u2"}, Assignees: []incident.Assignee{{Kind: incident.AssigneeTeam, Name: "Network"}}, Restricted: true},
		{Reporter: incident.Actor{ID: "u2"}, Assignees: []incident.Assignee{{Kind: incident.AssigneeVendor, Name: "alice"}}},
		{Reporter: incident.Actor{ID: "u2"}, Tasks: []incident.Task{{Assignee: "alice"}}, Restricted: true},
	}
	people := []Principal{{},
		{UserID: "u1", Username: "alice", Roles: []Role{Reporter}},
		{UserID: "u3", Username: "bob", Roles: []Role{Responder}, Teams: []string{"Network"}},
		{UserID: "u4", Roles: []Role{Coordinator}}, {UserID: "u5", Roles: []Role{Manager}}, {UserID: "u6", Roles: []Role{Auditor}},
	}
	for _, p := range people {
		for i, inc := range shapes {
			if got, want := !p.Anonymous() && Admits(AudienceOf(p), inc), CanView(p, inc); got != want {
				t.Errorf("%s on shape %d: Admits %v, CanView %v", p.UserID, i, got, want)
			}
		}
	}
	if Admits(AudienceOf(Principal{}), shapes[0]) {
		t.Error("the anonymous audience admits an incident")
	}
}

func TestRoleNames(t *testing.T) {
	for _, r := range Roles() {
		info := r.Info()
		if !r.Valid() || info.NameEN == "" || info.NameZH == "" || info.NameZH == string(r) {
			t.Errorf("role %s: %+v", r, info)
		}
	}
	if !Auditor.Valid() || Auditor.Info().NameZH != "审计员" {
		t.Errorf("auditor: %+v", Auditor.Info())
	}
}
