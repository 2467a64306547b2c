package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// clock is a time source the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// logBuffer collects log lines from concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// halfJitter makes ExpBackoff deterministic: half of each cap (1 s, 2 s,
// 4 s, ... from the default 2 s base).
func halfJitter() float64 { return 0.5 }

// rig is a store, an outbox over it and a clock, for one test.
type rig struct {
	t     *testing.T
	db    *store.DB
	st    *store.Outbox
	out   *notify.Outbox
	clock *clock
	logs  *logBuffer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	db := storetest.New(t)
	r := &rig{t: t, db: db, st: db.Outbox(), clock: newClock(t0), logs: &logBuffer{}}
	r.out = notify.NewOutbox(r.st, r.clock.Now, r.logs.logger())
	return r
}

var t0 = time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)

// worker returns a worker on the rig's store and clock, woken by the
// rig's outbox; o's zero fields get the test defaults.
func (r *rig) worker(senders map[notify.Channel]notify.Sender, o notify.WorkerOptions) *notify.Worker {
	if o.Owner == "" {
		o.Owner = "w1"
	}
	if o.Now == nil {
		o.Now = r.clock.Now
	}
	if o.Logger == nil {
		o.Logger = r.logs.logger()
	}
	if o.Backoff == nil {
		o.Backoff = notify.ExpBackoff(notify.DefaultBackoffBase, notify.DefaultBackoffMax, halfJitter)
	}
	w := notify.NewWorker(r.st, senders, o)
	r.out.OnEnqueue(w.Wake)
	return w
}

// enqueue adds msgs, failing the test unless all are new.
func (r *rig) enqueue(msgs ...notify.Message) {
	r.t.Helper()
	if n, err := r.out.Enqueue(context.Background(), msgs...); err != nil || n != len(msgs) {
		r.t.Fatalf("Enqueue = %d, %v; want %d new", n, err, len(msgs))
	}
}

// get reads one message from the store.
func (r *rig) get(key string) notify.Message {
	r.t.Helper()
	m, err := r.st.Get(context.Background(), key)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// tick runs one pass of w.
func (r *rig) tick(w *notify.Worker) int {
	r.t.Helper()
	n, err := w.Tick(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// msg is a message for channel ch, created at t0 plus offset.
func msg(key string, ch notify.Channel, offset time.Duration) notify.Message {
	return notify.Message{Key: key, Kind: notify.KindUpdate, Incident: "INC-2026-000001", Recipient: "alice",
		Channel: ch, Subject: "subject of " + key, Body: "body", CreatedAt: t0.Add(offset)}
}

// recorder is a Sender that records what it was given, in order, and
// answers with reply (nil: a ref "ref-<key>").
type recorder struct {
	mu    sync.Mutex
	calls []string // keys, one per Send
	reply func(ctx context.Context, m notify.Message, call int) (string, error)
	dest  func(m notify.Message) (string, time.Duration)
}

func (r *recorder) Send(ctx context.Context, m notify.Message) (string, error) {
	r.mu.Lock()
	r.calls = append(r.calls, m.Key)
	n := 0
	for _, k := range r.calls {
		if k == m.Key {
			n++
		}
	}
	reply := r.reply
	r.mu.Unlock()
	if reply != nil {
		return reply(ctx, m, n)
	}
	return "ref-" + m.Key, nil
}

// sent returns the keys sent so far, in order.
func (r *recorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// count is how many times key was sent.
func (r *recorder) count(key string) int {
	n := 0
	for _, k := range r.sent() {
		if k == key {
			n++
		}
	}
	return n
}

// paced is a recorder with destinations.
type paced struct{ *recorder }

func (p paced) Destination(m notify.Message) (string, time.Duration) { return p.dest(m) }

var _ notify.Destination = paced{}

func sentKeys(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

var errTooMany = errors.New("HTTP 429 Too Many Requests")
