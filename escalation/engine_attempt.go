package escalation

import (
	"fmt"
	"time"
)

// The pure rules of the claim protocol (see engine.go). The engine reads
// and inserts records; these functions decide what to insert and what a
// record found in a slot means.

// verdict is what a record found in a slot of a timer says about it.
type verdict struct {
	finished bool       // a done record: nothing more to do
	outcome  TimerState // when finished
	slot     int        // otherwise the slot to claim next,
	runs     int        // the runs started so far,
	at       time.Time  // and not before when
}

// afterRecord reads the record found in a slot. A done record finishes the
// timer. A run record holds the next slot until its lease ends, or not at
// all when it is stale (written by a process that reused this instance's
// owner name and has died: see EngineOptions.Owner). A retry record holds
// the next slot until its back-off ends.
func afterRecord(rec Attempt, now time.Time, stale bool) verdict {
	switch rec.Kind {
	case AttemptDone:
		return verdict{finished: true, outcome: rec.Outcome}
	case AttemptRun:
		at := rec.Until
		if stale || at.Before(now) {
			at = now
		}
		return verdict{slot: rec.Slot + 1, runs: rec.Runs, at: at}
	default:
		at := rec.Until
		if at.Before(now) {
			at = now
		}
		return verdict{slot: rec.Slot + 1, runs: rec.Runs, at: at}
	}
}

// claimRecord is what to insert to take the next slot of t: a run holding
// it for lease, or, when maxRuns runs have started and the last one never
// finished, the record that gives the timer up as dead.
func claimRecord(t Timer, slot, runs int, owner string, now time.Time, lease time.Duration, maxRuns int) Attempt {
	a := Attempt{Key: t.Key, Slot: slot, Owner: owner, At: now, DueAt: t.DueAt, Runs: runs}
	if runs >= maxRuns {
		a.Kind, a.Outcome = AttemptDone, TimerDead
		a.Error = fmt.Sprintf("gave up after %d runs: the last one did not finish within its lease", runs)
		return a
	}
	a.Kind, a.Until, a.Runs = AttemptRun, now.Add(lease), runs+1
	return a
}

// resultRecord is what the owner of run inserts in the next slot when the
// run ends with err: done and fired, a retry after backoff(runs), or dead
// once maxRuns runs have failed.
func resultRecord(run Attempt, err error, firedAt, now time.Time, backoff func(int) time.Duration, maxRuns int) Attempt {
	a := Attempt{Key: run.Key, Slot: run.Slot + 1, Owner: run.Owner, At: now, DueAt: run.DueAt, Runs: run.Runs}
	switch {
	case err == nil:
		a.Kind, a.Outcome, a.FiredAt = AttemptDone, TimerFired, firedAt
	case run.Runs >= maxRuns:
		a.Kind, a.Outcome, a.Error = AttemptDone, TimerDead, err.Error()
	default:
		a.Kind, a.Until, a.Error = AttemptRetry, now.Add(backoff(run.Runs)), err.Error()
	}
	return a
}

// cancelStep says what Cancel does after finding rec in a slot: stop
// because the timer is finished, stop because a live run is firing it (a
// cancel does not interrupt a firing), or try the next slot. A retry's
// back-off does not stop a cancel.
func cancelStep(rec Attempt, now time.Time, stale bool) (next bool, reason string) {
	switch {
	case rec.Kind == AttemptDone:
		return false, "already " + string(rec.Outcome)
	case rec.Kind == AttemptRun && !stale && rec.Until.After(now):
		return false, "firing now"
	}
	return true, ""
}

// cancelRecord finishes t as cancelled in slot.
func cancelRecord(t Timer, slot, runs int, owner string, now time.Time) Attempt {
	return Attempt{Key: t.Key, Slot: slot, Kind: AttemptDone, Outcome: TimerCancelled, Owner: owner, At: now, DueAt: t.DueAt, Runs: runs}
}

// defaultBackoff waits 1 s after the first failed run, then doubles, up to
// 5 min.
func defaultBackoff(runs int) time.Duration {
	d := time.Second
	for i := 1; i < runs && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// TimerStatus is what the records of a timer say about it.
type TimerStatus struct {
	State     TimerState
	Runs      int       // runs started
	FiredAt   time.Time // when the run that fired began
	LastError string
	Records   []Attempt // slot by slot
}

// statusOf sums up a timer's records, slot by slot from 0.
func statusOf(recs []Attempt) TimerStatus {
	st := TimerStatus{State: TimerPending, Records: recs}
	for _, r := range recs {
		st.Runs = max(st.Runs, r.Runs)
		if r.Error != "" {
			st.LastError = r.Error
		}
		if r.Kind == AttemptDone {
			st.State, st.FiredAt = r.Outcome, r.FiredAt
		}
	}
	return st
}
