package escalation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// TaskNotices is the notify.Planner of the working stages: it tells
//
//   - each person a task is assigned to (key
//     <number>/task/<task>/assigned/<person>, with /r<round> after the
//     first assignment of that task), with the task and a link to accept or
//     decline it;
//   - the coordinator who assigned a task that was declined
//     (<number>/task/<task>/declined/<round>/<coordinator>), with the
//     reason;
//   - the managers, when a special incident's plan awaits approval
//     (<number>/plan/<round>/submitted/<manager>);
//   - the coordinator who submitted a plan, of the decision
//     (<number>/plan/<round>/<approved|rejected|returned>/<coordinator>).
//
// Messages are derived from the incident's current state alone, so a
// change planned twice, or replayed by a reconciliation, gives the same
// keys, and the outbox enqueues each once. Vendors are not messaged: the
// coordinator calls them (their contact is on the task); Tocsin only
// records them among the resources called in.
//
// Managers are the roster's people who hold the role security_manager or
// leadership, or belong to a management team. A coordinator known only by
// an actor without a username (the bootstrap token) is replaced by the
// roster's people with the coordinator role.
type TaskNotices struct {
	rosters RosterReader
	baseURL string
	now     func() time.Time
}

var _ notify.Planner = (*TaskNotices)(nil)

// NewTaskNotices returns the planner. baseURL makes the links in messages
// absolute; rosters gives people's contacts and the managers.
func NewTaskNotices(rosters RosterReader, baseURL string, now func() time.Time) *TaskNotices {
	return &TaskNotices{rosters: rosters, baseURL: strings.TrimRight(baseURL, "/"), now: now}
}

// Plan returns the messages that ev's incident calls for now. Only plan
// and task changes, and reconciliations, are looked at.
func (n *TaskNotices) Plan(ctx context.Context, ev incident.Event) ([]notify.Message, error) {
	switch ev.Kind {
	case incident.EventTask, incident.EventPlan, notify.EventReconcile:
	default:
		return nil, nil
	}
	if ev.Incident == nil || !ev.Incident.Stage.Open() {
		return nil, nil
	}
	people, err := n.rosters.People(ctx)
	if err != nil {
		return nil, fmt.Errorf("task notices for %s: %w", ev.Incident.Number, err)
	}
	teams, err := n.rosters.Teams(ctx)
	if err != nil {
		return nil, fmt.Errorf("task notices for %s: %w", ev.Incident.Number, err)
	}
	return TaskMessages(ev.Incident, people, teams, n.baseURL, n.now()), nil
}

// TaskMessages is the pure core of TaskNotices: the messages inc calls for,
// given the roster's people and teams.
func TaskMessages(inc *incident.Incident, people []Person, teams []Team, baseURL string, now time.Time) []notify.Message {
	if !inc.Stage.Open() {
		return nil
	}
	dir := NewRoster(people, teams, nil)
	num := keyEscaper.Replace(inc.Number)
	link := baseURL + "/incidents/" + inc.Number
	lvl, _ := inc.Level.Info()
	head := fmt.Sprintf("%s %s/%s: %s", inc.Number, lvl.NameEN, lvl.NameZH, inc.Title)
	if inc.Drill {
		head = "[DRILL 演练] " + head
	}
	var msgs []notify.Message
	to := func(person, key, subject, body string) {
		pr, _ := dir.Person(person)
		ch, addr := contactFor(pr)
		msgs = append(msgs, notify.Message{Key: key, Kind: notify.KindTask, Incident: inc.Number, Recipient: person,
			Channel: ch, Address: addr, Subject: clip(subject, notify.MaxSubject), Body: clip(body, notify.MaxBody), CreatedAt: now})
	}
	coordinators := func(a *incident.Actor) []string {
		if a != nil && a.Username != "" {
			return []string{a.Username}
		}
		var out []string
		for _, p := range people {
			if p.HasRole(RoleCoordinator) {
				out = append(out, p.ID)
			}
		}
		return out
	}

	for _, t := range inc.Tasks {
		switch {
		case t.Assigned() && t.AssigneeKind == incident.AssignPerson && t.Response == incident.ResponsePending && !t.Status.Finished():
			key := fmt.Sprintf("%s/task/%s/assigned/%s", num, keyEscaper.Replace(t.ID), keyEscaper.Replace(t.Assignee))
			if t.Round > 1 {
				key += fmt.Sprintf("/r%d", t.Round)
			}
			pr, _ := dir.Person(t.Assignee)
			to(t.Assignee, key, "Task for you 待办任务 · "+head+" · "+t.TitleIn("en"), assignedBody(inc, t, pr, link))
		case !t.Assigned() && t.Declined != nil && !t.Status.Finished():
			for _, c := range coordinators(t.AssignedBy) {
				key := fmt.Sprintf("%s/task/%s/declined/%d/%s", num, keyEscaper.Replace(t.ID), t.Round, keyEscaper.Replace(c))
				body := fmt.Sprintf("%s declined task %s “%s” of %s: %s\nAssign it to someone else: %s#task-%s\n\n"+
					"%s 拒绝了事件 %s 的任务 %s“%s”，理由：%s\n请改派他人：%s#task-%s",
					t.Declined.By.Name, t.ID, t.TitleIn("en"), inc.Number, t.Declined.Reason, link, t.ID,
					t.Declined.By.Name, inc.Number, t.ID, t.TitleIn("zh"), t.Declined.Reason, link, t.ID)
				to(c, key, "Task declined 任务被拒绝 · "+head+" · "+t.TitleIn("en"), body)
			}
		}
	}

	p := inc.Plan
	switch p.Approval {
	case incident.ApprovalPending:
		submitter := ""
		if p.SubmittedBy != nil {
			submitter = p.SubmittedBy.Username
		}
		for _, m := range managers(people, teams) {
			if m == submitter {
				continue
			}
			key := fmt.Sprintf("%s/plan/%d/submitted/%s", num, p.Round, keyEscaper.Replace(m))
			by := ""
			if p.SubmittedBy != nil {
				by = p.SubmittedBy.Name
			}
			body := fmt.Sprintf("The response plan of %s (a special incident) awaits your approval, submitted by %s: %d tasks from %s.\n"+
				"Approve, reject or return it with comments: %s#plan\n\n"+
				"特殊事件 %s 的响应计划待您审批（提交人：%s）：共 %d 项任务，预案：%s。\n请批准、驳回或退回修改：%s#plan",
				inc.Number, by, len(inc.Tasks), runbookNames(p.Runbooks), link,
				inc.Number, by, len(inc.Tasks), runbookNames(p.Runbooks), link)
			to(m, key, "Plan awaits approval 计划待审批 · "+head, body)
		}
	case incident.ApprovalApproved, incident.ApprovalRejected, incident.ApprovalReturned:
		if p.DecidedBy == nil {
			break
		}
		verb := map[incident.Approval][2]string{
			incident.ApprovalApproved: {"approved", "批准"},
			incident.ApprovalRejected: {"rejected", "驳回"},
			incident.ApprovalReturned: {"returned for changes", "退回修改"},
		}[p.Approval]
		for _, c := range coordinators(p.SubmittedBy) {
			key := fmt.Sprintf("%s/plan/%d/%s/%s", num, p.Round, p.Approval, keyEscaper.Replace(c))
			body := fmt.Sprintf("%s %s the response plan of %s.", p.DecidedBy.Name, verb[0], inc.Number)
			bodyZH := fmt.Sprintf("%s 已%s事件 %s 的响应计划。", p.DecidedBy.Name, verb[1], inc.Number)
			if p.Comment != "" {
				body += "\nComment: " + p.Comment
				bodyZH += "\n意见：" + p.Comment
			}
			if p.Approval == incident.ApprovalApproved {
				body += "\nDispatch can start: " + link
				bodyZH += "\n可以开始资源调配：" + link
			} else {
				body += "\nChange the plan and submit it again: " + link + "#plan"
				bodyZH += "\n请修改计划后重新提交：" + link + "#plan"
			}
			to(c, key, "Plan "+verb[0]+" 计划已"+verb[1]+" · "+head, body+"\n\n"+bodyZH)
		}
	}
	return msgs
}

// assignedBody is the message to the person task t was assigned to.
func assignedBody(inc *incident.Incident, t incident.Task, pr Person, link string) string {
	var en, zh strings.Builder
	fmt.Fprintf(&en, "You are asked to do task %s of %s (%s): %s\n", t.ID, inc.Number, inc.Title, t.TitleIn("en"))
	fmt.Fprintf(&zh, "请您负责事件 %s（%s）的任务 %s：%s\n", inc.Number, inc.Title, t.ID, t.TitleIn("zh"))
	if d := t.DetailIn("en"); d != "" {
		en.WriteString(d + "\n")
	}
	if d := t.DetailIn("zh"); d != "" {
		zh.WriteString(d + "\n")
	}
	if t.DueAt != nil {
		due := localTime(*t.DueAt, pr.TimeZone)
		fmt.Fprintf(&en, "Due: %s (%s from now).\n", due, Duration(t.Expected))
		fmt.Fprintf(&zh, "完成时限：%s（%s 内）。\n", due, Duration(t.Expected))
	}
	if e := t.EvidenceHintIn("en"); e != "" {
		fmt.Fprintf(&en, "Evidence to leave: %s\n", e)
		fmt.Fprintf(&zh, "需留存的证据：%s\n", t.EvidenceHintIn("zh"))
	}
	if t.AssignedBy != nil {
		fmt.Fprintf(&en, "Assigned by %s.\n", t.AssignedBy.Name)
		fmt.Fprintf(&zh, "指派人：%s。\n", t.AssignedBy.Name)
	}
	fmt.Fprintf(&en, "Accept or decline it in Tocsin: %s#task-%s", link, t.ID)
	fmt.Fprintf(&zh, "请在 Tocsin 中接受或拒绝：%s#task-%s", link, t.ID)
	return en.String() + "\n\n" + zh.String()
}

// managers are the people who approve plans: holders of the roles
// security_manager or leadership, and members of management teams, in
// roster order without repeats.
func managers(people []Person, teams []Team) []string {
	var out []string
	add := func(id string) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, p := range people {
		if p.HasRole(RoleSecurityManager) || p.HasRole(RoleLeadership) {
			add(p.ID)
		}
	}
	for _, t := range teams {
		if t.Kind == ManagementTeam {
			for _, m := range t.Members {
				add(m)
			}
		}
	}
	return out
}

func runbookNames(uses []incident.RunbookUse) string {
	if len(uses) == 0 {
		return "—"
	}
	names := make([]string, len(uses))
	for i, u := range uses {
		names[i] = u.Ref()
	}
	return strings.Join(names, ", ")
}

// contactFor is the first of p's contacts a message can be delivered
// through, as a channel and an address; ChannelLog and "" when there is
// none (a phone number is for people to call).
func contactFor(p Person) (notify.Channel, string) {
	for _, c := range p.Contacts {
		switch c.Kind {
		case ContactSlack, ContactWeCom, ContactDingTalk, ContactFeishu, ContactEmail:
			return notify.Channel(c.Kind), c.Value
		}
	}
	return notify.ChannelLog, ""
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
