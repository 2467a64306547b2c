package incident

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func mustReview(t *testing.T, inc *Incident, cmd ReviewCommand, by Actor, when time.Time) *Incident {
	t.Helper()
	before := inc.Clone()
	next, err := DecideReview(inc, cmd, by, when)
	if err != nil {
		t.Fatalf("%T: %v", cmd, err)
	}
	if !equalIncidents(before, inc) {
		t.Fatalf("%T changed its input", cmd)
	}
	if next.Version != inc.Version+1 {
		t.Fatalf("%T: version %d → %d", cmd, inc.Version, next.Version)
	}
	return next
}

func TestEnteringReviewDraftsTheSummaryOnce(t *testing.T) {
	inc := planned(Handle, Serious)
	inc.Tasks[0].Status, inc.Tasks[2].Status = TaskDone, TaskWaived
	next, err := Decide(inc, TransitionInput{To: Review, Version: inc.Version}, handler, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Review.DraftedAt == nil || !next.Review.DraftedAt.Equal(now) || next.Review.Summary == "" {
		t.Fatalf("no draft: %+v", next.Review)
	}
	// The team rewrites it; going back and returning keeps their text.
	next = mustReview(t, next, WriteReview{Summary: "ours"}, handler, now)
	back, err := Decide(next, TransitionInput{To: Handle, Version: next.Version, Reason: "one more host"}, coord, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Decide(back, TransitionInput{To: Review, Version: back.Version}, coord, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.Review.Summary != "ours" || !again.Review.DraftedAt.Equal(now) {
		t.Fatalf("redrafted: %q %v", again.Review.Summary, again.Review.DraftedAt)
	}
}

func TestReviewCommands(t *testing.T) {
	inc := planned(Review, Serious)
	due := now.AddDate(0, 0, 14)
	inc = mustReview(t, inc, WriteReview{Summary: " s ", RootCause: "phish", Lessons: "mfa", WentWell: "fast",
		Impact: Impact{Systems: "mail"}}, handler, now)
	if r := inc.Review; r.Summary != "s" || r.Impact.Systems != "mail" || lastEntry(inc).Kind != EntryReviewWritten {
		t.Fatalf("write: %+v", r)
	}
	if _, err := DecideReview(inc, WriteReview{Summary: "s", RootCause: "phish", Lessons: "mfa", WentWell: "fast", Impact: Impact{Systems: "mail"}}, handler, now); !isInvalid(err, "") {
		t.Fatalf("an unchanged review is not a change: %v", err)
	}
	inc = mustReview(t, inc, AddAction{Title: "Enforce MFA", Owner: "li.na", Due: due}, handler, now)
	inc = mustReview(t, inc, AddAction{Title: "Drill", Owner: "wang.wei", Due: due}, handler, now)
	if ids := []string{inc.Review.Actions[0].ID, inc.Review.Actions[1].ID}; !slices.Equal(ids, []string{"a1", "a2"}) {
		t.Fatalf("ids %v", ids)
	}
	for _, bad := range []struct {
		cmd   AddAction
		field string
	}{{AddAction{Owner: "x", Due: due}, "title"}, {AddAction{Title: "x", Due: due}, "owner"}, {AddAction{Title: "x", Owner: "y"}, "due"}} {
		if _, err := DecideReview(inc, bad.cmd, handler, now); !isInvalid(err, bad.field) {
			t.Errorf("%+v: %v, want invalid %s", bad.cmd, err, bad.field)
		}
	}
	if _, err := DecideReview(inc, UpdateAction{ID: "a9", Status: ActionDone}, handler, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown action: %v", err)
	}
	if _, err := DecideReview(inc, UpdateAction{ID: "a1", Status: "finished"}, handler, now); !isInvalid(err, "status") {
		t.Fatalf("bad status: %v", err)
	}
	// Returned with comments: stays at review, comment kept, then signed off.
	if _, err := DecideReview(inc, ReturnReview{Comment: "  "}, boss, now); !isInvalid(err, "comment") {
		t.Fatalf("empty comment: %v", err)
	}
	inc = mustReview(t, inc, ReturnReview{Comment: "impact on data?"}, boss, now)
	if inc.Stage != Review || inc.Review.Returned == nil || inc.Review.Returned.Comment != "impact on data?" || inc.Review.Returns != 1 {
		t.Fatalf("return: %+v", inc.Review)
	}
	closed, err := Decide(inc, TransitionInput{To: Closed, Version: inc.Version}, boss, now)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Review.Returned != nil || closed.Review.SignedOffBy.ID != boss.ID {
		t.Fatalf("sign-off: %+v", closed.Review)
	}
	// After closure: actions are still tracked, the report is frozen.
	var refused *RefusedError
	if _, err := DecideReview(closed, WriteReview{Summary: "late"}, handler, now); !errors.As(err, &refused) {
		t.Fatalf("write after close: %v", err)
	}
	if _, err := DecideReview(closed, AddAction{Title: "x", Owner: "y", Due: due}, handler, now); !errors.As(err, &refused) {
		t.Fatalf("add after close: %v", err)
	}
	if _, err := DecideReview(closed, ReturnReview{Comment: "x"}, boss, now); !errors.As(err, &refused) {
		t.Fatalf("return after close: %v", err)
	}
	later := now.AddDate(0, 0, 20)
	if len(closed.Review.OpenActions()) != 2 || !closed.Review.Actions[0].Overdue(later) {
		t.Fatal("open actions after close")
	}
	done := mustReview(t, closed, UpdateAction{ID: "a1", Status: ActionDone, Note: "rolled out"}, handler, later)
	a := done.Review.Actions[0]
	if a.Status != ActionDone || a.DoneAt == nil || !a.DoneAt.Equal(later) || a.Overdue(later) || len(done.Review.OpenActions()) != 1 {
		t.Fatalf("done: %+v", a)
	}
}

func TestTimings(t *testing.T) {
	created := now
	d := Deadlines{Ack: 15 * time.Minute, Confirm: 30 * time.Minute, Dispatch: 2 * time.Hour, Handle: 72 * time.Hour}
	ack := created.Add(20 * time.Minute)
	inc := &Incident{Stage: Dispatch, CreatedAt: created, AckedAt: &ack,
		StageEnteredAt: map[Stage]time.Time{Receive: created, Confirm: created.Add(30 * time.Minute), Dispatch: created.Add(3 * time.Hour)}}
	got := Timings(inc, d, created.Add(4*time.Hour))
	want := []Timing{
		{Measure: MeasureAck, Reached: true, Took: 20 * time.Minute, Deadline: d.Ack, Missed: true},
		{Measure: MeasureConfirm, Reached: true, Took: 30 * time.Minute, Deadline: d.Confirm}, // on the deadline is in time
		{Measure: MeasureDispatch, Reached: true, Took: 3 * time.Hour, Deadline: d.Dispatch, Missed: true},
		{Measure: MeasureResolve, Deadline: d.Handle, Pending: true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("timings\n got %+v\nwant %+v", got, want)
	}
	if r := TimingOf(inc, MeasureResolve, d, created.Add(73*time.Hour)); !r.Missed || r.Pending {
		t.Fatalf("open past the deadline: %+v", r)
	}
	inc.Stage = Rejected
	if r := TimingOf(inc, MeasureResolve, d, created.Add(73*time.Hour)); r.Missed || r.Pending || r.Reached {
		t.Fatalf("rejected: %+v", r)
	}
}

func TestSummarizeNearestRank(t *testing.T) {
	m := time.Minute
	for _, c := range []struct {
		in        []time.Duration
		mean, p90 time.Duration
	}{
		{[]time.Duration{5 * m}, 5 * m, 5 * m},
		{[]time.Duration{10 * m, 1 * m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m}, 5*m + 30*time.Second, 9 * m},
		{[]time.Duration{1 * m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m, 10 * m, 11 * m}, 6 * m, 10 * m},
		{[]time.Duration{time.Second, 2 * time.Second}, 1500 * time.Millisecond, 2 * time.Second},
	} {
		got := Summarize(slices.Clone(c.in))
		if got.Count != len(c.in) || got.Mean != c.mean || got.P90 != c.p90 {
			t.Errorf("%v: %+v, want mean %v p90 %v", c.in, got, c.mean, c.p90)
		}
	}
	// 100,000 durations of two weeks: the sum overflows int64 nanoseconds.
	big := make([]time.Duration, 100_000)
	for i := range big {
		big[i] = 14 * 24 * time.Hour
	}
	big[0] += 100_000 // the mean moves by exactly one nanosecond
	if got := Summarize(big); got.Mean != 14*24*time.Hour+1 {
		t.Fatalf("large mean %v", got.Mean)
	}
	// Against a sort-and-index oracle on random data.
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 200; n++ {
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = time.Duration(r.IntN(1000)) * time.Second
		}
		sorted := slices.Clone(ds)
		slices.Sort(sorted)
		k := 0
		for k*10 < 9*n { // smallest k with k ≥ 0.9·n
			k++
		}
		if got := Summarize(ds); got.P90 != sorted[k-1] {
			t.Fatalf("n=%d: p90 %v, want %v", n, got.P90, sorted[k-1])
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0m", 15 * time.Minute: "15m", 2 * time.Hour: "2h", 74*time.Hour + 5*time.Minute: "3d2h5m", -90 * time.Minute: "-1h30m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
