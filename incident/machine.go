package incident

import (
	"fmt"
	"slices"
	"strings"
)

// Move is the kind of a stage change.
type Move string

// The kinds of stage change the machine knows.
const (
	MoveForward Move = "forward" // to the next stage, when its entry conditions hold
	MoveBack    Move = "back"    // to any earlier working stage, with a reason
	MoveReject  Move = "reject"  // receive or confirm → rejected (false positive or duplicate)
	MoveReopen  Move = "reopen"  // rejected → receive, or closed → review, with a reason
)

// Classify says which kind of move from → to is, and false when the machine
// forbids it (skipping stages, staying put, leaving an end any other way).
func Classify(from, to Stage) (Move, bool) {
	switch {
	case !from.Valid() || !to.Valid() || from == to:
		return "", false
	case to == Rejected:
		return MoveReject, from == Receive || from == Confirm
	case from == Rejected:
		return MoveReopen, to == Receive
	case from == Closed:
		return MoveReopen, to == Review
	case to.index() == from.index()+1:
		return MoveForward, true
	case to.index() < from.index():
		return MoveBack, true
	}
	return "", false
}

// Condition is one entry rule of a stage. Code names the field or fact that
// is missing; it is stable and used by clients to point at the form field.
type Condition struct {
	Code string `json:"code"`
	EN   string `json:"en"`
	ZH   string `json:"zh"`
}

// The entry conditions, by code.
var (
	CondLevel          = Condition{"level", "the confirmed level is required", "需要确认事件级别"}
	CondCategory       = Condition{"category", "the category is required", "需要确定事件类别"}
	CondScope          = Condition{"scope", "the scope (local or global) is required", "需要确定影响范围（局部或全局）"}
	CondAssessmentNote = Condition{"assessment_note", "an assessment note is required", "需要填写鉴定意见"}
	CondConfirmed      = Condition{"confirmed", "the incident must be confirmed first", "事件必须先经过确认"}
	CondPlan           = Condition{"plan", "a response plan (measures or tasks) is required", "需要制定响应计划（措施或任务）"}
	CondPlanApproval   = Condition{"plan_approval", "a special incident's plan needs a manager's approval", "特殊事件的响应计划需经管理者批准"}
	CondAssignees      = Condition{"assignees", "at least one team or person must be assigned", "至少需要指派一个团队或人员"}
	CondTasksAssigned  = Condition{"tasks_assigned", "every unfinished task needs an assignee", "每项未完成的任务都需要指派负责人"}
	CondTasksFinished  = Condition{"tasks_finished", "every required task must be done or waived", "所有必需任务须已完成或豁免"}
	CondReviewSummary  = Condition{"review_summary", "the review summary is required", "需要填写总结"}
	CondRootCause      = Condition{"root_cause", "the root cause is required", "需要填写根本原因"}
	CondLessons        = Condition{"lessons", "lessons learned are required", "需要填写经验教训"}
	CondRejectReason   = Condition{"reject_reason", "a rejection reason (false_positive or duplicate) is required", "需要驳回原因（误报或重复）"}
	CondDuplicateOf    = Condition{"duplicate_of", "a duplicate must name the original incident", "重复事件须指明原始事件"}
	CondReason         = Condition{"reason", "a reason is required to go back or reopen", "回退或重新打开需要说明原因"}
)

// EntryConditions lists, for each stage, what must be true to enter it going
// forward. It is the machine's documentation as much as its data.
func EntryConditions(s Stage) []Condition {
	switch s {
	case Confirm:
		return []Condition{CondLevel, CondCategory, CondScope, CondAssessmentNote}
	case Plan:
		return []Condition{CondConfirmed}
	case Dispatch:
		return []Condition{CondPlan, CondPlanApproval}
	case Handle:
		return []Condition{CondAssignees, CondTasksAssigned}
	case Review:
		return []Condition{CondTasksFinished}
	case Closed:
		return []Condition{CondReviewSummary, CondRootCause, CondLessons}
	case Rejected:
		return []Condition{CondRejectReason, CondDuplicateOf}
	}
	return nil
}

// Missing returns the entry conditions of to that inc does not meet, in the
// order of EntryConditions. inc is the incident with the request's stage
// fields already applied. Conditions that do not apply (plan approval for a
// level below special, duplicate_of for a false positive) are never missing.
//
// Conditions about tasks and approval say which tasks hold the move up and
// where the approval stands, so the refusal tells people what to do.
func Missing(inc *Incident, to Stage) []Condition {
	var out []Condition
	for _, c := range EntryConditions(to) {
		if !holds(inc, c) {
			out = append(out, explain(inc, c))
		}
	}
	return out
}

// maxNamed is how many tasks a condition names before "and N more".
const maxNamed = 10

// explain adds to a missing condition what makes it so: the tasks not
// finished or not assigned, the state of the plan's approval.
func explain(inc *Incident, c Condition) Condition {
	var en, zh []string
	name := func(t Task) {
		se, sz := t.Status.Names()
		if t.Status == "" {
			se, sz = TaskTodo.Names()
		}
		en = append(en, fmt.Sprintf("%s “%s” (%s)", t.ID, t.TitleIn("en"), se))
		zh = append(zh, fmt.Sprintf("%s“%s”（%s）", t.ID, t.TitleIn("zh"), sz))
	}
	switch c {
	case CondTasksFinished:
		for _, t := range inc.Tasks {
			if t.Required && !t.Status.Finished() {
				name(t)
			}
		}
	case CondTasksAssigned:
		for _, t := range inc.Tasks {
			if !t.Status.Finished() && strings.TrimSpace(t.Assignee) == "" {
				name(t)
			}
		}
	case CondPlanApproval:
		p := inc.Plan
		switch p.Approval {
		case ApprovalPending:
			c.EN += " (submitted, awaiting a decision)"
			c.ZH += "（已提交，等待审批）"
		case ApprovalReturned, ApprovalRejected:
			verb, verbZH := "returned", "退回"
			if p.Approval == ApprovalRejected {
				verb, verbZH = "rejected", "驳回"
			}
			c.EN += fmt.Sprintf(" (%s: %s; change it and submit it again)", verb, p.Comment)
			c.ZH += fmt.Sprintf("（已被%s：%s；请修改后重新提交）", verbZH, p.Comment)
		default:
			c.EN += " (submit the plan for approval)"
			c.ZH += "（请提交计划审批）"
		}
		return c
	default:
		return c
	}
	if len(en) == 0 {
		return c
	}
	more, moreZH := "", ""
	if n := len(en) - maxNamed; n > 0 {
		en, zh = en[:maxNamed], zh[:maxNamed]
		more, moreZH = fmt.Sprintf("; and %d more", n), fmt.Sprintf("；另有 %d 项", n)
	}
	c.EN += ": " + strings.Join(en, "; ") + more
	c.ZH += "：" + strings.Join(zh, "；") + moreZH
	return c
}

func holds(inc *Incident, c Condition) bool {
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	switch c {
	case CondLevel:
		return inc.LevelConfirmed && inc.Level.Valid()
	case CondCategory:
		return inc.Category.Valid()
	case CondScope:
		return inc.Scope.Valid()
	case CondAssessmentNote:
		return !blank(inc.AssessmentNote)
	case CondConfirmed:
		return inc.LevelConfirmed
	case CondPlan:
		return !blank(inc.Plan.Measures) || len(inc.Tasks) > 0
	case CondPlanApproval:
		return inc.Level != Special || inc.Plan.ApprovedBy != nil
	case CondAssignees:
		return len(inc.Assignees) > 0
	case CondTasksAssigned:
		// A finished task needs nobody; a declined one is back with the
		// coordinator and has no assignee until it is given again.
		return !slices.ContainsFunc(inc.Tasks, func(t Task) bool { return !t.Status.Finished() && blank(t.Assignee) })
	case CondTasksFinished:
		return !slices.ContainsFunc(inc.Tasks, func(t Task) bool { return t.Required && !t.Status.Finished() })
	case CondReviewSummary:
		return !blank(inc.Review.Summary)
	case CondRootCause:
		return !blank(inc.Review.RootCause)
	case CondLessons:
		return !blank(inc.Review.Lessons)
	case CondRejectReason:
		return inc.Rejection.Reason == FalsePositive || inc.Rejection.Reason == Duplicate
	case CondDuplicateOf:
		return inc.Rejection.Reason != Duplicate || !blank(inc.Rejection.DuplicateOf)
	}
	return false
}
