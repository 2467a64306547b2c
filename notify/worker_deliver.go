package notify

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// deliver claims it's message, sends it (or settles its lost outcome) and
// records the result, and reports whether the message is now sent.
func (w *Worker) deliver(ctx context.Context, it *item) bool {
	start := w.o.Now()
	if u := it.unrecorded; u != nil {
		it.unrecorded = nil
		return w.finish(ctx, it, u.m, u.v, start)
	}
	key := it.m.Key
	until := start.Add(w.o.Lease)
	prior, ok, err := w.st.Claim(ctx, key, w.o.Owner, start, until)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("claim message", "key", key, "err", err, "retry_in", claimRetry.String())
		}
		w.mu.Lock()
		w.q.release(it, true, start.Add(claimRetry))
		w.mu.Unlock()
		return false
	}
	if !ok {
		// Sent, or being sent, by someone else; or put back to pending and
		// due later. Whoever has it carries on; a poll brings it back here
		// if it is left behind.
		w.mu.Lock()
		w.q.release(it, false, time.Time{})
		w.mu.Unlock()
		return false
	}
	m := prior
	m.Status, m.Owner, m.Attempts, m.NextAt = StatusSending, w.o.Owner, prior.Attempts+1, until
	sender := w.sender(m)
	var v verdict
	if prior.Status == StatusSending {
		v = w.lost(ctx, m, prior, sender)
	} else {
		v = w.send(ctx, m, sender)
	}
	return w.finish(ctx, it, m, v, start)
}

// send hands m to sender (nil: only log it) and judges the outcome.
func (w *Worker) send(ctx context.Context, m Message, sender Sender) verdict {
	if sender == nil {
		w.log.InfoContext(ctx, "message (no sender for its channel: logged only)", "key", m.Key, "kind", string(m.Kind),
			"incident", m.Incident, "recipient", m.Recipient, "channel", string(m.Channel), "address", m.Address,
			"subject", m.Subject, "attempt", m.Attempts)
		now := w.o.Now()
		return verdict{Result: Result{Status: StatusSent, Ref: RefLog, SentAt: now, At: now}}
	}
	sctx, cancel := context.WithTimeout(ctx, w.o.SendTimeout)
	ref, err := w.safeSend(sctx, sender, m)
	cancel()
	return settle(m, ref, err, w.o.Now(), w.policy)
}

// RefLog is the Ref of a message that was only logged: its channel has no
// Sender (chat switched off), or it is ChannelLog.
const RefLog = "log"

// lost applies the lost-outcome rule (ADR 0004) to m, found in sending
// under prior's expired claim (or this instance's own, from before a
// restart).
func (w *Worker) lost(ctx context.Context, m Message, prior Message, sender Sender) verdict {
	action := lostRule(sender)
	w.log.WarnContext(ctx, "message found in sending: the outcome of its last attempt was lost", "key", m.Key,
		"incident", m.Incident, "channel", string(m.Channel), "attempt", prior.Attempts, "owner", prior.Owner,
		"rule", map[lostAction]string{lostAsk: "ask the sender", lostResend: "send again", lostGiveUp: "mark unknown"}[action])
	switch action {
	case lostAsk:
		cctx, cancel := context.WithTimeout(ctx, w.o.SendTimeout)
		ref, delivered, err := w.safeDelivered(cctx, sender.(Confirmer), m)
		cancel()
		now := w.o.Now()
		switch {
		case err != nil:
			return unconfirmed(m, err, now, w.policy)
		case delivered:
			return verdict{Result: Result{Status: StatusSent, Ref: ref, SentAt: now, At: now}}
		}
		return w.send(ctx, m, sender)
	case lostResend:
		return w.send(ctx, m, sender)
	}
	return giveUp(prior, w.o.Now())
}

// finish records v for m, logs it, and updates the worker's memory. It
// reports whether the message is recorded as sent.
func (w *Worker) finish(ctx context.Context, it *item, m Message, v verdict, start time.Time) bool {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	var err error
	for try := range 3 {
		if err = w.st.Finish(fctx, m.Key, w.o.Owner, m.Attempts, v.Result); err == nil || errors.Is(err, ErrClaimLost) {
			break
		}
		select {
		case <-fctx.Done():
		case <-time.After(time.Duration(try+1) * 200 * time.Millisecond):
			continue
		}
		break
	}
	now := w.o.Now()
	attrs := []any{"key", m.Key, "incident", m.Incident, "channel", string(m.Channel), "attempt", m.Attempts}
	w.mu.Lock()
	defer func() {
		w.mu.Unlock()
		w.signal()
	}()
	switch {
	case errors.Is(err, ErrClaimLost):
		// Our claim expired and someone took the message over: what we did
		// is theirs to settle (by the lost-outcome rule).
		w.log.Warn("message result not recorded: the claim was taken over", append(attrs, "result", string(v.Status))...)
		w.q.done(it, false, m, time.Time{}, start, now, v.pause)
		return false
	case err != nil:
		// The store did not take the result: the message stays in sending
		// under this claim, and this worker records the result again
		// later. Should the claim be taken over meanwhile (the store was
		// away longer than the lease), the taker settles the message by the
		// lost-outcome rule and this result is refused.
		w.log.Error("record message result; will try again", append(attrs, "result", string(v.Status), "err", err)...)
		it.unrecorded = &unrecorded{m: m, v: v}
		w.q.done(it, true, it.m, now.Add(claimRetry), start, now, v.pause)
		return false
	}
	m.Status, m.LastError, m.UpdatedAt = v.Status, v.LastError, v.At
	switch v.Status {
	case StatusSent:
		w.log.Info("message sent", append(attrs, "ref", v.Ref)...)
		w.q.done(it, false, m, time.Time{}, start, now, v.pause)
		return true
	case StatusRetry:
		w.log.Warn("message not sent; will retry", append(attrs, "retry_at", v.NextAt, "err", v.LastError)...)
		m.NextAt = v.NextAt
		w.q.done(it, true, m, v.NextAt, start, now, v.pause)
	case StatusSending:
		w.log.Warn("message outcome not settled; will ask again", append(attrs, "retry_at", v.NextAt, "err", v.LastError)...)
		m.NextAt, m.Owner = v.NextAt, ""
		w.q.done(it, true, m, v.NextAt.Add(time.Millisecond), start, now, v.pause)
	case StatusDead:
		w.log.Error("message dead", append(attrs, "err", v.LastError)...)
		w.failed(m.Incident)
		w.q.done(it, false, m, time.Time{}, start, now, v.pause)
	case StatusUnknown:
		w.log.Error("message outcome unknown; not sent again", append(attrs, "err", v.LastError)...)
		w.failed(m.Incident)
		w.q.done(it, false, m, time.Time{}, start, now, v.pause)
	}
	return false
}

// errPanic is the failure of a sender that panicked; the stack is logged.
var errPanic = errors.New("sender panicked")

// safeSend calls s.Send, turning a panic into an error (a failed attempt).
func (w *Worker) safeSend(ctx context.Context, s Sender, m Message) (ref string, err error) {
	defer w.recoverSender(m, &err)
	return s.Send(ctx, m)
}

// safeDelivered calls c.Delivered, turning a panic into an error.
func (w *Worker) safeDelivered(ctx context.Context, c Confirmer, m Message) (ref string, ok bool, err error) {
	defer w.recoverSender(m, &err)
	return c.Delivered(ctx, m)
}

func (w *Worker) recoverSender(m Message, err *error) {
	if r := recover(); r != nil {
		w.log.Error("sender panicked", "key", m.Key, "channel", string(m.Channel), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = fmt.Errorf("%w: %v", errPanic, r)
	}
}
