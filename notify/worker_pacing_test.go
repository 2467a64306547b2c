package notify_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
)

// byPrefix puts each message on the destination named by its key's
// prefix (up to "-"): "a-3" goes to "a", one per second; others unpaced.
func byPrefix(m notify.Message) (string, time.Duration) {
	name, _, _ := strings.Cut(m.Key, "-")
	if name == "a" {
		return name, time.Second
	}
	return name, 0
}

// TestWorkerPacing: five messages to one destination paced at one a second
// go out in the order they were created, one per second of the clock;
// another destination is not held up.
func TestWorkerPacing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rec := &recorder{dest: byPrefix}
	w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelSlack: paced{rec}}, notify.WorkerOptions{})
	// Enqueued out of creation order: creation decides.
	r.enqueue(
		msg("a-3", notify.ChannelSlack, 3*time.Millisecond), msg("a-1", notify.ChannelSlack, time.Millisecond),
		msg("b-1", notify.ChannelSlack, 10*time.Millisecond), msg("a-5", notify.ChannelSlack, 5*time.Millisecond),
		msg("a-2", notify.ChannelSlack, 2*time.Millisecond), msg("b-2", notify.ChannelSlack, 20*time.Millisecond),
		msg("a-4", notify.ChannelSlack, 4*time.Millisecond), msg("b-3", notify.ChannelSlack, 30*time.Millisecond),
	)
	if n := r.tick(w); n != 4 {
		t.Fatalf("first pass sent %d, want 4 (a-1 and all of b)", n)
	}
	if got, want := rec.sent(), []string{"a-1", "b-1", "b-2", "b-3"}; !slices.Equal(sortedB(got), want) {
		t.Fatalf("first pass %v, want %v", got, want)
	}
	for range 2 {
		if n := r.tick(w); n != 0 {
			t.Fatalf("sent %d more at the same instant", n)
		}
	}
	r.clock.Add(999 * time.Millisecond)
	if n := r.tick(w); n != 0 {
		t.Fatalf("sent %d before a second had passed", n)
	}
	for i := 2; i <= 5; i++ {
		r.clock.Add(time.Second)
		if n := r.tick(w); n != 1 {
			t.Fatalf("second %d: sent %d", i, n)
		}
	}
	var a []string
	for _, k := range rec.sent() {
		if strings.HasPrefix(k, "a-") {
			a = append(a, k)
		}
	}
	if want := []string{"a-1", "a-2", "a-3", "a-4", "a-5"}; !slices.Equal(a, want) {
		t.Errorf("destination a got %v, want %v", a, want)
	}
}

// sortedB keeps a's first message first and sorts the rest: b's messages
// go out in parallel with a's, so only their order among themselves is
// fixed (and checked: b is unpaced, so it sends in order, one at a time).
func sortedB(sentKeys []string) []string {
	var a, b []string
	for _, k := range sentKeys {
		if strings.HasPrefix(k, "a-") {
			a = append(a, k)
		} else {
			b = append(b, k)
		}
	}
	return append(a, b...)
}

// TestWorkerPausedOrBusyDestinations: a destination that is throttled, or
// busy with a slow send, holds up no other.
func TestWorkerPausedOrBusyDestinations(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	release := make(chan struct{})
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		maxIn    = map[string]int{}
	)
	rec := &recorder{dest: byPrefix, reply: func(ctx context.Context, m notify.Message, call int) (string, error) {
		d, _ := byPrefix(m)
		mu.Lock()
		inFlight[d]++
		maxIn[d] = max(maxIn[d], inFlight[d])
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight[d]--
			mu.Unlock()
		}()
		switch d {
		case "slow":
			select {
			case <-release:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		case "throttled":
			if call == 1 {
				return "", &notify.RetryAfterError{After: 30 * time.Second, Err: errTooMany}
			}
		}
		return "ok", nil
	}}
	// A real clock: Run, with sends going on at once.
	w := notify.NewWorker(r.st, map[notify.Channel]notify.Sender{notify.ChannelSlack: paced{rec}},
		notify.WorkerOptions{Owner: "w1", Poll: time.Hour, Logger: r.logs.logger()})
	r.out.OnEnqueue(w.Wake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	r.enqueue(msg("slow-1", notify.ChannelSlack, 0), msg("slow-2", notify.ChannelSlack, time.Millisecond),
		msg("throttled-1", notify.ChannelSlack, 0), msg("throttled-2", notify.ChannelSlack, time.Millisecond))
	r.enqueue(msg("c-1", notify.ChannelSlack, 0), msg("c-2", notify.ChannelSlack, time.Millisecond), msg("c-3", notify.ChannelSlack, 2*time.Millisecond))
	waitUntil(t, 30*time.Second, "c delivered while slow is busy and throttled paused", func() bool {
		return rec.count("c-1")+rec.count("c-2")+rec.count("c-3") == 3
	})
	if rec.count("slow-2") != 0 || rec.count("throttled-2") != 0 {
		t.Fatalf("a busy or paused destination sent more: %v", rec.sent())
	}
	if m := r.get("throttled-1"); m.Status != notify.StatusRetry || m.NextAt.Sub(m.UpdatedAt) != 30*time.Second {
		t.Errorf("throttled-1: %+v; want a retry 30 s on", m)
	}
	close(release)
	waitUntil(t, 30*time.Second, "slow delivered once released", func() bool { return rec.count("slow-2") == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rec.count("throttled-2") != 0 {
		t.Errorf("the paused destination sent before its pause ended")
	}
	mu.Lock()
	defer mu.Unlock()
	for d, n := range maxIn {
		if n > 1 {
			t.Errorf("destination %s had %d sends at once", d, n)
		}
	}
}

func waitUntil(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
