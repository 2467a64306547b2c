package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sender delivers messages of one channel (Slack, e-mail, a webhook, a
// robot). Send is called by the outbox worker for a claimed message, with
// a context that ends before the claim does. It returns a reference to what
// it created (kept as Message.Ref, e.g. Slack's "channel:ts", so that a
// card can be edited later) or an error classified as follows:
//
//   - an error wrapping ErrPermanent (a bad address, a revoked token, a
//     message the platform refuses): the message is dead at once;
//   - a *RetryAfterError (HTTP 429, a platform's throttling): the message
//     is tried again no sooner than After, and the destination is paused
//     for as long;
//   - anything else (network errors, timeouts, 5xx): tried again with
//     exponential back-off and jitter, until the attempts run out.
type Sender interface {
	Send(ctx context.Context, m Message) (ref string, err error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) (string, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) (string, error) { return f(ctx, m) }

// Destination is implemented by senders whose platform limits how fast one
// destination may receive (Slack about one message a second per channel,
// the robots 20 a minute). The worker sends to one destination in order,
// one message at a time, at most one per Every, so a burst queues instead
// of failing.
type Destination interface {
	// Destination names where m goes (e.g. "slack:C123", "wecom:ops") and
	// the least time between two messages there (0: no limit). The worker
	// calls it while it holds its lock: it must be quick and pure.
	Destination(m Message) (name string, every time.Duration)
}

// Confirmer is implemented by senders that can find out whether a message
// whose send outcome was lost (the sending instance died between sending
// and recording) did arrive; Slack can, by the key carried in the
// message's metadata. See ADR 0004 for what happens without it.
type Confirmer interface {
	// Delivered reports whether m was delivered, and its reference.
	Delivered(ctx context.Context, m Message) (ref string, ok bool, err error)
}

// Resendable is implemented by senders whose receivers discard a message
// they have seen (a webhook receiver deduplicates by X-Tocsin-Delivery),
// so a message whose send outcome was lost can simply be sent again.
type Resendable interface {
	ResendSafe() bool
}

// ErrPermanent marks a send error that retrying cannot fix.
var ErrPermanent = errors.New("permanent delivery failure")

// RetryAfterError is a send refused for now: try again after After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("throttled, retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// Refs finds what an earlier message created: the Slack sender edits a
// card through the Ref of the message that posted it. The outbox store
// implements it.
type Refs interface {
	// Ref returns the Ref of the sent message with key, or "" and no
	// error when that message is not sent (yet).
	Ref(ctx context.Context, key string) (string, error)
}
