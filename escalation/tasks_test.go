package escalation

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// The roster of the task tests: a desk team with a daily rotation between
// Li Na and Wang Wei (Li Na on the 4th of May), a network team without a
// rotation led by Zhao Lei, a management team, and a coordinator.
var (
	taskPeople = []Person{
		{ID: "li.na", Name: "Li Na", Roles: []Role{RoleTerminalEngineer}, TimeZone: "Asia/Shanghai",
			Contacts: []Contact{{ContactPhone, "+86 138 0000 0000"}, {ContactWeCom, "LiNa"}}},
		{ID: "wang.wei", Name: "Wang Wei", Roles: []Role{RoleTerminalEngineer}, Contacts: []Contact{{ContactEmail, "wang.wei@example.cn"}}},
		{ID: "zhao.lei", Name: "Zhao Lei", Roles: []Role{RoleNetworkEngineer}},
		{ID: "chen.jie", Name: "Chen Jie", Roles: []Role{RoleSecurityManager}, Contacts: []Contact{{ContactSlack, "U0CHEN"}}},
		{ID: "sun.li", Name: "Sun Li"},
		{ID: "zhou.min", Name: "Zhou Min", Roles: []Role{RoleCoordinator}, Contacts: []Contact{{ContactDingTalk, "zm"}}},
		{ID: "he.yu", Name: "He Yu", Roles: []Role{RoleCoordinator}},
	}
	taskTeams = []Team{
		{ID: "desk", Name: "Service desk", Kind: SupportTeam, Members: []string{"li.na", "wang.wei"},
			Rotation: &Rotation{Participants: []string{"li.na", "wang.wei"}, Interval: Daily, HandoffTime: "09:00",
				TimeZone: "Asia/Shanghai", Start: time.Date(2026, 5, 4, 9, 0, 0, 0, shanghai)}},
		{ID: "net", Name: "Network", Kind: SupportTeam, Members: []string{"zhao.lei"}, Lead: "zhao.lei"},
		{ID: "mgmt", Name: "Management", Kind: ManagementTeam, Members: []string{"sun.li", "chen.jie"}},
	}
	taskNow = time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC) // 11:00 in Shanghai: Li Na's day
)

func TestPickAssignee(t *testing.T) {
	tests := []struct {
		name       string
		team       string
		role       Role
		person     string
		via        string
		ok         bool
		reasonHint string
	}{
		{"team on call", "desk", "", "li.na", "desk", true, ""},
		{"team's lead when nobody is on call", "net", "", "zhao.lei", "net", true, ""},
		{"team wins over role", "desk", RoleNetworkEngineer, "li.na", "desk", true, ""},
		{"role on call", "", RoleTerminalEngineer, "li.na", "desk", true, ""},
		{"role by lead", "", RoleNetworkEngineer, "zhao.lei", "net", true, ""},
		{"role by membership", "", RoleSecurityManager, "chen.jie", "mgmt", true, ""},
		{"unknown team", "nope", "", "", "", false, "not in the roster"},
		{"nobody with the role", "", "legal_counsel", "", "", false, "legal_counsel"},
		{"nothing named", "", "", "", "", false, "no team or role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok, why := PickAssignee(taskTeams, taskPeople, nil, tt.team, tt.role, taskNow)
			if ok != tt.ok || p.Person != tt.person || p.Team != tt.via || (!ok && !strings.Contains(why, tt.reasonHint)) {
				t.Errorf("PickAssignee = %+v, %v, %q", p, ok, why)
			}
		})
	}
	// A day later Wang Wei is on call for the desk; an override wins.
	if p, _, _ := PickAssignee(taskTeams, taskPeople, nil, "desk", "", taskNow.Add(24*time.Hour)); p.Person != "wang.wei" || p.Name != "Wang Wei" {
		t.Errorf("next day = %+v", p)
	}
	ov := []Override{{ID: "o1", Team: "desk", Person: "zhao.lei", Start: taskNow.Add(-time.Hour), End: taskNow.Add(time.Hour)}}
	if p, _, _ := PickAssignee(taskTeams, taskPeople, ov, "desk", "", taskNow); p.Person != "zhao.lei" {
		t.Errorf("with an override = %+v", p)
	}
}

var (
	zhou = incident.Actor{ID: "u-zm", Name: "Zhou Min", Username: "zhou.min"}
	chen = incident.Actor{ID: "u-cj", Name: "Chen Jie", Username: "chen.jie"}
)

// dispatched is an incident in dispatch with tasks in every state that
// matters to the notices.
func dispatched() *incident.Incident {
	due := taskNow.Add(time.Hour)
	return &incident.Incident{ID: "1", Number: "INC-2026-000042", Title: "Ransom note on fs01", Level: incident.Serious,
		Stage: incident.Dispatch,
		Tasks: []incident.Task{
			{ID: "t1", TaskSpec: incident.TaskSpec{Title: "Isolate hosts", TitleZH: "隔离主机", Detail: "Pull the cables", Expected: time.Hour,
				EvidenceHint: "port list"}, Status: incident.TaskTodo, Assignee: "li.na", AssigneeKind: incident.AssignPerson,
				AssigneeName: "Li Na", AssignedBy: &zhou, DueAt: &due, Round: 1, Response: incident.ResponsePending},
			{ID: "t2", TaskSpec: incident.TaskSpec{Title: "Reset passwords"}, Status: incident.TaskTodo, Assignee: "wang.wei",
				AssigneeKind: incident.AssignPerson, AssigneeName: "Wang Wei", AssignedBy: &zhou, Round: 3, Response: incident.ResponsePending},
			{ID: "t3", TaskSpec: incident.TaskSpec{Title: "Accepted"}, Status: incident.TaskInProgress, Assignee: "zhao.lei",
				AssigneeKind: incident.AssignPerson, Round: 1, Response: incident.ResponseAccepted},
			{ID: "t4", TaskSpec: incident.TaskSpec{Title: "Restore backups"}, Status: incident.TaskTodo, AssignedBy: &zhou, Round: 1,
				Declined: &incident.Decline{By: incident.Actor{ID: "u-ww", Name: "Wang Wei", Username: "wang.wei"}, Reason: "on leave", At: taskNow}},
			{ID: "t5", TaskSpec: incident.TaskSpec{Title: "Call the vendor"}, Status: incident.TaskTodo, Assignee: "Qi An",
				AssigneeKind: incident.AssignVendor, Round: 1, Response: incident.ResponsePending},
			{ID: "t6", TaskSpec: incident.TaskSpec{Title: "Declined by the bootstrap's pick"}, Status: incident.TaskTodo, Round: 2,
				AssignedBy: &incident.Actor{ID: "bootstrap", Name: "bootstrap token"},
				Declined:   &incident.Decline{By: incident.Actor{Name: "Sun Li", Username: "sun.li"}, Reason: "not my area"}},
		},
	}
}

func keys(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	slices.Sort(out)
	return out
}

func byKey(msgs []notify.Message, key string) notify.Message {
	for _, m := range msgs {
		if m.Key == key {
			return m
		}
	}
	return notify.Message{}
}

func TestTaskMessages(t *testing.T) {
	inc := dispatched()
	msgs := TaskMessages(inc, taskPeople, taskTeams, "https://tocsin.example.cn", taskNow)
	want := []string{
		"INC-2026-000042/task/t1/assigned/li.na",
		"INC-2026-000042/task/t2/assigned/wang.wei/r3",
		"INC-2026-000042/task/t4/declined/1/zhou.min",
		"INC-2026-000042/task/t6/declined/2/he.yu",
		"INC-2026-000042/task/t6/declined/2/zhou.min",
	}
	if got := keys(msgs); !slices.Equal(got, want) {
		t.Fatalf("keys =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m := byKey(msgs, want[0])
	if m.Kind != notify.KindTask || m.Recipient != "li.na" || m.Channel != notify.ChannelWeCom || m.Address != "LiNa" ||
		m.Incident != "INC-2026-000042" || !m.CreatedAt.Equal(taskNow) {
		t.Errorf("t1 notice = %+v", m)
	}
	for _, s := range []string{"Isolate hosts", "隔离主机", "Pull the cables", "https://tocsin.example.cn/incidents/INC-2026-000042#task-t1",
		"2026-05-04 12:00 CST", "port list", "Zhou Min"} {
		if !strings.Contains(m.Body, s) {
			t.Errorf("t1 notice lacks %q:\n%s", s, m.Body)
		}
	}
	if m := byKey(msgs, want[1]); m.Channel != notify.ChannelEmail || m.Address != "wang.wei@example.cn" {
		t.Errorf("t2 notice goes by %s to %q", m.Channel, m.Address)
	}
	d := byKey(msgs, want[2])
	if d.Recipient != "zhou.min" || d.Channel != notify.ChannelDingTalk || !strings.Contains(d.Body, "on leave") || !strings.Contains(d.Body, "Wang Wei") {
		t.Errorf("decline notice = %+v", d)
	}
	if m := byKey(msgs, want[3]); m.Channel != notify.ChannelLog || m.Address != "" {
		t.Errorf("a coordinator without a deliverable contact: %+v", m)
	}

	// Drills say so; a closed incident calls for nothing.
	inc.Drill = true
	for _, m := range TaskMessages(inc, taskPeople, taskTeams, "", taskNow) {
		if !strings.HasPrefix(m.Subject, "Task") || !strings.Contains(m.Subject, "[DRILL 演练]") {
			t.Errorf("drill subject = %q", m.Subject)
		}
	}
	inc.Stage = incident.Closed
	if msgs := TaskMessages(inc, taskPeople, taskTeams, "", taskNow); len(msgs) != 0 {
		t.Errorf("closed incident: %d messages", len(msgs))
	}
}

func TestPlanMessages(t *testing.T) {
	sub := taskNow
	inc := &incident.Incident{Number: "INC-2026-000007", Title: "DDoS on the portal", Level: incident.Special, Stage: incident.Plan,
		Plan: incident.ResponsePlan{Approval: incident.ApprovalPending, Round: 2, SubmittedBy: &chen, SubmittedAt: &sub,
			Runbooks: []incident.RunbookUse{{ID: "ddos", Version: 3}}}}
	// The managers: holders of security_manager or leadership, and the
	// management team; the submitter (a manager himself) is not asked.
	msgs := TaskMessages(inc, taskPeople, taskTeams, "", taskNow)
	if got := keys(msgs); !slices.Equal(got, []string{"INC-2026-000007/plan/2/submitted/sun.li"}) {
		t.Fatalf("pending plan keys = %v", got)
	}
	if m := msgs[0]; !strings.Contains(m.Body, "ddos@3") || !strings.Contains(m.Body, "Chen Jie") {
		t.Errorf("approval request = %s", m.Body)
	}
	inc.Plan.SubmittedBy = &zhou
	if got := keys(TaskMessages(inc, taskPeople, taskTeams, "", taskNow)); !slices.Equal(got, []string{
		"INC-2026-000007/plan/2/submitted/chen.jie", "INC-2026-000007/plan/2/submitted/sun.li"}) {
		t.Errorf("pending plan keys = %v", got)
	}

	for _, st := range []incident.Approval{incident.ApprovalApproved, incident.ApprovalReturned, incident.ApprovalRejected} {
		inc.Plan.Approval, inc.Plan.DecidedBy, inc.Plan.Comment = st, &chen, "name the bank"
		msgs := TaskMessages(inc, taskPeople, taskTeams, "https://h", taskNow)
		if len(msgs) != 1 || msgs[0].Key != "INC-2026-000007/plan/2/"+string(st)+"/zhou.min" || msgs[0].Recipient != "zhou.min" ||
			!strings.Contains(msgs[0].Body, "name the bank") || !strings.Contains(msgs[0].Body, "Chen Jie") {
			t.Errorf("%s: %+v", st, msgs)
		}
	}
}
