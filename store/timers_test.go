package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func testTimer(n int, due time.Time) escalation.Timer {
	return escalation.Timer{
		Key:      fmt.Sprintf("INC-2026-%06d/serious/ack/step1/r0/%s", n, due.UTC().Format("20060102T150405Z")),
		Incident: fmt.Sprintf("INC-2026-%06d", n), Level: incident.Level("serious"), Kind: escalation.TimerAckStep,
		DueAt: due, Step: 1,
	}
}

func TestTimersInsertOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Timers()

	a, b := testTimer(1, t0), testTimer(2, t0.Add(time.Minute))
	b.Kind, b.Deadline, b.Stage = escalation.TimerDeadline, escalation.DeadlineConfirm, incident.Confirm
	got, err := st.InsertTimers(ctx, []escalation.Timer{a, b}, t0)
	if err != nil || len(got) != 2 {
		t.Fatalf("InsertTimers = %v, %v", got, err)
	}
	// Ten concurrent calls with one old and one new key: the new key is
	// stored by exactly one of them, the old by none.
	c := testTimer(3, t0.Add(2*time.Minute))
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			got, err := st.InsertTimers(ctx, []escalation.Timer{a, c}, t0)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, k := range got {
				wins[k]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(wins) != 1 || wins[c.Key] != 1 {
		t.Errorf("concurrent inserts stored %v, want %s once", wins, c.Key)
	}

	if got, err := st.Timer(ctx, b.Key); err != nil || !sameTimer(got, b) {
		t.Errorf("Timer = %+v, %v; want %+v", got, err, b)
	}
	if _, err := st.Timer(ctx, "nope"); !errors.Is(err, escalation.ErrNoRecord) {
		t.Errorf("Timer(nope) = %v, want ErrNoRecord", err)
	}
	all, err := st.Timers(ctx, "")
	if err != nil || len(all) != 3 || all[0].Key != a.Key || all[2].Key != c.Key {
		t.Errorf("Timers() = %v, %v", all, err)
	}
	one, err := st.Timers(ctx, b.Incident)
	if err != nil || len(one) != 1 || !sameTimer(one[0], b) {
		t.Errorf("Timers(%s) = %v, %v", b.Incident, one, err)
	}
}

func sameTimer(a, b escalation.Timer) bool {
	a.DueAt, b.DueAt = a.DueAt.UTC(), b.DueAt.UTC()
	return a == b
}

// TestTimerSlotsAcrossClients races three clients (three connections to
// the embedded server) for the same slots: each slot has one winner.
func TestTimerSlotsAcrossClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbs := storetest.NewClients(t, 3)
	const slots = 50
	wins := make([]int, slots)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, db := range dbs {
		st := db.Timers()
		for g := range 3 {
			wg.Go(func() {
				var batch []escalation.Attempt
				for s := range slots {
					batch = append(batch, escalation.Attempt{Key: "k", Slot: s, Kind: escalation.AttemptRun,
						Owner: fmt.Sprintf("c%d-g%d", i, g), At: t0, Until: t0.Add(time.Minute), Runs: 1, DueAt: t0})
				}
				stored, err := st.InsertAttempts(ctx, batch)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for s, ok := range stored {
					if ok {
						wins[s]++
					}
				}
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for s, n := range wins {
		if n != 1 {
			t.Errorf("slot %d has %d winners", s, n)
		}
	}
	recs, err := dbs[0].Timers().Attempts(ctx, []string{"k"})
	if err != nil || len(recs) != slots || recs[7].Slot != 7 {
		t.Errorf("Attempts = %d records, %v", len(recs), err)
	}
}

func TestTimerAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Timers()
	run := escalation.Attempt{Key: "a/b", Slot: 0, Kind: escalation.AttemptRun, Owner: "x", At: t0, Until: t0.Add(30 * time.Second), Runs: 1, DueAt: t0}
	done := escalation.Attempt{Key: "a/b", Slot: 1, Kind: escalation.AttemptDone, Outcome: escalation.TimerFired, Owner: "x", At: t0.Add(time.Second), Runs: 1, DueAt: t0, FiredAt: t0}
	stored, err := st.InsertAttempts(ctx, []escalation.Attempt{run, done, run})
	if err != nil || !stored[0] || !stored[1] || stored[2] {
		t.Fatalf("InsertAttempts = %v, %v; want [true true false]", stored, err)
	}
	if got, err := st.Attempt(ctx, "a/b", 1); err != nil || got != done {
		t.Errorf("Attempt(1) = %+v, %v; want %+v", got, err, done)
	}
	if _, err := st.Attempt(ctx, "a/b", 2); !errors.Is(err, escalation.ErrNoRecord) {
		t.Errorf("Attempt(2) = %v, want ErrNoRecord", err)
	}
	if got, err := st.Attempts(ctx, nil); err != nil || len(got) != 2 || got[0] != run {
		t.Errorf("Attempts(nil) = %+v, %v", got, err)
	}
	if got, err := st.Attempts(ctx, []string{}); err != nil || len(got) != 0 {
		t.Errorf("Attempts([]) = %+v, %v", got, err)
	}
}

func TestTimerEventsAndLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Timers()
	if n, err := st.LastEvent(ctx); err != nil || n != 0 {
		t.Fatalf("LastEvent on empty = %d, %v", n, err)
	}
	if _, err := st.LastLease(ctx); !errors.Is(err, escalation.ErrNoRecord) {
		t.Fatalf("LastLease on empty = %v", err)
	}
	for seq := int64(1); seq <= 12; seq++ {
		ev := escalation.TimerEvent{Seq: seq, Owner: "a", At: t0.Add(time.Duration(seq) * time.Minute), Cancelled: []string{"x"}}
		switch seq {
		case 3:
			ev.Cancelled, ev.Scheduled = nil, []escalation.Timer{testTimer(1, t0), testTimer(2, t0.Add(time.Minute))}
		case 4:
			ev.Cancelled, ev.Finished = nil, []string{"y", "z"}
		}
		if ok, err := st.InsertEvent(ctx, ev); !ok || err != nil {
			t.Fatalf("InsertEvent(%d) = %v, %v", seq, ok, err)
		}
		l := escalation.Lease{Epoch: seq, Owner: "a", At: ev.At, Until: ev.At.Add(time.Minute)}
		if ok, err := st.InsertLease(ctx, l); !ok || err != nil {
			t.Fatalf("InsertLease(%d) = %v, %v", seq, ok, err)
		}
	}
	if ok, err := st.InsertEvent(ctx, escalation.TimerEvent{Seq: 5, Owner: "b", At: t0}); ok || err != nil {
		t.Errorf("InsertEvent on a taken number = %v, %v", ok, err)
	}
	if ok, err := st.InsertLease(ctx, escalation.Lease{Epoch: 5, Owner: "b", At: t0, Until: t0}); ok || err != nil {
		t.Errorf("InsertLease on a taken epoch = %v, %v", ok, err)
	}
	ev, err := st.Event(ctx, 3)
	if err != nil || ev.Seq != 3 || ev.Owner != "a" || !ev.At.Equal(t0.Add(3*time.Minute)) || len(ev.Scheduled) != 2 ||
		!sameTimer(ev.Scheduled[0], testTimer(1, t0)) || !sameTimer(ev.Scheduled[1], testTimer(2, t0.Add(time.Minute))) || ev.Cancelled != nil {
		t.Errorf("Event(3) = %+v, %v", ev, err)
	}
	if ev, err := st.Event(ctx, 4); err != nil || len(ev.Finished) != 2 || ev.Finished[1] != "z" || ev.Scheduled != nil {
		t.Errorf("Event(4) = %+v, %v", ev, err)
	}
	if _, err := st.Event(ctx, 13); !errors.Is(err, escalation.ErrNoRecord) {
		t.Errorf("Event(13) = %v, want ErrNoRecord", err)
	}
	if n, err := st.LastEvent(ctx); err != nil || n != 12 {
		t.Errorf("LastEvent = %d, %v", n, err)
	}
	if l, err := st.LastLease(ctx); err != nil || l.Epoch != 12 || l.Owner != "a" {
		t.Errorf("LastLease = %+v, %v", l, err)
	}
	// Everything is older than the cut, but the last of each stays.
	n, err := st.PurgeLog(ctx, t0.Add(time.Hour))
	if err != nil || n != 22 {
		t.Errorf("PurgeLog = %d, %v; want 22", n, err)
	}
	if n, err := st.LastEvent(ctx); err != nil || n != 12 {
		t.Errorf("LastEvent after purge = %d, %v", n, err)
	}
	if _, err := st.Event(ctx, 11); !errors.Is(err, escalation.ErrNoRecord) {
		t.Errorf("Event(11) after purge = %v", err)
	}
	if l, err := st.LastLease(ctx); err != nil || l.Epoch != 12 {
		t.Errorf("LastLease after purge = %+v, %v", l, err)
	}
}

func TestPurgeTimers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Timers()
	var ts []escalation.Timer
	for i := range 12 {
		ts = append(ts, testTimer(i, t0.Add(time.Duration(i)*10*time.Minute)))
	}
	if _, err := st.InsertTimers(ctx, ts, t0); err != nil {
		t.Fatal(err)
	}
	var recs []escalation.Attempt
	for i, tm := range ts {
		recs = append(recs, escalation.Attempt{Key: tm.Key, Slot: 0, Kind: escalation.AttemptRun, Owner: "x", At: tm.DueAt, Until: tm.DueAt.Add(time.Minute), Runs: 1, DueAt: tm.DueAt})
		if i%3 != 2 { // 2, 5, 8, 11 stay pending
			recs = append(recs, escalation.Attempt{Key: tm.Key, Slot: 1, Kind: escalation.AttemptDone, Outcome: escalation.TimerFired, Owner: "x", At: tm.DueAt, Runs: 1, DueAt: tm.DueAt})
		}
	}
	if _, err := st.InsertAttempts(ctx, recs); err != nil {
		t.Fatal(err)
	}
	keys := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, ts[i].Key)
		}
		return out
	}
	// Before the cut (0..5), except the pending 2 and 5.
	n, err := st.PurgeTimers(ctx, time.Time{}, t0.Add(time.Hour), keys(2, 5))
	if err != nil || n != 4 {
		t.Fatalf("PurgeTimers = %d, %v; want 4", n, err)
	}
	left, err := st.Timers(ctx, "")
	if err != nil || len(left) != 8 {
		t.Fatalf("Timers after purge = %d, %v", len(left), err)
	}
	rest, err := st.Attempts(ctx, nil)
	if err != nil || len(rest) != len(recs)-8 {
		t.Errorf("Attempts after purge = %d, %v; want %d", len(rest), err, len(recs)-8)
	}
	for _, r := range rest {
		if r.Key == ts[0].Key || r.Key == ts[4].Key {
			t.Errorf("a record of a purged timer survived: %+v", r)
		}
	}
	// A span: 6, 7 and 8 (from is inclusive, to exclusive), nothing kept.
	if n, err := st.PurgeTimers(ctx, ts[6].DueAt, ts[9].DueAt, nil); err != nil || n != 3 {
		t.Errorf("PurgeTimers of a span = %d, %v; want 3", n, err)
	}
	if n, err := st.PurgeTimers(ctx, time.Time{}, t0.Add(time.Hour), keys(2, 5)); err != nil || n != 0 {
		t.Errorf("PurgeTimers again = %d, %v", n, err)
	}
	if left, _ := st.Timers(ctx, ""); len(left) != 5 {
		t.Errorf("%d timers left, want 5 (2, 5, 9, 10, 11)", len(left))
	}
}
