package escalation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// JobStore records the claimed runs of periodic jobs (store.JobRuns
// implements it).
type JobStore interface {
	// ClaimRun stores r under JobRunID(r.Name, r.Scheduled) and reports
	// false, without error, when that run is already claimed.
	ClaimRun(ctx context.Context, r JobRun) (bool, error)
	// FinishRun records how a claimed run ended; runErr is "" on success.
	FinishRun(ctx context.Context, r JobRun, finished time.Time, runErr string) error
	// PurgeRuns deletes the runs scheduled before before.
	PurgeRuns(ctx context.Context, before time.Time) (int64, error)
}

// JobRun is one scheduled execution of a periodic job.
type JobRun struct {
	Name       string
	Scheduled  time.Time // the schedule's time, the same on every instance
	Owner      string    // the instance that claimed it
	StartedAt  time.Time
	FinishedAt time.Time // zero while running, or if the owner died
	Error      string
}

// JobRunID is the key that makes a scheduled run happen once across
// instances: "coverage@2026-03-21T09:15:00Z".
func JobRunID(name string, scheduled time.Time) string {
	return name + "@" + scheduled.UTC().Format(time.RFC3339)
}

// JobsOptions tune Jobs; zero values get defaults.
type JobsOptions struct {
	Owner   string        // unique per instance (default: random)
	Timeout time.Duration // how long one run may take (default 5 min)
	Logger  *slog.Logger
	Now     func() time.Time // default time.Now; cron itself runs on the real clock
}

// Jobs runs periodic jobs (rotation hand-offs, the coverage check, the daily
// digest, retention) on robfig/cron in UTC. Every instance runs the same
// cron, and each scheduled run is claimed once across instances by
// inserting its JobRunID: the loser skips it quietly. A run gets a timeout
// and panic recovery; a run whose owner dies is not repeated (jobs are
// periodic: the next run catches up).
//
// "@every <d>" schedules are aligned to multiples of d since the zero time
// (UTC), not to the moment an instance started, so that every instance
// computes the same run times and the claims meet.
type Jobs struct {
	st    JobStore
	o     JobsOptions
	log   *slog.Logger
	cron  *cron.Cron
	mu    sync.Mutex
	jobs  map[string]*job
	runMu sync.Mutex
	run   context.Context // the context Run was given, while it runs
}

type job struct {
	name  string
	sched cron.Schedule
	fn    func(context.Context) error
}

// NewJobs returns Jobs storing its claims in st.
func NewJobs(st JobStore, o JobsOptions) *Jobs {
	if o.Owner == "" {
		o.Owner = randomOwner()
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	j := &Jobs{st: st, o: o, log: o.Logger, jobs: map[string]*job{}}
	cl := cronLogger{o.Logger}
	j.cron = cron.New(
		cron.WithLocation(time.UTC),
		cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)),
	)
	return j
}

// Add registers job name on spec: a five-field cron expression in UTC
// ("17 3 * * *"), a descriptor ("@daily", "@hourly"), or "@every 10m".
// Names must be unique; add every job before Run.
func (j *Jobs) Add(name, spec string, run func(ctx context.Context) error) error {
	if name == "" || strings.Contains(name, "@") {
		return fmt.Errorf("add job %q: the name must be non-empty and without @", name)
	}
	sched, err := parseSpec(spec)
	if err != nil {
		return fmt.Errorf("add job %s: %w", name, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, dup := j.jobs[name]; dup {
		return fmt.Errorf("add job %s: already added", name)
	}
	jb := &job{name: name, sched: sched, fn: run}
	j.jobs[name] = jb
	j.cron.Schedule(sched, cron.FuncJob(func() { j.fromCron(jb) }))
	return nil
}

// Run starts the cron and blocks until ctx ends, then waits for the runs
// in progress, whose context ends with ctx, and returns nil.
func (j *Jobs) Run(ctx context.Context) error {
	j.runMu.Lock()
	j.run = ctx
	j.runMu.Unlock()
	j.cron.Start()
	<-ctx.Done()
	<-j.cron.Stop().Done()
	return nil
}

// fromCron runs jb for the activation cron has just started: the latest
// time of its schedule at or before now.
func (j *Jobs) fromCron(jb *job) {
	j.runMu.Lock()
	ctx := j.run
	j.runMu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := j.runClaimed(ctx, jb, lastActivation(jb.sched, j.o.Now())); err != nil && ctx.Err() == nil {
		j.log.Error("periodic job", "job", jb.name, "err", err)
	}
}

// RunNow runs the scheduled execution of job name at scheduled, if no
// instance has claimed it yet, and reports whether this call ran it. The
// job's own error is logged and returned; a panic is recovered and
// returned as an error.
func (j *Jobs) RunNow(ctx context.Context, name string, scheduled time.Time) (bool, error) {
	j.mu.Lock()
	jb := j.jobs[name]
	j.mu.Unlock()
	if jb == nil {
		return false, fmt.Errorf("run job %s: no such job", name)
	}
	return j.runClaimed(ctx, jb, scheduled)
}

// Purge deletes the records of runs scheduled before before.
func (j *Jobs) Purge(ctx context.Context, before time.Time) error {
	n, err := j.st.PurgeRuns(ctx, before)
	if err != nil {
		return err
	}
	if n > 0 {
		j.log.Info("purged job runs", "count", n)
	}
	return nil
}

func (j *Jobs) runClaimed(ctx context.Context, jb *job, scheduled time.Time) (bool, error) {
	r := JobRun{Name: jb.name, Scheduled: scheduled.UTC().Truncate(time.Second), Owner: j.o.Owner, StartedAt: j.o.Now()}
	won, err := j.st.ClaimRun(ctx, r)
	if err != nil {
		return false, err
	}
	if !won {
		j.log.Debug("job run claimed by another instance", "job", jb.name, "scheduled", r.Scheduled)
		return false, nil
	}
	runCtx, cancel := context.WithTimeout(ctx, j.o.Timeout)
	runErr := safeRun(runCtx, jb.fn)
	cancel()
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
		j.log.Error("job run failed", "job", jb.name, "scheduled", r.Scheduled, "err", runErr)
	} else {
		j.log.Debug("job run finished", "job", jb.name, "scheduled", r.Scheduled)
	}
	// The outcome is worth recording even when ctx has just ended.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	if err := j.st.FinishRun(fctx, r, j.o.Now(), msg); err != nil {
		j.log.Warn("record job run", "job", jb.name, "err", err)
	}
	return true, runErr
}

// safeRun calls fn, turning a panic into an error that carries the stack.
func safeRun(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(ctx)
}

// parseSpec parses a cron spec, aligning "@every" to the zero time.
func parseSpec(spec string) (cron.Schedule, error) {
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		every, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		if every < time.Second || every%time.Second != 0 {
			return nil, fmt.Errorf("schedule %q: the interval must be whole seconds", spec)
		}
		return alignedEvery(every), nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// alignedEvery activates at every multiple of itself since the zero time.
type alignedEvery time.Duration

func (d alignedEvery) Next(t time.Time) time.Time {
	return t.Truncate(time.Duration(d)).Add(time.Duration(d))
}

// lastActivation is the latest time of s at or before now: the activation
// cron is running. Cron starts a job a moment after its time; should it
// start one more than a day late (a suspended machine), the run is taken
// for one at now, to the second.
func lastActivation(s cron.Schedule, now time.Time) time.Time {
	if d, ok := s.(alignedEvery); ok {
		return now.Truncate(time.Duration(d))
	}
	t := s.Next(now.Add(-25 * time.Hour))
	if t.After(now) {
		return now.Truncate(time.Second)
	}
	for {
		n := s.Next(t)
		if n.After(now) || !n.After(t) {
			return t
		}
		t = n
	}
}

// cronLogger passes cron's messages to slog; its routine ones at debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

func randomOwner() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
