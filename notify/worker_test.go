package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
)

// TestWorkerSendsOnceAcrossInstances: two workers on one store, running at
// once, deliver 200 messages (60 under the race detector), each exactly
// once.
func TestWorkerSendsOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	n := onceMessages
	var batch []notify.Message
	for i, key := range sentKeys("m", n) {
		batch = append(batch, msg(key, notify.ChannelWebhook, time.Duration(i)*time.Millisecond))
	}
	r.enqueue(batch...)

	var (
		mu    sync.Mutex
		count = map[string]int{}
		by    = map[string]int{}
	)
	sender := func(owner string) notify.Sender {
		rec := &recorder{reply: func(_ context.Context, m notify.Message, _ int) (string, error) {
			mu.Lock()
			count[m.Key]++
			by[owner]++
			mu.Unlock()
			return owner, nil
		}}
		// Ten destinations, so that each worker sends several at once.
		return paced{rec}.withDest(func(m notify.Message) (string, time.Duration) {
			return "hook:" + m.Key[len(m.Key)-1:], 0
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, owner := range []string{"w1", "w2"} {
		w := notify.NewWorker(r.st, map[notify.Channel]notify.Sender{notify.ChannelWebhook: sender(owner)},
			notify.WorkerOptions{Owner: owner, Poll: time.Hour, Logger: r.logs.logger()})
		wg.Go(func() {
			if err := w.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		sent, err := r.st.List(context.Background(), notify.Filter{Statuses: []notify.Status{notify.StatusSent}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) == n {
			break
		}
		if time.Now().After(deadline) {
			all, _ := r.st.List(context.Background(), notify.Filter{Limit: 1000})
			for _, m := range all {
				if m.Status != notify.StatusSent {
					t.Logf("%+v", m)
				}
			}
			t.Log(r.logs.String()[max(0, len(r.logs.String())-5000):])
			t.Fatalf("%d of %d sent", len(sent), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, key := range sentKeys("m", n) {
		if count[key] != 1 {
			t.Errorf("%s sent %d times", key, count[key])
		}
	}
	t.Logf("sent by w1: %d, by w2: %d", by["w1"], by["w2"])
	for _, key := range sentKeys("m", n) {
		if m := r.get(key); m.Ref != "w1" && m.Ref != "w2" || m.Attempts != 1 {
			t.Errorf("%s: ref %q, attempts %d", key, m.Ref, m.Attempts)
		}
	}
}

// withDest gives p destinations.
func (p paced) withDest(d func(notify.Message) (string, time.Duration)) paced {
	p.dest = d
	return p
}

// TestWorkerClassifiesOutcomes: what each kind of send error leads to.
func TestWorkerClassifiesOutcomes(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rec := &recorder{reply: func(_ context.Context, m notify.Message, call int) (string, error) {
		switch m.Key {
		case "permanent":
			return "", fmt.Errorf("channel_not_found: %w", notify.ErrPermanent)
		case "flaky":
			if call == 1 {
				return "", errors.New("HTTP 503 Service Unavailable")
			}
		case "panics":
			if call == 1 {
				panic("nil map")
			}
		case "leaky":
			if call == 1 {
				return "", fmt.Errorf("post: %w", &url.Error{Op: "Post", URL: "https://hooks.example.com/cgi-bin/webhook/send?key=SECRET",
					Err: errors.New("dial tcp: connection refused")})
			}
		}
		return "ref-" + m.Key, nil
	}}
	w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelWebhook: rec}, notify.WorkerOptions{})
	r.enqueue(msg("permanent", notify.ChannelWebhook, 0), msg("flaky", notify.ChannelWebhook, 1), msg("panics", notify.ChannelWebhook, 2),
		msg("leaky", notify.ChannelWebhook, 3))
	if n := r.tick(w); n != 0 {
		t.Fatalf("first pass sent %d", n)
	}
	if m := r.get("permanent"); m.Status != notify.StatusDead || m.Attempts != 1 || !strings.Contains(m.LastError, "channel_not_found") {
		t.Errorf("permanent: %+v", m)
	}
	for _, key := range []string{"flaky", "panics", "leaky"} {
		m := r.get(key)
		if m.Status != notify.StatusRetry || m.Attempts != 1 || !m.NextAt.Equal(t0.Add(time.Second)) {
			t.Errorf("%s: %s, %d attempts, next %s; want retry at t0+1s", key, m.Status, m.Attempts, m.NextAt)
		}
	}
	if m := r.get("panics"); !strings.Contains(m.LastError, "sender panicked: nil map") || strings.Contains(m.LastError, "goroutine") {
		t.Errorf("panic recorded as %q", m.LastError)
	}
	if m := r.get("leaky"); strings.Contains(m.LastError, "SECRET") || !strings.Contains(m.LastError, "https://hooks.example.com/…") {
		t.Errorf("a secret reached LastError: %q", m.LastError)
	}
	if strings.Contains(r.logs.String(), "SECRET") {
		t.Errorf("a secret reached the log:\n%s", r.logs.String())
	}
	if !strings.Contains(r.logs.String(), "level=ERROR msg=\"sender panicked\"") {
		t.Errorf("the panic was not logged:\n%s", r.logs.String())
	}
	// Not before the back-off.
	r.clock.Add(999 * time.Millisecond)
	if n := r.tick(w); n != 0 {
		t.Fatalf("sent %d before the back-off ended", n)
	}
	r.clock.Add(time.Millisecond)
	if n := r.tick(w); n != 3 {
		t.Fatalf("sent %d after the back-off, want 3", n)
	}
	if m := r.get("flaky"); m.Status != notify.StatusSent || m.Ref != "ref-flaky" || m.Attempts != 2 || !m.SentAt.Equal(t0.Add(time.Second)) {
		t.Errorf("flaky: %+v", m)
	}
	if got := w.Failures("INC-2026-000001"); got != 1 {
		t.Errorf("Failures = %d, want 1 (the permanent one)", got)
	}
}

// TestWorkerDeadAfterMaxAttempts: a message that keeps failing is dead
// after MaxAttempts sends, logged at error level, counted for the board,
// and sent again when an admin retries it.
func TestWorkerDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	failing := true
	var mu sync.Mutex
	rec := &recorder{reply: func(_ context.Context, m notify.Message, _ int) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return "", errors.New("HTTP 502 Bad Gateway")
		}
		return "ok", nil
	}}
	w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelEmail: rec}, notify.WorkerOptions{MaxAttempts: 3})
	admin := notify.NewAdmin(r.st, w)
	r.enqueue(msg("doomed", notify.ChannelEmail, 0))
	r.tick(w) // attempt 1; retry after 1 s
	r.clock.Add(time.Second)
	r.tick(w) // attempt 2; retry after 2 s
	r.clock.Add(2 * time.Second)
	r.tick(w) // attempt 3: dead
	m := r.get("doomed")
	if m.Status != notify.StatusDead || m.Attempts != 3 || !strings.Contains(m.LastError, "gave up after 3 attempts") {
		t.Fatalf("after 3 failures: %+v", m)
	}
	r.clock.Add(time.Hour)
	r.tick(w)
	if c := rec.count("doomed"); c != 3 {
		t.Fatalf("sent %d times, want 3: a dead message is not tried again", c)
	}
	logs := r.logs.String()
	for _, want := range []string{`level=ERROR msg="message dead" key=doomed incident=INC-2026-000001 channel=email attempt=3 err="HTTP 502`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if w.Failures("INC-2026-000001") != 1 || admin.Failures("INC-2026-000001") != 1 {
		t.Errorf("failure count %d", w.Failures("INC-2026-000001"))
	}
	dead, err := admin.Messages(context.Background(), notify.Filter{Statuses: []notify.Status{notify.StatusDead}})
	if err != nil || len(dead) != 1 || dead[0].Key != "doomed" {
		t.Fatalf("Messages(dead) = %v, %v", dead, err)
	}

	// Retried by hand: pending again, counted no more, sent on the next pass.
	mu.Lock()
	failing = false
	mu.Unlock()
	back, err := admin.Retry(context.Background(), "doomed")
	if err != nil || back.Status != notify.StatusPending || back.Attempts != 0 {
		t.Fatalf("Retry = %+v, %v", back, err)
	}
	if w.Failures("INC-2026-000001") != 0 {
		t.Errorf("failure count after the retry: %d", w.Failures("INC-2026-000001"))
	}
	if _, err := admin.Retry(context.Background(), "doomed"); !errors.Is(err, notify.ErrNotFailed) {
		t.Errorf("Retry of a pending message = %v, want ErrNotFailed", err)
	}
	if _, err := admin.Retry(context.Background(), "nope"); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("Retry of an unknown key = %v, want ErrNotFound", err)
	}
	if n := r.tick(w); n != 1 {
		t.Fatalf("the retried message was not sent: %d", n)
	}
	if m := r.get("doomed"); m.Status != notify.StatusSent || m.Attempts != 1 {
		t.Errorf("after the retry: %+v", m)
	}
}

// TestWorkerWithoutSender: a channel with no sender configured (chat off)
// and the log channel only log their messages and mark them sent.
func TestWorkerWithoutSender(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	w := r.worker(nil, notify.WorkerOptions{})
	r.enqueue(msg("chat-off", notify.ChannelSlack, 0), msg("log-only", notify.ChannelLog, 1))
	if n := r.tick(w); n != 2 {
		t.Fatalf("sent %d, want 2", n)
	}
	for _, key := range []string{"chat-off", "log-only"} {
		if m := r.get(key); m.Status != notify.StatusSent || m.Ref != notify.RefLog {
			t.Errorf("%s: %+v", key, m)
		}
	}
	want := `level=INFO msg="message (no sender for its channel: logged only)" key=chat-off kind=update incident=INC-2026-000001 recipient=alice channel=slack address="" subject="subject of chat-off"`
	if !strings.Contains(r.logs.String(), want) {
		t.Errorf("log lacks %s:\n%s", want, r.logs.String())
	}
}

// TestWorkerWakeLatency: a running worker sends a new message as soon as
// it is enqueued, not on its next poll (an hour away).
func TestWorkerWakeLatency(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	counted := &countingStore{Store: r.st}
	got := make(chan time.Time, 1)
	sender := notify.SenderFunc(func(context.Context, notify.Message) (string, error) {
		got <- time.Now()
		return "ok", nil
	})
	w := notify.NewWorker(counted, map[notify.Channel]notify.Sender{notify.ChannelSlack: sender},
		notify.WorkerOptions{Owner: "w1", Poll: time.Hour, Logger: r.logs.logger()})
	out := notify.NewOutbox(counted, time.Now, r.logs.logger())
	out.OnEnqueue(w.Wake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for counted.dues() == 0 { // the start-up load is over
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if _, err := out.Enqueue(context.Background(), msg("now", notify.ChannelSlack, 0)); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-got:
		t.Logf("enqueue to send: %s", at.Sub(start))
	case <-time.After(10 * time.Second):
		t.Fatal("not sent within 10 s")
	}
	if n := counted.dues(); n != 1 {
		t.Errorf("the store was polled %d times; want only the start-up load", n)
	}
}

// countingStore is the real store, counting the polls.
type countingStore struct {
	notify.Store
	mu sync.Mutex
	n  int
}

func (c *countingStore) Due(ctx context.Context, now time.Time, limit int) ([]notify.Message, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Store.Due(ctx, now, limit)
}

func (c *countingStore) dues() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestWorkerPurgeSent: the retention job deletes what was sent more than
// 30 days ago, and nothing else.
func TestWorkerPurgeSent(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	w := r.worker(nil, notify.WorkerOptions{})
	r.enqueue(msg("old", notify.ChannelLog, 0))
	r.tick(w)
	r.clock.Add(notify.SentRetention - time.Second)
	r.enqueue(msg("new", notify.ChannelLog, 0))
	r.tick(w)
	r.clock.Add(2 * time.Second)
	if err := w.PurgeSent(context.Background()); err != nil {
		t.Fatal(err)
	}
	all, _ := r.st.List(context.Background(), notify.Filter{})
	if len(all) != 1 || all[0].Key != "new" {
		t.Errorf("left %v", keysOfMsgs(all))
	}
	if !strings.Contains(r.logs.String(), `msg="purged sent messages" count=1`) {
		t.Errorf("purge not logged:\n%s", r.logs.String())
	}
}

func keysOfMsgs(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	return out
}
