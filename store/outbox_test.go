package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func page(key, person string) notify.Message {
	return notify.Message{Key: key, Kind: notify.KindPage, Incident: "INC-2026-000001", Recipient: person,
		Channel: "slack", Subject: "INC-2026-000001: please acknowledge", Body: "body"}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOutboxEnqueueOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs syncBuffer
	out := notify.NewOutbox(storetest.New(t).Outbox(), func() time.Time { return t0 },
		slog.New(slog.NewTextHandler(&logs, nil)))

	n, err := out.Enqueue(ctx, page("INC-2026-000001/step1/r0/alice", "alice"), page("INC-2026-000001/step1/r0/bob", "bob"),
		page("INC-2026-000001/step1/r0/alice", "alice")) // the same key twice in one batch
	if err != nil || n != 2 {
		t.Fatalf("Enqueue = %d, %v; want 2 new", n, err)
	}
	n, err = out.Enqueue(ctx, page("INC-2026-000001/step1/r0/bob", "bob"), page("INC-2026-000001/step2/r0/carol", "carol"))
	if err != nil || n != 1 {
		t.Fatalf("Enqueue again = %d, %v; want 1 new (bob's is already enqueued)", n, err)
	}

	got, err := out.List(ctx, notify.StatusPending, 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range got {
		keys = append(keys, m.Key)
	}
	want := []string{"INC-2026-000001/step1/r0/alice", "INC-2026-000001/step1/r0/bob", "INC-2026-000001/step2/r0/carol"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("List(pending) = %v, want %v", keys, want)
	}
	first := page(want[0], "alice")
	first.CreatedAt, first.Status, first.NextAt, first.UpdatedAt = t0, notify.StatusPending, t0, t0
	if !reflect.DeepEqual(got[0], first) {
		t.Errorf("round trip: %+v\nwant %+v", got[0], first)
	}
	if other, _ := out.List(ctx, "sent", 0); len(other) != 0 {
		t.Errorf("List(sent) = %v", other)
	}
	if two, _ := out.List(ctx, "", 2); len(two) != 2 {
		t.Errorf("List(all, 2) gave %d", len(two))
	}

	// Each new message is logged once, with the stable keys.
	text := logs.String()
	if c := strings.Count(text, "message enqueued"); c != 3 {
		t.Errorf("%d log lines for 3 new messages:\n%s", c, text)
	}
	for _, k := range []string{"key=INC-2026-000001/step2/r0/carol", "incident=INC-2026-000001", "recipient=carol", "level=INFO"} {
		if !strings.Contains(text, k) {
			t.Errorf("log lacks %q:\n%s", k, text)
		}
	}

	// An invalid message is refused and nothing of its batch is written.
	bad := page("", "alice")
	if n, err := out.Enqueue(ctx, page("INC-2026-000001/x/dave", "dave"), bad); !errors.Is(err, notify.ErrInvalid) || n != 0 {
		t.Errorf("Enqueue with a keyless message = %d, %v; want ErrInvalid", n, err)
	}
	if all, _ := out.List(ctx, "", 0); len(all) != 3 {
		t.Errorf("an invalid batch wrote messages: %d stored", len(all))
	}
}

// TestOutboxRacingEnqueues: instances enqueueing the same page at once
// store it once; the unique key decides.
func TestOutboxRacingEnqueues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	out := notify.NewOutbox(storetest.New(t).Outbox(), func() time.Time { return t0 }, slog.New(slog.DiscardHandler))
	const n = 20
	counts := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := out.Enqueue(ctx, page("INC-2026-000001/step1/r0/alice", "alice"), page(fmt.Sprint("own/", i), "bob"))
			if err != nil {
				t.Error(err)
			}
			counts[i] = c
		})
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != n+1 {
		t.Errorf("%d messages counted as new; want %d (each own key, and the shared one once)", total, n+1)
	}
	if all, _ := out.List(ctx, "", 0); len(all) != n+1 {
		t.Errorf("%d stored, want %d", len(all), n+1)
	}
}
