package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/notify"
)

func TestOutboxPageAndRetryForm(t *testing.T) {
	t.Parallel()
	e := newOutboxEnv(t)
	e.deadMail(t, "INC-2026-000001/feedback/<alice>", "INC-2026-000001")
	e.deadMail(t, "INC-2026-000002/feedback/bob", "INC-2026-000002")
	e.user(t, "coord", access.Coordinator)

	anon := e.browser(t)
	if p := anon.get("/outbox"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}
	coord := e.login(t, "coord")
	if p := coord.get("/outbox"); p.status != http.StatusForbidden {
		t.Errorf("coordinator: %d", p.status)
	}
	if p := coord.get("/board"); strings.Contains(p.body, `href="/outbox"`) {
		t.Error("the outbox is in a coordinator's navigation")
	}

	admin := e.login(t, "root")
	p := admin.get("/outbox")
	if p.status != http.StatusOK {
		t.Fatalf("outbox page: %d", p.status)
	}
	mustContain(t, p, "Notification outbox", `href="/outbox" aria-current="page"`, "INC-2026-000001/feedback/&lt;alice&gt;",
		"INC-2026-000002/feedback/bob", `href="/incidents/INC-2026-000001"`, "alice · alice@example.com",
		"smtp: 451 try again later", `action="/outbox/retry"`, `<input type="hidden" name="key" value="INC-2026-000001/feedback/&lt;alice&gt;">`)
	if strings.Contains(p.body, "<alice>") || strings.Contains(p.body, "the secret body") {
		t.Error("the page shows a raw key or a message body")
	}
	one := admin.get("/outbox?incident=INC-2026-000002")
	if strings.Contains(one.body, "INC-2026-000001/") || !strings.Contains(one.body, "INC-2026-000002/feedback/bob") {
		t.Errorf("filtered by incident:\n%s", one.body)
	}
	if bad := admin.get("/outbox?status=lost"); bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "status must be one of") {
		t.Errorf("bad status: %d", bad.status)
	}

	// The form needs its CSRF token.
	key := "INC-2026-000002/feedback/bob"
	if r := admin.post("/outbox/retry", url.Values{"key": {key}}); r.status != http.StatusForbidden {
		t.Errorf("retry without CSRF: %d", r.status)
	}
	r := admin.post("/outbox/retry", url.Values{"key": {key}, "incident": {"INC-2026-000002"}, "csrf_token": {one.csrf(t)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/outbox?incident=INC-2026-000002&retried="+url.QueryEscape(key) {
		t.Fatalf("retry: %d %q", r.status, r.header.Get("Location"))
	}
	mustContain(t, admin.get(r.header.Get("Location")), "Queued to be sent again:", key)
	if m, _ := e.db.Outbox().Get(context.Background(), key); m.Status != notify.StatusPending {
		t.Errorf("after the retry: %+v", m)
	}
	// Retrying it again is refused on the page, with the reason.
	again := admin.post("/outbox/retry", url.Values{"key": {key}, "incident": {"INC-2026-000002"}, "csrf_token": {one.csrf(t)}})
	if again.status != http.StatusConflict || !strings.Contains(again.body, "no longer failed") {
		t.Errorf("second retry: %d\n%s", again.status, again.body)
	}
	if strings.Contains(again.body, "INC-2026-000001/") {
		t.Error("the refusal shows other incidents' messages")
	}

	admin.lang = "zh-CN"
	mustContain(t, admin.get("/outbox"), "通知队列", "重新发送", "发送失败")
}

var failedBadgeRE = regexp.MustCompile(`<(a|span) class="badge badge-failed"[^>]*>`)

// badgeOf is the delivery badge of the card of number on a board page.
func badgeOf(t *testing.T, board, number string) string {
	t.Helper()
	i := strings.Index(board, `data-number="`+number+`"`)
	if i < 0 {
		t.Fatalf("no card for %s", number)
	}
	card := board[i:]
	card = card[:strings.Index(card, "</li>")]
	return failedBadgeRE.FindString(card)
}

func TestBoardShowsDeliveryFailures(t *testing.T) {
	t.Parallel()
	e := newOutboxEnv(t)
	e.user(t, "alice")
	e.user(t, "coord", access.Coordinator)
	failed := e.login(t, "alice").fileReport("Ransom note on file server")
	fine := e.login(t, "alice").fileReport("Phishing mail")
	e.deadMail(t, failed+"/feedback/alice", failed)

	admin := e.login(t, "root")
	board := admin.get("/board").body
	if b := badgeOf(t, board, failed); !strings.HasPrefix(b, `<a class="badge badge-failed" href="/outbox?incident=`+failed+`"`) || strings.Contains(b, "hidden") {
		t.Errorf("admin's badge on %s: %q", failed, b)
	}
	if b := badgeOf(t, board, fine); !strings.Contains(b, "hidden") {
		t.Errorf("badge on an incident without failures: %q", b)
	}
	if !strings.Contains(board, "delivery failed") {
		t.Error("no label")
	}
	coord := e.login(t, "coord")
	if b := badgeOf(t, coord.get("/board").body, failed); !strings.HasPrefix(b, `<span class="badge badge-failed"`) || strings.Contains(b, "hidden") {
		t.Errorf("coordinator's badge (no link): %q", b)
	}
	coord.lang = "zh-CN"
	if !strings.Contains(coord.get("/board").body, "通知发送失败") {
		t.Error("no Chinese label")
	}
	mustContain(t, admin.get("/incidents/"+failed), `<a class="badge badge-failed" href="/outbox?incident=`+failed+`"`)
	if p := admin.get("/incidents/" + fine); strings.Contains(p.body, `class="badge badge-failed"`) {
		t.Error("the badge is on an incident without failures")
	}

	// Retried: the badge goes.
	if status, body := e.call(t, "POST", "/api/v1/outbox/retry", e.admin, map[string]string{"key": failed + "/feedback/alice"}); status != http.StatusOK {
		t.Fatalf("retry: %d %s", status, body)
	}
	if b := badgeOf(t, admin.get("/board").body, failed); !strings.Contains(b, "hidden") {
		t.Errorf("badge after the retry: %q", b)
	}
}

// TestBoardStreamCarriesDeliveryFailures: the live board learns of an
// incident's failed notifications with its next change.
func TestBoardStreamCarriesDeliveryFailures(t *testing.T) {
	t.Parallel()
	e := newOutboxEnv(t)
	status, body := e.call(t, "POST", "/api/v1/incidents", e.admin, map[string]any{"title": "Worm", "description": "port 445 scans"})
	if status != http.StatusCreated {
		t.Fatalf("report: %d %s", status, body)
	}
	number := decode(t, body)["number"].(string)
	e.deadMail(t, number+"/feedback/alice", number)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/board/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && sc.Text() != ": connected" {
	}
	if status, body := e.call(t, "POST", "/api/v1/incidents/"+number+"/ack", e.admin, map[string]any{}); status != http.StatusOK {
		t.Fatalf("ack: %d %s", status, body)
	}
	for sc.Scan() {
		if ln := sc.Text(); strings.HasPrefix(ln, "data: ") {
			if !strings.Contains(ln, `"delivery_failed":true`) {
				t.Errorf("event without the failure: %s", ln)
			}
			return
		}
	}
	t.Fatalf("stream ended: %v", sc.Err())
}
