package escalation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

var start = time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)

// clock is a fake clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: start} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// firings records what a FireFunc was called with, in order.
type firings struct {
	mu   sync.Mutex
	keys []string
	err  func(t escalation.Timer, n int) error // the n-th call for t (from 1); nil: succeed
	per  map[string]int
}

func (f *firings) fire(_ context.Context, t escalation.Timer) error {
	f.mu.Lock()
	if f.per == nil {
		f.per = map[string]int{}
	}
	f.per[t.Key]++
	n := f.per[t.Key]
	f.keys = append(f.keys, t.Key)
	errf := f.err
	f.mu.Unlock()
	if errf != nil {
		return errf(t, n)
	}
	return nil
}

func (f *firings) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys)
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("TIMER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newEngine(t testing.TB, db *store.DB, c *clock, fire escalation.FireFunc, o escalation.EngineOptions) *escalation.Engine {
	t.Helper()
	if c != nil {
		o.Now = c.Now
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	return escalation.NewEngine(db.Timers(), fire, o)
}

// timer makes an acknowledgement-step timer of incident n, due after d.
func timer(n int, d time.Duration) escalation.Timer {
	due := start.Add(d)
	inc := fmt.Sprintf("INC-2026-%06d", n)
	return escalation.Timer{
		Key: fmt.Sprintf("%s/serious/ack/step1/r%d/%s", inc, int(d/time.Second), due.Format("20060102T150405Z")), Incident: inc,
		Level: incident.Level("serious"), Kind: escalation.TimerAckStep, DueAt: due, Step: 1, Repeat: int(d / time.Second),
	}
}

func tick(t *testing.T, e *escalation.Engine, want int) {
	t.Helper()
	n, err := e.Tick(context.Background())
	if err != nil || n != want {
		t.Fatalf("Tick = %d, %v; want %d", n, err, want)
	}
}

func status(t *testing.T, e *escalation.Engine, key string) escalation.TimerStatus {
	t.Helper()
	s, err := e.Status(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTickFiresDueTimersInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	var f firings
	e := newEngine(t, storetest.New(t), c, f.fire, escalation.EngineOptions{Workers: 1})
	t3, t1, t2 := timer(1, 3*time.Minute), timer(1, time.Minute), timer(2, 2*time.Minute)
	if err := e.Schedule(ctx, []escalation.Timer{t3, t1, t2}); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 0)
	c.Add(150 * time.Second)
	tick(t, e, 2)
	if got := f.got(); !slices.Equal(got, []string{t1.Key, t2.Key}) {
		t.Errorf("fired %v, want %s then %s", got, t1.Key, t2.Key)
	}
	tick(t, e, 0)
	c.Add(time.Hour)
	tick(t, e, 1)
	tick(t, e, 0)
	if s := status(t, e, t1.Key); s.State != escalation.TimerFired || s.Runs != 1 || !s.FiredAt.Equal(start.Add(150*time.Second)) {
		t.Errorf("status of %s = %+v", t1.Key, s)
	}
}

func TestScheduleIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	db := storetest.New(t)
	var f firings
	e := newEngine(t, db, c, f.fire, escalation.EngineOptions{})
	other := newEngine(t, db, c, f.fire, escalation.EngineOptions{})
	tm := timer(1, time.Minute)
	if err := e.Schedule(ctx, []escalation.Timer{tm, tm}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			eng := e
			if i%2 == 1 {
				eng = other
			}
			if err := eng.Schedule(ctx, []escalation.Timer{tm, timer(2, time.Minute)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := db.Timers().Timers(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("stored %d timers, %v; want 2", len(all), err)
	}
	c.Add(time.Minute)
	tick(t, e, 2)
	tick(t, other, 0)
	// Scheduling a fired timer again does nothing either.
	if err := other.Schedule(ctx, []escalation.Timer{tm}); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 0)
	tick(t, other, 0)
	if got := f.got(); len(got) != 2 {
		t.Errorf("fired %v, want each timer once", got)
	}

	if err := e.Schedule(ctx, []escalation.Timer{{Key: "no due time"}}); !errors.Is(err, escalation.ErrInvalidTimer) {
		t.Errorf("Schedule without a due time = %v", err)
	}
	// A timer due before the retention period is not stored.
	old := timer(3, -8*24*time.Hour)
	if err := e.Schedule(ctx, []escalation.Timer{old}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Timers().Timer(ctx, old.Key); !errors.Is(err, escalation.ErrNoRecord) {
		t.Errorf("a timer due 8 days ago was stored: %v", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	db := storetest.New(t)
	var f firings
	e := newEngine(t, db, c, f.fire, escalation.EngineOptions{})
	a, b, d := timer(1, time.Minute), timer(1, 2*time.Minute), timer(2, time.Minute)
	if err := e.Schedule(ctx, []escalation.Timer{a, b, d}); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 0)
	// Cancelled here (b) and by another instance (d), plus an unknown key.
	if err := e.Cancel(ctx, []string{b.Key, "INC-2026-000009/nothing"}); err != nil {
		t.Fatal(err)
	}
	other := newEngine(t, db, c, f.fire, escalation.EngineOptions{})
	if err := other.Cancel(ctx, []string{d.Key}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.Pending(ctx, a.Incident); err != nil || len(p) != 1 || p[0].Key != a.Key {
		t.Errorf("Pending = %v, %v; want only %s", p, err, a.Key)
	}
	c.Add(time.Hour)
	tick(t, e, 1)
	if got := f.got(); !slices.Equal(got, []string{a.Key}) {
		t.Errorf("fired %v, want only %s", got, a.Key)
	}
	for key, want := range map[string]escalation.TimerState{a.Key: escalation.TimerFired, b.Key: escalation.TimerCancelled, d.Key: escalation.TimerCancelled} {
		if s := status(t, e, key); s.State != want {
			t.Errorf("%s is %s, want %s", key, s.State, want)
		}
	}
	// Cancelling a fired timer changes nothing.
	if err := e.Cancel(ctx, []string{a.Key}); err != nil {
		t.Fatal(err)
	}
	if s := status(t, e, a.Key); s.State != escalation.TimerFired || len(s.Records) != 2 {
		t.Errorf("after cancelling a fired timer: %+v", s)
	}
}

func TestFailedFireIsRetriedThenDead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	boom := errors.New("chat is down")
	f := firings{err: func(t escalation.Timer, n int) error {
		if strings.HasPrefix(t.Key, "INC-2026-000002") && n == 3 {
			return nil // the second timer works on its third run
		}
		return boom
	}}
	e := newEngine(t, storetest.New(t), c, f.fire, escalation.EngineOptions{
		MaxAttempts: 3,
		Backoff:     func(runs int) time.Duration { return time.Duration(runs) * time.Minute },
	})
	dead, late := timer(1, 0), timer(2, 0)
	if err := e.Schedule(ctx, []escalation.Timer{dead, late}); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 0) // two failed runs
	if s := status(t, e, dead.Key); s.State != escalation.TimerPending || s.Runs != 1 || s.LastError != boom.Error() {
		t.Errorf("after one failure: %+v", s)
	}
	tick(t, e, 0) // the back-off holds
	c.Add(time.Minute)
	tick(t, e, 0) // second runs
	c.Add(time.Minute)
	tick(t, e, 0) // back-off is 2 min now
	c.Add(time.Minute)
	tick(t, e, 1) // third runs: one dead, one fired
	c.Add(time.Hour)
	tick(t, e, 0)
	if s := status(t, e, dead.Key); s.State != escalation.TimerDead || s.Runs != 3 || s.LastError != boom.Error() {
		t.Errorf("dead timer: %+v", s)
	}
	if s := status(t, e, late.Key); s.State != escalation.TimerFired || s.Runs != 3 {
		t.Errorf("timer that worked on its third run: %+v", s)
	}
	if got := len(f.got()); got != 6 {
		t.Errorf("%d runs, want 6", got)
	}
	if p, _ := e.Pending(ctx, dead.Incident); len(p) != 0 {
		t.Errorf("a dead timer is pending: %v", p)
	}
}

func TestPanicInFireIsRecovered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	calls := 0
	var mu sync.Mutex
	fire := func(_ context.Context, t escalation.Timer) error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			panic("nil map somewhere")
		}
		return nil
	}
	e := newEngine(t, storetest.New(t), c, fire, escalation.EngineOptions{Backoff: func(int) time.Duration { return time.Second }})
	tm := timer(1, 0)
	if err := e.Schedule(ctx, []escalation.Timer{tm}); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 0)
	if s := status(t, e, tm.Key); s.State != escalation.TimerPending || !strings.Contains(s.LastError, "panic: nil map somewhere") {
		t.Errorf("after a panic: %+v", s)
	}
	c.Add(time.Second)
	tick(t, e, 1)
}

func TestPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	db := storetest.New(t)
	var f firings
	e := newEngine(t, db, c, f.fire, escalation.EngineOptions{})
	ts := []escalation.Timer{timer(1, 3*time.Minute), timer(1, time.Minute), timer(2, time.Minute), timer(1, 2*time.Minute)}
	if err := e.Schedule(ctx, ts); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 0)
	c.Add(time.Minute)
	tick(t, e, 2)
	want := []string{ts[3].Key, ts[0].Key}
	// The loaded engine answers from memory; a fresh one from the store.
	for name, eng := range map[string]*escalation.Engine{"loaded": e, "fresh": newEngine(t, db, c, f.fire, escalation.EngineOptions{})} {
		p, err := eng.Pending(ctx, ts[0].Incident)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, tm := range p {
			keys = append(keys, tm.Key)
		}
		if !slices.Equal(keys, want) {
			t.Errorf("%s: Pending = %v, want %v", name, keys, want)
		}
		if p, err := eng.Pending(ctx, "INC-2026-000404"); err != nil || len(p) != 0 {
			t.Errorf("%s: Pending of an incident without timers = %v, %v", name, p, err)
		}
	}
}

// TestLeaseTakeover: instance A claims a timer and hangs (its FireFunc
// blocks until its context ends); B fires the timer once the lease has
// expired, and A's late result is refused.
func TestLeaseTakeover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	dbs := storetest.NewClients(t, 2)
	started := make(chan struct{})
	hang := func(ctx context.Context, _ escalation.Timer) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	const lease = 2 * time.Second
	a := newEngine(t, dbs[0], c, hang, escalation.EngineOptions{Owner: "a", Lease: lease})
	var f firings
	b := newEngine(t, dbs[1], c, f.fire, escalation.EngineOptions{Owner: "b", Lease: lease})
	tm := timer(1, 0)
	if err := a.Schedule(ctx, []escalation.Timer{tm}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := a.Tick(ctx)
		done <- err
	}()
	<-started
	tick(t, b, 0) // A's claim holds
	c.Add(lease + time.Millisecond)
	tick(t, b, 1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := status(t, b, tm.Key)
	if s.State != escalation.TimerFired || len(s.Records) != 3 ||
		s.Records[0].Owner != "a" || s.Records[1].Owner != "b" || s.Records[2].Owner != "b" {
		t.Errorf("records: %+v", s.Records)
	}
	tick(t, a, 0)
	tick(t, b, 0)
	if got := f.got(); len(got) != 1 {
		t.Errorf("B fired %v", got)
	}
}

// TestStaleClaim: a claim left by an instance that died is taken over once
// it has expired, and a claim left under this instance's own name by a
// process that died is taken over at once.
func TestStaleClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	db := storetest.New(t)
	var f firings
	e := newEngine(t, db, c, f.fire, escalation.EngineOptions{Owner: "hub-1"})
	ghost, mine := timer(1, 0), timer(2, 0)
	if err := e.Schedule(ctx, []escalation.Timer{ghost, mine}); err != nil {
		t.Fatal(err)
	}
	claim := func(tm escalation.Timer, owner string) escalation.Attempt {
		return escalation.Attempt{Key: tm.Key, Slot: 0, Kind: escalation.AttemptRun, Owner: owner, At: start, Until: start.Add(30 * time.Second), Runs: 1, DueAt: tm.DueAt}
	}
	if _, err := db.Timers().InsertAttempts(ctx, []escalation.Attempt{claim(ghost, "ghost"), claim(mine, "hub-1")}); err != nil {
		t.Fatal(err)
	}
	tick(t, e, 1)
	if got := f.got(); !slices.Equal(got, []string{mine.Key}) {
		t.Errorf("fired %v, want %s (its claim is this name's, left by a dead process)", got, mine.Key)
	}
	c.Add(30*time.Second - time.Millisecond)
	tick(t, e, 0) // the ghost's lease ends at +30s
	c.Add(time.Millisecond)
	tick(t, e, 1)
	if s := status(t, e, ghost.Key); s.State != escalation.TimerFired || s.Runs != 2 {
		t.Errorf("ghost's timer: %+v", s)
	}
}

// TestRestart: an engine stops with timers pending; after the clock has
// moved, a new engine on the same store fires the due ones once on its
// first Tick, and the old engine's memory does not fire them again.
func TestRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	db := storetest.New(t)
	var f firings
	old := newEngine(t, db, c, f.fire, escalation.EngineOptions{Owner: "old"})
	ts := []escalation.Timer{timer(1, time.Minute), timer(2, 2*time.Minute), timer(3, 10*time.Minute)}
	if err := old.Schedule(ctx, ts); err != nil {
		t.Fatal(err)
	}
	tick(t, old, 0)
	c.Add(5 * time.Minute)
	fresh := newEngine(t, db, c, f.fire, escalation.EngineOptions{Owner: "new"})
	tick(t, fresh, 2)
	tick(t, fresh, 0)
	tick(t, old, 0)
	if got := f.got(); len(got) != 2 || !slices.Contains(got, ts[0].Key) || !slices.Contains(got, ts[1].Key) {
		t.Errorf("fired %v, want %s and %s once", got, ts[0].Key, ts[1].Key)
	}
	c.Add(5 * time.Minute)
	tick(t, fresh, 1)
}

// TestRunRestartsAndHandsOver runs engines with the real clock: the
// first leads and fires; stopped, it gives up its lease, and a second
// instance takes over at its next poll and fires what fell due meanwhile,
// once. Then the second "crashes" (its client closes while it leads) and a
// process under the same name takes over at once instead of waiting for
// the lease.
func TestRunRestartsAndHandsOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbs := storetest.NewClients(t, 3)
	var mu sync.Mutex
	fired := map[string][]string{}
	fireAs := func(name string) escalation.FireFunc {
		return func(_ context.Context, t escalation.Timer) error {
			mu.Lock()
			fired[t.Key] = append(fired[t.Key], name)
			mu.Unlock()
			return nil
		}
	}
	firedBy := func(key string) []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(fired[key])
	}
	waitFired := func(key string, within time.Duration) []string {
		t.Helper()
		deadline := time.Now().Add(within)
		for time.Now().Before(deadline) {
			if got := firedBy(key); len(got) > 0 {
				time.Sleep(100 * time.Millisecond) // a second firing would show now
				return firedBy(key)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s did not fire within %s", key, within)
		return nil
	}
	opts := func(owner string) escalation.EngineOptions {
		return escalation.EngineOptions{Owner: owner, Lease: 30 * time.Second, Poll: 100 * time.Millisecond, Logger: testLogger(t)}
	}
	one := escalation.NewEngine(dbs[0].Timers(), fireAs("one"), opts("one"))
	two := escalation.NewEngine(dbs[1].Timers(), fireAs("two"), opts("hub"))
	ctx1, stop1 := context.WithCancel(ctx)
	ctx2, stop2 := context.WithCancel(ctx)
	defer stop2()
	run1, run2 := make(chan error, 1), make(chan error, 1)
	go func() { run1 <- one.Run(ctx1) }()
	time.Sleep(300 * time.Millisecond) // one leads
	go func() { run2 <- two.Run(ctx2) }()

	now := time.Now()
	// Due after the follower's near-due horizon (3 polls): the leader
	// hears of it through the events and fires it.
	first := escalation.Timer{Key: "INC-1/a", Incident: "INC-1", Kind: escalation.TimerAckStep, DueAt: now.Add(time.Second)}
	if err := two.Schedule(ctx, []escalation.Timer{first}); err != nil { // scheduled by the follower
		t.Fatal(err)
	}
	if got := waitFired(first.Key, slow*5*time.Second); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("first timer fired by %v, want the leader once", got)
	}
	stop1()
	if err := <-run1; err != nil {
		t.Fatal(err)
	}
	second := escalation.Timer{Key: "INC-1/b", Incident: "INC-1", Kind: escalation.TimerAckStep, DueAt: time.Now().Add(-time.Second)}
	if err := one.Schedule(ctx, []escalation.Timer{second}); err != nil { // stored while nobody leads
		t.Fatal(err)
	}
	if got := waitFired(second.Key, slow*5*time.Second); !slices.Equal(got, []string{"two"}) {
		t.Fatalf("second timer fired by %v, want the new leader once", got)
	}

	// "hub" dies while leading: its connection goes first, then its loop.
	third := escalation.Timer{Key: "INC-1/c", Incident: "INC-1", Kind: escalation.TimerAckStep, DueAt: time.Now().Add(time.Second)}
	if err := two.Schedule(ctx, []escalation.Timer{third}); err != nil {
		t.Fatal(err)
	}
	if err := dbs[1].Close(ctx); err != nil {
		t.Fatal(err)
	}
	stop2()
	<-run2
	again := escalation.NewEngine(dbs[2].Timers(), fireAs("hub again"), opts("hub"))
	ctx3, stop3 := context.WithCancel(ctx)
	run3 := make(chan error, 1)
	go func() { run3 <- again.Run(ctx3) }()
	if got := waitFired(third.Key, slow*5*time.Second); !slices.Equal(got, []string{"hub again"}) {
		t.Errorf("third timer fired by %v, want the restarted hub once, well before the 30 s lease", got)
	}
	stop3()
	<-run3
}

// TestPurge: after the retention period, finished timers go with their
// records, a timer still pending (its engine was down all that time)
// stays, and a purged key cannot be scheduled again.
func TestPurge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	db := storetest.New(t)
	fire := func(_ context.Context, tm escalation.Timer) error {
		if tm.Incident == "INC-2026-000003" {
			return errors.New("keeps failing")
		}
		return nil
	}
	e := newEngine(t, db, c, fire, escalation.EngineOptions{})
	fired, cancelled, failing, later := timer(1, time.Minute), timer(2, time.Minute), timer(3, time.Minute), timer(4, 9*24*time.Hour)
	if err := e.Schedule(ctx, []escalation.Timer{fired, cancelled, failing, later}); err != nil {
		t.Fatal(err)
	}
	if err := e.Cancel(ctx, []string{cancelled.Key}); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	tick(t, e, 1) // the failing one waits for its retry
	c.Add(8 * 24 * time.Hour)
	if err := e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Timers().Timers(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tm := range stored {
		keys = append(keys, tm.Key)
	}
	if !slices.Equal(keys, []string{failing.Key, later.Key}) {
		t.Errorf("stored after purge: %v", keys)
	}
	if s := status(t, e, fired.Key); len(s.Records) != 0 {
		t.Errorf("records of a purged timer: %+v", s.Records)
	}
	if s := status(t, e, failing.Key); s.State != escalation.TimerPending || s.Runs != 1 {
		t.Errorf("the failing timer: %d runs, %s", s.Runs, s.State)
	}
	if err := e.Schedule(ctx, []escalation.Timer{fired}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Timers().Timer(ctx, fired.Key); !errors.Is(err, escalation.ErrNoRecord) {
		t.Errorf("a purged key was scheduled again: %v", err)
	}
}
