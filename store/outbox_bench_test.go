package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// BenchmarkOutboxClaim measures one claim (the worker's per-message state
// changes are a claim and a result of the same cost) in an outbox of
// size messages, both ways: the store's own (on the embedded server, a
// read and a replace by _id under a lock) and the conditional update
// MongoDB gets.
func BenchmarkOutboxClaim(b *testing.B) {
	for _, size := range []int{1000, 10000} {
		for name, outbox := range map[string]func(*store.Outbox) *store.Outbox{
			"own":         func(o *store.Outbox) *store.Outbox { return o },
			"conditional": store.ConditionalOutbox,
		} {
			b.Run(fmt.Sprintf("%s/outbox=%d", name, size), func(b *testing.B) {
				ctx := context.Background()
				st := outbox(storetest.New(b).Outbox())
				msgs := make([]notify.Message, size)
				for i := range msgs {
					msgs[i] = page(fmt.Sprint("k", i), "alice")
					msgs[i].CreatedAt, msgs[i].Status, msgs[i].NextAt = t0, notify.StatusPending, t0
				}
				if _, err := st.Insert(ctx, msgs); err != nil {
					b.Fatal(err)
				}
				for i := 0; b.Loop(); i++ {
					// The owner may claim its own claim again, so every call
					// succeeds however many rounds b.N takes.
					if _, ok, err := st.Claim(ctx, fmt.Sprint("k", i%size), "w", t0, t0.Add(time.Minute)); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
}
