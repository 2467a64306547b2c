package escalation_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestJobRunClaimedOnce: two instances (two clients) run the same
// scheduled execution at once; one runs it, the other skips it quietly.
func TestJobRunClaimedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbs := storetest.NewClients(t, 2)
	var runs atomic.Int64
	var jobs []*escalation.Jobs
	for i, db := range dbs {
		j := escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Owner: []string{"a", "b"}[i], Logger: testLogger(t)})
		if err := j.Add("coverage", "*/5 * * * *", func(context.Context) error { runs.Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	at := time.Date(2026, 3, 21, 9, 15, 0, 0, time.UTC)
	var ran atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		for _, j := range jobs {
			wg.Go(func() {
				ok, err := j.RunNow(ctx, "coverage", at)
				if err != nil {
					t.Error(err)
				}
				if ok {
					ran.Add(1)
				}
			})
		}
	}
	wg.Wait()
	if runs.Load() != 1 || ran.Load() != 1 {
		t.Errorf("ran %d times (%d reported), want once", runs.Load(), ran.Load())
	}
	// The same time in another zone is the same run.
	if ok, err := jobs[1].RunNow(ctx, "coverage", at.In(time.FixedZone("CST", 8*3600))); ok || err != nil {
		t.Errorf("RunNow of a claimed run = %v, %v", ok, err)
	}
	if ok, err := jobs[1].RunNow(ctx, "coverage", at.Add(5*time.Minute)); !ok || err != nil {
		t.Errorf("RunNow of the next run = %v, %v", ok, err)
	}
	recs, err := dbs[0].JobRuns().Runs(ctx, "coverage")
	if err != nil || len(recs) != 2 || !recs[0].Scheduled.Equal(at) || recs[0].FinishedAt.IsZero() || recs[0].Error != "" {
		t.Errorf("recorded runs = %+v, %v", recs, err)
	}
	if _, err := jobs[0].RunNow(ctx, "nope", at); err == nil {
		t.Error("RunNow of an unknown job succeeded")
	}
}

func TestJobPanicAndTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	j := escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Timeout: 50 * time.Millisecond, Logger: testLogger(t)})
	if err := j.Add("digest", "@daily", func(context.Context) error { panic("template missing") }); err != nil {
		t.Fatal(err)
	}
	if err := j.Add("slow", "@hourly", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC)
	ok, err := j.RunNow(ctx, "digest", at)
	if !ok || err == nil || !strings.Contains(err.Error(), "panic: template missing") {
		t.Errorf("RunNow of a panicking job = %v, %v", ok, err)
	}
	ok, err = j.RunNow(ctx, "slow", at)
	if !ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunNow of a job past its timeout = %v, %v", ok, err)
	}
	recs, err := db.JobRuns().Runs(ctx, "digest")
	if err != nil || len(recs) != 1 || !strings.Contains(recs[0].Error, "template missing") {
		t.Errorf("recorded digest runs = %+v, %v", recs, err)
	}
	for _, bad := range []struct{ name, spec string }{{"x", "every minute"}, {"", "@daily"}, {"a@b", "@daily"}, {"digest", "@daily"}, {"y", "@every 1500ms"}} {
		if err := j.Add(bad.name, bad.spec, func(context.Context) error { return nil }); err == nil {
			t.Errorf("Add(%q, %q) succeeded", bad.name, bad.spec)
		}
	}
}

// TestJobsCron lets cron drive two instances with "@every 1s" for a
// little over two seconds: every activation runs once, on one instance,
// and a panic does not stop the next run.
func TestJobsCron(t *testing.T) {
	t.Parallel()
	dbs := storetest.NewClients(t, 2)
	var mu sync.Mutex
	seen := map[int64]int{}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, db := range dbs {
		j := escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Logger: testLogger(t)})
		err := j.Add("tick", "@every 1s", func(context.Context) error {
			now := time.Now().Unix()
			mu.Lock()
			seen[now]++
			n := len(seen)
			mu.Unlock()
			if n == 1 {
				panic("first run")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { _ = j.Run(ctx) })
	}
	time.Sleep(2300 * time.Millisecond)
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 {
		t.Errorf("ran in %d distinct seconds, want at least 2", len(seen))
	}
	for sec, n := range seen {
		if n != 1 {
			t.Errorf("second %d ran %d times", sec, n)
		}
	}
	recs, err := dbs[0].JobRuns().Runs(context.Background(), "tick")
	if err != nil || len(recs) != len(seen) {
		t.Errorf("recorded %d runs, %v; want %d", len(recs), err, len(seen))
	}
}
