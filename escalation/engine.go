package escalation

// The timer engine: durable timers in the store, fired once by any number
// of instances sharing it.
//
// # Claims
//
// A timer's life is a row of numbered slots, records inserted into
// timer_claims under "<key>#<slot>", where an insert fails if the slot is
// taken: the one write that is atomic across connections on FerretDB as on
// MongoDB. Whoever inserts into a slot holds it:
//
//   - a run record: "I fire the timer until Until" (the lease);
//   - a retry record, written by the owner of the run before it, which
//     failed: "nobody runs it before Until" (the back-off);
//   - a done record: fired, cancelled or dead. Nothing follows it.
//
// To fire a timer an instance inserts a run into the next free slot n,
// calls the FireFunc with a context that ends before the lease does, and
// finishes by inserting the result (done, or retry) into slot n+1. An
// instance that finds slot n taken reads it: done means finished; a run or
// retry still in force means "look again at its Until"; an expired one
// means slot n+1 may be taken. So an instance that died holding a run is
// taken over after its lease, by whoever inserts slot n+1 first.
//
// Why a timer completes once: slot n+1 is inserted once, either by the
// owner of run n recording its result, or by a taker after run n expired,
// never both. A done record in slot n+1 stops everyone who reads the row;
// a taker's run in n+1 refuses the late owner's result (its insert fails,
// and it logs that it lost the claim). Completion is therefore recorded at
// most once per timer, and a run is only started in a slot that follows an
// expired or failed one.
//
// Why nothing is lost: a pending timer without a live run has a free next
// slot; the leader (below) holds every pending timer in memory and tries
// it when it is due, and a new leader starts by reloading every timer and
// record from the store.
//
// What can happen twice is the FireFunc's *attempt*: when its owner dies
// after the effect but before its done record, or when a FireFunc ignores
// its context and outlives the lease (or the clocks of two instances
// disagree by more than a tenth of the lease), a taker runs it again. The
// rule is therefore: at-least-once firing, exactly-once effects through
// keys. Everything a FireFunc produces must be keyed (pages by
// Timer.PageKey) so that a second attempt is a no-op.
//
// # The leader
//
// Any instance may fire any timer, but only one at a time fires every due
// timer: the holder of the current lease in timer_leases, a row of epochs
// inserted like the slots above (renewed by inserting the next epoch a
// third into the lease, taken over by inserting it once the last has
// expired). The others fire only what they scheduled themselves that falls
// due within three polls, before the leader can hear of it. So instances
// do not race for every timer, and the leader reads nothing per firing:
// its two inserts per timer are the whole cost.
//
// Every running instance loads the schedule when it starts (one scan of
// timers and timer_claims) and keeps it whole by reading timer_events, a
// gap-free numbered row of what each instance scheduled, cancelled and
// finished, by number: Pending is answered from memory everywhere, and
// scheduling a key that has fired costs no read.
//
// Why reads are avoided: on the embedded FerretDB every query scans its
// table, even one by _id (about 5 µs a document, 0.5 s with 100,000
// timers), and an update or delete by _id as well; only an insert is
// checked by an index. The engine's hot path is inserts; it reads a slot
// only when an insert found it taken, and scans only at start-up, on
// takeover and in the retention job. Events keep their payload in one
// string so that the leader's poll for the next one stays cheap.
//
// # Retention
//
// Timers and records are never updated. Purge (a periodic job) deletes
// finished timers due more than Retention ago with their records; the
// leader deletes events and leases older than an hour every ten minutes.
// Schedule ignores timers due more than Retention ago, so a purged key is
// never scheduled again.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FireFunc does a due timer's work. It must be idempotent by the keys of
// what it produces (pages carry Timer.PageKey): the engine guarantees
// at-most-once completion per claim and at-least-once attempt overall.
// Its context ends before the claim's lease does.
type FireFunc func(ctx context.Context, t Timer) error

// EngineOptions tune an engine; zero values get sensible defaults.
type EngineOptions struct {
	// Owner names this instance in claims and leases (default: host name
	// and random digits). It must be unique among running instances. An
	// instance that restarts under the same name takes over its own
	// claims and lease at once instead of waiting for them to expire:
	// give a stable name only where one process at a time can use it
	// (the embedded store's data directory is locked to one process).
	Owner  string
	Lease  time.Duration // how long a claim holds, and the leader's lease (default 30s)
	Poll   time.Duration // how often to look for timers scheduled by others (default 1s)
	Logger *slog.Logger
	Now    func() time.Time // default time.Now

	Workers     int                          // timers fired at once (default 32)
	MaxAttempts int                          // runs before a timer is dead (default 10)
	Backoff     func(runs int) time.Duration // wait after the runs-th failed run (default 1s doubling to 5 min)
	Retention   time.Duration                // how long finished timers are kept (default 7 days)
}

// Engine keeps, claims and fires timers. Its methods are safe for
// concurrent use; Run and Tick are not meant to be used together.
type Engine struct {
	st   TimerStore
	fire FireFunc
	o    EngineOptions
	log  *slog.Logger

	mu      sync.Mutex
	mem     *schedule
	firing  map[string]int // key → slot of the runs this process holds
	loading *loadState     // non-nil while a full load runs
	reload  bool           // load again before firing: this engine has just taken the lead
	cursor  int64          // last event applied,
	readAt  time.Time      // when the events were last read to the end
	ended   []finishedKey  // finished here, not yet announced
	trimmed time.Time      // when the leader last trimmed the events
	evHint  int64          // last event number seen or written,
	evAt    time.Time      // at this time (see staleAfter)
	lead    leadership

	running  atomic.Bool   // Run has started: the schedule is (being) loaded
	loaded   chan struct{} // closed by the first load
	loadOnce sync.Once

	sem  chan struct{} // one token per worker
	wake chan struct{}
	rec  recorder
}

// NewEngine returns an engine on st that calls fire for each due timer.
func NewEngine(st TimerStore, fire FireFunc, o EngineOptions) *Engine {
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = host + "-" + randomOwner()
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.Backoff == nil {
		o.Backoff = defaultBackoff
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	e := &Engine{
		st: st, fire: fire, o: o, log: o.Logger.With("owner", o.Owner),
		mem:    newSchedule(false),
		firing: map[string]int{},
		loaded: make(chan struct{}),
		sem:    make(chan struct{}, o.Workers),
		wake:   make(chan struct{}, 1),
	}
	e.rec.e = e
	return e
}

// Owner is the name this engine claims under.
func (e *Engine) Owner() string { return e.o.Owner }

// Leading reports whether this engine holds the leader's lease (for health
// pages and tests).
func (e *Engine) Leading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lead.mine
}

// Ready reports whether the engine has loaded the schedule and, if it
// leads, finished the reload that starts its term: until then a leader
// fires nothing and Pending waits (for readiness probes).
func (e *Engine) Ready() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mem.full && !e.reload
}

// known brings the schedule in memory up to date before it is consulted:
// a running engine keeps it so (wait for its first load if need be);
// another loads it on first use and then reads the events, as Tick does.
// Memory is what makes Pending and Schedule cheap: asking the store
// instead scans on FerretDB.
func (e *Engine) known(ctx context.Context) error {
	select {
	case <-e.loaded:
		if e.running.Load() {
			return nil
		}
	default:
		if e.running.Load() {
			select {
			case <-e.loaded:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return e.refresh(ctx, e.o.Now())
}

// ErrInvalidTimer is returned (wrapped) by Schedule for a timer without a
// key or a due time.
var ErrInvalidTimer = errors.New("escalation: a timer needs a key and a due time")

// nearDue is how far ahead the timers an instance schedules count as
// local: fired by this instance even when it does not lead, because the
// leader might not hear of them in time.
func (e *Engine) nearDue() time.Duration { return 3 * e.o.Poll }

// Schedule stores timers (insert-if-absent by Key: scheduling the same key
// twice is a no-op, even concurrently) and wakes the loop if one is
// earlier than what it waits for. Timers due more than Retention ago are
// skipped (see the package notes on retention). On error some timers may
// be stored: call again with the same timers.
func (e *Engine) Schedule(ctx context.Context, timers []Timer) error {
	now := e.o.Now()
	cutoff := now.Add(-e.o.Retention)
	seen := make(map[string]bool, len(timers))
	var ts []Timer
	for _, t := range timers {
		if t.Key == "" || t.DueAt.IsZero() {
			return fmt.Errorf("schedule timer %q: %w", t.Key, ErrInvalidTimer)
		}
		if seen[t.Key] {
			continue
		}
		seen[t.Key] = true
		if t.DueAt.Before(cutoff) {
			e.log.Debug("timer due before the retention period, not scheduled", "timer", t.Key, "due", t.DueAt)
			continue
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil
	}
	inserted, err := e.st.InsertTimers(ctx, ts, now)
	if err != nil {
		return fmt.Errorf("schedule timers: %w", err)
	}
	isNew := make(map[string]bool, len(inserted))
	for _, k := range inserted {
		isNew[k] = true
	}
	if len(inserted) < len(ts) {
		if err := e.known(ctx); err != nil {
			return fmt.Errorf("schedule timers: %w", err)
		}
	}
	// A key stored already is known here (pending or finished), or was
	// stored by a call that failed after the insert, or by another
	// instance a moment ago: its records tell.
	var add []loaded
	for _, t := range ts {
		if isNew[t.Key] {
			add = append(add, loaded{t, verdict{at: t.DueAt}})
			continue
		}
		e.mu.Lock()
		_, pending := e.mem.byKey[t.Key]
		_, finished := e.mem.done[t.Key]
		e.mu.Unlock()
		if pending || finished {
			continue
		}
		v, err := e.resolve(ctx, t.Key, now)
		if err != nil {
			return fmt.Errorf("schedule timers: %w", err)
		}
		if !v.finished {
			add = append(add, loaded{t, v})
		}
	}
	announce := make([]Timer, 0, len(add))
	wake := false
	e.mu.Lock()
	for _, k := range add {
		announce = append(announce, k.t)
		if e.loading != nil {
			e.loading.scheduled = append(e.loading.scheduled, k)
		}
		if !e.mem.full {
			continue // Tick or Run loads it
		}
		local := !k.t.DueAt.After(now.Add(e.nearDue()))
		if en, ok := e.mem.add(k.t, k.v.slot, k.v.runs, maxTime(k.v.at, k.t.DueAt), local); ok {
			wake = wake || !en.runAt.After(now.Add(e.o.Poll))
		}
	}
	e.mu.Unlock()
	if wake {
		e.signal()
	}
	for part := range slices.Chunk(announce, 500) {
		if err := e.announce(ctx, TimerEvent{Owner: e.o.Owner, At: now, Scheduled: part}); err != nil {
			return fmt.Errorf("schedule timers: %w", err)
		}
	}
	return nil
}

// Cancel stops pending timers by key (no-op for unknown/fired). A timer
// that is being fired at this moment is not interrupted, and fires.
func (e *Engine) Cancel(ctx context.Context, keys []string) error {
	if err := e.known(ctx); err != nil {
		return fmt.Errorf("cancel timers: %w", err)
	}
	now := e.o.Now()
	seen := map[string]bool{}
	var cancelled []string
	for _, key := range keys {
		if seen[key] {
			continue
		}
		seen[key] = true
		e.mu.Lock()
		en := e.mem.byKey[key]
		_, finished := e.mem.done[key]
		var t Timer
		slot, runs := 0, 0
		if en != nil {
			t, slot, runs = en.t, en.slot, en.runs
		}
		e.mu.Unlock()
		if finished {
			continue
		}
		if en == nil {
			var err error
			if t, err = e.st.Timer(ctx, key); errors.Is(err, ErrNoRecord) {
				continue
			} else if err != nil {
				return fmt.Errorf("cancel timer %s: %w", key, err)
			}
		}
		ok, err := e.cancelOne(ctx, t, slot, runs, now)
		if err != nil {
			return fmt.Errorf("cancel timer %s: %w", key, err)
		}
		if !ok {
			continue
		}
		cancelled = append(cancelled, key)
		e.mu.Lock()
		e.mem.finished(key, t.DueAt)
		if e.loading != nil {
			e.loading.cancelled = append(e.loading.cancelled, key)
		}
		e.mu.Unlock()
	}
	if len(cancelled) == 0 {
		return nil
	}
	if err := e.announce(ctx, TimerEvent{Owner: e.o.Owner, At: now, Cancelled: cancelled}); err != nil {
		return fmt.Errorf("cancel timers: %w", err)
	}
	return nil
}

// cancelOne inserts a cancelled record into the next free slot of t,
// reporting false when t is finished or being fired.
func (e *Engine) cancelOne(ctx context.Context, t Timer, slot, runs int, now time.Time) (bool, error) {
	for range e.maxSlots() {
		stored, err := e.st.InsertAttempts(ctx, []Attempt{cancelRecord(t, slot, runs, e.o.Owner, now)})
		if err != nil {
			return false, err
		}
		if stored[0] {
			e.log.Debug("timer cancelled", "timer", t.Key, "incident", t.Incident)
			return true, nil
		}
		rec, err := e.st.Attempt(ctx, t.Key, slot)
		if err != nil {
			return false, err
		}
		next, why := cancelStep(rec, now, e.stale(rec))
		if !next && rec.Kind == AttemptRun {
			// A run whose lease has not ended may have finished already.
			if _, err := e.st.Attempt(ctx, t.Key, slot+1); err == nil {
				next = true
			} else if !errors.Is(err, ErrNoRecord) {
				return false, err
			}
		}
		if !next {
			e.log.Debug("timer not cancelled", "timer", t.Key, "reason", why)
			return false, nil
		}
		slot, runs = rec.Slot+1, rec.Runs
	}
	return false, fmt.Errorf("more than %d records", e.maxSlots())
}

// maxSlots bounds a walk along a timer's slots: runs, retries, a done
// record, and as many records again for what cancels and stale reads add.
func (e *Engine) maxSlots() int { return 4*e.o.MaxAttempts + 8 }

// Tick fires every timer due at Now() and returns how many it fired. Tests
// call it directly with a fake clock. The first call loads every pending
// timer from the store; later calls read the events of other instances
// first. It returns once every timer it started has finished (so a
// FireFunc that blocks holds it up to the lease). Tick ignores the
// leader's lease: it fires whatever is due.
func (e *Engine) Tick(ctx context.Context) (int, error) {
	now := e.o.Now()
	if err := e.refresh(ctx, now); err != nil {
		return 0, err
	}
	g := &fireGroup{}
	for {
		n, _ := e.dispatch(ctx, now, g, true, false)
		g.wg.Wait()
		if n == 0 {
			break
		}
	}
	e.announceFinished(ctx)
	return int(g.fired.Load()), ctx.Err()
}

// Run loops until ctx ends: sleeps until the earliest known due time (or
// Poll), then fires what is due. Panics in FireFunc are recovered and
// logged; a failed fire is retried with back-off, and after MaxAttempts
// runs the timer is dead (logged at error).
//
// Every instance loads the schedule when it starts and follows the others'
// events, but only the holder of the leader's lease fires every due timer;
// the others fire only what they scheduled themselves that fell due before
// the leader could hear of it, and take the lease over when it expires.
// When ctx ends, Run stops claiming, waits for the timers it is firing
// (each bounded by the lease), gives up the lease so that another instance
// takes over at once, and returns nil.
func (e *Engine) Run(ctx context.Context) error {
	e.running.Store(true)
	defer e.running.Store(false)
	// The lease is followed and renewed on its own, so that a long load or
	// a slow store call in this loop does not let it expire.
	leaseCtx, stopLease := context.WithCancel(ctx)
	leaseDone := make(chan struct{})
	go func() {
		defer close(leaseDone)
		e.followLease(leaseCtx)
	}()

	g := &fireGroup{}
	var nextPoll, polled time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		now := e.o.Now()
		e.mu.Lock()
		follower := !e.lead.mine || e.reload
		reload := e.lead.mine && e.reload // a new term starts with a reload, at once
		e.mu.Unlock()
		if !now.Before(nextPoll) || reload && now.Sub(polled) >= e.o.Poll/4 {
			err := errors.Join(e.refresh(ctx, now), e.announceFinished(ctx), e.trimLog(ctx, now))
			if err != nil && ctx.Err() == nil {
				e.log.Warn("timer engine", "err", err)
			}
			polled, nextPoll = now, now.Add(e.o.Poll)
			continue
		}
		_, starved := e.dispatch(ctx, now, g, false, follower)
		wakeAt := nextPoll
		if reload {
			wakeAt = polled.Add(e.o.Poll / 4)
		}
		e.mu.Lock()
		if due, ok := e.mem.next(follower); ok && due.Before(wakeAt) && !starved {
			wakeAt = due
		}
		e.mu.Unlock()
		timer.Reset(max(wakeAt.Sub(e.o.Now()), 0))
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-timer.C:
		}
	}
	g.wg.Wait()
	stopLease()
	<-leaseDone
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e.announceFinished(stop)
	e.release(stop)
	return nil
}

// followLease follows the leader's lease every poll (or third of a lease)
// until ctx ends.
func (e *Engine) followLease(ctx context.Context) {
	tick := time.NewTicker(min(e.o.Poll, e.o.Lease/3))
	defer tick.Stop()
	for {
		if err := e.leadStep(ctx, e.o.Now()); err != nil && ctx.Err() == nil {
			e.log.Warn("timer lease", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Pending lists pending timers of an incident (for the incident page and
// tests), by due time, from memory: up to a poll behind what other
// instances did. A running engine that is still loading the schedule waits
// for it; one that does not run loads it on first use.
func (e *Engine) Pending(ctx context.Context, incident string) ([]Timer, error) {
	if err := e.known(ctx); err != nil {
		return nil, fmt.Errorf("pending timers of %s: %w", incident, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mem.pending(incident), nil
}

// Status reads the records of the timer with key. An unknown key is
// pending with no records.
func (e *Engine) Status(ctx context.Context, key string) (TimerStatus, error) {
	recs, err := e.history(ctx, key)
	if err != nil {
		return TimerStatus{}, fmt.Errorf("timer status %s: %w", key, err)
	}
	return statusOf(recs), nil
}

// history reads key's records from slot 0 up to the first free slot.
func (e *Engine) history(ctx context.Context, key string) ([]Attempt, error) {
	var recs []Attempt
	for slot := range e.maxSlots() {
		rec, err := e.st.Attempt(ctx, key, slot)
		if errors.Is(err, ErrNoRecord) {
			return recs, nil
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// resolve finds where a stored timer stands by reading its records.
func (e *Engine) resolve(ctx context.Context, key string, now time.Time) (verdict, error) {
	recs, err := e.history(ctx, key)
	if err != nil {
		return verdict{}, err
	}
	if len(recs) == 0 {
		return verdict{at: now}, nil
	}
	last := recs[len(recs)-1]
	return afterRecord(last, now, e.stale(last)), nil
}

// stale reports whether rec is a run under this engine's owner name that
// this process does not hold: a predecessor's, which died.
func (e *Engine) stale(rec Attempt) bool {
	if rec.Kind != AttemptRun || rec.Owner != e.o.Owner {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	slot, ok := e.firing[rec.Key]
	return !ok || slot != rec.Slot
}

// Purge deletes finished timers due more than Retention ago with their
// records. Run it from a periodic job (see Retention); the leader trims
// the events and leases itself. It works from the schedule in
// memory (loading it first if need be), which says which old timers are
// still pending and how the finished ones spread over time; on FerretDB
// each batch of up to 10,000 timers costs a scan of timers and one of
// timer_claims, during which the connection serves nothing else, so run
// it daily at a quiet hour there.
func (e *Engine) Purge(ctx context.Context) error {
	now := e.o.Now()
	before := now.Add(-e.o.Retention)
	if err := e.known(ctx); err != nil {
		return fmt.Errorf("purge timers: %w", err)
	}
	var keep []string
	var dues []time.Time
	e.mu.Lock()
	for key, en := range e.mem.byKey {
		if en.t.DueAt.Before(before) {
			keep = append(keep, key)
		}
	}
	for _, due := range e.mem.done {
		if due.Before(before) {
			dues = append(dues, due)
		}
	}
	e.mu.Unlock()
	slices.SortFunc(dues, time.Time.Compare)
	var n int64
	var from time.Time
	for i := 0; i < len(dues); i += purgeBatch {
		to := before
		if j := i + purgeBatch; j < len(dues) {
			to = dues[j]
		}
		if !to.After(from) && !from.IsZero() {
			continue
		}
		d, err := e.purgeSpan(ctx, from, to, keep, 0)
		n += d
		if err != nil {
			return err
		}
		from = to
	}
	e.mu.Lock()
	e.mem.forget(before)
	e.mu.Unlock()
	if n > 0 {
		e.log.Info("purged timers", "count", n)
	}
	return nil
}

// logKeep is how long events and leases are kept: far longer than any
// instance takes between two reads of them (see staleAfter).
const logKeep = time.Hour

// trimLog deletes old events and leases every ten minutes, on the leader:
// every instance reads the next event and the next lease each poll, and on
// FerretDB such a read scans its whole collection.
func (e *Engine) trimLog(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	due := e.lead.mine && now.Sub(e.trimmed) >= 10*time.Minute
	if due {
		e.trimmed = now
	}
	e.mu.Unlock()
	if !due {
		return nil
	}
	n, err := e.st.PurgeLog(ctx, now.Add(-max(logKeep, 10*e.o.Lease)))
	if err != nil {
		return fmt.Errorf("trim timer events: %w", err)
	}
	if n > 0 {
		e.log.Debug("trimmed timer events and leases", "count", n)
	}
	return nil
}

// purgeBatch is how many finished timers one PurgeTimers call is meant to
// delete: with their two or three records each, under SQLite's limit of
// parameters. A span whose records are more (timers retried many times)
// is halved.
const purgeBatch = 10000

func (e *Engine) purgeSpan(ctx context.Context, from, to time.Time, keep []string, depth int) (int64, error) {
	n, err := e.st.PurgeTimers(ctx, from, to, keep)
	if !errors.Is(err, ErrPurgeTooLarge) || depth >= 8 || from.IsZero() {
		return n, err
	}
	mid := from.Add(to.Sub(from) / 2)
	a, err := e.purgeSpan(ctx, from, mid, keep, depth+1)
	if err != nil {
		return n + a, err
	}
	b, err := e.purgeSpan(ctx, mid, to, keep, depth+1)
	return n + a + b, err
}

// ErrPurgeTooLarge is returned (wrapped) by a TimerStore whose server
// cannot delete that many documents in one statement.
var ErrPurgeTooLarge = errors.New("escalation: too many documents to delete at once")

// Retention is the periodic job that purges finished timers and old job
// runs, both after the engine's Retention. Daily at a quiet hour suits
// the embedded store (see Purge):
//
//	jobs.Add("retention", "17 3 * * *", escalation.Retention(engine, jobs))
func Retention(e *Engine, j *Jobs) func(context.Context) error {
	return func(ctx context.Context) error {
		return errors.Join(e.Purge(ctx), j.Purge(ctx, e.o.Now().Add(-e.o.Retention)))
	}
}

// signal wakes Run's loop.
func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// safeFire calls the FireFunc, turning a panic into an error.
func (e *Engine) safeFire(ctx context.Context, t Timer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("timer fire panicked", "timer", t.Key, "incident", t.Incident, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return e.fire(ctx, t)
}

// fireGroup follows the fires one Tick or Run has started.
type fireGroup struct {
	wg    sync.WaitGroup
	fired atomic.Int64
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
