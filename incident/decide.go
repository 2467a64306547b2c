package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Decide is the pure decision of a stage change: given the incident as
// stored and the request, it returns the incident as it must be stored next
// (version bumped, fields applied, timeline entry appended), or an error:
// ErrNotAllowed (wrapped) for a move the machine forbids, *InvalidError for
// bad field values or fields that do not belong to the move, *BlockedError
// when entry conditions are missing.
func Decide(inc *Incident, in TransitionInput, by Actor, now time.Time) (*Incident, error) {
	move, ok := Classify(inc.Stage, in.To)
	if !ok {
		return nil, fmt.Errorf("%s → %s: %w", inc.Stage, in.To, ErrNotAllowed)
	}
	next := inc.Clone()
	changes, err := apply(next, in)
	if err != nil {
		return nil, err
	}
	// What a manager approved is the plan as it was: new measures on the
	// way out of the plan stage, or going back to re-plan, need approval
	// again.
	var voided []Entry
	if slices.ContainsFunc(changes, func(c FieldChange) bool { return c.Field == "measures" }) && inc.Stage == Plan ||
		move == MoveBack && in.To.index() <= Plan.index() {
		if e, ok := voidApproval(next); ok {
			e.At, e.Actor = now, by
			voided = append(voided, e)
		}
	}
	var missing []Condition
	switch move {
	case MoveForward, MoveReject:
		missing = Missing(next, in.To)
	case MoveBack, MoveReopen:
		if strings.TrimSpace(in.Reason) == "" {
			missing = []Condition{CondReason}
		}
	}
	if len(missing) > 0 {
		return nil, &BlockedError{From: inc.Stage, To: in.To, Missing: missing}
	}
	switch {
	case in.To == Closed:
		next.Review.SignedOffBy = &by
		next.Review.SignedOffAt = &now
	case move == MoveReopen && inc.Stage == Rejected:
		next.Rejection = Rejection{}
	case move == MoveReopen && inc.Stage == Closed:
		next.Review.SignedOffBy, next.Review.SignedOffAt = nil, nil
	}
	switch in.To {
	case Review:
		draftOnEntry(next, now)
	case Closed:
		next.Review.Returned = nil // signed off: the last return is answered
	}
	next.Stage = in.To
	next.StageEnteredAt[in.To] = now
	next.Version++
	next.UpdatedAt = now
	next.Timeline = append(next.Timeline, Entry{
		At: now, Actor: by, Kind: EntryStage,
		From: string(inc.Stage), To: string(in.To),
		Reason: strings.TrimSpace(in.Reason), Note: strings.TrimSpace(in.Note),
		Changes: changes,
	})
	next.Timeline = append(next.Timeline, voided...)
	return next, nil
}

// apply writes the request's stage fields into inc and returns what changed.
// A field may only be given when moving to the stage that records it; giving
// it on another move is an error rather than silently dropped.
func apply(inc *Incident, in TransitionInput) ([]FieldChange, error) {
	var (
		e       *InvalidError
		changes []FieldChange
	)
	set := func(field string, dst *string, v string, allowed bool) {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case !allowed:
			invalid(&e, field, "this field does not apply when moving to "+string(in.To), "转入该阶段时不适用此字段")
		case len(v) > MaxNote:
			invalid(&e, field, fmt.Sprintf("must be at most %d bytes", MaxNote), fmt.Sprintf("最多 %d 字节", MaxNote))
		case v != *dst:
			changes = append(changes, FieldChange{Field: field, Before: *dst, After: v})
			*dst = v
		}
	}
	toConfirm := in.To == Confirm
	if in.Level != "" {
		switch {
		case !toConfirm:
			invalid(&e, "level", "the level is confirmed when moving to confirm; use a level change otherwise", "级别在进入确认阶段时确定，其他时候请使用级别变更")
		case !in.Level.Valid():
			invalid(&e, "level", "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
		default:
			if in.Level != inc.Level || !inc.LevelConfirmed {
				changes = append(changes, FieldChange{Field: "level", Before: string(inc.Level), After: string(in.Level)})
			}
			inc.Level, inc.LevelConfirmed = in.Level, true
		}
	}
	if in.Category != "" && toConfirm && !in.Category.Valid() {
		invalid(&e, "category", "unknown category", "未知的事件类别")
	} else {
		set("category", (*string)(&inc.Category), string(in.Category), toConfirm)
	}
	if in.Scope != "" && toConfirm && !in.Scope.Valid() {
		invalid(&e, "scope", "scope must be local or global", "范围必须是 local 或 global")
	} else {
		set("scope", (*string)(&inc.Scope), string(in.Scope), toConfirm)
	}
	if in.Nature != "" && toConfirm && !in.Nature.Valid() {
		invalid(&e, "nature", "nature must be natural_disaster, human_error or malicious_attack", "性质必须是 natural_disaster、human_error 或 malicious_attack")
	} else {
		set("nature", (*string)(&inc.Nature), string(in.Nature), toConfirm)
	}
	set("assessment_note", &inc.AssessmentNote, in.AssessmentNote, toConfirm)
	set("measures", &inc.Plan.Measures, in.Measures, in.To == Plan || in.To == Dispatch)

	if len(in.Assignees) > 0 {
		if in.To != Dispatch && in.To != Handle {
			invalid(&e, "assignees", "assignees are set when moving to dispatch or handle", "指派对象在进入调配或处理阶段时设定")
		} else {
			before := assigneeNames(inc.Assignees)
			for _, a := range in.Assignees {
				a.Name = strings.TrimSpace(a.Name)
				if a.Kind == "" {
					a.Kind = "team"
				}
				if a.Name == "" || (a.Kind != "team" && a.Kind != "person" && a.Kind != "vendor") {
					invalid(&e, "assignees", "each assignee needs a name and a kind (team, person or vendor)", "每个指派对象需要名称和类型（团队、人员或外部单位）")
					continue
				}
				if !hasAssignee(inc.Assignees, a) {
					inc.Assignees = append(inc.Assignees, a)
				}
			}
			if after := assigneeNames(inc.Assignees); after != before {
				changes = append(changes, FieldChange{Field: "assignees", Before: before, After: after})
			}
		}
	}
	toClose := in.To == Closed
	set("review_summary", &inc.Review.Summary, in.ReviewSummary, toClose)
	set("root_cause", &inc.Review.RootCause, in.RootCause, toClose)
	set("lessons", &inc.Review.Lessons, in.Lessons, toClose)

	toReject := in.To == Rejected
	if in.RejectReason != "" && toReject && in.RejectReason != FalsePositive && in.RejectReason != Duplicate {
		invalid(&e, "reject_reason", "reject_reason must be false_positive or duplicate", "驳回原因必须是 false_positive 或 duplicate")
	} else {
		set("reject_reason", (*string)(&inc.Rejection.Reason), string(in.RejectReason), toReject)
	}
	set("reject_note", &inc.Rejection.Note, in.RejectNote, toReject)
	set("duplicate_of", &inc.Rejection.DuplicateOf, in.DuplicateOf, toReject && in.RejectReason == Duplicate)
	if e != nil {
		return nil, e
	}
	return changes, nil
}

func hasAssignee(list []Assignee, a Assignee) bool {
	for _, b := range list {
		if strings.EqualFold(a.Name, b.Name) && a.Kind == b.Kind {
			return true
		}
	}
	return false
}

func assigneeNames(list []Assignee) string {
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}
