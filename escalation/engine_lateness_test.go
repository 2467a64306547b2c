package escalation_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// The lateness report is a measurement, not a test: it takes minutes and
// runs only when asked (see docs/benchmarks.md):
//
//	go test ./escalation -run TestLatenessReport -lateness -timeout 60m -v
var (
	lateness          = flag.Bool("lateness", false, "run TestLatenessReport (minutes; see docs/benchmarks.md)")
	latenessSizes     = flag.String("lateness.sizes", "10000,100000", "numbers of pending timers")
	latenessInstances = flag.String("lateness.instances", "1,3", "numbers of engine instances")
	latenessSpread    = flag.Duration("lateness.spread", time.Minute, "the timers fall due evenly over this long")
	latenessIdle      = flag.Duration("lateness.idle", 30*time.Second, "how long to measure the idle engine")
)

func TestLatenessReport(t *testing.T) {
	if !*lateness {
		t.Skip("a measurement: run with -lateness")
	}
	for _, n := range intList(t, *latenessSizes) {
		for _, k := range intList(t, *latenessInstances) {
			t.Run(fmt.Sprintf("timers=%d/instances=%d", n, k), func(t *testing.T) { measureLateness(t, n, k) })
		}
	}
	t.Run("idle", func(t *testing.T) { measureIdle(t, slices.Max(intList(t, *latenessSizes))) })
	t.Run("purge", func(t *testing.T) { measurePurge(t, slices.Max(intList(t, *latenessSizes))) })
}

func intList(t *testing.T, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("bad list %q", s)
		}
		out = append(out, n)
	}
	return out
}

// measureLateness starts k engines on k clients, schedules n timers
// through them (each instance a share, 1,000 per call), due evenly over
// the spread starting once the inserts should be done, and records the
// lateness of each first firing: when the FireFunc was called, minus the
// due time.
func measureLateness(t *testing.T, n, k int) {
	ctx := context.Background()
	var mu sync.Mutex
	first := make(map[string]time.Duration, n)
	calls := 0
	fire := func(_ context.Context, tm escalation.Timer) error {
		late := time.Since(tm.DueAt)
		mu.Lock()
		calls++
		if _, ok := first[tm.Key]; !ok {
			first[tm.Key] = late
		}
		mu.Unlock()
		return nil
	}
	dbs := storetest.NewClients(t, k)
	var engines []*escalation.Engine
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(ctx)
	defer func() { stop(); wg.Wait() }()
	for i, db := range dbs {
		e := escalation.NewEngine(db.Timers(), fire, escalation.EngineOptions{Owner: fmt.Sprintf("i%d", i), Logger: testLogger(t)})
		engines = append(engines, e)
		wg.Go(func() { _ = e.Run(runCtx) })
	}
	time.Sleep(500 * time.Millisecond)

	// About 0.1 ms per timer to insert and announce, on this machine.
	lead := 5*time.Second + time.Duration(n)*120*time.Microsecond*time.Duration(max(1, k/2))
	from := time.Now().Add(lead)
	ts := realTimers(n, n, from, from.Add(*latenessSpread))
	began := time.Now()
	var sw sync.WaitGroup
	for i, e := range engines {
		sw.Go(func() {
			for j := i * 1000; j < len(ts); j += len(engines) * 1000 {
				if err := e.Schedule(ctx, ts[j:min(j+1000, len(ts))]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	sw.Wait()
	scheduled := time.Since(began)
	if time.Now().After(from) {
		t.Logf("scheduling took %v, past the first due time: the first timers are late by construction", scheduled)
	}

	deadline := from.Add(*latenessSpread + 2*time.Minute)
	for {
		mu.Lock()
		done := len(first)
		mu.Unlock()
		if done == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	mu.Lock()
	lates := make([]time.Duration, 0, len(first))
	for _, l := range first {
		lates = append(lates, l)
	}
	doubled := calls - len(first)
	mu.Unlock()
	slices.Sort(lates)
	if len(lates) != n {
		t.Errorf("%d of %d timers fired", len(lates), n)
	}
	if doubled != 0 {
		t.Errorf("%d timers fired twice", doubled)
	}
	pct := func(p float64) time.Duration {
		return lates[min(len(lates)-1, int(float64(len(lates))*p))].Round(time.Millisecond)
	}
	t.Logf("RESULT timers=%d instances=%d spread=%v scheduled_in=%v fired=%d twice=%d lateness p50=%v p90=%v p99=%v max=%v",
		n, k, *latenessSpread, scheduled.Round(time.Millisecond), len(lates), doubled, pct(0.5), pct(0.9), pct(0.99), lates[len(lates)-1].Round(time.Millisecond))
}

// measureIdle stores n timers due in an hour, starts one engine, lets it
// load them, then measures the process's CPU time (the embedded server
// included: it runs in this process) and memory over the idle period.
func measureIdle(t *testing.T, n int) {
	ctx := context.Background()
	db := storetest.NewClients(t, 1)[0]
	e := escalation.NewEngine(db.Timers(), func(context.Context, escalation.Timer) error { return nil },
		escalation.EngineOptions{Owner: "idle", Logger: testLogger(t)})
	from := time.Now().Add(time.Hour)
	ts := realTimers(n, n, from, from.Add(time.Hour))
	began := time.Now()
	for chunk := range slices.Chunk(ts, 1000) {
		if _, err := db.Timers().InsertTimers(ctx, chunk, began); err != nil {
			t.Fatal(err)
		}
	}
	inserted := time.Since(began)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(runCtx) }()
	loadStart := time.Now()
	for !e.Leading() || !e.Ready() {
		time.Sleep(100 * time.Millisecond)
	}
	if p, err := e.Pending(ctx, ts[n-1].Incident); err != nil || len(p) != 1 {
		t.Fatalf("Pending = %v, %v", p, err)
	}
	loaded := time.Since(loadStart)
	time.Sleep(2 * time.Second)

	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(*latenessIdle)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	stop()
	<-done
	t.Logf("RESULT idle timers=%d inserted_in=%v loaded_in=%v cpu=%v over %v (%.2f%% of one core) heap_with_engine=%.1fMiB heap_before_engine=%.1fMiB rss=%s",
		n, inserted.Round(time.Millisecond), loaded.Round(time.Millisecond), cpu.Round(time.Millisecond), wall.Round(time.Second),
		100*cpu.Seconds()/wall.Seconds(), float64(after.HeapInuse)/(1<<20), float64(before.HeapInuse)/(1<<20), rss())
}

// measurePurge stores n fired timers (a run and a done record each), then
// times what scans them: loading the schedule (all finished) and the
// retention job deleting them all.
func measurePurge(t *testing.T, n int) {
	ctx := context.Background()
	db := storetest.NewClients(t, 1)[0]
	st := db.Timers()
	from := time.Now().Add(-time.Hour)
	ts := realTimers(n, n, from, from.Add(time.Minute))
	for chunk := range slices.Chunk(ts, 1000) {
		if _, err := st.InsertTimers(ctx, chunk, from); err != nil {
			t.Fatal(err)
		}
		var recs []escalation.Attempt
		for _, tm := range chunk {
			recs = append(recs,
				escalation.Attempt{Key: tm.Key, Slot: 0, Kind: escalation.AttemptRun, Owner: "x", At: tm.DueAt, Until: tm.DueAt.Add(30 * time.Second), Runs: 1, DueAt: tm.DueAt},
				escalation.Attempt{Key: tm.Key, Slot: 1, Kind: escalation.AttemptDone, Outcome: escalation.TimerFired, Owner: "x", At: tm.DueAt, Runs: 1, DueAt: tm.DueAt, FiredAt: tm.DueAt})
		}
		if _, err := st.InsertAttempts(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	later := func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	e := escalation.NewEngine(st, func(context.Context, escalation.Timer) error { return nil }, escalation.EngineOptions{Now: later, Logger: testLogger(t)})
	began := time.Now()
	if n, err := e.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("Tick = %d, %v", n, err)
	}
	loaded := time.Since(began)
	began = time.Now()
	if err := e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	purged := time.Since(began)
	left, err := st.Timers(ctx, "")
	if err != nil || len(left) != 0 {
		t.Errorf("%d timers left, %v", len(left), err)
	}
	t.Logf("RESULT purge finished_timers=%d records=%d load_all_finished=%v purge=%v", n, 2*n, loaded.Round(time.Millisecond), purged.Round(time.Millisecond))
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
