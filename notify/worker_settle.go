package notify

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The decisions of the worker, as pure functions of a send's outcome: what
// to record, and for how long the destination must rest.

// retryPolicy is what the decisions need of the worker's options.
type retryPolicy struct {
	maxAttempts int
	backoff     Backoff
}

// verdict is what a claim's end means: the Result to record, and how long
// the message's destination is paused (a Retry-After).
type verdict struct {
	Result
	pause time.Duration
}

// settle decides what a send of m (whose Attempts counts this one) that
// returned ref and err means:
//
//   - nil: sent, with ref;
//   - ErrPermanent: dead at once;
//   - a *RetryAfterError: the destination pauses for After, and the
//     message is tried again then (a positive After; else as below);
//   - anything else: tried again after the back-off.
//
// Every send uses up an attempt: once m has had maxAttempts, a failure of
// any kind makes it dead.
func settle(m Message, ref string, err error, now time.Time, p retryPolicy) verdict {
	if err == nil {
		return verdict{Result: Result{Status: StatusSent, Ref: ref, SentAt: now, At: now}}
	}
	v := verdict{Result: Result{LastError: errorText(err), At: now}}
	var ra *RetryAfterError
	throttled := errors.As(err, &ra) && ra.After > 0
	if throttled {
		v.pause = ra.After
	}
	switch {
	case errors.Is(err, ErrPermanent):
		v.Status = StatusDead
	case m.Attempts >= p.maxAttempts:
		v.Status = StatusDead
		v.LastError = fmt.Sprintf("%s (gave up after %d attempts)", v.LastError, m.Attempts)
	case throttled:
		v.Status, v.NextAt = StatusRetry, now.Add(ra.After)
	default:
		v.Status, v.NextAt = StatusRetry, now.Add(p.backoff(m.Attempts))
	}
	return v
}

// lostAction is what to do with a message whose last send's outcome was
// lost: its owner died (or could not record the result) between sending
// and recording it.
type lostAction int

const (
	lostAsk    lostAction = iota + 1 // the sender is a Confirmer: ask it
	lostResend                       // receivers deduplicate (or it is only logged): send again
	lostGiveUp                       // mark it unknown, send nothing
)

// lostRule is the lost-outcome rule of ADR 0004 for a message of sender
// (nil: no sender, the message is only logged).
func lostRule(s Sender) lostAction {
	if s == nil {
		return lostResend
	}
	if _, ok := s.(Confirmer); ok {
		return lostAsk
	}
	if r, ok := s.(Resendable); ok && r.ResendSafe() {
		return lostResend
	}
	return lostGiveUp
}

// giveUp is the verdict on a lost outcome nobody can settle: unknown,
// listed with the dead messages, sent again only by hand.
func giveUp(prior Message, now time.Time) verdict {
	return verdict{Result: Result{Status: StatusUnknown, At: now, LastError: fmt.Sprintf(
		"the outcome of attempt %d was lost (%s stopped before recording it), and its channel cannot tell whether it arrived: not sent again",
		prior.Attempts, ownerName(prior.Owner))}}
}

func ownerName(o string) string {
	if o == "" {
		return "an earlier instance"
	}
	return "instance " + o
}

// unconfirmed is the verdict when a Confirmer could not say whether a
// lost message arrived: it stays in sending, claimable by anyone after the
// back-off, who asks again; unknown once the attempts are used up.
func unconfirmed(m Message, err error, now time.Time, p retryPolicy) verdict {
	text := "cannot confirm whether an earlier attempt arrived: " + errorText(err)
	if m.Attempts >= p.maxAttempts {
		return verdict{Result: Result{Status: StatusUnknown, LastError: text, At: now}}
	}
	return verdict{Result: Result{Status: StatusSending, NextAt: now.Add(p.backoff(m.Attempts)), LastError: text, At: now}}
}

// maxErrorText bounds a recorded error.
const maxErrorText = 1000

// secretRE finds what must not be recorded or logged: credentials in
// query strings (robot keys, signatures, tokens), user info in URLs and
// Slack tokens.
var secretRE = regexp.MustCompile(`(?i)([?&](?:key|token|access_token|sign|signature|secret|password|pass|auth)=)[^&\s"']*` +
	`|(://)[^/\s@"']+@` + `|\bxox[abposr]-[A-Za-z0-9-]+`)

// errorText is err as recorded in LastError and logs: URLs reduced to their
// scheme and host (webhook paths and query strings carry secrets), known
// secret shapes masked, at most maxErrorText bytes.
func errorText(err error) string {
	s := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		s = strings.ReplaceAll(s, ue.URL, hostOnly(ue.URL))
	}
	s = secretRE.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.HasPrefix(m, "://"):
			return "://"
		case strings.HasPrefix(strings.ToLower(m), "xox"):
			return "xox…"
		}
		i := strings.IndexByte(m, '=')
		return m[:i+1] + "…"
	})
	if len(s) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// hostOnly reduces a URL to scheme://host/….
func hostOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(url)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
