package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Event kinds of the plan and its tasks.
const (
	EventPlan EventKind = "plan" // runbooks chosen, measures written, approval asked for or decided
	EventTask EventKind = "task" // a task added, removed, moved, assigned, answered, worked on
)

// Timeline entry kinds of the plan and its tasks.
const (
	EntryRunbook       EntryKind = "runbook_chosen"
	EntryMeasures      EntryKind = "measures"
	EntryPlanSubmitted EntryKind = "plan_submitted"
	EntryPlanApproved  EntryKind = "plan_approved"
	EntryPlanRejected  EntryKind = "plan_rejected"
	EntryPlanReturned  EntryKind = "plan_returned"
	EntryPlanWithdrawn EntryKind = "plan_withdrawn" // a change voided a submission or an approval
	EntryTaskAdded     EntryKind = "task_added"
	EntryTaskRemoved   EntryKind = "task_removed"
	EntryTaskMoved     EntryKind = "task_moved"
	EntryTaskAssigned  EntryKind = "task_assigned"
	EntryTaskAccepted  EntryKind = "task_accepted"
	EntryTaskDeclined  EntryKind = "task_declined"
	EntryTaskStatus    EntryKind = "task_status"
	EntryTaskNote      EntryKind = "task_note"
	EntryEvidence      EntryKind = "evidence"
)

// Limits on plans and tasks.
const (
	MaxTasks        = 300
	MaxTaskTitle    = 200 // characters
	MaxTaskText     = 4000
	MaxPlanRunbooks = 10
	MaxTaskEvidence = 20
	MaxTaskDuration = 30 * 24 * time.Hour
	MaxAssigneeName = 200
)

// A Command changes an incident's plan or tasks: one of ChooseRunbooks,
// AddTask, RemoveTask, MoveTask, SetMeasures, SubmitPlan, DecidePlan,
// Assign, Respond, SetTaskStatus, NoteTask, AttachEvidence. Service.Work
// applies it; DecideWork is the pure decision.
type Command interface {
	// event is the kind of event the change is announced with.
	event() EventKind
	// apply changes w.inc and records what it did, or returns why not.
	apply(w *work) error
}

// work is one command being decided.
type work struct {
	inc     *Incident
	by      Actor
	now     time.Time
	entries []Entry
}

func (w *work) entry(e Entry) {
	e.At, e.Actor = w.now, w.by
	w.entries = append(w.entries, e)
}

// stage refuses the command unless the incident is in one of stages; en
// and zh say when the command can be done.
func (w *work) stage(en, zh string, stages ...Stage) error {
	if slices.Contains(stages, w.inc.Stage) {
		return nil
	}
	return refused(fmt.Sprintf("%s (the incident is at %s)", en, w.inc.Stage.Info().NameEN),
		fmt.Sprintf("%s（事件当前处于“%s”阶段）", zh, w.inc.Stage.Info().NameZH))
}

// task finds task id, or ErrTaskNotFound.
func (w *work) task(id string) (*Task, error) {
	i := TaskByID(w.inc.Tasks, id)
	if i < 0 {
		return nil, fmt.Errorf("task %q: %w", id, ErrTaskNotFound)
	}
	return &w.inc.Tasks[i], nil
}

// addTask appends a task made from spec.
func (w *work) addTask(spec TaskSpec, runbook string) *Task {
	w.inc.TaskSeq++
	w.inc.Tasks = append(w.inc.Tasks, Task{ID: fmt.Sprintf("t%d", w.inc.TaskSeq), TaskSpec: spec, Runbook: runbook, Status: TaskTodo})
	return &w.inc.Tasks[len(w.inc.Tasks)-1]
}

// planChanged voids a submission or an approval when the content of the
// plan changes during the plan stage: what the manager approves is the
// plan as it was submitted.
func (w *work) planChanged() {
	if w.inc.Stage != Plan {
		return
	}
	if e, ok := voidApproval(w.inc); ok {
		w.entry(e)
	}
}

// voidApproval drops a pending or given approval of inc's plan and returns
// the entry that says so.
func voidApproval(inc *Incident) (Entry, bool) {
	p := &inc.Plan
	if p.Approval != ApprovalPending && p.Approval != ApprovalApproved {
		return Entry{}, false
	}
	before := p.Approval
	p.Approval, p.ApprovedBy, p.ApprovedAt = ApprovalNone, nil, nil
	return Entry{Kind: EntryPlanWithdrawn, From: string(before),
		Note: "the plan changed after it was " + map[Approval]string{ApprovalPending: "submitted", ApprovalApproved: "approved"}[before] + "; it needs approval again"}, true
}

// DecideWork is the pure decision of a plan or task command: the incident
// as it must be stored next (version bumped, timeline entries appended),
// or an error: *InvalidError for bad input, *RefusedError (an
// ErrNotAllowed) for a command the incident's stage or the task's state
// does not allow now, ErrTaskNotFound (wrapped) for an unknown task.
func DecideWork(inc *Incident, cmd Command, by Actor, now time.Time) (*Incident, error) {
	if !inc.Stage.Open() {
		return nil, refused("the incident is "+string(inc.Stage)+": its plan and tasks can no longer change",
			"事件已"+inc.Stage.Info().NameZH+"，其计划和任务不能再更改")
	}
	w := &work{inc: inc.Clone(), by: by, now: now}
	if err := cmd.apply(w); err != nil {
		return nil, err
	}
	if len(w.entries) == 0 {
		return nil, &InvalidError{Fields: map[string]Message{"": {"nothing to change", "没有需要更改的内容"}}}
	}
	if len(w.inc.Tasks) > MaxTasks {
		return nil, &InvalidError{Fields: map[string]Message{"tasks": {
			fmt.Sprintf("an incident has at most %d tasks", MaxTasks), fmt.Sprintf("一个事件最多 %d 项任务", MaxTasks)}}}
	}
	next := w.inc
	next.Version++
	next.UpdatedAt = now
	next.Timeline = append(next.Timeline, w.entries...)
	return next, nil
}

// Work applies a plan or task command to inc, which the caller has just
// read (to check access, say), if it is still at version; otherwise
// ErrConflict. The change and its timeline entries are one update.
func (s *Service) Work(ctx context.Context, inc *Incident, version int64, cmd Command, by Actor) (*Incident, error) {
	if version != inc.Version {
		return nil, fmt.Errorf("%s is at version %d, not %d: %w", inc.Number, inc.Version, version, ErrConflict)
	}
	next, err := DecideWork(inc, cmd, by, s.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	if err := s.store.Update(ctx, next, inc.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	s.emit(ctx, cmd.event(), next)
	return next, nil
}

// --- the plan ---

// ChooseRunbooks adds runbooks to the plan: each one's steps become tasks,
// and the incident keeps the exact version and a copy of what it brought.
type ChooseRunbooks struct {
	Runbooks []RunbookUse
}

func (ChooseRunbooks) event() EventKind { return EventPlan }

func (c ChooseRunbooks) apply(w *work) error {
	if err := w.stage("runbooks are chosen at the plan stage", "预案在响应计划制定阶段选择", Plan); err != nil {
		return err
	}
	var e *InvalidError
	switch {
	case len(c.Runbooks) == 0:
		invalid(&e, "runbooks", "choose at least one runbook", "请至少选择一个预案")
	case len(w.inc.Plan.Runbooks)+len(c.Runbooks) > MaxPlanRunbooks:
		invalid(&e, "runbooks", fmt.Sprintf("a plan uses at most %d runbooks", MaxPlanRunbooks), fmt.Sprintf("一个计划最多使用 %d 个预案", MaxPlanRunbooks))
	}
	for _, u := range c.Runbooks {
		if i := slices.IndexFunc(w.inc.Plan.Runbooks, func(x RunbookUse) bool { return x.ID == u.ID }); i >= 0 {
			invalid(&e, "runbooks", "runbook "+u.ID+" is already in the plan ("+w.inc.Plan.Runbooks[i].Ref()+")",
				"预案 "+u.ID+" 已在计划中（"+w.inc.Plan.Runbooks[i].Ref()+"）")
		}
	}
	if e != nil {
		return e
	}
	for _, u := range c.Runbooks {
		if slices.ContainsFunc(w.inc.Plan.Runbooks, func(x RunbookUse) bool { return x.ID == u.ID }) {
			return &InvalidError{Fields: map[string]Message{"runbooks": {"runbook " + u.ID + " is chosen twice", "预案 " + u.ID + " 被重复选择"}}}
		}
		u.By, u.At = w.by, w.now
		w.inc.Plan.Runbooks = append(w.inc.Plan.Runbooks, u)
		for _, st := range u.Steps {
			w.addTask(st, u.Ref())
		}
		w.entry(Entry{Kind: EntryRunbook, To: u.Ref(),
			Note: fmt.Sprintf("%s / %s: %d tasks", u.Title, u.TitleZH, len(u.Steps))})
	}
	w.planChanged()
	return nil
}

// SetMeasures writes the plan's extra measures.
type SetMeasures struct {
	Measures string
}

func (SetMeasures) event() EventKind { return EventPlan }

func (c SetMeasures) apply(w *work) error {
	if err := w.stage("measures are written from the plan stage to handling", "措施可在响应计划制定至事件处理阶段填写", Plan, Dispatch, Handle); err != nil {
		return err
	}
	m := strings.TrimSpace(c.Measures)
	switch {
	case len(m) > MaxNote:
		return &InvalidError{Fields: map[string]Message{"measures": {fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote)}}}
	case m == w.inc.Plan.Measures:
		return &InvalidError{Fields: map[string]Message{"measures": {"the measures are unchanged", "措施没有变化"}}}
	}
	w.entry(Entry{Kind: EntryMeasures, Changes: []FieldChange{{Field: "measures", Before: w.inc.Plan.Measures, After: m}}})
	w.inc.Plan.Measures = m
	w.planChanged()
	return nil
}

// SubmitPlan asks the managers to approve a special incident's plan.
type SubmitPlan struct {
	Note string
}

func (SubmitPlan) event() EventKind { return EventPlan }

func (c SubmitPlan) apply(w *work) error {
	if err := w.stage("a plan is submitted for approval at the plan stage", "响应计划在制定阶段提交审批", Plan); err != nil {
		return err
	}
	p := &w.inc.Plan
	switch {
	case w.inc.Level != Special:
		return refused("only a special incident's plan needs a manager's approval", "只有特殊事件的响应计划需要管理者批准")
	case p.Approval == ApprovalPending:
		return refused("the plan is already awaiting a manager's decision", "该计划已在等待管理者审批")
	case p.Approval == ApprovalApproved:
		return refused("the plan is already approved", "该计划已获批准")
	case !holds(w.inc, CondPlan):
		return &InvalidError{Fields: map[string]Message{"plan": {"the plan is empty: choose a runbook, add tasks or write measures first",
			"计划为空：请先选择预案、添加任务或填写措施"}}}
	case len(c.Note) > MaxNote:
		return &InvalidError{Fields: map[string]Message{"note": {fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote)}}}
	}
	p.Round++
	p.Approval = ApprovalPending
	p.SubmittedBy, p.SubmittedAt = &w.by, &w.now
	p.DecidedBy, p.DecidedAt, p.Comment = nil, nil, ""
	w.entry(Entry{Kind: EntryPlanSubmitted, To: string(ApprovalPending), Note: strings.TrimSpace(c.Note)})
	return nil
}

// DecidePlan is a manager's decision on a submitted plan. Rejecting and
// returning need a comment, which the coordinator is sent.
type DecidePlan struct {
	Decision Decision
	Comment  string
}

func (DecidePlan) event() EventKind { return EventPlan }

func (c DecidePlan) apply(w *work) error {
	if err := w.stage("plans are decided at the plan stage", "响应计划在制定阶段审批", Plan); err != nil {
		return err
	}
	p := &w.inc.Plan
	comment := strings.TrimSpace(c.Comment)
	var e *InvalidError
	switch {
	case p.Approval != ApprovalPending:
		return refused("no plan awaits a decision: the coordinator submits it first", "没有待审批的计划：需由协调人先提交")
	case !c.Decision.Valid():
		invalid(&e, "decision", "decision must be approve, reject or return", "审批结果必须是 approve、reject 或 return")
	case c.Decision != Approve && comment == "":
		invalid(&e, "comment", "say why, for the coordinator", "请说明理由，以便协调人修改")
	case len(comment) > MaxNote:
		invalid(&e, "comment", fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote))
	case p.SubmittedBy != nil && p.SubmittedBy.ID == w.by.ID:
		return refused("a plan is decided by a manager other than the person who submitted it",
			"计划须由提交人以外的管理者审批")
	}
	if e != nil {
		return e
	}
	p.DecidedBy, p.DecidedAt, p.Comment = &w.by, &w.now, comment
	kind := EntryPlanApproved
	switch c.Decision {
	case Approve:
		p.Approval, p.ApprovedBy, p.ApprovedAt = ApprovalApproved, &w.by, &w.now
	case Reject:
		p.Approval, kind = ApprovalRejected, EntryPlanRejected
	case Return:
		p.Approval, kind = ApprovalReturned, EntryPlanReturned
	}
	w.entry(Entry{Kind: kind, From: string(ApprovalPending), To: string(p.Approval), Reason: comment})
	return nil
}

// --- the list of tasks ---

// AddTask adds a task by hand.
type AddTask struct {
	Spec TaskSpec
}

func (AddTask) event() EventKind { return EventTask }

func (c AddTask) apply(w *work) error {
	if err := w.stage("tasks are added from the plan stage to handling", "任务可在响应计划制定至事件处理阶段添加", Plan, Dispatch, Handle); err != nil {
		return err
	}
	s := c.Spec
	s.Title, s.TitleZH = strings.TrimSpace(s.Title), strings.TrimSpace(s.TitleZH)
	if s.Title == "" {
		s.Title, s.TitleZH = s.TitleZH, ""
	}
	if s.Stage == "" {
		s.Stage = Handle
	}
	if e := validateSpec(s); e != nil {
		return e
	}
	t := w.addTask(s, "")
	w.entry(Entry{Kind: EntryTaskAdded, Task: t.ID, Note: t.Title})
	w.planChanged()
	return nil
}

// validateSpec checks a task added by hand.
func validateSpec(s TaskSpec) *InvalidError {
	var e *InvalidError
	switch n := utf8.RuneCountInString(s.Title); {
	case n == 0:
		invalid(&e, "title", "a task needs a title", "任务需要标题")
	case n > MaxTaskTitle || utf8.RuneCountInString(s.TitleZH) > MaxTaskTitle:
		invalid(&e, "title", fmt.Sprintf("a title is at most %d characters", MaxTaskTitle), fmt.Sprintf("标题最多 %d 个字符", MaxTaskTitle))
	}
	if !slices.Contains(TaskStages(), s.Stage) {
		invalid(&e, "stage", "a task's stage is confirm, plan or handle", "任务所属阶段须为 confirm、plan 或 handle")
	}
	if s.Phase != "" && !s.Phase.Valid() {
		invalid(&e, "phase", "phase must be isolate, preserve, eradicate, recover, verify or communicate",
			"处置环节须为 isolate、preserve、eradicate、recover、verify 或 communicate")
	}
	if s.Expected < 0 || s.Expected > MaxTaskDuration {
		invalid(&e, "duration", "the expected duration is between 0 and 30 days", "预计用时须在 0 到 30 天之间")
	}
	for _, f := range []struct{ name, v string }{{"detail", s.Detail}, {"detail", s.DetailZH}, {"evidence", s.EvidenceHint}, {"evidence", s.EvidenceHintZH}} {
		if len(f.v) > MaxTaskText {
			invalid(&e, f.name, fmt.Sprintf("must be at most %d bytes", MaxTaskText), fmt.Sprintf("最多 %d 字节", MaxTaskText))
		}
	}
	if len(s.Role) > 64 || len(s.Team) > 128 {
		invalid(&e, "role", "role or team name too long", "角色或团队名称过长")
	}
	return e
}

// RemoveTask removes a task nobody has worked on, before handling starts;
// later, a task that is not needed is waived with a reason.
type RemoveTask struct {
	Task   string
	Reason string
}

func (RemoveTask) event() EventKind { return EventTask }

func (c RemoveTask) apply(w *work) error {
	if err := w.stage("tasks are removed at the plan or dispatch stage; later, waive them with a reason",
		"任务只能在响应计划制定或资源调配阶段删除；之后请填写理由予以豁免", Plan, Dispatch); err != nil {
		return err
	}
	t, err := w.task(c.Task)
	if err != nil {
		return err
	}
	if t.Status != TaskTodo {
		return refused("only a task still to do can be removed; waive it instead", "只能删除尚未开始的任务；请改为豁免")
	}
	if len(c.Reason) > 2000 {
		return &InvalidError{Fields: map[string]Message{"reason": {"must be at most 2000 bytes", "最多 2000 字节"}}}
	}
	note := t.Title
	if t.Assigned() {
		note += " (was assigned to " + t.AssigneeName + ")"
	}
	w.entry(Entry{Kind: EntryTaskRemoved, Task: t.ID, Note: note, Reason: strings.TrimSpace(c.Reason)})
	i := TaskByID(w.inc.Tasks, c.Task)
	w.inc.Tasks = slices.Delete(w.inc.Tasks, i, i+1)
	w.planChanged()
	return nil
}

// MoveTask puts a task at Position (0-based) in the list.
type MoveTask struct {
	Task     string
	Position int
}

func (MoveTask) event() EventKind { return EventTask }

func (c MoveTask) apply(w *work) error {
	if err := w.stage("tasks are reordered from the plan stage to handling", "任务可在响应计划制定至事件处理阶段调整顺序", Plan, Dispatch, Handle); err != nil {
		return err
	}
	i := TaskByID(w.inc.Tasks, c.Task)
	if i < 0 {
		return fmt.Errorf("task %q: %w", c.Task, ErrTaskNotFound)
	}
	switch {
	case c.Position < 0 || c.Position >= len(w.inc.Tasks):
		return &InvalidError{Fields: map[string]Message{"position": {fmt.Sprintf("position must be between 0 and %d", len(w.inc.Tasks)-1),
			fmt.Sprintf("位置须在 0 到 %d 之间", len(w.inc.Tasks)-1)}}}
	case c.Position == i:
		return &InvalidError{Fields: map[string]Message{"position": {"the task is already there", "任务已在该位置"}}}
	}
	t := w.inc.Tasks[i]
	w.inc.Tasks = slices.Insert(slices.Delete(w.inc.Tasks, i, i+1), c.Position, t)
	w.entry(Entry{Kind: EntryTaskMoved, Task: t.ID, From: fmt.Sprint(i + 1), To: fmt.Sprint(c.Position + 1), Note: t.Title})
	return nil
}
