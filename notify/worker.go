package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// WorkerOptions tune a Worker; zero values get the defaults.
type WorkerOptions struct {
	// Owner names this instance in its claims (default: host name and
	// random digits). It must be unique among running instances. An
	// instance restarted under the same name takes its own claims back at
	// once instead of waiting for them to expire: give a stable name only
	// where one process at a time can use it (the embedded store).
	Owner string
	// Lease is how long a claim holds (default 60 s).
	Lease time.Duration
	// SendTimeout bounds one Send or Delivered call (default three
	// quarters of Lease, and never more than nine tenths), so a send ends
	// before its claim does.
	SendTimeout time.Duration
	// MaxAttempts is the number of sends after which a failing message is
	// dead (default 8).
	MaxAttempts int
	// Backoff is the wait after a failed send (default ExpBackoff from 2 s
	// to 10 min with full jitter).
	Backoff Backoff
	// Workers is how many sends may run at once, to different
	// destinations (default 8).
	Workers int
	// Poll is how often the store is read for messages the worker was not
	// told of (default 5 min). New messages of this process arrive through
	// Wake; the poll finds those of other instances, retries an instance
	// left behind, and anything missed. Each poll also loads what falls
	// due before the next one.
	Poll time.Duration
	// Batch is the most messages one poll loads (default 1000).
	Batch  int
	Now    func() time.Time // default time.Now
	Logger *slog.Logger
}

// Defaults of WorkerOptions.
const (
	DefaultLease       = 60 * time.Second
	DefaultMaxAttempts = 8
	DefaultWorkers     = 8
	DefaultPoll        = 5 * time.Minute
	DefaultBatch       = 1000
)

// Timings of the worker.
const (
	// claimRetry is the wait before trying again a message whose claim or
	// result could not be written (the store did not answer).
	claimRetry = 5 * time.Second
	// pollRetry is the wait before reading the store again after a failed
	// poll, or after a poll that filled its batch.
	pollRetry = 5 * time.Second
	// finishTimeout bounds the recording of a result, which goes on after
	// the worker's context has ended: the send happened.
	finishTimeout = 10 * time.Second
	// SentRetention is how long sent messages are kept (PurgeSent).
	SentRetention = 30 * 24 * time.Hour
)

// Worker delivers the outbox: it claims each due message, hands it to the
// Sender of its channel and records the outcome (ADR 0004). Any number of
// workers, in one process or many, may share a store: a message is sent
// by whoever claims it, once.
//
// Messages to one destination go out one at a time, oldest first (among
// those due), at most one per the destination's pace; a paused or busy
// destination holds up no other. A channel without a Sender (chat switched
// off), and ChannelLog, only log the message and mark it sent with Ref
// "log".
//
// The worker keeps what it has to send in memory: it loads what is due at
// start and on every Poll, hears of new messages through Wake (register it
// with Outbox.OnEnqueue), and keeps retries until they are due. It also
// keeps the number of failed (dead or unknown) messages of each incident
// for the board, loaded from the store on every poll.
//
// Run and Tick must not be used together.
type Worker struct {
	st      Store
	senders map[Channel]Sender
	o       WorkerOptions
	log     *slog.Logger
	policy  retryPolicy

	mu       sync.Mutex
	q        queue
	failures map[string]int
	wake     chan struct{}
	sends    sync.WaitGroup
}

// NewWorker returns a worker over st that sends through senders, by
// channel. senders must not change afterwards.
func NewWorker(st Store, senders map[Channel]Sender, o WorkerOptions) *Worker {
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = o.Lease * 3 / 4
	}
	o.SendTimeout = min(o.SendTimeout, o.Lease*9/10)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff == nil {
		o.Backoff = ExpBackoff(DefaultBackoffBase, DefaultBackoffMax, nil)
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		st: st, senders: maps.Clone(senders), o: o, log: o.Logger,
		policy: retryPolicy{maxAttempts: o.MaxAttempts, backoff: o.Backoff},
		q:      newQueue(), failures: map[string]int{}, wake: make(chan struct{}, 1),
	}
}

// Owner is the name this worker claims messages under.
func (w *Worker) Owner() string { return w.o.Owner }

// defaultOwner is the host name and random digits: unique per process.
func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	if host == "" {
		host = "tocsin"
	}
	return host + "-" + hex.EncodeToString(b)
}

// Wake tells the worker of messages to send: new ones (Outbox.OnEnqueue)
// and ones put back by hand. It does not block, and a running worker
// starts sending them at once.
func (w *Worker) Wake(msgs ...Message) {
	w.mu.Lock()
	for _, m := range msgs {
		w.remember(m)
	}
	w.mu.Unlock()
	w.signal()
}

func (w *Worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// remember queues m according to its state; w.mu is held.
func (w *Worker) remember(m Message) {
	var runAt time.Time
	switch m.Status {
	case StatusPending:
	case StatusRetry:
		runAt = m.NextAt
	case StatusSending:
		if m.Owner != w.o.Owner {
			// Claimable once the claim has expired: strictly after NextAt.
			runAt = m.NextAt.Add(time.Millisecond)
		}
	default:
		return
	}
	name, every := w.destination(m)
	w.q.put(m, runAt, name, every)
}

// destination names where m goes and the pace there: the Sender's
// Destination, or else the channel.
func (w *Worker) destination(m Message) (name string, every time.Duration) {
	name = string(m.Channel)
	d, ok := w.sender(m).(Destination)
	if !ok {
		return name, 0
	}
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("destination of a message: the sender panicked", "key", m.Key, "channel", string(m.Channel), "panic", r)
			name, every = string(m.Channel), 0
		}
	}()
	name, every = d.Destination(m)
	if name == "" {
		name = string(m.Channel)
	}
	return name, max(every, 0)
}

// sender is the Sender of m's channel, nil for ChannelLog and channels
// without one.
func (w *Worker) sender(m Message) Sender {
	if m.Channel == ChannelLog {
		return nil
	}
	return w.senders[m.Channel]
}

// Run delivers messages until ctx ends, then waits for the sends in
// flight (their context ends with ctx) and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	pollAt := w.o.Now()
	for {
		now := w.o.Now()
		if !now.Before(pollAt) {
			pollAt = now.Add(w.o.Poll)
			if full, err := w.poll(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				w.log.Error("read the outbox; new messages are still sent as they come", "err", err)
				pollAt = now.Add(min(pollRetry, w.o.Poll))
			} else if full {
				pollAt = now.Add(min(pollRetry, w.o.Poll))
			}
		}
		w.startReady(ctx)
		wait := pollAt.Sub(now)
		w.mu.Lock()
		// With every sender busy, only the end of a send (which wakes the
		// loop) can start another.
		if at, ok := w.q.next(); ok && w.q.busy < w.o.Workers {
			wait = min(wait, at.Sub(now))
		}
		w.mu.Unlock()
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
		if ctx.Err() != nil {
			break
		}
	}
	w.sends.Wait()
	return nil
}

// startReady starts a send for each message ready now, within Workers.
func (w *Worker) startReady(ctx context.Context) {
	w.mu.Lock()
	ready := w.q.take(w.o.Now(), w.o.Workers-w.q.busy)
	w.mu.Unlock()
	for _, it := range ready {
		w.sends.Go(func() {
			w.deliver(ctx, it)
			w.signal()
		})
	}
}

// Tick does one pass: it reads what is due from the store, then sends
// everything ready at the worker's now (a destination's next message is
// ready once the one before it is done, if its pace allows), and returns
// when those sends are done, with the number of messages it recorded as
// sent. A failed read is returned after the sends of what was already
// known. Tests and cron-free callers use it instead of Run.
func (w *Worker) Tick(ctx context.Context) (int, error) {
	_, err := w.poll(ctx)
	sent := 0
	for ctx.Err() == nil {
		w.mu.Lock()
		ready := w.q.take(w.o.Now(), w.o.Workers-w.q.busy)
		w.mu.Unlock()
		if len(ready) == 0 {
			break
		}
		var (
			wg sync.WaitGroup
			n  atomic.Int64
		)
		for _, it := range ready {
			wg.Go(func() {
				if w.deliver(ctx, it) {
					n.Add(1)
				}
			})
		}
		wg.Wait()
		sent += int(n.Load())
	}
	return sent, err
}

// poll loads the messages due before the next poll, and the failure
// counts. full reports that the batch was full: more may be due.
func (w *Worker) poll(ctx context.Context) (full bool, err error) {
	now := w.o.Now()
	msgs, err := w.st.Due(ctx, now.Add(w.o.Poll), w.o.Batch)
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	for _, m := range msgs {
		w.remember(m)
	}
	w.mu.Unlock()
	counts, err := w.st.Failures(ctx)
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	w.failures = counts
	w.mu.Unlock()
	return len(msgs) >= w.o.Batch, nil
}

// Waiting is the number of undelivered messages the worker holds in
// memory, including those being sent.
func (w *Worker) Waiting() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.q.waiting()
}

// Failures is the number of dead and unknown messages of incident, as
// the worker knows them: exact for the messages it handled itself, and
// as of the last poll for those of other instances.
func (w *Worker) Failures(incident string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failures[incident]
}

// failed counts one more failure of incident; w.mu is held.
func (w *Worker) failed(incident string) {
	if incident != "" {
		w.failures[incident]++
	}
}

// requeued forgets one failure of m's incident and queues m: it was put
// back to pending by hand.
func (w *Worker) requeued(m Message) {
	w.mu.Lock()
	if n := w.failures[m.Incident]; n > 1 {
		w.failures[m.Incident] = n - 1
	} else {
		delete(w.failures, m.Incident)
	}
	w.remember(m)
	w.mu.Unlock()
	w.signal()
}

// PurgeSent deletes the messages sent more than SentRetention ago: the
// retention job.
func (w *Worker) PurgeSent(ctx context.Context) error {
	n, err := w.st.PurgeSent(ctx, w.o.Now().Add(-SentRetention))
	if err != nil {
		return err
	}
	if n > 0 {
		w.log.InfoContext(ctx, "purged sent messages", "count", n)
	}
	return nil
}
