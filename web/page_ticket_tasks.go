package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// The ticket page's part for the working stages: the response plan (the
// runbooks chosen, their contacts and communication rules, the approval),
// the tasks grouped by stage with their owners, due times and actions, and
// the coordinator's forms (choose runbooks, add a task, measures, submit
// for approval, assign by default) and the manager's decision.

// workView is that part of the page.
type workView struct {
	Show      bool // anything to show: a plan, tasks, or forms
	Runbooks  []runbookUseView
	Approval  *approvalView
	Groups    []taskGroupView
	Finished  int
	Total     int
	Percent   int
	Chooser   *chooserView
	SideForms []formView
	Defaults  *defaultsView
}

type runbookUseView struct {
	Title    string
	Ref      string
	URL      string
	By       string
	Contacts []planContactView
	Rules    []ruleView
}

type planContactView struct{ Name, Kind, Phone, Email, When string }

type ruleView struct {
	Audience, When, Within, Owner string
	Required                      bool
}

type approvalView struct {
	State   string // pending, approved, rejected, returned
	Text    string
	Comment string
}

type taskGroupView struct {
	Stage    string
	Name     string
	Tasks    []taskView
	Finished int
	Total    int
}

// taskView is one task as the page shows it, with what the viewer may do.
type taskView struct {
	ID           string
	Title        string
	Detail       string
	EvidenceHint string
	Status       string
	StatusText   string
	Phase        string
	PhaseText    string
	Required     bool
	Owner        string // who the step says does it (role, team)
	Assignee     string
	Vendor       bool
	Contact      string
	Response     string // awaiting acceptance / accepted
	Pending      bool
	Due          string
	DueISO       string
	Overdue      bool
	Expected     string
	Result       string
	Reason       string
	Declined     string
	Runbook      string
	Evidence     []evidenceView
	Problem      string
	Open         bool

	Action       string
	UploadAction string
	CSRF         template.HTML
	Version      string
	Lang         string

	CanWork   bool
	CanPlan   bool
	Uploads   bool // evidence files can be attached (the hub keeps them)
	CanAccept bool
	CanStart  bool
	CanDone   bool
	CanBlock  bool
	CanWaive  bool
	CanReopen bool
	CanAssign bool
	CanRemove bool
	CanUp     bool
	CanDown   bool
	People    []option // for the assign form, when the roster is available
	Teams     []option
}

type evidenceView struct{ Name, Size, URL, By string }

type chooserView struct {
	Action  string
	CSRF    template.HTML
	Version string
	Options []chooserOption
	Others  []option
	Error   string
}

type chooserOption struct {
	ID, Label, Summary string
	Fits               bool
}

type defaultsView struct {
	Action, Version string
	CSRF            template.HTML
	Unassigned      int
	Error           string
}

// Form ids of the plan forms, by the value of their "action" field.
const (
	planChoose   = "choose"
	planMeasures = "measures"
	planSubmit   = "submit"
	planDecide   = "decide"
	planAdd      = "add"
	planDefaults = "assign_defaults"
)

func (s *Server) ticketTaskRoutes(r *gin.Engine) {
	r.POST("/incidents/:ref/plan", s.requirePage(anyone), s.ticketPlan)
	r.POST("/incidents/:ref/tasks/:task", s.requirePage(anyone), s.ticketTask)
	r.POST("/incidents/:ref/tasks/:task/evidence", s.requirePage(anyone), s.ticketEvidence)
}

// workOf builds the plan and tasks part of the page for viewer p.
func (s *Server) workOf(c *gin.Context, l string, p access.Principal, inc *incident.Incident, st formState) workView {
	var w workView
	csrf := csrfInput(csrfToken(c))
	version := strconv.FormatInt(inc.Version, 10)
	planAction := "/incidents/" + inc.Number + "/plan"
	canPlan := access.CanPlan(p, inc) && inc.Stage.Open()
	open := inc.Stage.Open()

	for _, u := range inc.Plan.Runbooks {
		uv := runbookUseView{Title: msg(l, u.Title, u.TitleZH), Ref: u.Ref(), URL: fmt.Sprintf("/runbooks/%s?version=%d", u.ID, u.Version),
			By: T(l, "work.chosen_by", u.By.Name, fmtTime(u.At))}
		for _, ct := range u.Contacts {
			uv.Contacts = append(uv.Contacts, planContactView{Name: msg(l, ct.Name, ct.NameZH), Kind: tOr(l, "contact."+ct.Kind, ct.Kind),
				Phone: ct.Phone, Email: ct.Email, When: msg(l, ct.When, ct.WhenZH)})
		}
		for _, r := range u.Rules {
			rv := ruleView{Audience: msg(l, r.Audience, r.AudienceZH), When: msg(l, r.When, r.WhenZH), Owner: roleName(l, r.Owner), Required: r.Required}
			if r.Within > 0 {
				rv.Within = T(l, "work.within", runbooks.FormatDuration(r.Within))
			}
			uv.Rules = append(uv.Rules, rv)
		}
		w.Runbooks = append(w.Runbooks, uv)
	}
	w.Approval = approvalOf(l, inc)

	var people, teams []option
	if canPlan && (inc.Stage == incident.Dispatch || inc.Stage == incident.Handle) {
		people, teams = s.assignOptions(c.Request.Context(), l)
	}
	stageNames := map[incident.Stage]string{incident.Confirm: "work.group_confirm", incident.Plan: "work.group_plan", incident.Handle: "work.group_handle"}
	for _, stg := range incident.TaskStages() {
		g := taskGroupView{Stage: string(stg), Name: T(l, stageNames[stg])}
		for i, t := range inc.Tasks {
			if t.Stage != stg && !(stg == incident.Handle && !slices.Contains(incident.TaskStages(), t.Stage)) {
				continue
			}
			tv := s.taskViewOf(l, p, inc, i, st, csrf, version, canPlan)
			tv.People, tv.Teams = people, teams
			g.Tasks = append(g.Tasks, tv)
			g.Total++
			if t.Status.Finished() {
				g.Finished++
			}
		}
		if g.Total > 0 {
			w.Groups = append(w.Groups, g)
		}
	}
	w.Finished, w.Total = incident.TaskProgress(inc.Tasks)
	if w.Total > 0 {
		w.Percent = w.Finished * 100 / w.Total
	}

	if canPlan && inc.Stage == incident.Plan && s.runbooks != nil {
		w.Chooser = s.chooserOf(c.Request.Context(), l, inc, planAction, csrf, version)
		if st.Which == "plan-"+planChoose {
			w.Chooser.Error = strings.TrimSpace(st.Problem + " " + strings.Join(slices.Sorted(maps.Values(st.Errors)), " "))
		}
	}
	working := inc.Stage == incident.Plan || inc.Stage == incident.Dispatch || inc.Stage == incident.Handle
	if canPlan && working {
		w.SideForms = append(w.SideForms, addTaskForm(l, planAction, csrf, version, st))
		if inc.Stage == incident.Dispatch || inc.Stage == incident.Handle {
			unassigned := 0
			for _, t := range inc.Tasks {
				if !t.Assigned() && !t.Status.Finished() {
					unassigned++
				}
			}
			if unassigned > 0 && s.rosters != nil {
				w.Defaults = &defaultsView{Action: planAction, Version: version, CSRF: csrf, Unassigned: unassigned}
				if st.Which == "plan-"+planDefaults {
					w.Defaults.Error = st.Problem
				}
			}
		}
		mf := formView{ID: "plan-" + planMeasures, Action: planAction, CSRF: csrf,
			Hidden: []hiddenField{{"action", planMeasures}, {"version", version}},
			Title:  T(l, "work.measures_title"), Intro: T(l, "work.measures_intro"), Submit: T(l, "work.measures_submit")}
		mf.add(field{Name: "measures", Kind: "textarea", Rows: 4, Label: T(l, "field.measures"), MaxLen: incident.MaxNote,
			Value: st.value(mf.ID, "measures", inc.Plan.Measures)})
		st.apply(&mf)
		w.SideForms = append(w.SideForms, mf)
	}
	if canPlan && inc.Stage == incident.Plan && inc.Level == incident.Special &&
		inc.Plan.Approval != incident.ApprovalPending && inc.Plan.Approval != incident.ApprovalApproved {
		f := formView{ID: "plan-" + planSubmit, Action: planAction, CSRF: csrf,
			Hidden: []hiddenField{{"action", planSubmit}, {"version", version}},
			Title:  T(l, "work.submit_title"), Intro: T(l, "work.submit_intro"), Submit: T(l, "work.submit_submit")}
		f.add(field{Name: "note", Kind: "textarea", Rows: 2, Label: T(l, "work.submit_note"), MaxLen: incident.MaxNote,
			Value: st.value(f.ID, "note", "")})
		st.apply(&f)
		w.SideForms = append(w.SideForms, f)
	}
	if open && inc.Stage == incident.Plan && inc.Plan.Approval == incident.ApprovalPending && access.CanApprovePlan(p, inc) {
		f := formView{ID: "plan-" + planDecide, Action: planAction, CSRF: csrf,
			Hidden: []hiddenField{{"action", planDecide}, {"version", version}},
			Title:  T(l, "work.decide_title"), Intro: T(l, "work.decide_intro"), Submit: T(l, "work.decide_submit")}
		sel := st.value(f.ID, "decision", "")
		var opts []option
		for _, d := range []incident.Decision{incident.Approve, incident.Return, incident.Reject} {
			opts = append(opts, option{Value: string(d), Label: T(l, "decision."+string(d)), Hint: T(l, "decision."+string(d)+".hint"), Selected: sel == string(d)})
		}
		f.add(field{Name: "decision", Kind: "radio", Label: T(l, "work.decision"), Required: true, Options: opts})
		f.add(field{Name: "comment", Kind: "textarea", Rows: 3, Label: T(l, "work.comment"), Help: T(l, "work.comment_help"),
			MaxLen: incident.MaxNote, Value: st.value(f.ID, "comment", "")})
		st.apply(&f)
		w.SideForms = append(w.SideForms, f)
	}
	w.Show = len(w.Runbooks) > 0 || len(w.Groups) > 0 || w.Chooser != nil || len(w.SideForms) > 0 || w.Approval != nil
	return w
}

func approvalOf(l string, inc *incident.Incident) *approvalView {
	p := inc.Plan
	name := func(a *incident.Actor, t *time.Time) (string, string) {
		if a == nil {
			return "", ""
		}
		at := ""
		if t != nil {
			at = fmtTime(*t)
		}
		return a.Name, at
	}
	switch p.Approval {
	case incident.ApprovalPending:
		who, at := name(p.SubmittedBy, p.SubmittedAt)
		return &approvalView{State: "pending", Text: T(l, "work.approval_pending", who, at)}
	case incident.ApprovalApproved:
		who, at := name(p.DecidedBy, p.DecidedAt)
		return &approvalView{State: "approved", Text: T(l, "work.approval_approved", who, at), Comment: p.Comment}
	case incident.ApprovalRejected, incident.ApprovalReturned:
		who, at := name(p.DecidedBy, p.DecidedAt)
		return &approvalView{State: string(p.Approval), Text: T(l, "work.approval_"+string(p.Approval), who, at), Comment: p.Comment}
	}
	if inc.Level == incident.Special && (inc.Stage == incident.Plan) {
		return &approvalView{State: "none", Text: T(l, "work.approval_needed")}
	}
	return nil
}

// taskViewOf is task i of inc for viewer p.
func (s *Server) taskViewOf(l string, p access.Principal, inc *incident.Incident, i int, st formState, csrf template.HTML, version string, canPlan bool) taskView {
	t := inc.Tasks[i]
	status := t.Status
	if status == "" {
		status = incident.TaskTodo
	}
	tv := taskView{ID: t.ID, Title: t.TitleIn(l), Detail: t.DetailIn(l), EvidenceHint: t.EvidenceHintIn(l),
		Status: string(status), StatusText: tOr(l, "task."+string(status), string(status)),
		Phase: string(t.Phase), Required: t.Required, Runbook: t.Runbook, Result: t.Result, Reason: t.Reason,
		Action: "/incidents/" + inc.Number + "/tasks/" + t.ID, UploadAction: "/incidents/" + inc.Number + "/tasks/" + t.ID + "/evidence",
		CSRF: csrf, Version: version, Lang: l, Contact: t.Contact, Vendor: t.AssigneeKind == incident.AssignVendor}
	if t.Phase != "" {
		tv.PhaseText = tOr(l, "phase."+string(t.Phase), string(t.Phase))
	}
	var owner []string
	if t.Role != "" {
		owner = append(owner, roleName(l, t.Role))
	}
	if t.Team != "" {
		owner = append(owner, T(l, "work.team", t.Team))
	}
	tv.Owner = strings.Join(owner, " · ")
	if t.Expected > 0 {
		tv.Expected = runbooks.FormatDuration(t.Expected)
	}
	if t.Assigned() {
		tv.Assignee = t.AssigneeName
	}
	if t.Assigned() && !t.Status.Finished() {
		switch t.Response {
		case incident.ResponsePending:
			tv.Response, tv.Pending = T(l, "work.awaiting"), true
		case incident.ResponseAccepted:
			tv.Response = T(l, "work.accepted")
		}
	}
	if t.DueAt != nil {
		tv.Due, tv.DueISO = fmtTime(*t.DueAt), t.DueAt.UTC().Format(time.RFC3339)
		tv.Overdue = t.Overdue(s.now())
	}
	if d := t.Declined; d != nil && !t.Assigned() {
		tv.Declined = T(l, "work.declined_by", d.By.Name, d.Reason)
	}
	for _, e := range t.Evidence {
		tv.Evidence = append(tv.Evidence, evidenceView{Name: e.Name, Size: sizeLabel(e.Size), URL: evidenceURL(inc, e.ID), By: e.By.Name})
	}
	if st.Which == "task-"+t.ID {
		tv.Problem = strings.TrimSpace(st.Problem + " " + strings.Join(slices.Sorted(maps.Values(st.Errors)), " "))
		tv.Open = true
	}
	working := inc.Stage == incident.Plan || inc.Stage == incident.Dispatch || inc.Stage == incident.Handle
	dispatching := inc.Stage == incident.Dispatch || inc.Stage == incident.Handle
	tv.CanPlan = canPlan && working
	tv.CanWork = working && access.CanWorkTask(p, inc, &t)
	moves := incident.TaskMoves(status)
	tv.CanAccept = tv.CanWork && dispatching && t.Assigned() && t.Response == incident.ResponsePending
	tv.CanStart = tv.CanWork && slices.Contains(moves, incident.TaskInProgress)
	tv.CanDone = tv.CanWork && slices.Contains(moves, incident.TaskDone)
	tv.Uploads = tv.CanWork && s.evidence != nil
	tv.CanBlock = tv.CanWork && slices.Contains(moves, incident.TaskBlocked)
	tv.CanWaive = tv.CanWork && slices.Contains(moves, incident.TaskWaived)
	tv.CanReopen = tv.CanWork && slices.Contains(moves, incident.TaskTodo)
	tv.CanAssign = tv.CanPlan && dispatching && !t.Status.Finished()
	tv.CanRemove = tv.CanPlan && (inc.Stage == incident.Plan || inc.Stage == incident.Dispatch) && status == incident.TaskTodo
	prev, next := neighbours(inc.Tasks, i)
	tv.CanUp, tv.CanDown = tv.CanPlan && prev >= 0, tv.CanPlan && next >= 0
	return tv
}

// neighbours are the positions of the tasks of the same stage just before
// and after task i, or -1.
func neighbours(tasks []incident.Task, i int) (prev, next int) {
	prev, next = -1, -1
	for j := i - 1; j >= 0; j-- {
		if tasks[j].Stage == tasks[i].Stage {
			prev = j
			break
		}
	}
	for j := i + 1; j < len(tasks); j++ {
		if tasks[j].Stage == tasks[i].Stage {
			next = j
			break
		}
	}
	return prev, next
}

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// roleName shows a roster role in language l: a known one by name, any
// other as written.
func roleName(l, role string) string {
	if role == "" {
		return ""
	}
	return tOr(l, "role."+role, role)
}

// assignOptions lists the roster's people (who is on call now marked) and
// teams, for the assign forms.
func (s *Server) assignOptions(ctx context.Context, l string) (people, teams []option) {
	if s.rosters == nil {
		return nil, nil
	}
	snap, err := s.snapshot(ctx, s.now(), s.now().Add(dutyWindow))
	if err != nil {
		s.log.Error("roster for the assign form", "err", err)
		return nil, nil
	}
	onCall := map[string][]string{}
	for _, t := range snap.teams {
		for _, id := range escalation.OnCallAt(t, snap.overrides, s.now()) {
			onCall[id] = append(onCall[id], t.Name)
		}
	}
	for _, p := range snap.peopleList {
		label := p.Name + " (" + p.ID + ")"
		if on := onCall[p.ID]; len(on) > 0 {
			label += " — " + T(l, "work.on_call_now", strings.Join(on, ", "))
		}
		people = append(people, option{Value: p.ID, Label: label})
	}
	for _, t := range snap.teams {
		teams = append(teams, option{Value: t.ID, Label: t.Name})
	}
	return people, teams
}

// chooserOf lists the runbooks to choose from: those suggested for the
// incident's category (those meant for its level first), then the others.
func (s *Server) chooserOf(ctx context.Context, l string, inc *incident.Incident, action string, csrf template.HTML, version string) *chooserView {
	cv := &chooserView{Action: action, CSRF: csrf, Version: version}
	chosen := func(id string) bool {
		return slices.ContainsFunc(inc.Plan.Runbooks, func(u incident.RunbookUse) bool { return u.ID == id })
	}
	sug, err := s.runbooks.Suggest(ctx, inc.Category, inc.Level)
	if err != nil {
		s.log.Error("suggest runbooks", "incident", inc.Number, "err", err)
	}
	seen := map[string]bool{}
	for _, sg := range sug {
		seen[sg.Runbook.ID] = true
		if chosen(sg.Runbook.ID) {
			continue
		}
		cv.Options = append(cv.Options, chooserOption{ID: sg.Runbook.ID, Label: sg.Runbook.Title.In(l) + " · v" + strconv.Itoa(sg.Runbook.Version),
			Summary: sg.Runbook.Summary.In(l), Fits: sg.Fits})
	}
	all, err := s.runbooks.List(ctx)
	if err != nil {
		s.log.Error("list runbooks", "err", err)
	}
	cv.Others = []option{{Value: "", Label: T(l, "choice.none")}}
	for _, rb := range all {
		if !seen[rb.ID] && !chosen(rb.ID) {
			cv.Others = append(cv.Others, option{Value: rb.ID, Label: rb.Title.In(l) + " · v" + strconv.Itoa(rb.Version)})
		}
	}
	return cv
}

func addTaskForm(l, action string, csrf template.HTML, version string, st formState) formView {
	f := formView{ID: "plan-" + planAdd, Action: action, CSRF: csrf, Hidden: []hiddenField{{"action", planAdd}, {"version", version}},
		Title: T(l, "work.add_title"), Intro: T(l, "work.add_intro"), Submit: T(l, "work.add_submit")}
	val := func(name, def string) string { return st.value(f.ID, name, def) }
	f.add(field{Name: "title", Kind: "text", Label: T(l, "work.task_title"), Required: true, MaxLen: incident.MaxTaskTitle, Value: val("title", "")})
	stage := val("stage", string(incident.Handle))
	var stages []option
	for _, s := range incident.TaskStages() {
		stages = append(stages, option{Value: string(s), Label: stageName(l, s), Selected: string(s) == stage})
	}
	f.add(field{Name: "stage", Kind: "select", Label: T(l, "work.task_stage"), Options: stages})
	phase := val("phase", "")
	phases := []option{{Value: "", Label: T(l, "choice.none"), Selected: phase == ""}}
	for _, p := range incident.Phases() {
		phases = append(phases, option{Value: string(p), Label: T(l, "phase."+string(p)), Selected: string(p) == phase})
	}
	f.add(field{Name: "phase", Kind: "select", Label: T(l, "work.task_phase"), Options: phases})
	f.add(field{Name: "role", Kind: "text", Label: T(l, "work.task_role"), Help: T(l, "work.task_role_help"), MaxLen: 64, Value: val("role", "")})
	f.add(field{Name: "duration", Kind: "text", Label: T(l, "work.task_duration"), Help: T(l, "work.task_duration_help"), MaxLen: 20, Value: val("duration", "")})
	req := ""
	if st.Which != f.ID || st.Values["required"] != "" {
		req = "on"
	}
	f.add(field{Name: "required", Kind: "checkbox", Label: T(l, "work.task_required"), Value: req})
	st.apply(&f)
	return f
}

// --- the forms' handlers ---

// ticketPlan handles the plan forms of the ticket page.
func (s *Server) ticketPlan(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	var err error
	action := c.PostForm("action")
	st := formState{Which: "plan-" + action, Values: postedValues(c)}
	version := formVersion(c)
	allowed := access.CanPlan(p, inc)
	var cmd incident.Command
	switch action {
	case planChoose:
		var refs []runbookRefJSON
		for _, id := range append(c.PostFormArray("runbook"), c.PostForm("other")) {
			if id = strings.TrimSpace(id); id != "" && !slices.ContainsFunc(refs, func(r runbookRefJSON) bool { return r.ID == id }) {
				refs = append(refs, runbookRefJSON{ID: id})
			}
		}
		if len(refs) == 0 {
			err = fieldErrors{"runbook": T(l, "work.choose_none")}
			break
		}
		var uses []incident.RunbookUse
		uses, err = s.runbookUses(c.Request.Context(), refs)
		cmd = incident.ChooseRunbooks{Runbooks: uses}
	case planMeasures:
		cmd = incident.SetMeasures{Measures: c.PostForm("measures")}
	case planSubmit:
		cmd = incident.SubmitPlan{Note: c.PostForm("note")}
	case planDecide:
		allowed = access.CanApprovePlan(p, inc)
		cmd = incident.DecidePlan{Decision: incident.Decision(c.PostForm("decision")), Comment: c.PostForm("comment")}
	case planAdd:
		req := addTaskRequest{Version: version, Title: c.PostForm("title"), Stage: c.PostForm("stage"), Phase: c.PostForm("phase"),
			Role: c.PostForm("role"), Duration: c.PostForm("duration"), Required: c.PostForm("required") != ""}
		if err = validation().check(&req, l); err == nil {
			cmd, err = req.command(l)
		}
	case planDefaults:
		if allowed {
			var items []incident.Assignment
			var left map[string]string
			items, left, err = s.defaultAssignments(c.Request.Context(), inc)
			if err == nil && len(items) == 0 {
				err = &incident.RefusedError{EN: "no task could be assigned by default: " + reasons(left), ZH: "没有可按默认规则指派的任务：" + reasons(left)}
			}
			cmd = incident.Assign{Items: items}
		}
	default:
		s.pageError(c, http.StatusBadRequest, fmt.Errorf("%w: unknown action %q", errBadRequest, action))
		return
	}
	anchor := "#plan"
	if action == planAdd || action == planChoose || action == planDefaults {
		anchor = "#tasks"
	}
	s.workForm(c, inc, st, version, cmd, allowed, err, anchor)
}

// workForm finishes a plan or task form: 403 unless allowed; otherwise
// the command (when building it did not fail with err) is applied at
// version, and the caller is sent back to anchor on the ticket, or shown
// the form again with the error.
func (s *Server) workForm(c *gin.Context, inc *incident.Incident, st formState, version int64, cmd incident.Command,
	allowed bool, err error, anchor string) {
	if !allowed {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	if err == nil {
		_, err = s.incidents.Work(c.Request.Context(), inc, version, cmd, actor(principal(c)))
	}
	if err != nil {
		s.workFailed(c, inc, st, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Number+anchor)
}

// ticketTask handles a task's forms: accept, decline, start, block,
// waive, reopen, note, assign, move up or down, remove.
func (s *Server) ticketTask(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	var err error
	taskID := c.Param("task")
	i := incident.TaskByID(inc.Tasks, taskID)
	if i < 0 {
		s.pageError(c, http.StatusNotFound, incident.ErrTaskNotFound)
		return
	}
	action := c.PostForm("action")
	st := formState{Which: "task-" + taskID, Values: postedValues(c)}
	version := formVersion(c)
	allowed := access.CanWorkTask(p, inc, &inc.Tasks[i])
	note := c.PostForm("note")
	var cmd incident.Command
	status := map[string]incident.TaskStatus{"start": incident.TaskInProgress, "block": incident.TaskBlocked,
		"waive": incident.TaskWaived, "reopen": incident.TaskTodo}
	switch action {
	case "accept":
		cmd = incident.Respond{Task: taskID, Accept: true}
	case "decline":
		cmd = incident.Respond{Task: taskID, Reason: c.PostForm("reason")}
	case "start", "block", "waive", "reopen":
		cmd = incident.SetTaskStatus{Task: taskID, To: status[action], Note: note}
	case "note":
		cmd = incident.NoteTask{Task: taskID, Note: note}
	case "assign", "up", "down", "remove":
		allowed = access.CanPlan(p, inc)
		switch action {
		case "assign":
			if allowed {
				var a incident.Assignment
				a, err = s.resolveAssignee(c.Request.Context(), l, assignRequest{Person: c.PostForm("person"), Team: c.PostForm("team"),
					Vendor: c.PostForm("vendor"), Contact: c.PostForm("contact")})
				a.Task = taskID
				cmd = incident.Assign{Items: []incident.Assignment{a}}
			}
		case "up", "down":
			prev, next := neighbours(inc.Tasks, i)
			to := prev
			if action == "down" {
				to = next
			}
			if to < 0 {
				to = i // refused by the command as "already there"
			}
			cmd = incident.MoveTask{Task: taskID, Position: to}
		case "remove":
			cmd = incident.RemoveTask{Task: taskID, Reason: c.PostForm("reason")}
		}
	default:
		s.pageError(c, http.StatusBadRequest, fmt.Errorf("%w: unknown action %q", errBadRequest, action))
		return
	}
	anchor := "#task-" + taskID
	if action == "remove" {
		anchor = "#tasks"
	}
	s.workForm(c, inc, st, version, cmd, allowed, err, anchor)
}

// ticketEvidence handles the forms that upload files: finishing a task
// with its result (files optional) and attaching evidence.
func (s *Server) ticketEvidence(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	taskID := c.Param("task")
	i := incident.TaskByID(inc.Tasks, taskID)
	if i < 0 {
		s.pageError(c, http.StatusNotFound, incident.ErrTaskNotFound)
		return
	}
	if !access.CanWorkTask(p, inc, &inc.Tasks[i]) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	st := formState{Which: "task-" + taskID, Values: postedValues(c)}
	version := formVersion(c)
	action := c.PostForm("action")
	files, err := readUploads(c)
	if err == nil {
		files = slices.DeleteFunc(files, func(f incident.EvidenceFile) bool { return f.Size == 0 && f.Name == "evidence" })
	}
	switch {
	case err != nil:
	case action == "done" && len(files) == 0:
		_, err = s.incidents.Work(c.Request.Context(), inc, version,
			incident.SetTaskStatus{Task: taskID, To: incident.TaskDone, Note: c.PostForm("note")}, actor(p))
	case action == "done":
		_, err = s.uploadEvidence(c, inc, version, taskID, files, func(refs []incident.Evidence) incident.Command {
			return incident.SetTaskStatus{Task: taskID, To: incident.TaskDone, Note: c.PostForm("note"), Evidence: refs}
		})
	case action == "attach":
		_, err = s.uploadEvidence(c, inc, version, taskID, files, func(refs []incident.Evidence) incident.Command {
			return incident.AttachEvidence{Task: taskID, Files: refs, Note: c.PostForm("note")}
		})
	default:
		err = fmt.Errorf("%w: %s", errBadRequest, msg(l, "unknown action", "未知操作"))
	}
	if err != nil {
		s.workFailed(c, inc, st, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Number+"#task-"+taskID)
}

// workFailed draws the page again with what went wrong next to the form
// that was posted: field messages, a refusal, a conflict (with the
// incident as it is now). Other errors get the error page.
func (s *Server) workFailed(c *gin.Context, inc *incident.Incident, st formState, err error) {
	l := lang(c)
	status := statusOf(err)
	var (
		refusal *incident.RefusedError
		tooBig  *fileTooBigError
	)
	switch {
	case errors.As(err, &tooBig):
		st.Problem = msg(l, tooBig.EN(), tooBig.ZH())
	case status == http.StatusBadRequest:
		st.Errors = fieldMessages(l, err)
		st.Problem = T(l, "form.fix_fields")
		if len(st.Errors) == 0 {
			st.Problem = errorText(l, status, err)
		}
	case errors.As(err, &refusal):
		st.Problem = msg(l, refusal.EN, refusal.ZH)
	case errors.Is(err, incident.ErrConflict):
		st.Problem = T(l, "ticket.conflict")
		if fresh, ferr := s.viewable(c, inc.ID); ferr == nil {
			inc = fresh
		}
	case status == http.StatusNotFound, status == http.StatusUnprocessableEntity, status == http.StatusConflict,
		status == http.StatusRequestEntityTooLarge, status == http.StatusServiceUnavailable:
		st.Problem = errorText(l, status, err)
	default:
		s.pageError(c, status, err)
		return
	}
	s.renderTicket(c, status, inc, st)
}

// shows reports whether the form which (a "task-…" or "plan-…" id) is on
// the page, so a problem with it is shown there rather than at the top.
func (w workView) shows(which string) bool {
	if id, ok := strings.CutPrefix(which, "task-"); ok {
		for _, g := range w.Groups {
			if slices.ContainsFunc(g.Tasks, func(t taskView) bool { return t.ID == id }) {
				return true
			}
		}
		return false
	}
	switch which {
	case "plan-" + planChoose:
		return w.Chooser != nil
	case "plan-" + planDefaults:
		return w.Defaults != nil
	}
	return slices.ContainsFunc(w.SideForms, func(f formView) bool { return f.ID == which })
}
