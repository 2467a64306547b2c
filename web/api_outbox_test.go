package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

// outboxEnv is a hub with an outbox whose worker the test drives with
// Tick on a clock it moves, sending e-mail through a switchable sender.
type outboxEnv struct {
	*testEnv
	db     *store.DB
	out    *notify.Outbox
	worker *notify.Worker
	clock  *fakeClock
	admin  string // an admin's API token

	mu      sync.Mutex
	failing bool
	sent    map[string]int
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newOutboxEnv(t *testing.T) *outboxEnv {
	t.Helper()
	db := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	inc := incident.NewService(db.Incidents(), time.Now, hub)
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	e := &outboxEnv{testEnv: &testEnv{access: acc, incidents: inc, hub: hub}, db: db,
		clock: &fakeClock{t: time.Now().UTC().Truncate(time.Millisecond)}, sent: map[string]int{}}
	sender := notify.SenderFunc(func(_ context.Context, m notify.Message) (string, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.failing {
			return "", errors.New("smtp: 451 try again later")
		}
		e.sent[m.Key]++
		return "250 queued", nil
	})
	e.worker = notify.NewWorker(db.Outbox(), map[notify.Channel]notify.Sender{notify.ChannelEmail: sender},
		notify.WorkerOptions{Owner: "w", MaxAttempts: 2, Now: e.clock.Now, Logger: log,
			Backoff: func(int) time.Duration { return time.Second }})
	e.out = notify.NewOutbox(db.Outbox(), e.clock.Now, log)
	e.out.OnEnqueue(e.worker.Wake)
	e.srv = httptest.NewUnstartedServer(nil)
	s, err := web.New(web.Config{BaseURL: "http://" + e.srv.Listener.Addr().String(), Logger: log,
		BootstrapToken: "bootstrap-secret-for-tests"},
		web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping, Outbox: notify.NewAdmin(db.Outbox(), e.worker)})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = s.Handler()
	e.srv.Start()
	e.client = e.srv.Client()
	e.client.Timeout = 30 * time.Second
	t.Cleanup(func() { hub.Close(); e.srv.Close() })
	e.admin = e.user(t, "root", access.Admin)
	return e
}

func (e *outboxEnv) setFailing(f bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failing = f
}

// deadMail enqueues an e-mail about incident and lets it fail until dead.
func (e *outboxEnv) deadMail(t *testing.T, key, incident string) {
	t.Helper()
	e.setFailing(true)
	defer e.setFailing(false)
	if _, err := e.out.Enqueue(context.Background(), notify.Message{Key: key, Kind: notify.KindFeedback, Incident: incident,
		Recipient: "alice", Channel: notify.ChannelEmail, Address: "alice@example.com", Subject: "Your report " + incident,
		Body: "the secret body"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.worker.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Second)
	}
	if m, _ := e.db.Outbox().Get(context.Background(), key); m.Status != notify.StatusDead {
		t.Fatalf("not dead: %+v", m)
	}
}

type outboxList struct {
	Items []struct {
		Key, Kind, Incident, Recipient, Channel, Address, Subject, Status, Ref string
		LastError                                                              string     `json:"last_error"`
		Attempts                                                               int        `json:"attempts"`
		NextAt                                                                 *time.Time `json:"next_at"`
		SentAt                                                                 *time.Time `json:"sent_at"`
		CreatedAt                                                              time.Time  `json:"created_at"`
	}
}

func (e *outboxEnv) list(t *testing.T, query string) outboxList {
	t.Helper()
	status, body := e.call(t, "GET", "/api/v1/outbox"+query, e.admin, nil)
	if status != http.StatusOK {
		t.Fatalf("GET outbox%s: %d %s", query, status, body)
	}
	if strings.Contains(string(body), "the secret body") || strings.Contains(string(body), `"body"`) {
		t.Errorf("the listing shows message bodies: %s", body)
	}
	var l outboxList
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestOutboxAPIDeadThenRetried: a message that ran out of attempts is
// listed as dead, retried by hand, and then sent.
func TestOutboxAPIDeadThenRetried(t *testing.T) {
	t.Parallel()
	e := newOutboxEnv(t)
	e.deadMail(t, "INC-2026-000001/feedback/alice", "INC-2026-000001")

	dead := e.list(t, "?status=dead")
	if len(dead.Items) != 1 {
		t.Fatalf("dead: %+v", dead)
	}
	d := dead.Items[0]
	if d.Key != "INC-2026-000001/feedback/alice" || d.Status != "dead" || d.Attempts != 2 || d.Channel != "email" ||
		d.Address != "alice@example.com" || d.Kind != "feedback" || d.Incident != "INC-2026-000001" ||
		!strings.Contains(d.LastError, "451") || d.NextAt != nil || d.SentAt != nil || d.CreatedAt.IsZero() {
		t.Errorf("dead item: %+v", d)
	}
	if l := e.list(t, "?status=sent"); len(l.Items) != 0 {
		t.Errorf("sent: %+v", l)
	}
	if l := e.list(t, "?incident=INC-2026-000002"); len(l.Items) != 0 {
		t.Errorf("another incident's: %+v", l)
	}
	if l := e.list(t, "?incident=INC-2026-000001&channel=email&limit=1"); len(l.Items) != 1 {
		t.Errorf("by incident and channel: %+v", l)
	}

	status, body := e.call(t, "POST", "/api/v1/outbox/retry", e.admin, map[string]string{"key": d.Key})
	if status != http.StatusOK || decode(t, body)["status"] != "pending" {
		t.Fatalf("retry: %d %s", status, body)
	}
	// Once more: it is no longer failed.
	status, body = e.call(t, "POST", "/api/v1/outbox/retry", e.admin, map[string]string{"key": d.Key})
	if status != http.StatusConflict || !strings.Contains(decode(t, body)["error"].(string), "dead or unknown") {
		t.Errorf("retry of a pending message: %d %s", status, body)
	}
	if _, err := e.worker.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := e.list(t, "?status=sent")
	if len(sent.Items) != 1 || sent.Items[0].SentAt == nil || sent.Items[0].Ref != "250 queued" || sent.Items[0].Attempts != 1 {
		t.Fatalf("sent after the retry: %+v", sent)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sent[d.Key] != 1 {
		t.Errorf("delivered %d times", e.sent[d.Key])
	}
}

func TestOutboxAPIRoles(t *testing.T) {
	t.Parallel()
	e := newOutboxEnv(t)
	e.deadMail(t, "k", "INC-2026-000001")
	for _, path := range []string{"/api/v1/outbox", "/api/v1/outbox?status=dead"} {
		if status, _ := e.call(t, "GET", path, "", nil); status != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %d", path, status)
		}
	}
	if status, _ := e.call(t, "POST", "/api/v1/outbox/retry", "", map[string]string{"key": "k"}); status != http.StatusUnauthorized {
		t.Errorf("anonymous retry: %d", status)
	}
	for _, role := range []access.Role{access.Reporter, access.Responder, access.Coordinator, access.Manager} {
		tok := e.user(t, "user-"+string(role), role)
		if status, _ := e.call(t, "GET", "/api/v1/outbox", tok, nil); status != http.StatusForbidden {
			t.Errorf("%s GET: %d", role, status)
		}
		if status, _ := e.call(t, "POST", "/api/v1/outbox/retry", tok, map[string]string{"key": "k"}); status != http.StatusForbidden {
			t.Errorf("%s retry: %d", role, status)
		}
	}
	if m, _ := e.db.Outbox().Get(context.Background(), "k"); m.Status != notify.StatusDead {
		t.Errorf("a refused retry changed the message: %+v", m)
	}
	if status, _ := e.call(t, "GET", "/api/v1/outbox", "bootstrap-secret-for-tests", nil); status != http.StatusOK {
		t.Errorf("bootstrap token: %d", status)
	}
}

func TestOutboxAPIBadInput(t *testing.T) {
	t.Parallel()
	e := newOutboxEnv(t)
	for _, tc := range []struct {
		query, field, en, zh string
	}{
		{"?status=lost", "status", "status must be one of pending, sending, retry, sent, dead, unknown", "status 必须是 pending、sending、retry、sent、dead 或 unknown 之一"},
		{"?channel=fax", "channel", "channel must be one of", "channel 必须是"},
		{"?limit=0", "limit", "limit must be between 1 and 1000", "limit 必须在 1 到 1000 之间"},
		{"?limit=1001", "limit", "limit must be between 1 and 1000", "limit 必须在 1 到 1000 之间"},
		{"?incident=" + url.QueryEscape(strings.Repeat("I", 65)), "incident", "incident must be an incident number", "incident 必须是事件编号"},
	} {
		for lang, want := range map[string]string{"en": tc.en, "zh-CN": tc.zh} {
			status, body := e.call(t, "GET", "/api/v1/outbox"+tc.query, e.admin, nil, "Accept-Language", lang)
			fields, _ := decode(t, body)["fields"].(map[string]any)
			if got, _ := fields[tc.field].(string); status != http.StatusBadRequest || !strings.Contains(got, want) {
				t.Errorf("%s (%s): %d %s; want 400 with %q", tc.query, lang, status, body, want)
			}
		}
	}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{}`, http.StatusBadRequest, `"key"`},
		{`{"key": "k", "extra": 1}`, http.StatusBadRequest, `"extra"`},
		{`{"key": 7}`, http.StatusBadRequest, `"key"`},
		{`{"key": "` + strings.Repeat("k", 513) + `"}`, http.StatusBadRequest, `"key"`},
		{`{"key": "no-such-message"}`, http.StatusNotFound, "no such message"},
	} {
		status, body := e.call(t, "POST", "/api/v1/outbox/retry", e.admin, tc.body)
		if status != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("retry %s: %d %s; want %d with %s", tc.body, status, body, tc.status, tc.want)
		}
	}
	status, body := e.call(t, "POST", "/api/v1/outbox/retry", e.admin, `{"key": "no-such-message"}`, "Accept-Language", "zh-CN")
	if status != http.StatusNotFound || !strings.Contains(string(body), "通知队列中没有该通知") {
		t.Errorf("zh 404: %d %s", status, body)
	}
}

// TestOutboxAbsent: a hub without an outbox answers 503, and its board
// shows no delivery failures.
func TestOutboxAbsent(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "root", access.Admin)
	if status, body := env.call(t, "GET", "/api/v1/outbox", tok, nil); status != http.StatusServiceUnavailable {
		t.Errorf("no outbox: %d %s", status, body)
	}
	if p := env.login(t, "root").get("/outbox"); p.status != http.StatusServiceUnavailable {
		t.Errorf("no outbox page: %d", p.status)
	}
}
