package notify_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
)

// The lost-outcome rule (ADR 0004): a message found in sending under an
// expired claim, its owner gone between sending and recording.

// confirmer is a Sender that can tell whether a message arrived.
type confirmer struct {
	*recorder
	mu      sync.Mutex
	answers []confirmation // one per Delivered call; the last repeats
	asked   int
}

type confirmation struct {
	ref string
	ok  bool
	err error
}

func (c *confirmer) Delivered(_ context.Context, m notify.Message) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.answers[min(c.asked, len(c.answers)-1)]
	c.asked++
	return a.ref, a.ok, a.err
}

// resendable is a Sender whose receivers deduplicate.
type resendable struct{ *recorder }

func (resendable) ResendSafe() bool { return true }

// abandoned enqueues key and leaves it claimed by an instance that died
// at t0, its claim expiring at t0+lease.
func (r *rig) abandoned(key string, owner string, lease time.Duration) {
	r.t.Helper()
	r.enqueue(msg(key, notify.ChannelSlack, 0))
	if _, ok, err := r.st.Claim(context.Background(), key, owner, t0, t0.Add(lease)); !ok || err != nil {
		r.t.Fatalf("claim: %v %v", ok, err)
	}
}

func TestLostOutcome(t *testing.T) {
	t.Parallel()
	const lease = time.Minute
	for _, tc := range []struct {
		name       string
		sender     func(rec *recorder) notify.Sender
		wantStatus notify.Status
		wantRef    string
		wantSends  int
	}{
		{"confirmer: it arrived", func(rec *recorder) notify.Sender {
			return &confirmer{recorder: rec, answers: []confirmation{{ref: "C1:1700000000.1", ok: true}}}
		}, notify.StatusSent, "C1:1700000000.1", 0},
		{"confirmer: it did not arrive", func(rec *recorder) notify.Sender {
			return &confirmer{recorder: rec, answers: []confirmation{{ok: false}}}
		}, notify.StatusSent, "ref-lost", 1},
		{"resendable", func(rec *recorder) notify.Sender { return resendable{rec} }, notify.StatusSent, "ref-lost", 1},
		{"neither", func(rec *recorder) notify.Sender { return rec }, notify.StatusUnknown, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			rec := &recorder{}
			w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelSlack: tc.sender(rec)}, notify.WorkerOptions{Lease: lease})
			r.abandoned("lost", "dead-instance", lease)

			// While the claim holds, nobody touches the message.
			r.clock.Add(lease)
			r.tick(w)
			if m := r.get("lost"); m.Status != notify.StatusSending || m.Owner != "dead-instance" {
				t.Fatalf("a live claim was taken: %+v", m)
			}
			r.clock.Add(time.Millisecond)
			r.tick(w)
			m := r.get("lost")
			if m.Status != tc.wantStatus || m.Ref != tc.wantRef || rec.count("lost") != tc.wantSends || m.Attempts != 2 {
				t.Fatalf("%s, ref %q, %d sends, %d attempts; want %s, %q, %d sends", m.Status, m.Ref, rec.count("lost"), m.Attempts,
					tc.wantStatus, tc.wantRef, tc.wantSends)
			}
			logs := r.logs.String()
			if !strings.Contains(logs, `msg="message found in sending: the outcome of its last attempt was lost" key=lost`) {
				t.Errorf("the lost outcome was not logged:\n%s", logs)
			}
			if tc.wantStatus != notify.StatusUnknown {
				return
			}
			// Unknown: not sent again, listed with the failures, counted
			// for the board, and sent when an admin retries it.
			if !strings.Contains(m.LastError, "not sent again") || !strings.Contains(logs, `level=ERROR msg="message outcome unknown; not sent again" key=lost`) {
				t.Errorf("unknown without its reason: %q\n%s", m.LastError, logs)
			}
			r.clock.Add(time.Hour)
			r.tick(w)
			if rec.count("lost") != 0 {
				t.Fatal("an unknown message was sent again")
			}
			if w.Failures(m.Incident) != 1 {
				t.Errorf("Failures = %d", w.Failures(m.Incident))
			}
			if _, err := notify.NewAdmin(r.st, w).Retry(context.Background(), "lost"); err != nil {
				t.Fatal(err)
			}
			r.tick(w)
			if m := r.get("lost"); m.Status != notify.StatusSent || rec.count("lost") != 1 {
				t.Errorf("after the retry by hand: %+v, %d sends", m, rec.count("lost"))
			}
		})
	}
}

// TestLostOutcomeUnconfirmed: a Confirmer that cannot answer leaves the
// message in sending, free for anyone after the back-off, and is asked
// again then; unknown once the attempts are used up.
func TestLostOutcomeUnconfirmed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rec := &recorder{}
	c := &confirmer{recorder: rec, answers: []confirmation{{err: errors.New("conversations.history: HTTP 503")}, {ref: "C1:1", ok: true}}}
	w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelSlack: c}, notify.WorkerOptions{Lease: time.Minute})
	r.abandoned("lost", "dead-instance", time.Minute)
	r.clock.Add(time.Minute + time.Millisecond)
	r.tick(w)
	m := r.get("lost")
	next := t0.Add(time.Minute + time.Millisecond).Add(2 * time.Second) // half of the 4 s cap of attempt 2
	if m.Status != notify.StatusSending || m.Owner != "" || !m.NextAt.Equal(next) || !strings.Contains(m.LastError, "cannot confirm") {
		t.Fatalf("after an unanswered question: %+v", m)
	}
	r.clock.Add(2 * time.Second)
	r.tick(w)
	if m := r.get("lost"); m.Status != notify.StatusSending {
		t.Fatalf("asked again before the back-off: %+v", m)
	}
	r.clock.Add(time.Millisecond)
	r.tick(w)
	if m := r.get("lost"); m.Status != notify.StatusSent || m.Ref != "C1:1" || rec.count("lost") != 0 || c.asked != 2 {
		t.Fatalf("after the second question: %+v, %d sends, asked %d times", m, rec.count("lost"), c.asked)
	}

	// Out of attempts while unanswered: unknown.
	r2 := newRig(t)
	c2 := &confirmer{recorder: &recorder{}, answers: []confirmation{{err: errors.New("timeout")}}}
	w2 := r2.worker(map[notify.Channel]notify.Sender{notify.ChannelSlack: c2}, notify.WorkerOptions{Lease: time.Minute, MaxAttempts: 2})
	r2.abandoned("lost", "dead-instance", time.Minute)
	r2.clock.Add(time.Minute + time.Millisecond)
	r2.tick(w2)
	if m := r2.get("lost"); m.Status != notify.StatusUnknown || m.Attempts != 2 {
		t.Fatalf("unanswered at the last attempt: %+v", m)
	}
}

// TestLostOutcomeOwnClaim: an instance restarted under its stable name
// (the embedded store's "embedded") settles its own claims at once, by the
// same rule, instead of waiting for them to expire.
func TestLostOutcomeOwnClaim(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	rec := &recorder{}
	r.abandoned("mine", "embedded", time.Minute)
	r.clock.Add(time.Second) // restarted well within the lease
	w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelSlack: resendable{rec}}, notify.WorkerOptions{Owner: "embedded"})
	r.tick(w)
	if m := r.get("mine"); m.Status != notify.StatusSent || rec.count("mine") != 1 {
		t.Fatalf("own claim after a restart: %+v, %d sends", m, rec.count("mine"))
	}
	// Another name waits for the claim to expire.
	r2 := newRig(t)
	r2.abandoned("theirs", "embedded", time.Minute)
	r2.clock.Add(time.Second)
	w2 := r2.worker(map[notify.Channel]notify.Sender{notify.ChannelSlack: resendable{&recorder{}}}, notify.WorkerOptions{Owner: "other"})
	r2.tick(w2)
	if m := r2.get("theirs"); m.Status != notify.StatusSending {
		t.Fatalf("another instance's live claim was taken: %+v", m)
	}
}

// failingFinish is the real store, except that Finish fails (as if the
// database were unreachable) the first fails times.
type failingFinish struct {
	notify.Store
	mu    sync.Mutex
	fails int
}

func (f *failingFinish) Finish(ctx context.Context, key, owner string, attempts int, r notify.Result) error {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return errors.New("server selection error: context deadline exceeded")
	}
	return f.Store.Finish(ctx, key, owner, attempts, r)
}

// TestWorkerRecordsAgain: a result the store did not take is recorded
// again later; the message is not sent again.
func TestWorkerRecordsAgain(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	st := &failingFinish{Store: r.st, fails: 3} // the worker tries three times at once
	rec := &recorder{}
	w := notify.NewWorker(st, map[notify.Channel]notify.Sender{notify.ChannelSlack: rec},
		notify.WorkerOptions{Owner: "w1", Now: r.clock.Now, Logger: r.logs.logger()})
	r.out.OnEnqueue(w.Wake)
	r.enqueue(msg("k", notify.ChannelSlack, 0))
	r.tick(w)
	if m := r.get("k"); m.Status != notify.StatusSending || rec.count("k") != 1 {
		t.Fatalf("after the failed record: %+v, %d sends", m, rec.count("k"))
	}
	if !strings.Contains(r.logs.String(), `msg="record message result; will try again" key=k`) {
		t.Errorf("not logged:\n%s", r.logs.String())
	}
	r.clock.Add(5 * time.Second)
	r.tick(w)
	if m := r.get("k"); m.Status != notify.StatusSent || m.Ref != "ref-k" || rec.count("k") != 1 || m.Attempts != 1 {
		t.Fatalf("after recording again: %+v, %d sends", m, rec.count("k"))
	}
}
