package incident

import (
	"fmt"
	"slices"
	"strings"
)

// Assignment gives a task to a person or an external vendor.
type Assignment struct {
	Task string
	Kind AssigneeKind
	// ID is the person's username (their id in the roster); for a vendor,
	// its name.
	ID   string
	Name string // how to show the assignee; ID when empty
	// Team is the roster team the person was chosen through (its on-call
	// person, by default), recorded with the resources called in.
	Team     string
	TeamName string
	Contact  string // how to reach a vendor
}

// Assign gives tasks to people or vendors at dispatch or while handling.
// Each assignee is recorded among the resources called in, a person also
// among the incident's participants (so they may see it), and is asked to
// accept or decline.
type Assign struct {
	Items []Assignment
}

func (Assign) event() EventKind { return EventTask }

func (c Assign) apply(w *work) error {
	if err := w.stage("tasks are assigned at dispatch or while handling", "任务在资源调配或事件处理阶段指派", Dispatch, Handle); err != nil {
		return err
	}
	if len(c.Items) == 0 {
		return &InvalidError{Fields: map[string]Message{"task": {"name a task to assign", "请指定要指派的任务"}}}
	}
	for _, a := range c.Items {
		if err := w.assign(a); err != nil {
			return err
		}
	}
	return nil
}

func (w *work) assign(a Assignment) error {
	t, err := w.task(a.Task)
	if err != nil {
		return err
	}
	a.ID, a.Name, a.Contact = strings.TrimSpace(a.ID), strings.TrimSpace(a.Name), strings.TrimSpace(a.Contact)
	if a.Name == "" {
		a.Name = a.ID
	}
	var e *InvalidError
	switch {
	case a.Kind != AssignPerson && a.Kind != AssignVendor:
		invalid(&e, "kind", "assign a task to a person or a vendor", "任务须指派给人员或外部单位")
	case a.ID == "":
		invalid(&e, map[AssigneeKind]string{AssignPerson: "person", AssignVendor: "vendor"}[a.Kind],
			"name who the task goes to", "请指定任务负责人")
	case len(a.ID) > MaxAssigneeName || len(a.Name) > MaxAssigneeName || len(a.Contact) > MaxAssigneeName:
		invalid(&e, "person", fmt.Sprintf("names and contacts are at most %d bytes", MaxAssigneeName), fmt.Sprintf("名称和联系方式最多 %d 字节", MaxAssigneeName))
	}
	if e != nil {
		return e
	}
	if t.Status.Finished() {
		return refused("task "+t.ID+" is "+string(t.Status)+": reopen it before assigning it", "任务 "+t.ID+" 已结束，请先重新打开再指派")
	}
	if t.Assignee == a.ID && t.AssigneeKind == a.Kind {
		return &InvalidError{Fields: map[string]Message{"person": {"task " + t.ID + " is already assigned to " + a.Name, "任务 " + t.ID + " 已指派给 " + a.Name}}}
	}
	before := t.AssigneeName
	t.Assignee, t.AssigneeKind, t.AssigneeName, t.Contact = a.ID, a.Kind, a.Name, a.Contact
	if a.Team != "" {
		t.Team = a.Team
	}
	t.AssignedBy, t.AssignedAt = &w.by, &w.now
	t.Round++
	t.Response, t.RespondedAt, t.Declined = ResponsePending, nil, nil
	t.DueAt = nil
	if t.Expected > 0 {
		due := w.now.Add(t.Expected)
		t.DueAt = &due
	}
	switch a.Kind {
	case AssignPerson:
		if !slices.Contains(w.inc.Participants, a.ID) {
			w.inc.Participants = append(w.inc.Participants, a.ID)
		}
		w.calledIn(Assignee{Kind: "person", Name: a.Name, ID: a.ID})
		if a.Team != "" {
			name := a.TeamName
			if name == "" {
				name = a.Team
			}
			w.calledIn(Assignee{Kind: "team", Name: name, ID: a.Team})
		}
	case AssignVendor:
		w.calledIn(Assignee{Kind: "vendor", Name: a.Name, ID: a.ID, Contact: a.Contact})
	}
	to := a.Name
	if a.TeamName != "" || a.Team != "" {
		to += " (" + firstOf(a.TeamName, a.Team) + ")"
	}
	w.entry(Entry{Kind: EntryTaskAssigned, Task: t.ID, From: before, To: to, Note: t.Title})
	return nil
}

// calledIn records a resource called in, once.
func (w *work) calledIn(a Assignee) {
	if !slices.ContainsFunc(w.inc.Assignees, func(b Assignee) bool {
		return b.Kind == a.Kind && (a.ID != "" && b.ID == a.ID || strings.EqualFold(b.Name, a.Name))
	}) {
		w.inc.Assignees = append(w.inc.Assignees, a)
	}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Respond is an assignee's answer: accept, or decline with a reason, which
// puts the task back to the coordinator.
type Respond struct {
	Task   string
	Accept bool
	Reason string
}

func (Respond) event() EventKind { return EventTask }

func (c Respond) apply(w *work) error {
	if err := w.stage("tasks are accepted or declined at dispatch or while handling", "任务在资源调配或事件处理阶段接受或拒绝", Dispatch, Handle); err != nil {
		return err
	}
	t, err := w.task(c.Task)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.Reason)
	switch {
	case !t.Assigned():
		return refused("task "+t.ID+" is not assigned to anyone", "任务 "+t.ID+" 尚未指派")
	case c.Accept && t.Response == ResponseAccepted:
		return refused("task "+t.ID+" is already accepted", "任务 "+t.ID+" 已被接受")
	case c.Accept:
		t.Response, t.RespondedAt = ResponseAccepted, &w.now
		w.entry(Entry{Kind: EntryTaskAccepted, Task: t.ID, To: t.AssigneeName, Note: t.Title})
		return nil
	case t.Status != TaskTodo:
		return refused("a task already worked on cannot be declined; the coordinator can assign it to someone else",
			"已开始处理的任务不能拒绝；可由协调人改派他人")
	case reason == "":
		return &InvalidError{Fields: map[string]Message{"reason": {"say why you decline, for the coordinator", "请说明拒绝理由，以便协调人改派"}}}
	case len(reason) > 2000:
		return &InvalidError{Fields: map[string]Message{"reason": {"must be at most 2000 bytes", "最多 2000 字节"}}}
	}
	who := t.AssigneeName
	t.Declined = &Decline{By: w.by, Reason: reason, At: w.now}
	t.Assignee, t.AssigneeKind, t.AssigneeName, t.Contact = "", "", "", ""
	t.Response, t.RespondedAt, t.DueAt = "", nil, nil
	w.entry(Entry{Kind: EntryTaskDeclined, Task: t.ID, From: who, Reason: reason, Note: t.Title})
	return nil
}

// taskMoves lists, for each state, the states a task may go to: start,
// block, finish, waive, and reopen a finished task.
var taskMoves = map[TaskStatus][]TaskStatus{
	TaskTodo:       {TaskInProgress, TaskBlocked, TaskDone, TaskWaived},
	TaskInProgress: {TaskBlocked, TaskDone, TaskWaived},
	TaskBlocked:    {TaskInProgress, TaskDone, TaskWaived},
	TaskDone:       {TaskTodo},
	TaskWaived:     {TaskTodo},
}

// TaskMoves returns the states a task in s may go to.
func TaskMoves(s TaskStatus) []TaskStatus { return slices.Clone(taskMoves[s]) }

// SetTaskStatus moves a task to another state. Finishing needs a result
// note (and may attach evidence files); blocking, waiving and reopening
// need a reason, given in Note.
type SetTaskStatus struct {
	Task     string
	To       TaskStatus
	Note     string
	Evidence []Evidence
}

func (SetTaskStatus) event() EventKind { return EventTask }

func (c SetTaskStatus) apply(w *work) error {
	if err := w.stage("tasks are worked on from the plan stage to handling", "任务在响应计划制定至事件处理阶段执行", Plan, Dispatch, Handle); err != nil {
		return err
	}
	t, err := w.task(c.Task)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.Note)
	from := t.Status
	if from == "" {
		from = TaskTodo
	}
	if !c.To.Valid() {
		return &InvalidError{Fields: map[string]Message{"status": {"status must be todo, in_progress, blocked, done or waived", "状态须为 todo、in_progress、blocked、done 或 waived"}}}
	}
	if !slices.Contains(taskMoves[from], c.To) {
		fe, fz := from.Names()
		te, tz := c.To.Names()
		return refused(fmt.Sprintf("task %s is %s and cannot become %s", t.ID, fe, te), fmt.Sprintf("任务 %s 当前为“%s”，不能变为“%s”", t.ID, fz, tz))
	}
	var e *InvalidError
	switch {
	case len(note) > MaxNote:
		invalid(&e, "note", fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote))
	case c.To == TaskDone && note == "":
		invalid(&e, "note", "write what was done and found (the result)", "请填写处理结果（做了什么、发现了什么）")
	case c.To == TaskWaived && note == "":
		invalid(&e, "note", "say why the task is not needed", "请说明豁免理由")
	case c.To == TaskBlocked && note == "":
		invalid(&e, "note", "say what blocks the task", "请说明受阻原因")
	case c.To == TaskTodo && note == "":
		invalid(&e, "note", "say why the task is reopened", "请说明重新打开的理由")
	}
	if len(c.Evidence) > 0 && c.To != TaskDone {
		invalid(&e, "evidence", "evidence files are attached when finishing a task or on their own", "证据文件在完成任务时或单独上传")
	}
	if len(t.Evidence)+len(c.Evidence) > MaxTaskEvidence {
		invalid(&e, "evidence", fmt.Sprintf("a task keeps at most %d evidence files", MaxTaskEvidence), fmt.Sprintf("每项任务最多 %d 个证据文件", MaxTaskEvidence))
	}
	if e != nil {
		return e
	}
	t.Status = c.To
	entry := Entry{Kind: EntryTaskStatus, Task: t.ID, From: string(from), To: string(c.To)}
	switch c.To {
	case TaskInProgress:
		if t.StartedAt == nil {
			t.StartedAt = &w.now
		}
		t.Reason = ""
		entry.Note = note
		if t.Response == ResponsePending && w.by.Username != "" && w.by.Username == t.Assignee {
			t.Response, t.RespondedAt = ResponseAccepted, &w.now // starting it is accepting it
		}
	case TaskDone:
		t.Result, t.Reason, t.FinishedAt = note, "", &w.now
		entry.Note = note
	case TaskWaived:
		t.Reason, t.FinishedAt = note, &w.now
		entry.Reason = note
	case TaskBlocked:
		t.Reason = note
		entry.Reason = note
	case TaskTodo:
		t.Reason, t.Result, t.FinishedAt = note, "", nil
		entry.Reason = note
	}
	w.entry(entry)
	if len(c.Evidence) > 0 {
		w.attach(t, c.Evidence, "")
	}
	return nil
}

// attach adds files to t's evidence and records it.
func (w *work) attach(t *Task, files []Evidence, note string) {
	names := make([]string, len(files))
	for i, f := range files {
		f.By, f.At = w.by, w.now
		t.Evidence = append(t.Evidence, f)
		names[i] = fmt.Sprintf("%s (%s)", f.Name, sizeText(f.Size))
	}
	text := strings.Join(names, ", ")
	if note != "" {
		text += "\n" + note
	}
	w.entry(Entry{Kind: EntryEvidence, Task: t.ID, Note: text})
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// NoteTask records a progress note on a task.
type NoteTask struct {
	Task string
	Note string
}

func (NoteTask) event() EventKind { return EventTask }

func (c NoteTask) apply(w *work) error {
	if err := w.stage("progress notes are written from the plan stage to handling", "进展记录在响应计划制定至事件处理阶段填写", Plan, Dispatch, Handle); err != nil {
		return err
	}
	t, err := w.task(c.Task)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.Note)
	switch {
	case note == "":
		return &InvalidError{Fields: map[string]Message{"note": {"write the progress note", "请填写进展"}}}
	case len(note) > MaxNote:
		return &InvalidError{Fields: map[string]Message{"note": {fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote)}}}
	}
	w.entry(Entry{Kind: EntryTaskNote, Task: t.ID, Note: note})
	return nil
}

// AttachEvidence adds evidence files (already stored) to a task.
type AttachEvidence struct {
	Task  string
	Files []Evidence
	Note  string
}

func (AttachEvidence) event() EventKind { return EventTask }

func (c AttachEvidence) apply(w *work) error {
	if err := w.stage("evidence is attached from the plan stage to handling", "证据在响应计划制定至事件处理阶段上传", Plan, Dispatch, Handle); err != nil {
		return err
	}
	t, err := w.task(c.Task)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.Note)
	switch {
	case len(c.Files) == 0:
		return &InvalidError{Fields: map[string]Message{"file": {"choose a file", "请选择文件"}}}
	case len(t.Evidence)+len(c.Files) > MaxTaskEvidence:
		return &InvalidError{Fields: map[string]Message{"file": {fmt.Sprintf("a task keeps at most %d evidence files", MaxTaskEvidence), fmt.Sprintf("每项任务最多 %d 个证据文件", MaxTaskEvidence)}}}
	case len(note) > MaxNote:
		return &InvalidError{Fields: map[string]Message{"note": {fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote)}}}
	}
	w.attach(t, c.Files, note)
	return nil
}

// EvidenceFile is an evidence file with its content, as stored apart from
// the incident (in a collection of its own, one document per file).
type EvidenceFile struct {
	Evidence
	Incident string // number
	Task     string
	Data     []byte
}

// MaxEvidenceSize is the largest evidence file accepted.
const MaxEvidenceSize = 8 << 20
