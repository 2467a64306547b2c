package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// receiver is an HTTP server that records what it receives and answers
// with the next of its scripted replies (the last one repeats).
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []received
	replies []reply
}

type received struct {
	url    string // path and query
	header http.Header
	body   []byte
}

type reply struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
}

func newReceiver(t *testing.T, replies ...reply) *receiver {
	t.Helper()
	rc := &receiver{replies: replies}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{url: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
		rp := reply{status: http.StatusOK}
		if len(rc.replies) > 0 {
			rp = rc.replies[0]
			if len(rc.replies) > 1 {
				rc.replies = rc.replies[1:]
			}
		}
		rc.mu.Unlock()
		if rp.delay > 0 {
			select {
			case <-time.After(rp.delay):
			case <-r.Context().Done():
			}
		}
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.status)
		_, _ = io.WriteString(w, rp.body)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) last(t *testing.T) received {
	t.Helper()
	got := rc.requests()
	if len(got) == 0 {
		t.Fatal("the receiver got nothing")
	}
	return got[len(got)-1]
}

// incidentBook is an IncidentReader over a few incidents.
type incidentBook map[string]*incident.Incident

func (b incidentBook) Get(_ context.Context, ref string) (*incident.Incident, error) {
	if inc, ok := b[ref]; ok {
		return inc, nil
	}
	return nil, incident.ErrNotFound
}

var channelsNow = time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return channelsNow }

func webhookRoutes(t *testing.T, url string) *notify.Routes {
	t.Helper()
	r, err := notify.ParseRoutes("routes.yaml", []byte(`
destinations:
  - {name: siem, kind: webhook, url_env: SIEM_URL, secret_env: SIEM_SECRET}
`), env("SIEM_URL", url, "SIEM_SECRET", "s3cr3t-for-siem"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func broadcastMessage() notify.Message {
	return notify.Message{Key: "INC-2026-000042/broadcast/siem/reported/v1", Kind: notify.KindBroadcast,
		Incident: "INC-2026-000042", Channel: notify.ChannelWebhook, Address: "siem",
		Subject: "INC-2026-000042 [Special 特殊事件] New report 新报告: Ransom note", Body: "A new incident was reported via web.",
		CreatedAt: channelsNow.Add(-time.Second)}
}

func TestWebhookDelivery(t *testing.T) {
	rc := newReceiver(t, reply{status: http.StatusAccepted})
	inc := reportedInc("INC-2026-000042", incident.Special)
	inc.Drill = true
	s := notify.NewWebhookSender(webhookRoutes(t, rc.srv.URL+"/hooks/tocsin"), incidentBook{inc.Number: inc}, nil, baseURL, fixedNow)

	ref, err := s.Send(context.Background(), broadcastMessage())
	if err != nil {
		t.Fatal(err)
	}
	if ref != "webhook:siem:202" {
		t.Errorf("ref %q", ref)
	}
	got := rc.last(t)
	if got.url != "/hooks/tocsin" || got.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("request %s %v", got.url, got.header)
	}
	if d := got.header.Get(notify.HeaderDelivery); d != "INC-2026-000042/broadcast/siem/reported/v1" {
		t.Errorf("X-Tocsin-Delivery %q", d)
	}
	ts := got.header.Get(notify.HeaderTimestamp)
	if ts != fmt.Sprint(channelsNow.Unix()) {
		t.Errorf("X-Tocsin-Timestamp %q, want %d", ts, channelsNow.Unix())
	}

	// The signature, computed here on its own: HMAC-SHA256 over
	// timestamp "." body with the secret.
	mac := hmac.New(sha256.New, []byte("s3cr3t-for-siem"))
	mac.Write([]byte(ts + "." + string(got.body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got.header.Get(notify.HeaderSignature) != want {
		t.Errorf("signature %q, want %q", got.header.Get(notify.HeaderSignature), want)
	}
	if err := notify.VerifyWebhook("s3cr3t-for-siem", got.header, got.body, channelsNow.Add(30*time.Second)); err != nil {
		t.Errorf("VerifyWebhook: %v", err)
	}

	// The body follows the documented schema.
	var p map[string]any
	if err := json.Unmarshal(got.body, &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "INC-2026-000042/broadcast/siem/reported/v1", "kind": "broadcast",
		"subject": "INC-2026-000042 [Special 特殊事件] New report 新报告: Ransom note", "text": "A new incident was reported via web.",
		"created_at": "2026-03-21T08:59:59Z", "drill": true,
		"incident": map[string]any{"number": "INC-2026-000042", "title": "Ransom note on file server <FS-01>", "level": "special",
			"stage": "receive", "category": "malicious_program", "url": baseURL + "/incidents/INC-2026-000042"},
	}
	if fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("payload\n got %v\nwant %v", p, want)
	}
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"a":1}`)
	h := http.Header{}
	h.Set(notify.HeaderTimestamp, "1700000000")
	// Computed independently (Python hmac) for secret "whsec".
	h.Set(notify.HeaderSignature, "sha256=8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032")
	at := time.Unix(1700000000, 0)
	if got := notify.SignWebhook("whsec", "1700000000", body); got != h.Get(notify.HeaderSignature) {
		t.Fatalf("SignWebhook = %s", got)
	}
	for name, tc := range map[string]struct {
		secret string
		body   string
		now    time.Time
		edit   func(http.Header)
		ok     bool
	}{
		"valid":               {secret: "whsec", body: `{"a":1}`, now: at, ok: true},
		"4 minutes later":     {secret: "whsec", body: `{"a":1}`, now: at.Add(4 * time.Minute), ok: true},
		"tampered body":       {secret: "whsec", body: `{"a":2}`, now: at},
		"wrong secret":        {secret: "other", body: `{"a":1}`, now: at},
		"6 minutes old":       {secret: "whsec", body: `{"a":1}`, now: at.Add(6 * time.Minute)},
		"6 minutes ahead":     {secret: "whsec", body: `{"a":1}`, now: at.Add(-6 * time.Minute)},
		"no signature":        {secret: "whsec", body: `{"a":1}`, now: at, edit: func(h http.Header) { h.Del(notify.HeaderSignature) }},
		"no timestamp":        {secret: "whsec", body: `{"a":1}`, now: at, edit: func(h http.Header) { h.Del(notify.HeaderTimestamp) }},
		"timestamp moved":     {secret: "whsec", body: `{"a":1}`, now: at, edit: func(h http.Header) { h.Set(notify.HeaderTimestamp, "1700000001") }},
		"timestamp not a num": {secret: "whsec", body: `{"a":1}`, now: at, edit: func(h http.Header) { h.Set(notify.HeaderTimestamp, "soon") }},
	} {
		hh := h.Clone()
		if tc.edit != nil {
			tc.edit(hh)
		}
		err := notify.VerifyWebhook(tc.secret, hh, []byte(tc.body), tc.now)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, notify.ErrWebhookSignature)) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWebhookErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		reply     reply
		permanent bool
		after     time.Duration // a RetryAfterError's delay; 0: none
	}{
		{name: "500 is retried", reply: reply{status: 500, body: "boom"}},
		{name: "503 is retried", reply: reply{status: 503}},
		{name: "408 is retried", reply: reply{status: 408}},
		{name: "429 waits for Retry-After", reply: reply{status: 429, header: map[string]string{"Retry-After": "120"}}, after: 2 * time.Minute},
		{name: "429 with a date", reply: reply{status: 429, header: map[string]string{"Retry-After": channelsNow.Add(90 * time.Second).Format(http.TimeFormat)}}, after: 90 * time.Second},
		{name: "429 without Retry-After", reply: reply{status: 429}, after: time.Minute},
		{name: "400 is permanent", reply: reply{status: 400, body: `{"error":"bad schema"}`}, permanent: true},
		{name: "404 is permanent", reply: reply{status: 404}, permanent: true},
		{name: "a redirect is not followed", reply: reply{status: 302, header: map[string]string{"Location": "https://elsewhere.example/"}}, permanent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.reply)
			s := notify.NewWebhookSender(webhookRoutes(t, rc.srv.URL), nil, nil, baseURL, fixedNow)
			_, err := s.Send(ctx, broadcastMessage())
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, notify.ErrPermanent) != tc.permanent {
				t.Errorf("permanent = %v, want %v: %v", errors.Is(err, notify.ErrPermanent), tc.permanent, err)
			}
			var ra *notify.RetryAfterError
			if errors.As(err, &ra) != (tc.after > 0) || (ra != nil && ra.After != tc.after) {
				t.Errorf("retry after %v, want %v: %v", ra, tc.after, err)
			}
			if n := len(rc.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}

	t.Run("not configured", func(t *testing.T) {
		s := notify.NewWebhookSender(nil, nil, nil, baseURL, fixedNow)
		if _, err := s.Send(ctx, broadcastMessage()); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("timeout is retried", func(t *testing.T) {
		rc := newReceiver(t, reply{status: 200, delay: 5 * time.Second})
		client := notify.NewHTTPClient()
		client.Timeout = 200 * time.Millisecond
		s := notify.NewWebhookSender(webhookRoutes(t, rc.srv.URL), nil, client, baseURL, fixedNow)
		_, err := s.Send(ctx, broadcastMessage())
		if err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("err %v, want a transient error", err)
		}
		if strings.Contains(err.Error(), rc.srv.URL) {
			t.Errorf("the error shows the URL: %v", err)
		}
	})
	t.Run("resend safe and paced by name", func(t *testing.T) {
		s := notify.NewWebhookSender(nil, nil, nil, baseURL, fixedNow)
		var r notify.Resendable = s
		if name, every := s.Destination(broadcastMessage()); !r.ResendSafe() || name != "webhook:siem" || every != 0 {
			t.Errorf("Destination = %s, %v", name, every)
		}
	})
}
