package main

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
)

// openTestStore opens an embedded store of its own in a temporary
// directory.
func openTestStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	return db
}

// TestNotifyWiring: a sender added before build delivers its channel's
// messages, woken by the outbox the escalator shares; other channels are
// only logged; a sender added after build is a programming error.
func TestNotifyWiring(t *testing.T) {
	t.Parallel()
	db := openTestStore(t)
	log := slog.New(slog.DiscardHandler)
	got := make(chan string, 2)
	var n notifyWorkers
	n.addSender(notify.ChannelEmail, notify.SenderFunc(func(_ context.Context, m notify.Message) (string, error) {
		got <- m.Key
		return "250 ok", nil
	}))
	if err := n.build(db, incident.NewService(db.Incidents(), time.Now), log); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	n.start(ctx, &wg)
	defer func() { cancel(); wg.Wait() }()
	if _, err := n.out.Enqueue(ctx, notify.Message{Key: "mail", Kind: notify.KindFeedback, Recipient: "alice", Channel: notify.ChannelEmail},
		notify.Message{Key: "chat", Kind: notify.KindPage, Recipient: "bob", Channel: notify.ChannelSlack}); err != nil {
		t.Fatal(err)
	}
	select {
	case key := <-got:
		if key != "mail" {
			t.Errorf("the e-mail sender got %s", key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the e-mail was not sent")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent, err := n.admin.Messages(ctx, notify.Filter{Statuses: []notify.Status{notify.StatusSent}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) == 2 {
			for _, m := range sent {
				if want := map[string]string{"mail": "250 ok", "chat": notify.RefLog}[m.Key]; m.Ref != want {
					t.Errorf("%s: ref %q, want %q", m.Key, m.Ref, want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent: %+v", sent)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n.worker.Owner() != "embedded" {
		t.Errorf("owner on the embedded store: %q", n.worker.Owner())
	}
	defer func() {
		if recover() == nil {
			t.Error("a sender added after build was accepted")
		}
	}()
	n.addSender(notify.ChannelWebhook, notify.SenderFunc(func(context.Context, notify.Message) (string, error) { return "", nil }))
}

// TestNotifyReconcile: at start-up the announcer is replayed the incidents
// changed in the last day, in full, and what they call for is enqueued.
func TestNotifyReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db := openTestStore(t)

	now := time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)
	var clock time.Time
	svc := incident.NewService(db.Incidents(), func() time.Time { return clock })
	report := func(title string, at time.Time) {
		t.Helper()
		clock = at
		if _, err := svc.Report(ctx, incident.ReportInput{Title: title, Description: "details of " + title, Source: "api"},
			incident.Actor{ID: "u1", Name: "Alice"}); err != nil {
			t.Fatal(err)
		}
	}
	report("old", now.Add(-25*time.Hour))
	report("recent", now.Add(-23*time.Hour))

	var (
		mu   sync.Mutex
		seen []string
	)
	var n notifyWorkers
	n.addPlanner(notify.PlannerFunc(func(_ context.Context, ev incident.Event) ([]notify.Message, error) {
		mu.Lock()
		seen = append(seen, ev.Incident.Title+": "+ev.Incident.Description)
		mu.Unlock()
		return []notify.Message{{Key: ev.Incident.Number + "/card", Kind: notify.KindCard, Incident: ev.Incident.Number,
			Channel: notify.ChannelSlack}}, nil
	}))
	if err := n.build(db, svc, log); err != nil {
		t.Fatal(err)
	}
	if err := n.reconcile(ctx, now); err != nil {
		t.Fatal(err)
	}
	if want := []string{"recent: details of recent"}; !slices.Equal(seen, want) {
		t.Errorf("replayed %q, want %q", seen, want)
	}
	msgs, err := n.out.List(ctx, notify.StatusPending, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Key != "INC-2026-000002/card" {
		t.Errorf("enqueued %+v, %v", msgs, err)
	}
	// Again: the keys make it a no-op.
	if err := n.reconcile(ctx, now); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := n.out.List(ctx, "", 0); len(msgs) != 1 {
		t.Errorf("a second reconciliation enqueued again: %d messages", len(msgs))
	}
}
