package incident

import (
	"fmt"
	"slices"
	"time"
)

// Deadlines are the times, counted from the report, within which an
// incident of a level must be acknowledged and reach each stage. They are
// the escalation policy's (escalation.Deadlines) in the domain's terms; a
// zero deadline is none.
type Deadlines struct {
	Ack      time.Duration
	Confirm  time.Duration
	Dispatch time.Duration
	Handle   time.Duration
}

// Measure names one of the response times the review and the statistics
// report.
type Measure string

// The four response times, each counted from the report (CreatedAt):
// acknowledge to AckedAt, confirm to entering confirm, dispatch to
// entering dispatch, resolve (finish handling) to entering review. A stage
// entered twice (after going back) counts from its last entry, which is
// what StageEnteredAt keeps.
const (
	MeasureAck      Measure = "acknowledge"
	MeasureConfirm  Measure = "confirm"
	MeasureDispatch Measure = "dispatch"
	MeasureResolve  Measure = "resolve"
)

// Measures lists the response times in the order the work goes.
func Measures() []Measure {
	return []Measure{MeasureAck, MeasureConfirm, MeasureDispatch, MeasureResolve}
}

// Names returns the measure's name in English and Chinese.
func (m Measure) Names() (en, zh string) {
	switch m {
	case MeasureAck:
		return "Time to acknowledge", "响应认领用时"
	case MeasureConfirm:
		return "Time to confirm", "事件确认用时"
	case MeasureDispatch:
		return "Time to dispatch", "资源调配用时"
	case MeasureResolve:
		return "Time to finish handling", "处理完成用时"
	}
	return string(m), string(m)
}

// Deadline is the deadline of m in d.
func (d Deadlines) Deadline(m Measure) time.Duration {
	switch m {
	case MeasureAck:
		return d.Ack
	case MeasureConfirm:
		return d.Confirm
	case MeasureDispatch:
		return d.Dispatch
	case MeasureResolve:
		return d.Handle
	}
	return 0
}

// Timing is one response time of one incident against its deadline.
type Timing struct {
	Measure  Measure
	Reached  bool          // the point was reached; Took is then meaningful
	Took     time.Duration // from the report to the point
	Deadline time.Duration // 0: none
	// Missed: reached after the deadline, or not reached by an open
	// incident whose deadline has passed at now.
	Missed bool
	// Pending: not reached by an open incident still within its deadline.
	Pending bool
}

// reachedAt is when inc reached the point of m, if it did.
func reachedAt(inc *Incident, m Measure) (time.Time, bool) {
	switch m {
	case MeasureAck:
		if inc.AckedAt != nil {
			return *inc.AckedAt, true
		}
		return time.Time{}, false
	case MeasureConfirm:
		t, ok := inc.StageEnteredAt[Confirm]
		return t, ok
	case MeasureDispatch:
		t, ok := inc.StageEnteredAt[Dispatch]
		return t, ok
	case MeasureResolve:
		t, ok := inc.StageEnteredAt[Review]
		return t, ok
	}
	return time.Time{}, false
}

// TimingOf measures m for inc under deadlines d at now.
func TimingOf(inc *Incident, m Measure, d Deadlines, now time.Time) Timing {
	t := Timing{Measure: m, Deadline: d.Deadline(m)}
	at, ok := reachedAt(inc, m)
	if ok {
		t.Reached, t.Took = true, at.Sub(inc.CreatedAt)
		t.Missed = t.Deadline > 0 && t.Took > t.Deadline
		return t
	}
	if !inc.Stage.Open() {
		return t // closed or rejected without reaching it: does not apply
	}
	t.Missed = t.Deadline > 0 && now.Sub(inc.CreatedAt) > t.Deadline
	t.Pending = !t.Missed
	return t
}

// Timings measures every response time of inc.
func Timings(inc *Incident, d Deadlines, now time.Time) []Timing {
	out := make([]Timing, 0, 4)
	for _, m := range Measures() {
		out = append(out, TimingOf(inc, m, d, now))
	}
	return out
}

// Draft is what Tocsin knows of an incident for its review: the facts the
// report is drafted from. It is computed from the record each time, so it
// is never stale.
type Draft struct {
	Timings     []Timing
	Chronology  []Entry // the timeline without the small talk of tasks
	Escalations []Entry // pages sent (EntryEscalation)
	Misses      []Entry // deadlines the escalation engine saw pass (EntryDeadline)
	People      []string
	Teams       []string
	Tasks       []Task
	Runbooks    []RunbookUse
}

// chronicle says which timeline entries belong in the review's chronology.
func chronicle(k EntryKind) bool {
	switch k {
	case EntryTaskNote, EntryEvidence, EntryTaskMoved, EntryReviewWritten:
		return false
	}
	return true
}

// DraftReview gathers the facts of inc's review under deadlines d at now.
func DraftReview(inc *Incident, d Deadlines, now time.Time) Draft {
	dr := Draft{Timings: Timings(inc, d, now), Tasks: inc.Tasks, Runbooks: inc.Plan.Runbooks}
	var people, teams []string
	add := func(list *[]string, s string) {
		if s != "" && !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	add(&people, inc.Reporter.Name)
	for _, e := range inc.Timeline {
		if chronicle(e.Kind) {
			dr.Chronology = append(dr.Chronology, e)
		}
		switch e.Kind {
		case EntryEscalation:
			dr.Escalations = append(dr.Escalations, e)
		case EntryDeadline:
			dr.Misses = append(dr.Misses, e)
		}
		if e.Actor.ID != System.ID {
			add(&people, e.Actor.Name)
		}
	}
	for _, a := range inc.Assignees {
		switch a.Kind {
		case "team":
			add(&teams, a.Name)
		default:
			add(&people, a.Name)
		}
	}
	for _, t := range inc.Tasks {
		// A task's team is an id; the dispatched team, when it is the
		// same, is already named.
		if !slices.ContainsFunc(inc.Assignees, func(a Assignee) bool { return a.Kind == "team" && a.ID == t.Team }) {
			add(&teams, t.Team)
		}
		if t.AssigneeName != "" {
			add(&people, t.AssigneeName)
		} else {
			add(&people, t.Assignee)
		}
	}
	dr.People, dr.Teams = people, teams
	return dr
}

// draftSummary is the first summary of a review, written on entering the
// review stage for the team to rewrite.
func draftSummary(inc *Incident, now time.Time) string {
	lv, _ := inc.Level.Info()
	cat, ok := inc.Category.Info()
	if !ok {
		cat.NameEN, cat.NameZH = "category not set", "类别未定"
	}
	done, total := TaskProgress(inc.Tasks)
	return fmt.Sprintf("%s “%s”: %s, %s; reported %s via %s; in handling for %s; %d of %d tasks finished.\n"+
		"%s“%s”：%s，%s；%s 经%s上报；处置历时 %s；已完成任务 %d/%d。",
		inc.Number, inc.Title, lv.NameEN, cat.NameEN, inc.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), inc.Source,
		FormatDuration(now.Sub(inc.CreatedAt)), done, total,
		inc.Number, inc.Title, lv.NameZH, cat.NameZH, inc.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), inc.Source,
		FormatDuration(now.Sub(inc.CreatedAt)), done, total)
}

// draftOnEntry writes the first summary when an incident enters review
// for the first time with none.
func draftOnEntry(inc *Incident, now time.Time) {
	if inc.Review.DraftedAt != nil {
		return
	}
	at := now
	inc.Review.DraftedAt = &at
	if inc.Review.Summary == "" {
		inc.Review.Summary = draftSummary(inc, now)
	}
}

// FormatDuration renders d compactly and exactly to the minute: 3d4h5m,
// 2h, 15m, 0m.
func FormatDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	s := ""
	if days > 0 {
		s += fmt.Sprintf("%dd", days)
	}
	if h > 0 {
		s += fmt.Sprintf("%dh", h)
	}
	if m > 0 || s == "" {
		s += fmt.Sprintf("%dm", m)
	}
	if neg {
		s = "-" + s
	}
	return s
}
