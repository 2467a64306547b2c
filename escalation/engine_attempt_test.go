package escalation

import (
	"errors"
	"testing"
	"time"
)

var engineT0 = time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)

func TestAfterRecord(t *testing.T) {
	t.Parallel()
	run := Attempt{Key: "k", Slot: 2, Kind: AttemptRun, Owner: "a", Until: engineT0.Add(30 * time.Second), Runs: 2}
	retry := Attempt{Key: "k", Slot: 3, Kind: AttemptRetry, Owner: "a", Until: engineT0.Add(time.Minute), Runs: 2}
	done := Attempt{Key: "k", Slot: 4, Kind: AttemptDone, Outcome: TimerCancelled, Runs: 2}
	for _, tc := range []struct {
		name  string
		rec   Attempt
		now   time.Time
		stale bool
		want  verdict
	}{
		{"live run: wait for its lease", run, engineT0, false, verdict{slot: 3, runs: 2, at: run.Until}},
		{"run at the end of its lease", run, run.Until, false, verdict{slot: 3, runs: 2, at: run.Until}},
		{"expired run: take over now", run, engineT0.Add(time.Hour), false, verdict{slot: 3, runs: 2, at: engineT0.Add(time.Hour)}},
		{"stale run under our name: take over now", run, engineT0, true, verdict{slot: 3, runs: 2, at: engineT0}},
		{"retry: wait for the back-off", retry, engineT0, false, verdict{slot: 4, runs: 2, at: retry.Until}},
		{"retry: back-off over", retry, engineT0.Add(2 * time.Minute), false, verdict{slot: 4, runs: 2, at: engineT0.Add(2 * time.Minute)}},
		{"done: finished", done, engineT0, false, verdict{finished: true, outcome: TimerCancelled}},
	} {
		if got := afterRecord(tc.rec, tc.now, tc.stale); got != tc.want {
			t.Errorf("%s: afterRecord = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestClaimAndResultRecords(t *testing.T) {
	t.Parallel()
	tm := Timer{Key: "k", DueAt: engineT0}
	c := claimRecord(tm, 3, 1, "a", engineT0, 30*time.Second, 3)
	want := Attempt{Key: "k", Slot: 3, Kind: AttemptRun, Owner: "a", At: engineT0, Until: engineT0.Add(30 * time.Second), Runs: 2, DueAt: engineT0}
	if c != want {
		t.Errorf("claimRecord = %+v, want %+v", c, want)
	}
	if d := claimRecord(tm, 5, 3, "a", engineT0, 30*time.Second, 3); d.Kind != AttemptDone || d.Outcome != TimerDead || d.Slot != 5 || d.Runs != 3 {
		t.Errorf("claimRecord after the last run expired = %+v, want dead", d)
	}

	backoff := func(runs int) time.Duration { return time.Duration(runs) * time.Minute }
	later := engineT0.Add(time.Second)
	for _, tc := range []struct {
		name string
		run  Attempt
		err  error
		want Attempt
	}{
		{"fired", c, nil, Attempt{Key: "k", Slot: 4, Kind: AttemptDone, Outcome: TimerFired, Owner: "a", At: later, Runs: 2, DueAt: engineT0, FiredAt: engineT0}},
		{"failed: retry", c, errors.New("x"), Attempt{Key: "k", Slot: 4, Kind: AttemptRetry, Owner: "a", At: later, Until: later.Add(2 * time.Minute), Runs: 2, DueAt: engineT0, Error: "x"}},
		{"failed the last run: dead", Attempt{Key: "k", Slot: 6, Kind: AttemptRun, Owner: "a", Runs: 3, DueAt: engineT0}, errors.New("x"),
			Attempt{Key: "k", Slot: 7, Kind: AttemptDone, Outcome: TimerDead, Owner: "a", At: later, Runs: 3, DueAt: engineT0, Error: "x"}},
	} {
		if got := resultRecord(tc.run, tc.err, engineT0, later, backoff, 3); got != tc.want {
			t.Errorf("%s: resultRecord = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCancelStep(t *testing.T) {
	t.Parallel()
	run := Attempt{Kind: AttemptRun, Until: engineT0.Add(time.Minute)}
	for _, tc := range []struct {
		name  string
		rec   Attempt
		stale bool
		next  bool
	}{
		{"done", Attempt{Kind: AttemptDone, Outcome: TimerFired}, false, false},
		{"live run", run, false, false},
		{"stale run", run, true, true},
		{"expired run", Attempt{Kind: AttemptRun, Until: engineT0}, false, true},
		{"retry in back-off", Attempt{Kind: AttemptRetry, Until: engineT0.Add(time.Hour)}, false, true},
	} {
		if next, _ := cancelStep(tc.rec, engineT0, tc.stale); next != tc.next {
			t.Errorf("%s: cancelStep next = %v, want %v", tc.name, next, tc.next)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for runs, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second, 10: 5 * time.Minute, 50: 5 * time.Minute} {
		if got := defaultBackoff(runs); got != want {
			t.Errorf("defaultBackoff(%d) = %v, want %v", runs, got, want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	recs := []Attempt{
		{Slot: 0, Kind: AttemptRun, Runs: 1},
		{Slot: 1, Kind: AttemptRetry, Runs: 1, Error: "down"},
		{Slot: 2, Kind: AttemptRun, Runs: 2},
		{Slot: 3, Kind: AttemptDone, Outcome: TimerFired, Runs: 2, FiredAt: engineT0},
	}
	got := statusOf(recs)
	if got.State != TimerFired || got.Runs != 2 || got.LastError != "down" || !got.FiredAt.Equal(engineT0) {
		t.Errorf("statusOf = %+v", got)
	}
	if got := statusOf(nil); got.State != TimerPending || got.Runs != 0 {
		t.Errorf("statusOf(nil) = %+v", got)
	}
}
