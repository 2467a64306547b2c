package escalation

import (
	"cmp"
	"slices"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Override temporarily changes who is on call for a team, from Start until
// End (End excluded):
//
//   - Person and Replaces set: Person takes the duty of Replaces, but only
//     while Replaces would be on duty (by the rotation or by a wider
//     override); otherwise the override has no effect.
//   - Replaces empty: Person takes the duty from whoever is on, or covers
//     it when nobody is.
//   - Person empty: the duty is removed (of Replaces only, or of anyone when
//     Replaces is empty too), which leaves a gap; CheckCoverage reports it.
//
// When overrides overlap, the narrowest wins: overrides are applied from the
// longest (End-Start) to the shortest, each to the result of those before,
// so a two-hour swap inside a week-long one takes precedence for its two
// hours. Among overrides of equal length the one starting later wins, then
// the one with the greater ID (store ids grow with creation time). Narrowest
// rather than latest-created because it needs no creation time and matches
// how people plan: the specific exception inside the general arrangement.
type Override struct {
	ID       string
	Team     string // team id
	Person   string // who takes the duty; "" removes it
	Replaces string // whose duty is taken; "" for whoever is on
	Start    time.Time
	End      time.Time
	Note     string
}

// active reports whether o is in force at t.
func (o Override) active(t time.Time) bool { return !t.Before(o.Start) && t.Before(o.End) }

// Validate checks an override on its own.
func (o Override) Validate() error {
	var e *incident.InvalidError
	if o.Team == "" {
		invalid(&e, "team", "an override belongs to a team", "替班必须属于一个团队")
	}
	if o.Person != "" {
		checkID(&e, "person", o.Person)
	}
	if o.Replaces != "" {
		checkID(&e, "replaces", o.Replaces)
	}
	if o.Person != "" && o.Person == o.Replaces {
		invalid(&e, "person", "a person cannot replace themselves", "不能替换自己")
	}
	switch {
	case o.Start.IsZero():
		invalid(&e, "start", "an override needs a start time", "替班需要开始时间")
	case o.End.IsZero() || !o.End.After(o.Start):
		invalid(&e, "end", "the end must be after the start", "结束时间必须晚于开始时间")
	case o.End.Sub(o.Start) > MaxShift:
		invalid(&e, "end", "an override lasts at most 366 days", "替班最长 366 天")
	}
	if len(o.Note) > incident.MaxNote {
		invalid(&e, "note", "the note is too long", "备注过长")
	}
	return asError(e)
}

// Slot is a stretch of time during which the same people are on call for
// the same reason.
type Slot struct {
	Start    time.Time
	End      time.Time
	People   []string // nil when nobody is on call
	Override string   // ID of the override in force, "" when the rotation rules
}

// Window is a stretch of time, here one with nobody on call.
type Window struct {
	Start     time.Time
	End       time.Time
	Overrides []string // IDs of the removal overrides that made (part of) the gap
}

// Handoff is a change of who is on call, where a handover is recorded.
type Handoff struct {
	At   time.Time
	From []string
	To   []string
}

// OnCallAt returns who is on call for team at the moment at: the person
// its rotation puts on, changed by the overrides of the team in force then
// (see Override for precedence). It is empty when nobody is. Overrides of
// other teams are ignored, so the caller may pass them all.
func OnCallAt(team Team, overrides []Override, at time.Time) []string {
	people, _ := effective(team, ranked(team.ID, overrides), at)
	return people
}

// Schedule divides [from, to) into contiguous slots with who is on call in
// each, split at every hand-off and override boundary and merged where
// neither the people nor the override in force change.
func Schedule(team Team, overrides []Override, from, to time.Time) []Slot {
	if !to.After(from) {
		return nil
	}
	ovs := ranked(team.ID, overrides)
	cuts := []time.Time{from}
	if team.Rotation != nil {
		for _, s := range team.Rotation.Shifts(from, to) {
			cuts = append(cuts, s.Start)
		}
	}
	for _, o := range ovs {
		cuts = append(cuts, o.Start, o.End)
	}
	cuts = slices.DeleteFunc(cuts, func(t time.Time) bool { return t.Before(from) || !t.Before(to) })
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)

	var out []Slot
	for i, c := range cuts {
		end := to
		if i+1 < len(cuts) {
			end = cuts[i+1]
		}
		people, ov := effective(team, ovs, c)
		if n := len(out); n > 0 && out[n-1].Override == ov && slices.Equal(out[n-1].People, people) {
			out[n-1].End = end
			continue
		}
		out = append(out, Slot{Start: c, End: end, People: people, Override: ov})
	}
	return out
}

// Gaps returns the windows of [from, to) in which nobody is on call for
// team, whether for lack of a rotation, before its first shift, or because
// an override removed the duty. It is the coverage check for one team.
func Gaps(team Team, overrides []Override, from, to time.Time) []Window {
	var out []Window
	for _, s := range Schedule(team, overrides, from, to) {
		if len(s.People) > 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End.Equal(s.Start) {
			out[n-1].End = s.End
		} else {
			out = append(out, Window{Start: s.Start, End: s.End})
		}
		if w := &out[len(out)-1]; s.Override != "" && !slices.Contains(w.Overrides, s.Override) {
			w.Overrides = append(w.Overrides, s.Override)
		}
	}
	return out
}

// CoverageHorizon is how far ahead the coverage check and the roster page look.
const CoverageHorizon = 14 * 24 * time.Hour

// TeamGap is a window in which a critical team has nobody on call.
type TeamGap struct {
	Team string
	Window
}

// CheckCoverage returns every gap in [from, to) of the teams marked
// critical, team by team in the order given.
func CheckCoverage(teams []Team, overrides []Override, from, to time.Time) []TeamGap {
	var out []TeamGap
	for _, t := range teams {
		if !t.Critical {
			continue
		}
		for _, w := range Gaps(t, overrides, from, to) {
			out = append(out, TeamGap{Team: t.ID, Window: w})
		}
	}
	return out
}

// NextHandoffs returns up to n changes of who is on call for team strictly
// after from, in order. Hand-offs to the same person (a one-person rotation,
// or an override holding the duty across a hand-off) are not changes. It
// stops early when nothing can change any more: past the last override and
// a whole turn of the rotation without a change.
func NextHandoffs(team Team, overrides []Override, from time.Time, n int) []Handoff {
	ovs := ranked(team.ID, overrides)
	var last time.Time // the last override boundary
	for _, o := range ovs {
		if o.End.After(last) {
			last = o.End
		}
	}
	turn := 0
	if team.Rotation != nil {
		turn = len(team.Rotation.Participants)
	}
	var out []Handoff
	cur, _ := effective(team, ovs, from)
	quiet := 0 // hand-offs in a row, past the last override, that changed nobody
	for t := from; len(out) < n; {
		next, ok := nextBoundary(team, ovs, t)
		if !ok {
			break
		}
		people, _ := effective(team, ovs, next)
		switch {
		case !slices.Equal(people, cur):
			out = append(out, Handoff{At: next, From: cur, To: people})
			cur, quiet = people, 0
		case !next.Before(last):
			if quiet++; quiet > turn {
				return out
			}
		}
		t = next
	}
	return out
}

// nextBoundary is the first moment strictly after t at which a hand-off
// happens or an override starts or ends.
func nextBoundary(team Team, ovs []Override, t time.Time) (time.Time, bool) {
	var next time.Time
	found := false
	take := func(c time.Time) {
		if c.After(t) && (!found || c.Before(next)) {
			next, found = c, true
		}
	}
	if team.Rotation != nil {
		if h, ok := team.Rotation.nextHandoff(t); ok {
			take(h)
		}
	}
	for _, o := range ovs {
		take(o.Start)
		take(o.End)
	}
	return next, found
}

// ranked returns the team's usable overrides in the order they apply: the
// longest first, so that the narrowest, applied last, wins.
func ranked(team string, overrides []Override) []Override {
	var out []Override
	for _, o := range overrides {
		if o.Team == team && o.End.After(o.Start) {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b Override) int {
		if c := cmp.Compare(b.End.Sub(b.Start), a.End.Sub(a.Start)); c != 0 {
			return c
		}
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// effective applies ranked overrides to the rotation at t and returns who
// is on call and the ID of the override that decided it, if any. An
// override naming whom it replaces applies when that person holds the duty
// by the rotation or by a wider override applied before it.
func effective(team Team, ovs []Override, t time.Time) ([]string, string) {
	on := ""
	if team.Rotation != nil {
		if p, _, _, ok := team.Rotation.OnCall(t); ok {
			on = p
		}
	}
	holders := []string{on}
	winner := ""
	for _, o := range ovs {
		if !o.active(t) || (o.Replaces != "" && !slices.Contains(holders, o.Replaces)) {
			continue
		}
		on, winner = o.Person, o.ID
		holders = append(holders, o.Person)
	}
	if on == "" {
		return nil, winner
	}
	return []string{on}, winner
}
