package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// reviewView is a review ready to show in one language: the printable
// page and the Markdown export are made from it, so they say the same.
type reviewView struct {
	Lang      string
	Number    string
	Title     string
	Level     string
	LevelKey  incident.Level
	Category  string
	Stage     string
	Reported  string
	Reporter  string
	Drill     bool
	Summary   string
	Timings   []timingView
	Chron     []reviewEntry
	Escalated []reviewEntry
	Misses    []reviewEntry
	People    string
	Teams     string
	Tasks     []reviewTask
	Runbooks  []string
	RootCause string
	Impact    incident.Impact
	WentWell  string
	WentBadly string
	Lessons   string
	Actions   []actionView
	Returned  string // who returned it when, empty when not returned
	Comment   string
	SignedOff string // who signed off when, or that it awaits sign-off
	Generated string
}

type timingView struct {
	Name, Took, Deadline, Result string
	Missed                       bool
	// Ratio is the time taken as a share of the deadline, for the chart.
	Ratio float64
}

type reviewEntry struct{ When, Who, What string }

type reviewTask struct{ ID, Title, Status, Assignee, Result string }

type actionView struct {
	ID, Title, Owner, Due, Status string
	StatusKey                     string // the state's code, for forms
	Overdue                       bool
}

// utcTime is how the review shows instants: UTC to the minute, the same
// for every reader and in every export.
func utcTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// newReviewView prepares inc's review in language l at now.
func newReviewView(inc *incident.Incident, d incident.Draft, l string, now time.Time) reviewView {
	r := inc.Review
	v := reviewView{
		Lang: l, Number: inc.Number, Title: inc.Title, Level: levelName(l, inc.Level), LevelKey: inc.Level,
		Category: categoryName(l, inc.Category), Stage: stageName(l, inc.Stage),
		Reported: utcTime(inc.CreatedAt), Reporter: inc.Reporter.Name, Drill: inc.Drill,
		Summary: r.Summary, RootCause: r.RootCause, Impact: r.Impact, WentWell: r.WentWell, WentBadly: r.WentBadly,
		Lessons: r.Lessons, People: strings.Join(d.People, ", "), Teams: strings.Join(d.Teams, ", "),
		Generated: T(l, "review.generated", utcTime(now)),
	}
	for _, t := range d.Timings {
		en, zh := t.Measure.Names()
		tv := timingView{Name: msg(l, en, zh), Took: T(l, "review.na"), Deadline: T(l, "review.none"), Missed: t.Missed}
		if t.Deadline > 0 {
			tv.Deadline = incident.FormatDuration(t.Deadline)
		}
		if t.Reached {
			tv.Took = incident.FormatDuration(t.Took)
			if t.Deadline > 0 {
				tv.Ratio = float64(t.Took) / float64(t.Deadline)
			}
		}
		switch {
		case t.Missed:
			tv.Result = T(l, "review.missed")
		case t.Pending:
			tv.Result = T(l, "review.pending")
		case t.Reached:
			tv.Result = T(l, "review.met")
		default:
			tv.Result = T(l, "review.na")
		}
		v.Timings = append(v.Timings, tv)
	}
	ev := func(e incident.Entry) reviewEntry {
		return reviewEntry{When: utcTime(e.At), Who: e.Actor.Name, What: entryLine(l, e)}
	}
	for _, e := range d.Chronology {
		v.Chron = append(v.Chron, ev(e))
	}
	for _, e := range d.Escalations {
		v.Escalated = append(v.Escalated, ev(e))
	}
	for _, e := range d.Misses {
		v.Misses = append(v.Misses, ev(e))
	}
	for _, t := range d.Tasks {
		se, sz := t.Status.Names()
		who := t.AssigneeName
		if who == "" {
			who = t.Assignee
		}
		res := t.Result
		if res == "" {
			res = t.Reason
		}
		v.Tasks = append(v.Tasks, reviewTask{ID: t.ID, Title: t.TitleIn(l), Status: msg(l, se, sz), Assignee: who, Result: res})
	}
	for _, u := range d.Runbooks {
		title := u.Title
		if l == "zh" && u.TitleZH != "" {
			title = u.TitleZH
		}
		v.Runbooks = append(v.Runbooks, fmt.Sprintf("%s (%s)", title, u.Ref()))
	}
	for _, a := range r.Actions {
		v.Actions = append(v.Actions, actionView{ID: a.ID, Title: a.Title, Owner: a.Owner, Due: a.Due.Format(time.DateOnly),
			Status: tOr(l, "action."+string(a.Status), string(a.Status)), StatusKey: string(a.Status), Overdue: a.Overdue(now)})
	}
	if ret := r.Returned; ret != nil {
		v.Returned, v.Comment = T(l, "review.returned", ret.By.Name, utcTime(ret.At)), ret.Comment
	}
	if r.SignedOffBy != nil && r.SignedOffAt != nil && inc.Stage == incident.Closed {
		v.SignedOff = T(l, "review.signed_by", r.SignedOffBy.Name, utcTime(*r.SignedOffAt))
	} else {
		v.SignedOff = T(l, "review.not_signed")
	}
	return v
}

// entryLine says what a timeline entry records, in one line.
func entryLine(l string, e incident.Entry) string {
	s := tOr(l, "tl."+string(e.Kind), string(e.Kind))
	if e.From != "" || e.To != "" {
		switch e.Kind {
		case incident.EntryStage, incident.EntryReported:
			from, to := "", stageName(l, incident.Stage(e.To))
			if e.From != "" {
				from = stageName(l, incident.Stage(e.From)) + " → "
			}
			s += ": " + from + to
		case incident.EntryLevel:
			s += ": " + levelName(l, incident.Level(e.From)) + " → " + levelName(l, incident.Level(e.To))
		default:
			s += ": " + strings.TrimPrefix(e.From+" → "+e.To, " → ")
		}
	}
	if e.Task != "" {
		s += " [" + e.Task + "]"
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Kind == incident.EntryActionUpdated {
		var ch []string
		for _, c := range e.Changes {
			ch = append(ch, c.Field+": "+c.Before+" → "+c.After)
		}
		s += " (" + strings.Join(ch, "; ") + ")"
	}
	if e.Note != "" {
		s += " — " + e.Note
	}
	return s
}
