package notify

import (
	"context"
	"fmt"
	"time"
)

// Admin is what administrators do with the outbox: list its messages, send
// a dead or unknown one again, and see which incidents have failures. It
// joins the store, for the lists and the requeue, and the worker, which
// is woken for the requeued message and keeps the failure counts.
type Admin struct {
	st  Store
	w   *Worker
	now func() time.Time
}

// NewAdmin returns the administration of st delivered by w.
func NewAdmin(st Store, w *Worker) *Admin { return &Admin{st: st, w: w, now: w.o.Now} }

// Messages lists the messages f selects, oldest first.
func (a *Admin) Messages(ctx context.Context, f Filter) ([]Message, error) {
	msgs, err := a.st.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, nil
}

// Retry puts the dead or unknown message with key back to pending, with
// its attempts reset, and wakes the worker for it. It returns ErrNotFound
// or ErrNotFailed (wrapped) for a key it cannot retry.
func (a *Admin) Retry(ctx context.Context, key string) (Message, error) {
	m, err := a.st.Requeue(ctx, key, a.now())
	if err != nil {
		return Message{}, err
	}
	a.w.requeued(m)
	return m, nil
}

// Failures is the number of dead and unknown messages of incident.
func (a *Admin) Failures(incident string) int { return a.w.Failures(incident) }
