package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Store keeps the outbox. The one implementation is store.Outbox.
type Store interface {
	// Insert adds each message whose key is not stored yet, one at a
	// time, and returns those it added. A key already there is not an
	// error: that message was enqueued before.
	Insert(ctx context.Context, msgs []Message) (added []Message, err error)
	// List returns up to limit messages in status, oldest first; every
	// status when status is "".
	List(ctx context.Context, status Status, limit int) ([]Message, error)
}

// Outbox is where everything Tocsin has to tell people is put first. A
// message is enqueued once per key whatever happens (retries, a second
// instance, a timer fired twice), which is what makes its producers safe to
// repeat. Delivery (chat, e-mail, robots, with retries) is a later worker
// reading pending messages; until then each new message is logged, which
// is all the "log" channel does.
type Outbox struct {
	st  Store
	now func() time.Time
	log *slog.Logger
}

// NewOutbox returns an outbox over st that reads time from now.
func NewOutbox(st Store, now func() time.Time, log *slog.Logger) *Outbox {
	return &Outbox{st: st, now: now, log: log}
}

// Enqueue adds the messages whose keys are new and returns how many it
// added; a message with a key already enqueued is left out, not an error.
// Empty channels become ChannelLog, statuses pending, and zero creation
// times now. On an error, some messages may have been added (each is
// logged), and calling again with the same messages is safe.
func (o *Outbox) Enqueue(ctx context.Context, msgs ...Message) (int, error) {
	now := o.now().UTC()
	batch := make([]Message, len(msgs))
	for i, m := range msgs {
		if err := m.validate(); err != nil {
			return 0, fmt.Errorf("enqueue: %w", err)
		}
		if m.Channel == "" {
			m.Channel = ChannelLog
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		m.Status = StatusPending
		batch[i] = m
	}
	added, err := o.st.Insert(ctx, batch)
	for _, m := range added {
		o.log.InfoContext(ctx, "message enqueued", "key", m.Key, "kind", string(m.Kind),
			"incident", m.Incident, "recipient", m.Recipient, "channel", string(m.Channel), "subject", m.Subject)
	}
	if err != nil {
		return len(added), fmt.Errorf("enqueue: %w", err)
	}
	return len(added), nil
}

// List returns up to limit messages in status (every status for ""),
// oldest first.
func (o *Outbox) List(ctx context.Context, status Status, limit int) ([]Message, error) {
	msgs, err := o.st.List(ctx, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, nil
}
