package access

import (
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

// TestReviewPolicyMatrix walks roles × the review and report actions.
func TestReviewPolicyMatrix(t *testing.T) {
	inc := &incident.Incident{Stage: incident.Review, Reporter: incident.Actor{ID: "u-rep"}, Participants: []string{"u-part"}}
	owned := incident.CorrectiveAction{ID: "a1", Owner: "zhao.lei"}
	who := map[string]Principal{
		"anonymous":           {},
		"reporter (own)":      {UserID: "u-rep", Roles: []Role{Reporter}},
		"action owner":        {UserID: "u-z", Username: "zhao.lei", Roles: []Role{Reporter}},
		"responder (outside)": {UserID: "u-y", Roles: []Role{Reporter, Responder}},
		"responder (by id)":   {UserID: "u-part", Roles: []Role{Reporter, Responder}},
		"coordinator":         {UserID: "u-c", Roles: []Role{Reporter, Coordinator}},
		"manager":             {UserID: "u-m", Roles: []Role{Reporter, Manager}},
		"admin":               {UserID: "u-a", Roles: []Role{Admin}},
	}
	actions := []struct {
		name string
		do   func(Principal) bool
	}{
		{"write review", func(p Principal) bool { return CanWriteReview(p, inc) }},
		{"update owned action", func(p Principal) bool { return CanUpdateAction(p, inc, owned) }},
		{"sign off", func(p Principal) bool { return CanSignOffReview(p, inc) }},
		{"close", func(p Principal) bool { return CanTransition(p, inc, incident.Closed) }},
		{"see reports", CanSeeReports},
	}
	want := map[string]string{
		"anonymous":           "00000",
		"reporter (own)":      "00000",
		"action owner":        "01000",
		"responder (outside)": "00000",
		"responder (by id)":   "11000",
		"coordinator":         "11001",
		"manager":             "11111",
		"admin":               "11001",
	}
	if len(want) != len(who) {
		t.Fatalf("rows: %d vs %d", len(want), len(who))
	}
	for name, p := range who {
		for i, a := range actions {
			if got := a.do(p); got != (want[name][i] == '1') {
				t.Errorf("%s may %s = %v, want %c", name, a.name, got, want[name][i])
			}
		}
	}
}
