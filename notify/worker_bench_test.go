package notify_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// BenchmarkEnqueueToSend measures the time from Outbox.Enqueue to the
// Sender's Send on a running worker over the embedded store, one message
// at a time: the insert, the wake and the claim (recording the result
// comes after Send and overlaps the next iteration). The outbox holds
// sent messages beforehand, as it does in use (the retention job keeps 30
// days): FerretDB v1.24 finds even a document by _id by reading through
// the whole collection, so the cost grows with its size.
func BenchmarkEnqueueToSend(b *testing.B) {
	for _, size := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("outbox=%d", size), func(b *testing.B) { benchEnqueueToSend(b, size) })
	}
}

func benchEnqueueToSend(b *testing.B, size int) {
	db := storetest.New(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := make([]notify.Message, size)
	for i := range old {
		old[i] = notify.Message{Key: fmt.Sprint("old/", i), Kind: notify.KindCard, Incident: "INC-2026-000001",
			Channel: notify.ChannelSlack, Subject: "card", Body: "an older card", CreatedAt: t0, Status: notify.StatusSent,
			Attempts: 1, SentAt: t0, UpdatedAt: t0, Ref: "C1:1700000000.000100"}
	}
	if _, err := db.Outbox().Insert(ctx, old); err != nil {
		b.Fatal(err)
	}
	got := make(chan struct{})
	sender := notify.SenderFunc(func(context.Context, notify.Message) (string, error) {
		got <- struct{}{}
		return "ok", nil
	})
	log := slog.New(slog.DiscardHandler)
	w := notify.NewWorker(db.Outbox(), map[notify.Channel]notify.Sender{notify.ChannelSlack: sender},
		notify.WorkerOptions{Owner: "bench", Poll: time.Hour, Logger: log})
	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	out.OnEnqueue(w.Wake)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for i := 0; b.Loop(); i++ {
		m := notify.Message{Key: fmt.Sprint("bench/", i), Kind: notify.KindCard, Incident: "INC-2026-000001",
			Channel: notify.ChannelSlack, Subject: "card"}
		if _, err := out.Enqueue(ctx, m); err != nil {
			b.Fatal(err)
		}
		<-got
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
