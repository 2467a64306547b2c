package incident

import (
	"math"
	"math/big"
	"slices"
	"sort"
	"time"
)

// StatsFilter selects the incidents statistics are computed over. Zero
// values select everything. The period is by report time, From included,
// To excluded.
type StatsFilter struct {
	From, To time.Time
	Level    Level
	Category Category
	Team     string // a roster team id or name the incident was assigned to
}

// Match reports whether inc is selected by f.
func (f StatsFilter) Match(inc *Incident) bool {
	switch {
	case !f.From.IsZero() && inc.CreatedAt.Before(f.From):
		return false
	case !f.To.IsZero() && !inc.CreatedAt.Before(f.To):
		return false
	case f.Level != "" && inc.Level != f.Level:
		return false
	case f.Category != "" && inc.Category != f.Category:
		return false
	case f.Team != "" && !Involves(inc, f.Team):
		return false
	}
	return true
}

// Involves reports whether team (an id or a name) was assigned to inc, as
// a dispatched assignee or as the team of one of its tasks.
func Involves(inc *Incident, team string) bool {
	for _, a := range inc.Assignees {
		if a.Kind == "team" && (a.ID == team || a.Name == team) {
			return true
		}
	}
	return slices.ContainsFunc(inc.Tasks, func(t Task) bool { return t.Team == team })
}

// DurationStat summarizes one response time over the incidents that
// reached its point.
type DurationStat struct {
	Count int
	Mean  time.Duration
	P90   time.Duration // nearest-rank: the ⌈0.9·n⌉-th smallest value
}

// Compliance counts how incidents fared against one deadline: met (reached
// in time), missed (reached late, or not reached by an open incident past
// the deadline) and pending (open, not reached, still in time).
type Compliance struct {
	Met, Missed, Pending int
}

// Rate is the share of decided cases that met the deadline, in [0, 1];
// NaN when none is decided.
func (c Compliance) Rate() float64 {
	n := c.Met + c.Missed
	if n == 0 {
		return math.NaN()
	}
	return float64(c.Met) / float64(n)
}

// ActionRef is a corrective action with the incident it belongs to.
type ActionRef struct {
	Incident string
	Title    string // the incident's
	Action   CorrectiveAction
}

// Stats are the figures over one set of incidents.
type Stats struct {
	Total      int
	ByLevel    map[Level]int
	ByCategory map[Category]int
	ByStage    map[Stage]int
	ByMonth    map[string]int // "2026-03", by report time in UTC

	Durations  map[Level]map[Measure]DurationStat
	Compliance map[Level]map[Measure]Compliance

	Escalations        int // pages fired (EntryEscalation)
	EscalationsByLevel map[Level]int
	DeadlineMisses     int // deadlines the engine saw pass (EntryDeadline)

	OpenActions    int
	OverdueActions []ActionRef // oldest due first
}

// Report is the statistics of a period: the real incidents, and the drills
// apart, never mixed into the real figures.
type Report struct {
	Filter StatsFilter
	At     time.Time
	Real   Stats
	Drills Stats
}

func newStats() Stats {
	return Stats{
		ByLevel: map[Level]int{}, ByCategory: map[Category]int{}, ByStage: map[Stage]int{}, ByMonth: map[string]int{},
		Durations: map[Level]map[Measure]DurationStat{}, Compliance: map[Level]map[Measure]Compliance{},
		EscalationsByLevel: map[Level]int{},
	}
}

// Compute gathers the statistics of the incidents f selects, each measured
// against its level's deadlines in ds, at now. It is a pure function over
// incidents read from any store, so it gives the same figures on MongoDB
// and on the embedded server.
func Compute(incs []*Incident, ds map[Level]Deadlines, f StatsFilter, now time.Time) Report {
	rep := Report{Filter: f, At: now, Real: newStats(), Drills: newStats()}
	type key struct {
		l Level
		m Measure
	}
	took := map[bool]map[key][]time.Duration{false: {}, true: {}}
	for _, inc := range incs {
		if !f.Match(inc) {
			continue
		}
		st := &rep.Real
		if inc.Drill {
			st = &rep.Drills
		}
		st.Total++
		st.ByLevel[inc.Level]++
		st.ByCategory[inc.Category]++
		st.ByStage[inc.Stage]++
		st.ByMonth[inc.CreatedAt.UTC().Format("2006-01")]++
		for _, t := range Timings(inc, ds[inc.Level], now) {
			if st.Compliance[inc.Level] == nil {
				st.Compliance[inc.Level] = map[Measure]Compliance{}
			}
			c := st.Compliance[inc.Level][t.Measure]
			switch {
			case t.Missed:
				c.Missed++
			case t.Pending:
				c.Pending++
			case t.Reached && t.Deadline > 0:
				c.Met++
			}
			st.Compliance[inc.Level][t.Measure] = c
			if t.Reached {
				k := key{inc.Level, t.Measure}
				took[inc.Drill][k] = append(took[inc.Drill][k], t.Took)
			}
		}
		for _, e := range inc.Timeline {
			switch e.Kind {
			case EntryEscalation:
				st.Escalations++
				st.EscalationsByLevel[inc.Level]++
			case EntryDeadline:
				st.DeadlineMisses++
			}
		}
		for _, a := range inc.Review.Actions {
			if a.Status.Finished() {
				continue
			}
			st.OpenActions++
			if a.Overdue(now) {
				st.OverdueActions = append(st.OverdueActions, ActionRef{Incident: inc.Number, Title: inc.Title, Action: a})
			}
		}
	}
	for drill, st := range map[bool]*Stats{false: &rep.Real, true: &rep.Drills} {
		for k, ds := range took[drill] {
			if st.Durations[k.l] == nil {
				st.Durations[k.l] = map[Measure]DurationStat{}
			}
			st.Durations[k.l][k.m] = Summarize(ds)
		}
		sort.SliceStable(st.OverdueActions, func(i, j int) bool {
			a, b := st.OverdueActions[i], st.OverdueActions[j]
			if !a.Action.Due.Equal(b.Action.Due) {
				return a.Action.Due.Before(b.Action.Due)
			}
			return a.Incident+a.Action.ID < b.Incident+b.Action.ID
		})
	}
	return rep
}

// Summarize gives the count, mean and nearest-rank 90th percentile of ds
// (which it sorts). The mean is truncated to the nanosecond.
func Summarize(ds []time.Duration) DurationStat {
	if len(ds) == 0 {
		return DurationStat{}
	}
	slices.Sort(ds)
	// The sum of 100,000 two-week durations overflows int64 nanoseconds.
	sum := new(big.Int)
	for _, d := range ds {
		sum.Add(sum, big.NewInt(int64(d)))
	}
	mean := sum.Quo(sum, big.NewInt(int64(len(ds)))).Int64()
	rank := (9*len(ds) + 9) / 10 // ⌈0.9·n⌉ in integers, free of rounding
	return DurationStat{Count: len(ds), Mean: time.Duration(mean), P90: ds[rank-1]}
}
