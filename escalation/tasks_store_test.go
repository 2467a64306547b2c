package escalation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestTaskNoticesPlan: the planner reads people and teams from the stored
// roster and answers plan and task events and reconciliations only.
func TestTaskNoticesPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rs := storetest.New(t).Rosters()
	for _, p := range []escalation.Person{
		{ID: "li.na", Name: "Li Na", Contacts: []escalation.Contact{{Kind: escalation.ContactFeishu, Value: "ou_lina"}}},
		{ID: "zhou.min", Name: "Zhou Min", Roles: []escalation.Role{escalation.RoleCoordinator}},
		{ID: "chen.jie", Name: "Chen Jie", Roles: []escalation.Role{escalation.RoleLeadership}},
	} {
		if err := rs.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	n := escalation.NewTaskNotices(rs, "https://h/", func() time.Time { return now })
	coord := incident.Actor{ID: "u1", Name: "Zhou Min", Username: "zhou.min"}
	inc := &incident.Incident{Number: "INC-2026-000042", Title: "t", Level: incident.Special, Stage: incident.Plan,
		Plan: incident.ResponsePlan{Approval: incident.ApprovalPending, Round: 1, SubmittedBy: &coord},
		Tasks: []incident.Task{{ID: "t1", TaskSpec: incident.TaskSpec{Title: "Isolate"}, Assignee: "li.na",
			AssigneeKind: incident.AssignPerson, Response: incident.ResponsePending, Round: 1, AssignedBy: &coord}}}
	for kind, want := range map[incident.EventKind][]string{
		incident.EventTask:    {"INC-2026-000042/task/t1/assigned/li.na", "INC-2026-000042/plan/1/submitted/chen.jie"},
		incident.EventPlan:    {"INC-2026-000042/task/t1/assigned/li.na", "INC-2026-000042/plan/1/submitted/chen.jie"},
		notify.EventReconcile: {"INC-2026-000042/task/t1/assigned/li.na", "INC-2026-000042/plan/1/submitted/chen.jie"},
		incident.EventStage:   nil,
		incident.EventRecord:  nil,
	} {
		msgs, err := n.Plan(ctx, incident.Event{Kind: kind, Incident: inc})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			got = append(got, m.Key)
			if !strings.Contains(m.Body, "https://h/incidents/INC-2026-000042") {
				t.Errorf("%s: no link in %s", kind, m.Body)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: keys %v, want %v", kind, got, want)
		}
		if len(msgs) > 0 && (msgs[0].Channel != notify.ChannelFeishu || msgs[0].Address != "ou_lina") {
			t.Errorf("assignee reached by %s %q", msgs[0].Channel, msgs[0].Address)
		}
	}
}
