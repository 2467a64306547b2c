package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// EventReview is the event of a change to the post-incident review: the
// report written, a corrective action added or updated, the review
// returned by a manager.
const EventReview EventKind = "review"

// Timeline entry kinds of the review.
const (
	EntryReviewWritten  EntryKind = "review_written"  // the team changed the report
	EntryReviewReturned EntryKind = "review_returned" // a manager sent it back with comments
	EntryActionAdded    EntryKind = "action_added"
	EntryActionUpdated  EntryKind = "action_updated"
)

// Limits on the review.
const (
	MaxActions     = 100
	MaxActionTitle = 300 // characters
	MaxReviewText  = MaxNote
)

// Impact is what the incident harmed.
type Impact struct {
	Systems  string // systems affected
	Data     string // data exposed, altered or lost
	People   string // people affected
	Duration string // how long the harm lasted, as the team states it
}

// ActionStatus is where a corrective action stands.
type ActionStatus string

// Corrective action states. Done and cancelled actions are finished.
const (
	ActionOpen       ActionStatus = "open"
	ActionInProgress ActionStatus = "in_progress"
	ActionDone       ActionStatus = "done"
	ActionCancelled  ActionStatus = "cancelled"
)

// ActionStatuses lists the states in order.
func ActionStatuses() []ActionStatus {
	return []ActionStatus{ActionOpen, ActionInProgress, ActionDone, ActionCancelled}
}

// Valid reports whether s is a known state.
func (s ActionStatus) Valid() bool { return slices.Contains(ActionStatuses(), s) }

// Finished reports whether an action in s needs no more work.
func (s ActionStatus) Finished() bool { return s == ActionDone || s == ActionCancelled }

// CorrectiveAction is one improvement the review commits to. Actions stay
// tracked after the incident is closed: their owners are reminded before
// and after the due date until they are done or cancelled.
type CorrectiveAction struct {
	ID     string // a1, a2, ...: unique within the incident, never reused
	Title  string
	Owner  string // a roster person's username (who is reminded)
	Due    time.Time
	Status ActionStatus
	Note   string     // the last update's note
	DoneAt *time.Time // when it was finished
}

// Overdue reports whether the action is unfinished past its due date.
func (a CorrectiveAction) Overdue(now time.Time) bool {
	return !a.Status.Finished() && now.After(a.Due)
}

// ReviewReturn is a manager's refusal to sign off the review, with what to
// change.
type ReviewReturn struct {
	By      Actor
	At      time.Time
	Comment string
}

func (r ReviewReport) clone() ReviewReport {
	c := r
	c.SignedOffBy = clonePtr(r.SignedOffBy)
	c.SignedOffAt = clonePtr(r.SignedOffAt)
	c.DraftedAt = clonePtr(r.DraftedAt)
	c.Returned = clonePtr(r.Returned)
	c.Actions = make([]CorrectiveAction, len(r.Actions))
	for i, a := range r.Actions {
		a.DoneAt = clonePtr(a.DoneAt)
		c.Actions[i] = a
	}
	if r.Actions == nil {
		c.Actions = nil
	}
	return c
}

// OpenActions returns the review's unfinished corrective actions.
func (r ReviewReport) OpenActions() []CorrectiveAction {
	var out []CorrectiveAction
	for _, a := range r.Actions {
		if !a.Status.Finished() {
			out = append(out, a)
		}
	}
	return out
}

// A ReviewCommand changes the post-incident review: WriteReview,
// AddAction, UpdateAction or ReturnReview. Service.ReviewWork applies it;
// DecideReview is the pure decision.
type ReviewCommand interface {
	applyReview(w *work) error
}

// DecideReview is the pure decision of a review command: the incident as
// it must be stored next, or *InvalidError for bad input, *RefusedError
// for a command the stage does not allow, ErrNotFound (wrapped) for an
// unknown action.
func DecideReview(inc *Incident, cmd ReviewCommand, by Actor, now time.Time) (*Incident, error) {
	w := &work{inc: inc.Clone(), by: by, now: now}
	if err := cmd.applyReview(w); err != nil {
		return nil, err
	}
	if len(w.entries) == 0 {
		return nil, &InvalidError{Fields: map[string]Message{"": {"nothing to change", "没有需要更改的内容"}}}
	}
	next := w.inc
	next.Version++
	next.UpdatedAt = now
	next.Timeline = append(next.Timeline, w.entries...)
	return next, nil
}

// ReviewWork applies a review command to inc, which the caller has just
// read, if it is still at version; otherwise ErrConflict.
func (s *Service) ReviewWork(ctx context.Context, inc *Incident, version int64, cmd ReviewCommand, by Actor) (*Incident, error) {
	if version != inc.Version {
		return nil, fmt.Errorf("%s is at version %d, not %d: %w", inc.Number, inc.Version, version, ErrConflict)
	}
	next, err := DecideReview(inc, cmd, by, s.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	if err := s.store.Update(ctx, next, inc.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	s.emit(ctx, EventReview, next)
	return next, nil
}

// WriteReview replaces the texts of the review report. It is done at the
// review stage, before a manager signs off.
type WriteReview struct {
	Summary   string
	RootCause string
	Impact    Impact
	WentWell  string
	WentBadly string
	Lessons   string
}

func (c WriteReview) applyReview(w *work) error {
	if err := w.stage("the review is written at the review stage", "评估报告在后期评估阶段填写", Review); err != nil {
		return err
	}
	var e *InvalidError
	r := &w.inc.Review
	var changes []FieldChange
	set := func(field string, dst *string, v string) {
		v = strings.TrimSpace(v)
		if len(v) > MaxReviewText {
			invalid(&e, field, fmt.Sprintf("must be at most %d bytes", MaxReviewText), fmt.Sprintf("最多 %d 字节", MaxReviewText))
			return
		}
		if v != *dst {
			changes = append(changes, FieldChange{Field: field, Before: *dst, After: v})
			*dst = v
		}
	}
	set("summary", &r.Summary, c.Summary)
	set("root_cause", &r.RootCause, c.RootCause)
	set("impact_systems", &r.Impact.Systems, c.Impact.Systems)
	set("impact_data", &r.Impact.Data, c.Impact.Data)
	set("impact_people", &r.Impact.People, c.Impact.People)
	set("impact_duration", &r.Impact.Duration, c.Impact.Duration)
	set("went_well", &r.WentWell, c.WentWell)
	set("went_badly", &r.WentBadly, c.WentBadly)
	set("lessons", &r.Lessons, c.Lessons)
	if e != nil {
		return e
	}
	if len(changes) > 0 {
		w.entry(Entry{Kind: EntryReviewWritten, Changes: changes})
	}
	return nil
}

// AddAction adds a corrective action to the review.
type AddAction struct {
	Title string
	Owner string
	Due   time.Time
}

func (c AddAction) applyReview(w *work) error {
	if err := w.stage("corrective actions are added at the review stage", "整改措施在后期评估阶段添加", Review); err != nil {
		return err
	}
	a := CorrectiveAction{Title: strings.TrimSpace(c.Title), Owner: strings.TrimSpace(c.Owner), Due: c.Due.UTC(), Status: ActionOpen}
	if err := validAction(a, true); err != nil {
		return err
	}
	if len(w.inc.Review.Actions) >= MaxActions {
		return &InvalidError{Fields: map[string]Message{"actions": {
			fmt.Sprintf("a review has at most %d corrective actions", MaxActions), fmt.Sprintf("一份评估报告最多 %d 项整改措施", MaxActions)}}}
	}
	r := &w.inc.Review
	r.ActionSeq++
	a.ID = fmt.Sprintf("a%d", r.ActionSeq)
	r.Actions = append(r.Actions, a)
	w.entry(Entry{Kind: EntryActionAdded, Task: a.ID,
		Note: fmt.Sprintf("%s (owner %s, due %s)", a.Title, a.Owner, a.Due.Format("2006-01-02"))})
	return nil
}

// UpdateAction changes a corrective action: its state, owner, due date or
// note. It is allowed at review and after closure, where actions stay
// tracked. Zero fields are left as they are.
type UpdateAction struct {
	ID     string
	Status ActionStatus
	Owner  string
	Due    time.Time
	Note   string
}

func (c UpdateAction) applyReview(w *work) error {
	if err := w.stage("corrective actions are updated during review and after closure", "整改措施在后期评估阶段及关闭后更新", Review, Closed); err != nil {
		return err
	}
	r := &w.inc.Review
	i := slices.IndexFunc(r.Actions, func(a CorrectiveAction) bool { return a.ID == c.ID })
	if i < 0 {
		return fmt.Errorf("corrective action %q: %w", c.ID, ErrNotFound)
	}
	a := &r.Actions[i]
	var e *InvalidError
	if c.Status != "" && !c.Status.Valid() {
		invalid(&e, "status", "status must be open, in_progress, done or cancelled", "状态必须是 open、in_progress、done 或 cancelled")
	}
	if len(c.Note) > MaxTaskText {
		invalid(&e, "note", fmt.Sprintf("note must be at most %d bytes", MaxTaskText), fmt.Sprintf("备注最多 %d 字节", MaxTaskText))
	}
	if e != nil {
		return e
	}
	var changes []FieldChange
	if c.Status != "" && c.Status != a.Status {
		changes = append(changes, FieldChange{Field: "status", Before: string(a.Status), After: string(c.Status)})
		a.Status = c.Status
		if a.Status.Finished() {
			at := w.now
			a.DoneAt = &at
		} else {
			a.DoneAt = nil
		}
	}
	if o := strings.TrimSpace(c.Owner); o != "" && o != a.Owner {
		if err := validAction(CorrectiveAction{Title: a.Title, Owner: o, Due: a.Due}, false); err != nil {
			return err
		}
		changes = append(changes, FieldChange{Field: "owner", Before: a.Owner, After: o})
		a.Owner = o
	}
	if !c.Due.IsZero() && !c.Due.Equal(a.Due) {
		changes = append(changes, FieldChange{Field: "due", Before: a.Due.Format("2006-01-02"), After: c.Due.UTC().Format("2006-01-02")})
		a.Due = c.Due.UTC()
	}
	if n := strings.TrimSpace(c.Note); n != "" && n != a.Note {
		changes = append(changes, FieldChange{Field: "note", Before: a.Note, After: n})
		a.Note = n
	}
	if len(changes) > 0 {
		w.entry(Entry{Kind: EntryActionUpdated, Task: a.ID, Changes: changes})
	}
	return nil
}

func validAction(a CorrectiveAction, needDue bool) error {
	var e *InvalidError
	switch n := utf8.RuneCountInString(a.Title); {
	case n == 0:
		invalid(&e, "title", "the action needs a title", "整改措施需要标题")
	case n > MaxActionTitle:
		invalid(&e, "title", fmt.Sprintf("title must be at most %d characters", MaxActionTitle), fmt.Sprintf("标题最多 %d 个字符", MaxActionTitle))
	}
	switch n := utf8.RuneCountInString(a.Owner); {
	case n == 0:
		invalid(&e, "owner", "the action needs an owner", "整改措施需要负责人")
	case n > MaxAssigneeName:
		invalid(&e, "owner", fmt.Sprintf("owner must be at most %d characters", MaxAssigneeName), fmt.Sprintf("负责人最多 %d 个字符", MaxAssigneeName))
	}
	if needDue && a.Due.IsZero() {
		invalid(&e, "due", "the action needs a due date", "整改措施需要完成期限")
	}
	if e != nil {
		return e
	}
	return nil
}

// ReturnReview is a manager's refusal to sign off: the review stays at the
// review stage with the manager's comments for the team.
type ReturnReview struct {
	Comment string
}

func (c ReturnReview) applyReview(w *work) error {
	if err := w.stage("only a review awaiting sign-off can be returned", "只有待签批的评估报告可以退回", Review); err != nil {
		return err
	}
	comment := strings.TrimSpace(c.Comment)
	switch {
	case comment == "":
		return &InvalidError{Fields: map[string]Message{"comment": {"say what must change", "请说明需要修改的内容"}}}
	case len(comment) > MaxTaskText:
		return &InvalidError{Fields: map[string]Message{"comment": {
			fmt.Sprintf("comment must be at most %d bytes", MaxTaskText), fmt.Sprintf("意见最多 %d 字节", MaxTaskText)}}}
	}
	r := &w.inc.Review
	r.Returned = &ReviewReturn{By: w.by, At: w.now, Comment: comment}
	r.Returns++
	w.entry(Entry{Kind: EntryReviewReturned, Note: comment})
	return nil
}
