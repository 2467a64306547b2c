package escalation

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// TimerKind says what a timer does when it falls due.
type TimerKind string

// The kinds of timer.
const (
	// TimerAckStep pages Step of the acknowledgement chain (its Repeat-th
	// repeat); it exists only while the incident is unacknowledged.
	TimerAckStep TimerKind = "ack_step"
	// TimerDeadline fires when Stage has not been reached by DueAt: the
	// miss is recorded and Step of the chain is notified.
	TimerDeadline TimerKind = "deadline"
)

// DeadlineName names a stage deadline.
type DeadlineName string

// The stage deadlines. The acknowledgement deadline has no timer of its
// own: the acknowledgement chain is that deadline (see Step).
const (
	DeadlineConfirm  DeadlineName = "confirm"
	DeadlineDispatch DeadlineName = "dispatch"
	DeadlineHandle   DeadlineName = "handle"
)

// Stage is the stage whose entry meets the deadline. Handling is finished
// when the incident reaches review.
func (n DeadlineName) Stage() incident.Stage {
	switch n {
	case DeadlineConfirm:
		return incident.Confirm
	case DeadlineDispatch:
		return incident.Dispatch
	case DeadlineHandle:
		return incident.Review
	}
	return ""
}

// PlanInput is what the planner needs to know of an incident.
type PlanInput struct {
	IncidentID     string         // store id; used in keys only when Number is empty
	Number         string         // INC-2026-000042
	Level          incident.Level // the level in force: PlanFor picks the policy by it; Plan uses the policy's
	Stage          incident.Stage
	CreatedAt      time.Time
	AckedAt        *time.Time
	StageEnteredAt map[incident.Stage]time.Time
}

// Timer is one thing the engine must do at DueAt unless cancelled first.
type Timer struct {
	Key      string // stable and unique; see Plan
	Incident string // Number, or IncidentID without one: the first part of Key
	Level    incident.Level
	Kind     TimerKind
	DueAt    time.Time
	Step     int // 1-based: the chain step paged (ack) or notified on a miss (deadline)
	Repeat   int // ack: 0 for a step's first page
	Deadline DeadlineName
	Stage    incident.Stage // deadline: the stage whose entry meets it
}

// PageKey is the idempotency key of the page this timer sends to person:
// PageKey for chain pages, and for a missed deadline
// "<incident>/deadline/<name>/<person>", so each person hears of each
// missed deadline once, whatever the level.
func (t Timer) PageKey(person string) string {
	if t.Kind == TimerDeadline {
		return keyEscaper.Replace(t.Incident) + "/deadline/" + string(t.Deadline) + "/" + keyEscaper.Replace(person)
	}
	return PageKey(t.Incident, t.Step, t.Repeat, person)
}

// PageKey is the idempotency key of a chain page:
// "INC-2026-000042/step2/r1/alice". It carries neither the level nor the due
// time, so a re-plan never pages a person twice for the same step and
// repeat. A "/" or "%" inside the parts is escaped, so distinct inputs give
// distinct keys.
func PageKey(incidentID string, step, repeat int, person string) string {
	return keyEscaper.Replace(incidentID) + "/step" + strconv.Itoa(step) + "/r" + strconv.Itoa(repeat) + "/" + keyEscaper.Replace(person)
}

var keyEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// PlanFor plans with the policy of in.Level; the error wraps ErrNoPolicy.
func PlanFor(in PlanInput, ps []Policy) ([]Timer, error) {
	p, err := PolicyFor(ps, in.Level)
	if err != nil {
		return nil, err
	}
	return Plan(in, p), nil
}

// Plan returns every timer the incident needs under policy p, sorted by
// due time; p's level is the one in the keys. It is the whole schedule, not
// what is left of it: timers already due are included, and the engine
// skips those it has fired. A closed or rejected incident needs none.
//
// The acknowledgement chain starts at CreatedAt: step 1 at once, each page
// then waiting its step's delay (see Step). It is absent once the incident
// is acknowledged, either by AckedAt or by having gone past receive.
//
// Each stage deadline falls at CreatedAt plus its duration unless its stage
// (or a later one) has been reached. Its Step is the one after the step the
// chain had reached when it falls due (stopped at the acknowledgement if
// that came first), capped at the last step.
//
// Keys:
//
//	INC-2026-000042/serious/ack/step2/r1/20260321T091500Z
//	INC-2026-000042/serious/deadline/confirm/step3/20260321T093000Z
//
// They carry the level and the due time, so a timer moved by a level change
// or a policy edit, or aimed at another step after an acknowledgement, gets
// a new key; re-planning after any change is Plan again and Diff.
func Plan(in PlanInput, p Policy) []Timer {
	if in.Stage != "" && !in.Stage.Open() {
		return nil
	}
	inc := in.Number
	if inc == "" {
		inc = in.IncidentID
	}
	prefix := keyEscaper.Replace(inc) + "/" + string(p.Level) + "/"
	pages := chain(p)
	ackAt, acked := in.acknowledged()

	var out []Timer
	if !acked {
		for _, pg := range pages {
			due := in.CreatedAt.Add(pg.after)
			out = append(out, Timer{
				Key:      prefix + "ack/step" + strconv.Itoa(pg.step) + "/r" + strconv.Itoa(pg.repeat) + "/" + keyTime(due),
				Incident: inc, Level: p.Level, Kind: TimerAckStep, DueAt: due, Step: pg.step, Repeat: pg.repeat,
			})
		}
	}
	for _, dl := range []struct {
		name DeadlineName
		d    Duration
	}{{DeadlineConfirm, p.Deadlines.Confirm}, {DeadlineDispatch, p.Deadlines.Dispatch}, {DeadlineHandle, p.Deadlines.Handle}} {
		if dl.d <= 0 || in.reached(dl.name.Stage()) {
			continue
		}
		due := in.CreatedAt.Add(dl.d.Std())
		stop := due
		if acked && ackAt.Before(stop) {
			stop = ackAt
		}
		step := min(reach(pages, in.CreatedAt, stop)+1, len(p.Steps))
		out = append(out, Timer{
			Key:      prefix + "deadline/" + string(dl.name) + "/step" + strconv.Itoa(step) + "/" + keyTime(due),
			Incident: inc, Level: p.Level, Kind: TimerDeadline, DueAt: due, Step: step,
			Deadline: dl.name, Stage: dl.name.Stage(),
		})
	}
	slices.SortStableFunc(out, func(a, b Timer) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind) // ack_step before deadline
	})
	return out
}

// Diff compares the timers of two plans by key: add are those of next not
// in prev, cancel those of prev not in next, each in its plan's order.
// Timers in both are left alone.
func Diff(prev, next []Timer) (add, cancel []Timer) {
	inPrev := make(map[string]bool, len(prev))
	for _, t := range prev {
		inPrev[t.Key] = true
	}
	inNext := make(map[string]bool, len(next))
	for _, t := range next {
		inNext[t.Key] = true
		if !inPrev[t.Key] {
			add = append(add, t)
		}
	}
	for _, t := range prev {
		if !inNext[t.Key] {
			cancel = append(cancel, t)
		}
	}
	return add, cancel
}

// page is one page of a chain, after its offset from the start.
type page struct {
	step, repeat int
	after        time.Duration
}

// chain lays out every page of p's acknowledgement chain.
func chain(p Policy) []page {
	var out []page
	var at time.Duration
	for i, s := range p.Steps {
		for r := 0; r <= max(s.Repeat, 0); r++ {
			out = append(out, page{step: i + 1, repeat: r, after: at})
			at += s.wait(p.Deadlines)
		}
	}
	return out
}

// reach is the step of the last page sent by t for a chain started at
// start, 0 before the first.
func reach(pages []page, start, t time.Time) int {
	step := 0
	for _, pg := range pages {
		if start.Add(pg.after).After(t) {
			break
		}
		step = pg.step
	}
	return step
}

// acknowledged says whether and when the chain stopped: at AckedAt, or at
// the first entry into a stage past receive (confirming an incident is
// acknowledging it), whichever came first. An incident past receive with
// no recorded time counts as acknowledged when created.
func (in PlanInput) acknowledged() (time.Time, bool) {
	var at time.Time
	ok := false
	if in.AckedAt != nil {
		at, ok = *in.AckedAt, true
	}
	for s, t := range in.StageEnteredAt {
		if stageRank(s) > stageRank(incident.Receive) && (!ok || t.Before(at)) {
			at, ok = t, true
		}
	}
	if !ok && stageRank(in.Stage) > stageRank(incident.Receive) {
		at, ok = in.CreatedAt, true
	}
	return at, ok
}

// reached reports whether the incident is at or has been past stage s.
func (in PlanInput) reached(s incident.Stage) bool {
	want := stageRank(s)
	if stageRank(in.Stage) >= want {
		return true
	}
	for st := range in.StageEnteredAt {
		if stageRank(st) >= want {
			return true
		}
	}
	return false
}

// stageRank orders the stages of the forward flow, receive = 0; rejected
// and unknown stages are -1.
func stageRank(s incident.Stage) int {
	if s == incident.Rejected {
		return -1
	}
	for i, si := range incident.Stages() {
		if si.Stage == s {
			return i
		}
	}
	return -1
}

// keyTime writes a due time for keys, in UTC to the second.
func keyTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
