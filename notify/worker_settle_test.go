package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSettle(t *testing.T) {
	now := time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)
	p := retryPolicy{maxAttempts: 3, backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }}
	throttled := &RetryAfterError{After: 2 * time.Second, Err: errors.New("429")}
	for _, tc := range []struct {
		name     string
		attempts int
		ref      string
		err      error
		want     Status
		next     time.Duration // after now; retry and sending only
		pause    time.Duration
	}{
		{"sent", 1, "C1:2", nil, StatusSent, 0, 0},
		{"permanent", 1, "", fmt.Errorf("invalid_auth: %w", ErrPermanent), StatusDead, 0, 0},
		{"5xx", 1, "", errors.New("HTTP 503"), StatusRetry, time.Minute, 0},
		{"5xx again", 2, "", errors.New("HTTP 503"), StatusRetry, 2 * time.Minute, 0},
		{"5xx at the last attempt", 3, "", errors.New("HTTP 503"), StatusDead, 0, 0},
		{"timeout", 1, "", context.DeadlineExceeded, StatusRetry, time.Minute, 0},
		{"throttled", 1, "", throttled, StatusRetry, 2 * time.Second, 2 * time.Second},
		{"throttled, wrapped", 2, "", fmt.Errorf("chat.postMessage: %w", throttled), StatusRetry, 2 * time.Second, 2 * time.Second},
		{"throttled at the last attempt", 3, "", throttled, StatusDead, 0, 2 * time.Second},
		{"throttled without a time", 1, "", &RetryAfterError{Err: errors.New("429")}, StatusRetry, time.Minute, 0},
	} {
		v := settle(Message{Attempts: tc.attempts}, tc.ref, tc.err, now, p)
		if v.Status != tc.want || v.pause != tc.pause || !v.At.Equal(now) {
			t.Errorf("%s: %s, pause %s; want %s, pause %s", tc.name, v.Status, v.pause, tc.want, tc.pause)
		}
		switch {
		case tc.want == StatusSent && (v.Ref != tc.ref || !v.SentAt.Equal(now) || v.LastError != ""):
			t.Errorf("%s: %+v", tc.name, v)
		case tc.want == StatusRetry && !v.NextAt.Equal(now.Add(tc.next)):
			t.Errorf("%s: next %s, want now+%s", tc.name, v.NextAt, tc.next)
		case tc.want != StatusSent && v.LastError == "":
			t.Errorf("%s: no error recorded", tc.name)
		}
	}
}

type plainSender struct{}

func (plainSender) Send(context.Context, Message) (string, error) { return "", nil }

type confirming struct{ plainSender }

func (confirming) Delivered(context.Context, Message) (string, bool, error) { return "", false, nil }

type dedup struct {
	plainSender
	safe bool
}

func (d dedup) ResendSafe() bool { return d.safe }

type both struct{ confirming }

func (both) ResendSafe() bool { return true }

func TestLostRule(t *testing.T) {
	for name, tc := range map[string]struct {
		s    Sender
		want lostAction
	}{
		"no sender (logged only)": {nil, lostResend},
		"confirmer":               {confirming{}, lostAsk},
		"resendable":              {dedup{safe: true}, lostResend},
		"resendable: false":       {dedup{safe: false}, lostGiveUp},
		"confirmer first":         {both{}, lostAsk},
		"neither":                 {plainSender{}, lostGiveUp},
	} {
		if got := lostRule(tc.s); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err     error
		want    string
		secrets []string
	}{
		{&url.Error{Op: "Post", URL: "https://open.feishu.cn/open-apis/bot/v2/hook/7f3c-SECRET", Err: errors.New("EOF")},
			`Post "https://open.feishu.cn/…": EOF`, []string{"SECRET", "7f3c"}},
		{errors.New(`dingtalk: POST https://oapi.dingtalk.com/robot/send?access_token=SECRET&timestamp=1&sign=SIG: 310000`),
			"access_token=…&timestamp=1&sign=…", []string{"SECRET", "SIG"}},
		{errors.New("smtp: dial smtp://ops:hunter2@mail.example.com:587: refused"), "smtp://mail.example.com", []string{"hunter2"}},
		{errors.New("slack: invalid_auth for xoxb-123-456-SECRET"), "xox…", []string{"SECRET"}},
		{errors.New("HTTP 503 Service Unavailable"), "HTTP 503 Service Unavailable", nil},
	} {
		got := errorText(tc.err)
		if !strings.Contains(got, tc.want) {
			t.Errorf("errorText(%q) = %q, want it to contain %q", tc.err, got, tc.want)
		}
		for _, s := range tc.secrets {
			if strings.Contains(got, s) {
				t.Errorf("errorText(%q) = %q shows %q", tc.err, got, s)
			}
		}
	}
	long := errorText(errors.New(strings.Repeat("失败", 1000)))
	if len(long) > maxErrorText+len("…") || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "失败") {
		t.Errorf("long error: %d bytes", len(long))
	}
}
