package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// enqueued stores msgs through an outbox at t0, as producers do.
func enqueued(t *testing.T, st *store.Outbox, msgs ...notify.Message) {
	t.Helper()
	out := notify.NewOutbox(st, func() time.Time { return t0 }, slog.New(slog.DiscardHandler))
	if n, err := out.Enqueue(context.Background(), msgs...); err != nil || n != len(msgs) {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
}

func keysOf(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	return out
}

// TestOutboxRoundTrip: every field of a message survives the store.
func TestOutboxRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Outbox()
	m := notify.Message{
		Key: "k", Kind: notify.KindCard, Incident: "INC-2026-000007", Recipient: "", Channel: notify.ChannelSlack,
		Address: "C123", Subject: "s", Body: "b", CreatedAt: t0, Status: notify.StatusRetry, Attempts: 3,
		NextAt: t0.Add(time.Minute), Owner: "", LastError: "HTTP 503", SentAt: t0.Add(time.Second),
		UpdatedAt: t0.Add(2 * time.Second), Ref: "C123:1700000000.000100", Restricted: true,
	}
	if _, err := st.Insert(ctx, []notify.Message{m}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
	if _, err := st.Get(ctx, "nope"); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

// bothWays runs test on the outbox as the database gives it (on the
// embedded server: changes by _id under a lock) and on the same outbox
// changing states by conditional updates, as on MongoDB.
func bothWays(t *testing.T, test func(t *testing.T, st *store.Outbox)) {
	t.Parallel()
	for name, outbox := range map[string]func(*store.Outbox) *store.Outbox{
		"store's own": func(o *store.Outbox) *store.Outbox { return o },
		"conditional": store.ConditionalOutbox,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, outbox(storetest.New(t).Outbox()))
		})
	}
}

// TestOutboxClaim walks the claimable states and the fencing of Finish.
func TestOutboxClaim(t *testing.T) { bothWays(t, testOutboxClaim) }

func testOutboxClaim(t *testing.T, st *store.Outbox) {
	ctx := context.Background()
	enqueued(t, st, page("a", "alice"), page("b", "bob"))
	lease := time.Minute

	// A pending message is claimable; the claim returns it as it was.
	prior, ok, err := st.Claim(ctx, "a", "w1", t0, t0.Add(lease))
	if err != nil || !ok || prior.Status != notify.StatusPending || prior.Attempts != 0 {
		t.Fatalf("Claim(pending) = %+v, %v, %v", prior, ok, err)
	}
	m, _ := st.Get(ctx, "a")
	if m.Status != notify.StatusSending || m.Owner != "w1" || m.Attempts != 1 || !m.NextAt.Equal(t0.Add(lease)) || !m.UpdatedAt.Equal(t0) {
		t.Fatalf("after the claim: %+v", m)
	}
	// Nobody else may take a live claim; its owner may (a restart).
	if _, ok, err := st.Claim(ctx, "a", "w2", t0.Add(lease-time.Millisecond), t0.Add(2*lease)); ok || err != nil {
		t.Fatalf("a live claim was taken: %v, %v", ok, err)
	}
	if _, ok, _ := st.Claim(ctx, "a", "w2", t0.Add(lease), t0.Add(2*lease)); ok {
		t.Fatal("a claim was taken at its deadline, not after")
	}
	// After the deadline, another worker takes it; the claim shows it was
	// in sending, which is how the lost-outcome rule starts.
	prior, ok, err = st.Claim(ctx, "a", "w2", t0.Add(lease+time.Millisecond), t0.Add(2*lease))
	if err != nil || !ok || prior.Status != notify.StatusSending || prior.Owner != "w1" || prior.Attempts != 1 {
		t.Fatalf("Claim(expired) = %+v, %v, %v", prior, ok, err)
	}
	// The late owner's result is refused: fenced by owner and attempt.
	sent := notify.Result{Status: notify.StatusSent, Ref: "r1", SentAt: t0, At: t0}
	if err := st.Finish(ctx, "a", "w1", 1, sent); !errors.Is(err, notify.ErrClaimLost) {
		t.Fatalf("Finish by the late owner = %v, want ErrClaimLost", err)
	}
	if err := st.Finish(ctx, "a", "w2", 1, sent); !errors.Is(err, notify.ErrClaimLost) {
		t.Fatalf("Finish with the wrong attempt = %v, want ErrClaimLost", err)
	}
	// The owner restarted under its name takes its own live claim back.
	prior, ok, err = st.Claim(ctx, "a", "w2", t0.Add(lease+2*time.Millisecond), t0.Add(3*lease))
	if err != nil || !ok || prior.Owner != "w2" || prior.Attempts != 2 {
		t.Fatalf("Claim(own live claim) = %+v, %v, %v", prior, ok, err)
	}
	if err := st.Finish(ctx, "a", "w2", 3, sent); err != nil {
		t.Fatal(err)
	}
	if ref, err := st.Ref(ctx, "a"); err != nil || ref != "r1" {
		t.Errorf("Ref(sent) = %q, %v", ref, err)
	}
	m, _ = st.Get(ctx, "a")
	if m.Status != notify.StatusSent || !m.SentAt.Equal(t0) || m.Attempts != 3 {
		t.Errorf("after Finish(sent): %+v", m)
	}
	if _, ok, _ := st.Claim(ctx, "a", "w2", t0.Add(time.Hour), t0.Add(2*time.Hour)); ok {
		t.Error("a sent message was claimed")
	}
	if ref, err := st.Ref(ctx, "b"); err != nil || ref != "" {
		t.Errorf("Ref(pending) = %q, %v; want nothing", ref, err)
	}
	if ref, err := st.Ref(ctx, "nope"); err != nil || ref != "" {
		t.Errorf("Ref(unknown) = %q, %v; want nothing", ref, err)
	}

	// A retry is claimable from its NextAt on.
	if _, ok, _ := st.Claim(ctx, "b", "w1", t0, t0.Add(lease)); !ok {
		t.Fatal("claim b")
	}
	retry := notify.Result{Status: notify.StatusRetry, NextAt: t0.Add(10 * time.Second), LastError: "HTTP 502", At: t0}
	if err := st.Finish(ctx, "b", "w1", 1, retry); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Claim(ctx, "b", "w1", t0.Add(9*time.Second), t0.Add(lease)); ok {
		t.Fatal("a retry was claimed before its time")
	}
	if _, ok, _ := st.Claim(ctx, "b", "w1", t0.Add(10*time.Second), t0.Add(lease)); !ok {
		t.Fatal("a retry was not claimable at its time")
	}
	if err := st.Finish(ctx, "b", "w1", 2, notify.Result{Status: "pending", At: t0}); err == nil {
		t.Error("Finish accepted pending as a result")
	}
	// A purged message is neither claimed nor finished.
	if _, ok, err := st.Claim(ctx, "gone", "w1", t0, t0.Add(lease)); ok || err != nil {
		t.Errorf("Claim(unknown key) = %v, %v; want false, nil", ok, err)
	}
	if err := st.Finish(ctx, "gone", "w1", 1, sent); !errors.Is(err, notify.ErrClaimLost) {
		t.Errorf("Finish(unknown key) = %v, want ErrClaimLost", err)
	}
}

// TestOutboxClaimRace: of many workers claiming one message at once,
// exactly one wins, on the embedded store through its single connection.
func TestOutboxClaimRace(t *testing.T) { bothWays(t, testOutboxClaimRace) }

func testOutboxClaimRace(t *testing.T, st *store.Outbox) {
	ctx := context.Background()
	enqueued(t, st, page("race", "alice"))
	const n = 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []string
	)
	for i := range n {
		wg.Go(func() {
			owner := fmt.Sprint("w", i)
			_, ok, err := st.Claim(ctx, "race", owner, t0, t0.Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins = append(wins, owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d winners: %v", len(wins), wins)
	}
	if m, _ := st.Get(ctx, "race"); m.Attempts != 1 || m.Owner != wins[0] {
		t.Errorf("stored %+v, winner %s", m, wins[0])
	}
}

func TestOutboxDueListRequeue(t *testing.T) { bothWays(t, testOutboxDueListRequeue) }

func testOutboxDueListRequeue(t *testing.T, st *store.Outbox) {
	ctx := context.Background()
	msg := func(key, inc string, ch notify.Channel, at time.Time) notify.Message {
		return notify.Message{Key: key, Kind: notify.KindUpdate, Incident: inc, Recipient: "r", Channel: ch, CreatedAt: at}
	}
	enqueued(t, st,
		msg("p1", "INC-1", "slack", t0.Add(3*time.Second)),
		msg("p0", "INC-1", "email", t0.Add(time.Second)),
		msg("r", "INC-2", "slack", t0),
		msg("s", "INC-2", "slack", t0),
		msg("d", "INC-2", "wecom", t0),
		msg("u", "INC-3", "slack", t0),
		msg("x", "", "slack", t0),
		msg("ok", "INC-1", "slack", t0),
	)
	lease := time.Minute
	settle := func(key string, r notify.Result) {
		t.Helper()
		if _, ok, err := st.Claim(ctx, key, "w", t0, t0.Add(lease)); !ok || err != nil {
			t.Fatalf("claim %s: %v %v", key, ok, err)
		}
		if r.Status == notify.StatusSending {
			return // left under the claim
		}
		if err := st.Finish(ctx, key, "w", 1, r); err != nil {
			t.Fatalf("finish %s: %v", key, err)
		}
	}
	settle("r", notify.Result{Status: notify.StatusRetry, NextAt: t0.Add(30 * time.Second), At: t0})
	settle("s", notify.Result{Status: notify.StatusSending})
	settle("d", notify.Result{Status: notify.StatusDead, LastError: "HTTP 400", At: t0})
	settle("u", notify.Result{Status: notify.StatusUnknown, At: t0})
	settle("x", notify.Result{Status: notify.StatusDead, At: t0})
	settle("ok", notify.Result{Status: notify.StatusSent, Ref: "ref", SentAt: t0, At: t0})

	due := func(at time.Time, limit int) []string {
		t.Helper()
		msgs, err := st.Due(ctx, at, limit)
		if err != nil {
			t.Fatal(err)
		}
		return keysOf(msgs)
	}
	if got, want := due(t0, 0), []string{"p0", "p1"}; !slices.Equal(got, want) {
		t.Errorf("Due(t0) = %v, want %v (pending, oldest first)", got, want)
	}
	if got, want := due(t0.Add(30*time.Second), 0), []string{"r", "p0", "p1"}; !slices.Equal(got, want) {
		t.Errorf("Due(+30s) = %v, want %v (and the retry)", got, want)
	}
	if got, want := due(t0.Add(lease+time.Millisecond), 0), []string{"r", "s", "p0", "p1"}; !slices.Equal(got, want) {
		t.Errorf("Due(after the lease) = %v, want %v (and the expired claim)", got, want)
	}
	if got := due(t0.Add(time.Hour), 2); len(got) != 2 {
		t.Errorf("Due with limit 2 = %v", got)
	}

	list := func(f notify.Filter) []string {
		t.Helper()
		msgs, err := st.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return keysOf(msgs)
	}
	failed := []notify.Status{notify.StatusDead, notify.StatusUnknown}
	for name, tc := range map[string]struct {
		f    notify.Filter
		want []string
	}{
		"failures":            {notify.Filter{Statuses: failed}, []string{"d", "u", "x"}},
		"dead of INC-2":       {notify.Filter{Statuses: []notify.Status{notify.StatusDead}, Incident: "INC-2"}, []string{"d"}},
		"slack of INC-1":      {notify.Filter{Incident: "INC-1", Channel: "slack"}, []string{"ok", "p1"}},
		"everything, limit 3": {notify.Filter{Limit: 3}, []string{"d", "ok", "r"}},
		"nothing":             {notify.Filter{Incident: "INC-9"}, nil},
	} {
		if got := list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}

	counts, err := st.Failures(ctx)
	if err != nil || !reflect.DeepEqual(counts, map[string]int{"INC-2": 1, "INC-3": 1}) {
		t.Errorf("Failures = %v, %v", counts, err)
	}

	// Requeue: dead and unknown go back to pending with no attempts.
	back, err := st.Requeue(ctx, "d", t0.Add(time.Hour))
	if err != nil || back.Status != notify.StatusPending || back.Attempts != 0 || !back.NextAt.Equal(t0.Add(time.Hour)) || back.LastError != "HTTP 400" {
		t.Fatalf("Requeue(dead) = %+v, %v", back, err)
	}
	if _, err := st.Requeue(ctx, "u", t0.Add(time.Hour)); err != nil {
		t.Fatalf("Requeue(unknown) = %v", err)
	}
	for _, key := range []string{"d", "ok", "p0", "r", "s"} {
		if _, err := st.Requeue(ctx, key, t0); !errors.Is(err, notify.ErrNotFailed) {
			t.Errorf("Requeue(%s) = %v, want ErrNotFailed", key, err)
		}
	}
	if _, err := st.Requeue(ctx, "nope", t0); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("Requeue(unknown key) = %v, want ErrNotFound", err)
	}
	if counts, _ := st.Failures(ctx); len(counts) != 0 {
		t.Errorf("Failures after the requeues = %v", counts)
	}
}

func TestOutboxPurgeSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Outbox()
	enqueued(t, st, page("old", "a"), page("new", "b"), page("dead", "c"))
	for key, r := range map[string]notify.Result{
		"old":  {Status: notify.StatusSent, SentAt: t0, At: t0},
		"new":  {Status: notify.StatusSent, SentAt: t0.Add(48 * time.Hour), At: t0},
		"dead": {Status: notify.StatusDead, At: t0},
	} {
		if _, ok, err := st.Claim(ctx, key, "w", t0, t0.Add(time.Minute)); !ok || err != nil {
			t.Fatal(key, ok, err)
		}
		if err := st.Finish(ctx, key, "w", 1, r); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.PurgeSent(ctx, t0.Add(24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeSent = %d, %v; want 1", n, err)
	}
	msgs, _ := st.List(ctx, notify.Filter{})
	if got := keysOf(msgs); !slices.Equal(got, []string{"dead", "new"}) {
		t.Errorf("left %v", got)
	}
}
