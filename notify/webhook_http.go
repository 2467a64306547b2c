package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// httpTimeout bounds one delivery to a webhook or a robot.
const httpTimeout = 10 * time.Second

// maxReply is how much of a receiver's answer is read.
const maxReply = 64 << 10

// Bounds on a receiver's Retry-After.
const (
	defaultRetryAfter = time.Minute
	maxRetryAfter     = 6 * time.Hour
)

// NewHTTPClient is the client webhooks and robots are posted with: a 10 s
// timeout, and no redirects (a receiver that redirects is misconfigured,
// and following it would post the message somewhere nobody configured).
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: httpTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// reply is a receiver's answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// postJSON posts body to target. what names the receiver in errors, which
// never show target: a robot's URL carries its key, and errors are logged
// and listed.
func postJSON(ctx context.Context, client *http.Client, what, target string, body []byte, header http.Header) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return reply{}, fmt.Errorf("%s: bad URL: %w", what, ErrPermanent)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Tocsin")
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL
		}
		return reply{}, fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxReply))
	if err != nil {
		return reply{}, fmt.Errorf("%s: read the answer: %w", what, err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: data}, nil
}

// statusError classifies an HTTP status: nil for 2xx; a *RetryAfterError
// for 429 (after the receiver's Retry-After); a transient error for 408
// and 5xx; a permanent one for anything else (a 4xx, a redirect).
func statusError(what string, r reply, now time.Time) error {
	switch {
	case r.status >= 200 && r.status < 300:
		return nil
	case r.status == http.StatusTooManyRequests:
		return &RetryAfterError{After: retryAfter(r.header, now), Err: fmt.Errorf("%s: HTTP 429", what)}
	case r.status == http.StatusRequestTimeout || r.status >= 500:
		return fmt.Errorf("%s: HTTP %d%s", what, r.status, snippet(r.body))
	}
	return fmt.Errorf("%s: HTTP %d%s: %w", what, r.status, snippet(r.body), ErrPermanent)
}

// retryAfter reads Retry-After (seconds or an HTTP date), within bounds.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	d := defaultRetryAfter
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// snippet quotes the start of an answer for an error message.
func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	return ": " + strconv.Quote(cutBytes(string(b), 200))
}
