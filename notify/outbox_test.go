package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
)

// memStore is the enqueueing half of a notify.Store in memory that can fail
// after some inserts; the worker's methods are left out (the embedded
// interface is nil): delivery is tested against the real store.
type memStore struct {
	notify.Store
	msgs     map[string]notify.Message
	order    []string
	failFrom int // Insert fails at the failFrom-th new message (1-based); 0 never
	inserted int
}

func (m *memStore) Insert(_ context.Context, msgs []notify.Message) ([]notify.Message, error) {
	var added []notify.Message
	for _, msg := range msgs {
		if _, ok := m.msgs[msg.Key]; ok {
			continue
		}
		if m.inserted++; m.failFrom > 0 && m.inserted >= m.failFrom {
			return added, errors.New("connection reset")
		}
		m.msgs[msg.Key] = msg
		m.order = append(m.order, msg.Key)
		added = append(added, msg)
	}
	return added, nil
}

func (m *memStore) List(_ context.Context, f notify.Filter) ([]notify.Message, error) {
	var out []notify.Message
	for _, k := range m.order {
		if msg := m.msgs[k]; len(f.Statuses) == 0 || slices.Contains(f.Statuses, msg.Status) {
			out = append(out, msg)
		}
	}
	return out, nil
}

var now = time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)

func TestEnqueueDefaultsAndLogs(t *testing.T) {
	ctx := context.Background()
	st := &memStore{msgs: map[string]notify.Message{}}
	var logs bytes.Buffer
	out := notify.NewOutbox(st, func() time.Time { return now }, slog.New(slog.NewTextHandler(&logs, nil)))

	made := time.Date(2026, 3, 21, 8, 0, 0, 0, time.UTC)
	n, err := out.Enqueue(ctx,
		notify.Message{Key: "k1", Kind: notify.KindCoverage, Recipient: "carol", Subject: "gap"},
		notify.Message{Key: "k2", Kind: notify.KindPage, Incident: "INC-1", Recipient: "alice", Channel: "slack", CreatedAt: made, Status: "sent"})
	if err != nil || n != 2 {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	if m := st.msgs["k1"]; m.Channel != notify.ChannelLog || m.Status != notify.StatusPending || !m.CreatedAt.Equal(now) {
		t.Errorf("defaults not applied: %+v", m)
	}
	if m := st.msgs["k2"]; m.Channel != "slack" || m.Status != notify.StatusPending || !m.CreatedAt.Equal(made) {
		t.Errorf("given values not kept (status is always pending): %+v", m)
	}
	if n, err := out.Enqueue(ctx, notify.Message{Key: "k1", Kind: notify.KindCoverage, Recipient: "carol"}); err != nil || n != 0 {
		t.Errorf("a duplicate: %d, %v; want 0, nil", n, err)
	}
	if c := strings.Count(logs.String(), "message enqueued"); c != 2 {
		t.Errorf("%d log lines, want 2:\n%s", c, logs.String())
	}
	if !strings.Contains(logs.String(), "incident=INC-1 recipient=alice") || !strings.Contains(logs.String(), "key=k2") {
		t.Errorf("log lacks the stable keys:\n%s", logs.String())
	}
}

func TestEnqueueRefusesInvalid(t *testing.T) {
	ctx := context.Background()
	out := notify.NewOutbox(&memStore{msgs: map[string]notify.Message{}}, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	for name, m := range map[string]notify.Message{
		"no key":       {Kind: notify.KindPage, Recipient: "a"},
		"no kind":      {Key: "k", Recipient: "a"},
		"no recipient": {Key: "k", Kind: notify.KindPage},
		"long key":     {Key: strings.Repeat("k", notify.MaxKey+1), Kind: notify.KindPage, Recipient: "a"},
	} {
		if _, err := out.Enqueue(ctx, m); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// TestEnqueuePartialFailure: what was added before a failure is counted and
// logged, and enqueueing the batch again adds only the rest.
func TestEnqueuePartialFailure(t *testing.T) {
	ctx := context.Background()
	st := &memStore{msgs: map[string]notify.Message{}, failFrom: 2}
	var logs bytes.Buffer
	out := notify.NewOutbox(st, func() time.Time { return now }, slog.New(slog.NewTextHandler(&logs, nil)))
	batch := []notify.Message{
		{Key: "a", Kind: notify.KindPage, Recipient: "x"},
		{Key: "b", Kind: notify.KindPage, Recipient: "y"},
	}
	if n, err := out.Enqueue(ctx, batch...); err == nil || n != 1 {
		t.Fatalf("Enqueue = %d, %v; want 1 and the error", n, err)
	}
	st.failFrom = 0
	if n, err := out.Enqueue(ctx, batch...); err != nil || n != 1 {
		t.Fatalf("Enqueue again = %d, %v; want 1 (only b is new)", n, err)
	}
	if c := strings.Count(logs.String(), "message enqueued"); c != 2 {
		t.Errorf("%d log lines, want 2", c)
	}
	if got, _ := out.List(ctx, notify.StatusPending, 0); len(got) != 2 {
		t.Errorf("List = %+v", got)
	}
}
