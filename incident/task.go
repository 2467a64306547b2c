package incident

import (
	"slices"
	"time"
)

// TaskStatus is the state of one task.
type TaskStatus string

// Task states.
const (
	TaskTodo       TaskStatus = "todo"
	TaskInProgress TaskStatus = "in_progress"
	TaskDone       TaskStatus = "done"
	TaskBlocked    TaskStatus = "blocked"
	TaskWaived     TaskStatus = "waived"
)

// TaskStatuses lists the states in the order work goes through them.
func TaskStatuses() []TaskStatus {
	return []TaskStatus{TaskTodo, TaskInProgress, TaskBlocked, TaskDone, TaskWaived}
}

// Valid reports whether s is a known state.
func (s TaskStatus) Valid() bool { return slices.Contains(TaskStatuses(), s) }

// Finished reports whether a task in this state no longer holds up review.
func (s TaskStatus) Finished() bool { return s == TaskDone || s == TaskWaived }

// Phase says what kind of handling work a task is (DOMAIN.md, handle:
// isolate, repair, restore). Confirm and plan tasks have none.
type Phase string

// The phases of handling, in the order they usually run.
const (
	PhaseIsolate     Phase = "isolate"     // contain: cut the harm off from spreading
	PhasePreserve    Phase = "preserve"    // keep evidence before it is changed or lost
	PhaseEradicate   Phase = "eradicate"   // remove the cause
	PhaseRecover     Phase = "recover"     // restore service and data
	PhaseVerify      Phase = "verify"      // check that the harm is gone and service is sound
	PhaseCommunicate Phase = "communicate" // tell those who must be told
)

// Phases lists the phases in order.
func Phases() []Phase {
	return []Phase{PhaseIsolate, PhasePreserve, PhaseEradicate, PhaseRecover, PhaseVerify, PhaseCommunicate}
}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return slices.Contains(Phases(), p) }

// TaskStages are the stages whose work a task can be: the confirmation
// checklist, the plan's preparatory measures and the handling itself.
func TaskStages() []Stage { return []Stage{Confirm, Plan, Handle} }

// AssigneeKind says who a task is assigned to.
type AssigneeKind string

// The kinds of task assignee. A team is never the assignee itself: a task
// for a team goes to the person on call for it (see escalation), and the
// team is kept in Task.Team.
const (
	AssignPerson AssigneeKind = "person" // someone in the roster, by username
	AssignVendor AssigneeKind = "vendor" // an external vendor or agency, by name
)

// Response is an assignee's answer to an assignment.
type Response string

// Responses. A declined task has no assignee and goes back to the
// coordinator, so there is no "declined" response: see Task.Declined.
const (
	ResponsePending  Response = "pending"
	ResponseAccepted Response = "accepted"
)

// TaskSpec is what a task is made from: a runbook step, or a task a
// coordinator adds by hand. Texts come in English and Chinese; a task
// added by hand may have only one language, kept in Title.
type TaskSpec struct {
	Step           string // the runbook step's id; "" for a task added by hand
	Title          string
	TitleZH        string
	Detail         string // how to do it
	DetailZH       string
	Stage          Stage // Confirm, Plan or Handle
	Phase          Phase // for handling tasks
	Role           string
	Team           string // a roster team id the step names
	Required       bool
	Expected       time.Duration // how long the work should take once dispatched
	EvidenceHint   string        // what evidence the work should leave
	EvidenceHintZH string
}

// Decline records that an assignee refused a task, which is then back with
// the coordinator until it is assigned again.
type Decline struct {
	By     Actor
	Reason string
	At     time.Time
}

// Evidence is a file attached to a task. The file itself is kept apart
// (see EvidenceFile); the task keeps what is needed to list and fetch it.
type Evidence struct {
	ID          string
	Name        string // sanitised file name
	ContentType string // sniffed from the content
	Size        int64
	SHA256      string // hex
	By          Actor
	At          time.Time
}

// Task is one thing to do for the incident, usually a runbook step.
type Task struct {
	ID string // t1, t2, ...: unique within the incident, never reused
	TaskSpec
	Runbook string // "id@version" of the runbook the task came from; "" when added by hand
	Status  TaskStatus

	// Dispatch. Assignee is a person's username or a vendor's name.
	Assignee     string
	AssigneeKind AssigneeKind
	AssigneeName string // how to show the assignee
	Contact      string // how to reach a vendor
	AssignedBy   *Actor // the coordinator: told when the task is declined
	AssignedAt   *time.Time
	DueAt        *time.Time // AssignedAt + Expected, when the step gives a duration
	Round        int        // assignments made so far
	Response     Response   // "" while unassigned
	RespondedAt  *time.Time
	Declined     *Decline // the last refusal, until the task is assigned again

	// Handling.
	StartedAt  *time.Time
	FinishedAt *time.Time
	Result     string // what was done and found, written when done
	Reason     string // why the task is blocked or waived, or was reopened
	Evidence   []Evidence
}

// Assigned reports whether someone holds the task now.
func (t *Task) Assigned() bool { return t.Assignee != "" }

// TitleIn is the task's title in language l ("en" or "zh"), falling back
// to the other language.
func (t *TaskSpec) TitleIn(l string) string { return pick(l, t.Title, t.TitleZH) }

// DetailIn is the task's instructions in language l.
func (t *TaskSpec) DetailIn(l string) string { return pick(l, t.Detail, t.DetailZH) }

// EvidenceHintIn is the evidence the task should leave, in language l.
func (t *TaskSpec) EvidenceHintIn(l string) string { return pick(l, t.EvidenceHint, t.EvidenceHintZH) }

func pick(l, en, zh string) string {
	if (l == "zh" && zh != "") || en == "" {
		return zh
	}
	return en
}

// Overdue reports whether an unfinished task is past its due time at now.
func (t *Task) Overdue(now time.Time) bool {
	return t.DueAt != nil && !t.Status.Finished() && now.After(*t.DueAt)
}

// TaskProgress counts an incident's tasks: finished (done or waived) of
// all.
func TaskProgress(tasks []Task) (finished, total int) {
	for _, t := range tasks {
		if t.Status.Finished() {
			finished++
		}
	}
	return finished, len(tasks)
}

// TaskByID returns the index of task id in tasks, or -1.
func TaskByID(tasks []Task, id string) int {
	return slices.IndexFunc(tasks, func(t Task) bool { return t.ID == id })
}

// clone is a deep copy of t.
func (t Task) clone() Task {
	c := t
	c.AssignedBy = clonePtr(t.AssignedBy)
	c.AssignedAt = clonePtr(t.AssignedAt)
	c.DueAt = clonePtr(t.DueAt)
	c.RespondedAt = clonePtr(t.RespondedAt)
	c.Declined = clonePtr(t.Declined)
	c.StartedAt = clonePtr(t.StartedAt)
	c.FinishedAt = clonePtr(t.FinishedAt)
	c.Evidence = slices.Clone(t.Evidence)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// statusNames are the task states in both languages, for messages the
// domain writes (the entry conditions that name unfinished tasks).
var statusNames = map[TaskStatus][2]string{
	TaskTodo:       {"to do", "待办"},
	TaskInProgress: {"in progress", "进行中"},
	TaskBlocked:    {"blocked", "受阻"},
	TaskDone:       {"done", "已完成"},
	TaskWaived:     {"waived", "已豁免"},
}

// Names returns the state's name in English and Chinese.
func (s TaskStatus) Names() (en, zh string) {
	if n, ok := statusNames[s]; ok {
		return n[0], n[1]
	}
	return string(s), string(s)
}
