package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Store keeps the outbox. The one implementation is store.Outbox. Every
// change of a message's delivery state is one conditional update of that
// message, which is what lets any number of workers share the outbox
// (ADR 0004).
type Store interface {
	// Insert adds each message whose key is not stored yet, one at a
	// time, and returns those it added. A key already there is not an
	// error: that message was enqueued before.
	Insert(ctx context.Context, msgs []Message) (added []Message, err error)
	// List returns the messages that f selects, oldest first.
	List(ctx context.Context, f Filter) ([]Message, error)
	// Get returns the message with key, or ErrNotFound.
	Get(ctx context.Context, key string) (Message, error)
	// Due returns up to limit messages a worker should try at now, oldest
	// first: every pending message, retries whose NextAt has come, and
	// messages in sending whose claim expired before now.
	Due(ctx context.Context, now time.Time, limit int) ([]Message, error)
	// Claim moves the message with key to sending for owner until until,
	// and adds one to its Attempts, in one conditional update, if it is
	// pending, a retry whose NextAt is at or before now, or in sending
	// under a claim that expired before now or that owner itself holds
	// (an instance restarted under its stable name takes its claims back
	// at once; a worker never claims a message it is sending). It returns
	// the message as it was before the claim, so the caller sees a lost
	// outcome (it was in sending), and false, with no error, when the
	// message is not there to claim (someone else has it, or it is done).
	Claim(ctx context.Context, key, owner string, now, until time.Time) (Message, bool, error)
	// Finish records how the claim of owner, at attempts, ended. It
	// changes nothing and returns ErrClaimLost when the message is no
	// longer under that claim (it expired and someone else took it).
	Finish(ctx context.Context, key, owner string, attempts int, r Result) error
	// Requeue puts a dead or unknown message back to pending with no
	// attempts, due at now, and returns it. It returns ErrNotFound for an
	// unknown key and ErrNotFailed for a message in any other state.
	Requeue(ctx context.Context, key string, now time.Time) (Message, error)
	// Failures counts the dead and unknown messages of each incident.
	Failures(ctx context.Context) (map[string]int, error)
	// PurgeSent deletes the messages sent before before and returns how
	// many it deleted.
	PurgeSent(ctx context.Context, before time.Time) (int64, error)
	Refs
}

// Filter selects messages for List. Zero values select everything.
type Filter struct {
	Statuses []Status // any of these
	Incident string
	Channel  Channel
	Limit    int // at most; the store's default (100) when 0, and never more than 1000
}

// Result is how a claim ended, as Finish records it.
type Result struct {
	// Status is sent, retry, dead or unknown; or sending when a lost
	// outcome could not be settled yet (the sender could not say whether
	// the message arrived): the message is then claimable again at NextAt
	// by anyone, who asks again.
	Status    Status
	NextAt    time.Time // retry and sending: not before
	LastError string
	Ref       string    // sent: what the sender returned
	SentAt    time.Time // sent
	At        time.Time // when the result was recorded (UpdatedAt)
}

// Errors of the outbox.
var (
	// ErrNotFound is returned for a key that is not in the outbox.
	ErrNotFound = errors.New("no such message in the outbox")
	// ErrClaimLost is returned by Finish to a worker whose claim was taken
	// over: its result is not recorded.
	ErrClaimLost = errors.New("the message is no longer under this claim")
	// ErrNotFailed is returned by Requeue for a message that is neither
	// dead nor unknown: only those are sent again by hand.
	ErrNotFailed = errors.New("the message is neither dead nor unknown")
)

// Outbox is where everything Tocsin has to tell people is put first. A
// message is enqueued once per key whatever happens (retries, a second
// instance, a timer fired twice), which is what makes its producers safe to
// repeat. The Worker delivers it; the hooks registered with OnEnqueue (the
// worker's Wake) hear of every new message at once, so delivery does not
// wait for a poll.
type Outbox struct {
	st  Store
	now func() time.Time
	log *slog.Logger

	mu    sync.RWMutex
	hooks []func(...Message)
}

// NewOutbox returns an outbox over st that reads time from now.
func NewOutbox(st Store, now func() time.Time, log *slog.Logger) *Outbox {
	return &Outbox{st: st, now: now, log: log}
}

// OnEnqueue registers f to be called with the messages each Enqueue adds,
// as stored, right after they are. f must not block: Worker.Wake is meant.
func (o *Outbox) OnEnqueue(f func(...Message)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hooks = append(o.hooks, f)
}

// Enqueue adds the messages whose keys are new and returns how many it
// added; a message with a key already enqueued is left out, not an error.
// Empty channels become ChannelLog, statuses pending with no attempts,
// zero creation times now, and each message is due at its creation time.
// On an error, some messages may have been added (each is logged, and
// handed to the OnEnqueue hooks), and calling again with the same
// messages is safe.
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
		m.Status, m.Attempts, m.NextAt, m.UpdatedAt = StatusPending, 0, m.CreatedAt, now
		m.Owner, m.LastError, m.SentAt, m.Ref = "", "", time.Time{}, ""
		batch[i] = m
	}
	added, err := o.st.Insert(ctx, batch)
	for _, m := range added {
		o.log.InfoContext(ctx, "message enqueued", "key", m.Key, "kind", string(m.Kind),
			"incident", m.Incident, "recipient", m.Recipient, "channel", string(m.Channel), "subject", m.Subject)
	}
	if len(added) > 0 {
		o.mu.RLock()
		hooks := o.hooks
		o.mu.RUnlock()
		for _, f := range hooks {
			f(added...)
		}
	}
	if err != nil {
		return len(added), fmt.Errorf("enqueue: %w", err)
	}
	return len(added), nil
}

// List returns up to limit messages in status (every status for ""),
// oldest first.
func (o *Outbox) List(ctx context.Context, status Status, limit int) ([]Message, error) {
	f := Filter{Limit: limit}
	if status != "" {
		f.Statuses = []Status{status}
	}
	msgs, err := o.st.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, nil
}
