package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Trail appends records to the chain. Record and Write queue a record;
// Run's goroutine numbers, chains and stores the queue in order. Use one
// Trail per process.
type Trail struct {
	st  Store
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex
	queue   []*pending
	wake    chan struct{} // capacity 1: "the queue is not empty"
	idle    *sync.Cond    // signalled when the queue empties
	busy    bool          // the writer holds records taken from the queue
	warned  bool
	running bool

	// The writer's view of the chain's end (Run's goroutine only).
	last     int64
	lastHash string
	known    bool
}

// pending is a queued record and, for Write, who waits for it.
type pending struct {
	r    Record
	done chan error // nil for Record
}

// Backlog sizes at which the writer warns that it is falling behind.
const backlogWarn = 10000

// Writer retry pauses: from the first to the longest.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 30 * time.Second
)

// NewTrail returns a trail over st; call Run to start writing.
func NewTrail(st Store, now func() time.Time, log *slog.Logger) *Trail {
	t := &Trail{st: st, now: now, log: log, wake: make(chan struct{}, 1)}
	t.idle = sync.NewCond(&t.mu)
	return t
}

// complete fills what a record needs from the context it was made in
// (actor and source, when the caller left them out) and the clock.
func (t *Trail) complete(ctx context.Context, r Record) Record {
	if r.At.IsZero() {
		r.At = t.now()
	}
	if r.Actor == (Actor{}) {
		r.Actor = ActorFrom(ctx)
	}
	if r.Source == (Source{}) {
		r.Source = SourceFrom(ctx)
	}
	return r
}

// Record queues r and returns at once: the request that caused it is never
// held up by the trail. A record is never dropped: the writer retries it
// until it is stored.
func (t *Trail) Record(ctx context.Context, r Record) {
	if t == nil {
		return
	}
	t.enqueue(&pending{r: t.complete(ctx, r)})
}

// Write queues r and waits until it is stored, for reads that must not
// happen unrecorded (exports): an error means the record is not stored yet
// (it stays queued) and the read should be refused.
func (t *Trail) Write(ctx context.Context, r Record) error {
	if t == nil {
		return errors.New("audit: no trail")
	}
	p := &pending{r: t.complete(ctx, r), done: make(chan error, 1)}
	t.enqueue(p)
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("audit: record not stored yet: %w", ctx.Err())
	}
}

func (t *Trail) enqueue(p *pending) {
	t.mu.Lock()
	t.queue = append(t.queue, p)
	n := len(t.queue)
	warn := n >= backlogWarn && !t.warned
	if warn {
		t.warned = true
	}
	t.mu.Unlock()
	if warn {
		t.log.Error("audit trail falling behind: records are queued in memory until the store takes them", "queued", n)
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Flush waits until every record queued before it is stored, or ctx ends.
func (t *Trail) Flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.idle.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.queue) > 0 || t.busy {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t.idle.Wait()
	}
	return nil
}

// Run writes queued records until ctx ends, then gives what is still
// queued a few seconds more and logs, in full, any record it could not
// store. It returns nil.
func (t *Trail) Run(ctx context.Context) error {
	t.mu.Lock()
	if t.running {
		t.mu.Unlock()
		return errors.New("audit: trail already running")
	}
	t.running = true
	t.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			t.drain()
			return nil
		case <-t.wake:
		}
		t.writeQueued(ctx)
	}
}

// drainTimeout is how long Run keeps writing after its context ended.
const drainTimeout = 5 * time.Second

func (t *Trail) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	t.writeQueued(ctx)
	t.mu.Lock()
	lost := t.queue
	t.queue = nil
	t.idle.Broadcast()
	t.mu.Unlock()
	for _, p := range lost {
		r := p.r.Normalize()
		t.log.Error("audit record NOT STORED at shutdown", "action", string(r.Action), "at", r.At,
			"user", r.Actor.UserID, "username", r.Actor.Username, "via", r.Actor.Via, "target_kind", r.Target.Kind,
			"target", r.Target.ID, "ip", r.Source.IP, "changes", r.Changes, "note", r.Note)
		if p.done != nil {
			p.done <- errors.New("audit: the trail stopped before storing the record")
		}
	}
}

// writeQueued stores the queue in order until it is empty or ctx ends.
func (t *Trail) writeQueued(ctx context.Context) {
	for {
		t.mu.Lock()
		if len(t.queue) == 0 {
			t.warned = false
			t.idle.Broadcast()
			t.mu.Unlock()
			return
		}
		p := t.queue[0]
		t.busy = true
		t.mu.Unlock()

		err := t.write(ctx, p.r)

		t.mu.Lock()
		t.busy = false
		if err == nil {
			t.queue = t.queue[1:]
		}
		t.mu.Unlock()
		if p.done != nil && err == nil {
			p.done <- nil
		}
		if err != nil {
			return // ctx ended: the record stays first in the queue
		}
	}
}

// write chains r onto the end of the trail and stores it, trying again
// until it is stored or ctx ends.
func (t *Trail) write(ctx context.Context, r Record) error {
	pause := retryFirst
	for attempt := 1; ; attempt++ {
		err := t.tryWrite(ctx, r)
		if err == nil {
			return nil
		}
		t.known = false // read the end again: the store may have moved on
		t.log.Error("audit record not stored; retrying", "action", string(r.Action), "attempt", attempt, "retry_in", pause.String(), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, retryMax)
	}
}

// tryWrite makes one attempt: it inserts r after the last record it knows
// of, following records that other instances inserted meanwhile.
func (t *Trail) tryWrite(ctx context.Context, r Record) error {
	if !t.known {
		last, hash, err := Tail(ctx, t.st)
		if err != nil {
			return err
		}
		t.last, t.lastHash, t.known = last, hash, true
	}
	for {
		r.Seq, r.Prev = t.last+1, t.lastHash
		r = r.Normalize()
		r.Hash = r.ComputeHash()
		ok, err := t.st.Insert(ctx, r)
		if err != nil {
			return err
		}
		if ok {
			t.last, t.lastHash = r.Seq, r.Hash
			return nil
		}
		// Another instance took the number: chain onto its record.
		other, err := t.st.Get(ctx, r.Seq)
		if err != nil {
			return fmt.Errorf("read record %d written by another instance: %w", r.Seq, err)
		}
		t.last, t.lastHash = other.Seq, other.Hash
	}
}

// gapProbe is how far past an apparent end Tail looks for further records,
// so that a record removed from the middle is not taken for the end (a new
// record would fill the hole and hide it).
const gapProbe = 8

// Tail finds the last record of the trail by point reads (a few dozen for
// millions of records): its number and hash, or 0 and "" for an empty
// trail.
func Tail(ctx context.Context, st Store) (int64, string, error) {
	exists := func(seq int64) (Record, bool, error) {
		r, err := st.Get(ctx, seq)
		if errors.Is(err, ErrNoRecord) {
			return Record{}, false, nil
		}
		return r, err == nil, err
	}
	var (
		lastRec Record
		found   bool
		from    int64 = 1
	)
	for {
		// Gallop: from, from+1, from+3, from+7 … until a number is missing,
		// then bisect between the last present and the first missing.
		lo, hi := from-1, int64(-1)
		for step := int64(1); ; step *= 2 {
			seq := from - 1 + step
			r, ok, err := exists(seq)
			if err != nil {
				return 0, "", err
			}
			if !ok {
				hi = seq
				break
			}
			lo, lastRec, found = seq, r, true
		}
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			r, ok, err := exists(mid)
			if err != nil {
				return 0, "", err
			}
			if ok {
				lo, lastRec, found = mid, r, true
			} else {
				hi = mid
			}
		}
		// lo is present (or 0), lo+1 missing. Is anything beyond?
		next := int64(0)
		for seq := lo + 2; seq <= lo+1+gapProbe; seq++ {
			_, ok, err := exists(seq)
			if err != nil {
				return 0, "", err
			}
			if ok {
				next = seq
				break
			}
		}
		if next == 0 {
			if !found || lo == 0 {
				return 0, "", nil
			}
			return lastRec.Seq, lastRec.Hash, nil
		}
		from = next
	}
}
