package incident

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	coord   = Actor{ID: "u-coord", Name: "Zhou Min", Username: "zhou.min"}
	boss    = Actor{ID: "u-boss", Name: "Chen Jie", Username: "chen.jie"}
	handler = Actor{ID: "u-li", Name: "Li Na", Username: "li.na"}
)

// planned is a confirmed incident at stage s with two runbook tasks (one
// required) and a task added by hand.
func planned(s Stage, level Level) *Incident {
	inc := at(s)
	inc.Level, inc.LevelConfirmed, inc.Category, inc.Scope, inc.AssessmentNote = level, true, MaliciousProgram, Local, "ransomware"
	inc.TaskSeq = 3
	inc.Plan.Runbooks = []RunbookUse{{ID: "ransomware", Version: 2, Title: "Ransomware"}}
	inc.Tasks = []Task{
		{ID: "t1", TaskSpec: TaskSpec{Step: "isolate", Title: "Isolate hosts", TitleZH: "隔离主机", Stage: Handle, Phase: PhaseIsolate,
			Required: true, Role: "terminal_engineer", Expected: time.Hour}, Runbook: "ransomware@2", Status: TaskTodo},
		{ID: "t2", TaskSpec: TaskSpec{Step: "notify", Title: "Tell staff", Stage: Handle, Phase: PhaseCommunicate}, Runbook: "ransomware@2", Status: TaskTodo},
		{ID: "t3", TaskSpec: TaskSpec{Title: "Check backups", Stage: Confirm, Required: true}, Status: TaskTodo},
	}
	return inc
}

func mustWork(t *testing.T, inc *Incident, cmd Command, by Actor) *Incident {
	t.Helper()
	before := inc.Clone()
	next, err := DecideWork(inc, cmd, by, now)
	if err != nil {
		t.Fatalf("%T: %v", cmd, err)
	}
	if !equalIncidents(before, inc) {
		t.Fatalf("%T changed its input", cmd)
	}
	if next.Version != inc.Version+1 || !next.UpdatedAt.Equal(now) {
		t.Fatalf("%T: version %d → %d, updated %v", cmd, inc.Version, next.Version, next.UpdatedAt)
	}
	return next
}

func lastEntry(inc *Incident) Entry { return inc.Timeline[len(inc.Timeline)-1] }

func TestChooseRunbooksMakesTasks(t *testing.T) {
	inc := at(Plan)
	inc.LevelConfirmed = true
	use := RunbookUse{ID: "ddos", Version: 4, Title: "DDoS", TitleZH: "拒绝服务",
		Steps: []TaskSpec{
			{Step: "confirm-attack", Title: "Confirm", Stage: Confirm, Required: true},
			{Step: "scrub", Title: "Scrub", Stage: Handle, Phase: PhaseIsolate, Required: true, Expected: time.Hour},
		},
		Rules: []PlanRule{{Audience: "owners", Within: 30 * time.Minute, Required: true}}}
	next := mustWork(t, inc, ChooseRunbooks{Runbooks: []RunbookUse{use}}, coord)
	if len(next.Plan.Runbooks) != 1 || next.Plan.Runbooks[0].Ref() != "ddos@4" || next.Plan.Runbooks[0].By != coord {
		t.Fatalf("plan runbooks = %+v", next.Plan.Runbooks)
	}
	if len(next.Tasks) != 2 || next.Tasks[0].ID != "t1" || next.Tasks[1].ID != "t2" || next.TaskSeq != 2 {
		t.Fatalf("tasks = %+v (seq %d)", next.Tasks, next.TaskSeq)
	}
	if t2 := next.Tasks[1]; t2.Runbook != "ddos@4" || t2.Step != "scrub" || t2.Status != TaskTodo || !t2.Required || t2.Expected != time.Hour {
		t.Errorf("task from step = %+v", t2)
	}
	if e := lastEntry(next); e.Kind != EntryRunbook || e.To != "ddos@4" || e.Actor != coord {
		t.Errorf("entry = %+v", e)
	}
	// The same runbook twice, or outside the plan stage, is refused.
	if _, err := DecideWork(next, ChooseRunbooks{Runbooks: []RunbookUse{use}}, coord, now); !isInvalid(err, "runbooks") {
		t.Errorf("chosen twice: %v", err)
	}
	if _, err := DecideWork(at(Dispatch), ChooseRunbooks{Runbooks: []RunbookUse{use}}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("at dispatch: %v", err)
	}
}

func isInvalid(err error, field string) bool {
	var inv *InvalidError
	if !errors.As(err, &inv) {
		return false
	}
	_, ok := inv.Fields[field]
	return ok
}

func TestTaskListCommands(t *testing.T) {
	inc := planned(Plan, Serious)

	added := mustWork(t, inc, AddTask{Spec: TaskSpec{TitleZH: "通知财务", Required: true}}, coord)
	t4 := added.Tasks[3]
	if t4.ID != "t4" || t4.Title != "通知财务" || t4.Stage != Handle || t4.Runbook != "" || !t4.Required {
		t.Errorf("added = %+v", t4)
	}
	for name, spec := range map[string]TaskSpec{
		"no title":    {},
		"long title":  {Title: strings.Repeat("长", MaxTaskTitle+1)},
		"bad stage":   {Title: "x", Stage: Review},
		"bad phase":   {Title: "x", Phase: "pray"},
		"too long":    {Title: "x", Expected: 31 * 24 * time.Hour},
		"negative":    {Title: "x", Expected: -time.Minute},
		"long detail": {Title: "x", Detail: strings.Repeat("d", MaxTaskText+1)},
	} {
		if _, err := DecideWork(inc, AddTask{Spec: spec}, coord, now); err == nil {
			t.Errorf("%s: added", name)
		}
	}

	moved := mustWork(t, added, MoveTask{Task: "t4", Position: 0}, coord)
	if ids := taskIDs(moved); !slices.Equal(ids, []string{"t4", "t1", "t2", "t3"}) {
		t.Errorf("after move: %v", ids)
	}
	if e := lastEntry(moved); e.Kind != EntryTaskMoved || e.From != "4" || e.To != "1" || e.Task != "t4" {
		t.Errorf("move entry = %+v", e)
	}
	if _, err := DecideWork(moved, MoveTask{Task: "t4", Position: 0}, coord, now); !isInvalid(err, "position") {
		t.Errorf("move in place: %v", err)
	}
	if _, err := DecideWork(moved, MoveTask{Task: "t4", Position: 9}, coord, now); !isInvalid(err, "position") {
		t.Errorf("move out of range: %v", err)
	}
	if _, err := DecideWork(moved, MoveTask{Task: "t9", Position: 0}, coord, now); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("move unknown: %v", err)
	}

	removed := mustWork(t, moved, RemoveTask{Task: "t2", Reason: "no staff notice needed"}, coord)
	if ids := taskIDs(removed); !slices.Equal(ids, []string{"t4", "t1", "t3"}) {
		t.Errorf("after remove: %v", ids)
	}
	// Ids are never reused.
	again := mustWork(t, removed, AddTask{Spec: TaskSpec{Title: "again"}}, coord)
	if again.Tasks[len(again.Tasks)-1].ID != "t5" {
		t.Errorf("new task after a removal = %s, want t5", again.Tasks[len(again.Tasks)-1].ID)
	}
	// A task worked on is waived, not removed; in handling nothing is removed.
	started := planned(Dispatch, Serious)
	started.Tasks[0].Status = TaskInProgress
	if _, err := DecideWork(started, RemoveTask{Task: "t1"}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("remove a started task: %v", err)
	}
	if _, err := DecideWork(planned(Handle, Serious), RemoveTask{Task: "t2"}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("remove while handling: %v", err)
	}

	m := mustWork(t, inc, SetMeasures{Measures: "  keep the finance share offline  "}, coord)
	if m.Plan.Measures != "keep the finance share offline" || lastEntry(m).Changes[0].After != m.Plan.Measures {
		t.Errorf("measures = %q, %+v", m.Plan.Measures, lastEntry(m))
	}
	if _, err := DecideWork(m, SetMeasures{Measures: "keep the finance share offline"}, coord, now); !isInvalid(err, "measures") {
		t.Errorf("same measures: %v", err)
	}
	// Nothing changes on a closed incident.
	if _, err := DecideWork(planned(Closed, Serious), AddTask{Spec: TaskSpec{Title: "x"}}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("closed: %v", err)
	}
}

func taskIDs(inc *Incident) []string {
	var ids []string
	for _, t := range inc.Tasks {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestApprovalFlow walks a special incident's plan: submit, return with
// comments, change, submit again, approve; and checks who may decide,
// what a change voids, and that dispatch waits for the approval.
func TestApprovalFlow(t *testing.T) {
	inc := planned(Plan, Special)
	if m := Missing(inc, Dispatch); len(m) != 1 || m[0].Code != "plan_approval" || !strings.Contains(m[0].EN, "submit the plan") {
		t.Fatalf("before submitting, missing = %+v", m)
	}
	if _, err := DecideWork(inc, DecidePlan{Decision: Approve}, boss, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("decide before submit: %v", err)
	}
	serious := planned(Plan, Serious)
	if _, err := DecideWork(serious, SubmitPlan{}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("submit a serious plan: %v", err)
	}
	empty := at(Plan)
	empty.Level, empty.LevelConfirmed = Special, true
	if _, err := DecideWork(empty, SubmitPlan{}, coord, now); !isInvalid(err, "plan") {
		t.Errorf("submit an empty plan: %v", err)
	}

	sub := mustWork(t, inc, SubmitPlan{Note: "isolation costs the finance share for a day"}, coord)
	if sub.Plan.Approval != ApprovalPending || sub.Plan.Round != 1 || *sub.Plan.SubmittedBy != coord {
		t.Fatalf("submitted = %+v", sub.Plan)
	}
	if _, err := DecideWork(sub, SubmitPlan{}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("submit twice: %v", err)
	}
	if m := Missing(sub, Dispatch); len(m) != 1 || !strings.Contains(m[0].EN, "awaiting a decision") {
		t.Errorf("pending, missing = %+v", m)
	}
	// Separation of duties: the submitter does not decide.
	if _, err := DecideWork(sub, DecidePlan{Decision: Approve}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("self-approval: %v", err)
	}
	for _, d := range []Decision{Reject, Return} {
		if _, err := DecideWork(sub, DecidePlan{Decision: d, Comment: " "}, boss, now); !isInvalid(err, "comment") {
			t.Errorf("%s without comment: %v", d, err)
		}
	}
	if _, err := DecideWork(sub, DecidePlan{Decision: "maybe"}, boss, now); !isInvalid(err, "decision") {
		t.Errorf("unknown decision: %v", err)
	}

	ret := mustWork(t, sub, DecidePlan{Decision: Return, Comment: "add a task to tell the bank"}, boss)
	if ret.Plan.Approval != ApprovalReturned || ret.Plan.Comment != "add a task to tell the bank" || ret.Plan.ApprovedBy != nil {
		t.Fatalf("returned = %+v", ret.Plan)
	}
	if e := lastEntry(ret); e.Kind != EntryPlanReturned || e.Reason != "add a task to tell the bank" || e.Actor != boss {
		t.Errorf("return entry = %+v", e)
	}
	if m := Missing(ret, Dispatch); len(m) != 1 || !strings.Contains(m[0].EN, "add a task to tell the bank") || !strings.Contains(m[0].ZH, "退回") {
		t.Errorf("returned, missing = %+v", m)
	}
	fixed := mustWork(t, ret, AddTask{Spec: TaskSpec{Title: "Tell the bank"}}, coord)
	sub2 := mustWork(t, fixed, SubmitPlan{}, coord)
	if sub2.Plan.Round != 2 || sub2.Plan.Comment != "" || sub2.Plan.DecidedBy != nil {
		t.Errorf("second submission = %+v", sub2.Plan)
	}
	ok := mustWork(t, sub2, DecidePlan{Decision: Approve}, boss)
	if ok.Plan.Approval != ApprovalApproved || *ok.Plan.ApprovedBy != boss || !ok.Plan.ApprovedAt.Equal(now) {
		t.Fatalf("approved = %+v", ok.Plan)
	}
	if m := Missing(ok, Dispatch); len(m) != 0 {
		t.Errorf("approved, missing = %+v", m)
	}

	// A change of the plan during the plan stage voids the approval.
	changed := mustWork(t, ok, SetMeasures{Measures: "also rebuild the DC"}, coord)
	if changed.Plan.Approval != ApprovalNone || changed.Plan.ApprovedBy != nil {
		t.Errorf("after a change, plan = %+v", changed.Plan)
	}
	if e := lastEntry(changed); e.Kind != EntryPlanWithdrawn || e.From != "approved" {
		t.Errorf("withdrawn entry = %+v", e)
	}
	// So do new measures on the way to dispatch, which is then blocked.
	_, err := Decide(ok, TransitionInput{To: Dispatch, Measures: "something else"}, coord, now)
	var blocked *BlockedError
	if !errors.As(err, &blocked) || blocked.Missing[0].Code != "plan_approval" {
		t.Errorf("dispatch with new measures after approval: %v", err)
	}
	// Going back to re-plan needs a new approval too.
	disp, err := Decide(ok, TransitionInput{To: Dispatch}, coord, now)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decide(disp, TransitionInput{To: Plan, Reason: "the runbook does not fit"}, coord, now)
	if err != nil {
		t.Fatal(err)
	}
	if back.Plan.Approval != ApprovalNone || back.Plan.ApprovedBy != nil || lastEntry(back).Kind != EntryPlanWithdrawn {
		t.Errorf("back to plan: %+v, %+v", back.Plan, lastEntry(back))
	}
	// Reject is final for that submission too.
	rej := mustWork(t, sub, DecidePlan{Decision: Reject, Comment: "paying is not an option we discuss"}, boss)
	if rej.Plan.Approval != ApprovalRejected || lastEntry(rej).Kind != EntryPlanRejected {
		t.Errorf("rejected = %+v", rej.Plan)
	}
}

// TestDispatchAndHandle assigns, declines, reassigns, works and finishes
// tasks, and checks the stage conditions name the tasks holding a move up.
func TestDispatchAndHandle(t *testing.T) {
	inc := planned(Dispatch, Serious)
	if _, err := DecideWork(planned(Plan, Serious), Assign{Items: []Assignment{{Task: "t1", Kind: AssignPerson, ID: "li.na"}}}, coord, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("assign at plan: %v", err)
	}
	m := Missing(inc, Handle)
	if len(m) != 2 || m[0].Code != "assignees" || m[1].Code != "tasks_assigned" ||
		!strings.Contains(m[1].EN, `t1 “Isolate hosts” (to do)`) || !strings.Contains(m[1].ZH, "t1“隔离主机”（待办）") {
		t.Fatalf("missing before dispatch = %+v", m)
	}

	a := mustWork(t, inc, Assign{Items: []Assignment{
		{Task: "t1", Kind: AssignPerson, ID: "li.na", Name: "Li Na", Team: "desk", TeamName: "Service desk"},
		{Task: "t2", Kind: AssignVendor, ID: "Qi An Response", Contact: "400-000-0000"},
		{Task: "t3", Kind: AssignPerson, ID: "wang.wei", Name: "Wang Wei"},
	}}, coord)
	t1 := a.Tasks[0]
	if t1.Assignee != "li.na" || t1.AssigneeName != "Li Na" || t1.Team != "desk" || t1.Response != ResponsePending || t1.Round != 1 ||
		*t1.AssignedBy != coord || !t1.DueAt.Equal(now.Add(time.Hour)) {
		t.Errorf("t1 = %+v", t1)
	}
	if a.Tasks[1].AssigneeKind != AssignVendor || a.Tasks[1].Contact != "400-000-0000" || a.Tasks[1].DueAt != nil {
		t.Errorf("vendor task = %+v", a.Tasks[1])
	}
	if !slices.Contains(a.Participants, "li.na") || !slices.Contains(a.Participants, "wang.wei") || slices.Contains(a.Participants, "Qi An Response") {
		t.Errorf("participants = %v", a.Participants)
	}
	wantRes := []Assignee{{Kind: "person", Name: "Li Na", ID: "li.na"}, {Kind: "team", Name: "Service desk", ID: "desk"},
		{Kind: "vendor", Name: "Qi An Response", ID: "Qi An Response", Contact: "400-000-0000"}, {Kind: "person", Name: "Wang Wei", ID: "wang.wei"}}
	if !slices.Equal(a.Assignees, wantRes) {
		t.Errorf("resources called in = %+v", a.Assignees)
	}
	if n := len(a.Timeline) - len(inc.Timeline); n != 3 {
		t.Errorf("%d entries for 3 assignments", n)
	}
	if m := Missing(a, Handle); len(m) != 0 {
		t.Errorf("all assigned, missing = %+v", m)
	}
	if _, err := DecideWork(a, Assign{Items: []Assignment{{Task: "t1", Kind: AssignPerson, ID: "li.na"}}}, coord, now); !isInvalid(err, "person") {
		t.Errorf("assign to the same person again: %v", err)
	}
	if _, err := DecideWork(a, Assign{Items: []Assignment{{Task: "t1", Kind: "team", ID: "desk"}}}, coord, now); !isInvalid(err, "kind") {
		t.Errorf("assign to a team itself: %v", err)
	}

	// Wang Wei declines: the task is back with the coordinator.
	if _, err := DecideWork(a, Respond{Task: "t3"}, Actor{Name: "Wang Wei", Username: "wang.wei"}, now); !isInvalid(err, "reason") {
		t.Errorf("decline without reason: %v", err)
	}
	d := mustWork(t, a, Respond{Task: "t3", Reason: "on leave until Monday"}, Actor{ID: "u-w", Name: "Wang Wei", Username: "wang.wei"})
	t3 := d.Tasks[2]
	if t3.Assigned() || t3.Declined == nil || t3.Declined.Reason != "on leave until Monday" || *t3.AssignedBy != coord || t3.Round != 1 {
		t.Errorf("declined t3 = %+v", t3)
	}
	if m := Missing(d, Handle); len(m) != 1 || !strings.Contains(m[0].EN, "t3") {
		t.Errorf("after decline, missing = %+v", m)
	}
	if e := lastEntry(d); e.Kind != EntryTaskDeclined || e.From != "Wang Wei" || e.Reason != "on leave until Monday" {
		t.Errorf("decline entry = %+v", e)
	}
	re := mustWork(t, d, Assign{Items: []Assignment{{Task: "t3", Kind: AssignPerson, ID: "zhao.lei", Name: "Zhao Lei"}}}, coord)
	if t3 := re.Tasks[2]; t3.Round != 2 || t3.Declined != nil || t3.Response != ResponsePending {
		t.Errorf("reassigned t3 = %+v", t3)
	}

	// Li Na accepts and starts; starting a pending task is accepting it.
	acc := mustWork(t, re, Respond{Task: "t1", Accept: true}, handler)
	if acc.Tasks[0].Response != ResponseAccepted || lastEntry(acc).Kind != EntryTaskAccepted {
		t.Errorf("accepted = %+v", acc.Tasks[0])
	}
	if _, err := DecideWork(acc, Respond{Task: "t1", Accept: true}, handler, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("accept twice: %v", err)
	}
	st := mustWork(t, re, SetTaskStatus{Task: "t1", To: TaskInProgress}, handler)
	if st.Tasks[0].Response != ResponseAccepted || st.Tasks[0].StartedAt == nil {
		t.Errorf("started = %+v", st.Tasks[0])
	}
	if _, err := DecideWork(st, Respond{Task: "t1", Reason: "too busy"}, handler, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("decline a started task: %v", err)
	}

	// States: the moves allowed and the notes they need.
	h, err := Decide(st, TransitionInput{To: Handle}, coord, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		cmd   SetTaskStatus
		field string
	}{
		{SetTaskStatus{Task: "t1", To: TaskDone}, "note"},
		{SetTaskStatus{Task: "t1", To: TaskWaived}, "note"},
		{SetTaskStatus{Task: "t1", To: TaskBlocked, Note: " "}, "note"},
		{SetTaskStatus{Task: "t1", To: "finished"}, "status"},
		{SetTaskStatus{Task: "t1", To: TaskBlocked, Note: "x", Evidence: []Evidence{{ID: "e"}}}, "evidence"},
	} {
		if _, err := DecideWork(h, bad.cmd, handler, now); !isInvalid(err, bad.field) {
			t.Errorf("%+v: %v", bad.cmd, err)
		}
	}
	if _, err := DecideWork(h, SetTaskStatus{Task: "t1", To: TaskInProgress}, handler, now); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("start a started task: %v", err)
	}
	blocked := mustWork(t, h, SetTaskStatus{Task: "t1", To: TaskBlocked, Note: "switch room locked"}, handler)
	if blocked.Tasks[0].Reason != "switch room locked" || lastEntry(blocked).From != "in_progress" || lastEntry(blocked).To != "blocked" {
		t.Errorf("blocked = %+v / %+v", blocked.Tasks[0], lastEntry(blocked))
	}
	resumed := mustWork(t, blocked, SetTaskStatus{Task: "t1", To: TaskInProgress}, handler)
	noted := mustWork(t, resumed, NoteTask{Task: "t1", Note: "3 of 5 hosts unplugged"}, handler)
	if e := lastEntry(noted); e.Kind != EntryTaskNote || e.Task != "t1" || e.Note != "3 of 5 hosts unplugged" || e.Actor != handler {
		t.Errorf("note entry = %+v", e)
	}
	ev := []Evidence{{ID: "0123456789abcdef01234567", Name: "ports.csv", Size: 2048, SHA256: "ab"}}
	done := mustWork(t, noted, SetTaskStatus{Task: "t1", To: TaskDone, Note: "all 5 hosts off the network", Evidence: ev}, handler)
	t1 = done.Tasks[0]
	if t1.Status != TaskDone || t1.Result != "all 5 hosts off the network" || t1.FinishedAt == nil || len(t1.Evidence) != 1 || t1.Evidence[0].By != handler {
		t.Errorf("done t1 = %+v", t1)
	}
	if k := done.Timeline[len(done.Timeline)-2].Kind; k != EntryTaskStatus || lastEntry(done).Kind != EntryEvidence ||
		!strings.Contains(lastEntry(done).Note, "ports.csv (2.0 KiB)") {
		t.Errorf("done entries = %+v, %+v", done.Timeline[len(done.Timeline)-2], lastEntry(done))
	}

	// Review waits for the required tasks and names them.
	_, err = Decide(done, TransitionInput{To: Review}, coord, now)
	var be *BlockedError
	if !errors.As(err, &be) || len(be.Missing) != 1 || be.Missing[0].Code != "tasks_finished" ||
		!strings.Contains(be.Missing[0].EN, `t3 “Check backups” (to do)`) || strings.Contains(be.Missing[0].EN, "t1") || strings.Contains(be.Missing[0].EN, "t2") {
		t.Fatalf("review: %v", err)
	}
	waived := mustWork(t, done, SetTaskStatus{Task: "t3", To: TaskWaived, Note: "backups checked by the vendor"}, coord)
	if _, err := Decide(waived, TransitionInput{To: Review}, coord, now); err != nil {
		t.Errorf("review with t1 done, t3 waived and optional t2 open: %v", err)
	}
	reopened := mustWork(t, waived, SetTaskStatus{Task: "t3", To: TaskTodo, Note: "the vendor's check was of the wrong site"}, coord)
	if t3 := reopened.Tasks[2]; t3.Status != TaskTodo || t3.FinishedAt != nil || t3.Reason == "" {
		t.Errorf("reopened t3 = %+v", t3)
	}
	if _, err := DecideWork(waived, AttachEvidence{Task: "t3"}, coord, now); !isInvalid(err, "file") {
		t.Errorf("attach nothing: %v", err)
	}
	att := mustWork(t, waived, AttachEvidence{Task: "t3", Files: ev, Note: "vendor report"}, coord)
	if len(att.Tasks[2].Evidence) != 1 || !strings.Contains(lastEntry(att).Note, "vendor report") {
		t.Errorf("attach = %+v", att.Tasks[2])
	}
}

func TestMissingNamesAtMostTen(t *testing.T) {
	inc := planned(Handle, Serious)
	inc.Tasks = nil
	for i := range 13 {
		inc.Tasks = append(inc.Tasks, Task{ID: "t" + string(rune('a'+i)), TaskSpec: TaskSpec{Title: "task", Required: true}, Status: TaskInProgress})
	}
	m := Missing(inc, Review)
	if len(m) != 1 || !strings.Contains(m[0].EN, "and 3 more") || !strings.Contains(m[0].ZH, "另有 3 项") || strings.Count(m[0].EN, "“task”") != 10 {
		t.Errorf("missing = %+v", m)
	}
}
