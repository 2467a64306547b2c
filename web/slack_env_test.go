package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/notify/slackfake"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

const (
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	centerChannel = "C0CENTER"
)

// lockedBuffer is a log sink tests read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// slackEnv is a hub with chat on, against a fake Slack: every incident
// change is planned into the outbox (on the real store), and deliver
// sends what is pending with the Slack sender.
type slackEnv struct {
	*testEnv
	db     *store.DB
	fake   *slackfake.Server
	sender *notify.SlackSender
	worker *notify.Worker // the outbox worker, run by deliver
	logs   *lockedBuffer

	mu   sync.Mutex
	sent map[string]string // outbox key → Ref of what deliver returned
}

func newSlackEnv(t testing.TB) *slackEnv {
	t.Helper()
	db := storetest.New(t)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	fake := slackfake.New(t)
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.URL()))
	env := &slackEnv{db: db, fake: fake, logs: logs, sent: map[string]string{}}

	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	planner := notify.NewSlackPlanner(nil, env)
	hub := web.NewHub()
	inc := incident.NewService(db.Incidents(), time.Now, hub, notify.NewAnnouncer(out, log, planner))
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	env.testEnv = &testEnv{access: acc, incidents: inc, hub: hub}
	env.srv = httptest.NewUnstartedServer(nil)
	baseURL := "http://" + env.srv.Listener.Addr().String()
	env.sender = notify.NewSlackSender(notify.SlackSenderConfig{API: api, Channel: centerChannel, BaseURL: baseURL,
		Incidents: inc, Refs: db.Outbox(), Now: time.Now, Logger: log})
	env.worker = notify.NewWorker(db.Outbox(), map[notify.Channel]notify.Sender{notify.ChannelSlack: env.sender},
		notify.WorkerOptions{Owner: "test", Logger: log, Backoff: func(int) time.Duration { return 5 * time.Millisecond }})
	app := &web.SlackApp{
		SigningSecret: signingSecret, API: api, ResponseOrigins: []string{strings.TrimSuffix(fake.URL(), "/")},
		OpenChannel: func(ctx context.Context, inc *incident.Incident) error {
			msgs, err := planner.OpenChannel(ctx, inc)
			if err != nil {
				return err
			}
			_, err = out.Enqueue(ctx, msgs...)
			return err
		},
	}
	s, err := web.New(web.Config{BaseURL: baseURL, Logger: log}, web.Deps{Incidents: inc, Access: acc, Hub: hub,
		Ready: db.Ping, Rosters: db.Rosters(), Slack: app})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Config.Handler = s.Handler()
	env.srv.Start()
	env.client = env.srv.Client()
	env.client.Timeout = 30 * time.Second
	t.Cleanup(func() { hub.Close(); env.srv.Close() })
	return env
}

// Ref is the Ref of a delivered message, as the outbox keeps it.
func (e *slackEnv) Ref(ctx context.Context, key string) (string, error) {
	return e.db.Outbox().Ref(ctx, key)
}

// deliver runs the outbox worker until no Slack message is waiting, and
// returns the keys of the Slack messages sent since the last call, oldest
// first.
func (e *slackEnv) deliver(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	waiting := notify.Filter{Channel: notify.ChannelSlack,
		Statuses: []notify.Status{notify.StatusPending, notify.StatusRetry, notify.StatusSending}}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := e.worker.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		left, err := e.db.Outbox().List(ctx, waiting)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still waiting: %+v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sent, err := e.db.Outbox().List(ctx, notify.Filter{Channel: notify.ChannelSlack, Statuses: []notify.Status{notify.StatusSent}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var done []string
	for _, m := range sent {
		if _, was := e.sent[m.Key]; !was {
			e.sent[m.Key] = m.Ref
			done = append(done, m.Key)
		}
	}
	return done
}

// slackUser creates an account linked to a Slack id ("" for none).
func (e *slackEnv) slackUser(t testing.TB, username, slackID, email, lang string, roles ...access.Role) *access.User {
	t.Helper()
	u, err := e.access.CreateUser(context.Background(), access.NewUser{Username: username,
		Name: strings.ToUpper(username[:1]) + username[1:], Email: email, SlackID: slackID,
		Password: testPassword, Roles: roles, Lang: lang})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// sign returns the Slack signature headers of body at ts with secret.
func sign(body []byte, secret string, ts time.Time) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// post sends a form body to path with headers; it returns the status and
// the body.
func (e *slackEnv) post(t testing.TB, path string, body []byte, h http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

var triggers struct {
	sync.Mutex
	n int
}

func trigger() string {
	triggers.Lock()
	defer triggers.Unlock()
	triggers.n++
	return fmt.Sprintf("1337.42.trigger%d", triggers.n)
}

// command sends a signed /incident as slackID and returns the status and
// the answer.
func (e *slackEnv) command(t testing.TB, slackID, text string) (int, map[string]any) {
	t.Helper()
	body := []byte(url.Values{
		"command": {"/incident"}, "text": {text}, "user_id": {slackID}, "user_name": {"someone"},
		"team_id": {"T0TEAM"}, "channel_id": {centerChannel}, "trigger_id": {trigger()},
		"response_url": {e.fake.ResponseURL("cmd")},
	}.Encode())
	status, out := e.post(t, "/slack/commands", body, sign(body, signingSecret, time.Now()))
	var m map[string]any
	if len(out) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("answer is not JSON: %s", out)
		}
	}
	return status, m
}

// interact sends a signed interaction payload and returns the status and
// the answer (nil when empty).
func (e *slackEnv) interact(t testing.TB, payload map[string]any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(url.Values{"payload": {string(raw)}}.Encode())
	status, out := e.post(t, "/slack/interactions", body, sign(body, signingSecret, time.Now()))
	var m map[string]any
	if len(out) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("answer is not JSON: %s", out)
		}
	}
	return status, m
}

// press is the payload of a button pressed on a card by slackID.
func (e *slackEnv) press(slackID, action, number string) map[string]any {
	return map[string]any{
		"type": "block_actions", "user": map[string]any{"id": slackID}, "trigger_id": trigger(),
		"response_url": e.fake.ResponseURL("button"), "channel": map[string]any{"id": centerChannel},
		"container": map[string]any{"type": "message", "channel_id": centerChannel},
		"actions":   []map[string]any{{"type": "button", "block_id": "tocsin_card_actions", "action_id": action, "value": number}},
	}
}

// submit is the payload of a modal submitted by slackID with values
// (block → the element's state).
func submit(slackID, callback, metadata string, values map[string]map[string]any) map[string]any {
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{block: v}
	}
	return map[string]any{
		"type": "view_submission", "user": map[string]any{"id": slackID}, "trigger_id": trigger(),
		"view": map[string]any{"id": "V" + strings.ReplaceAll(trigger(), ".", ""), "callback_id": callback,
			"private_metadata": metadata, "state": map[string]any{"values": state}},
	}
}

// responses are the texts posted to response_url so far.
func (e *slackEnv) responses() []string {
	var out []string
	for _, c := range e.fake.Calls("response") {
		var m map[string]any
		_ = json.Unmarshal(c.Body, &m)
		s, _ := m["text"].(string)
		out = append(out, s)
	}
	return out
}

// waitResponse waits for the n-th post to a response_url and returns it.
func (e *slackEnv) waitResponse(t *testing.T, n int) string {
	t.Helper()
	e.fake.WaitCalls(t, "response", n, 10*time.Second)
	return e.responses()[n-1]
}

func (e *slackEnv) incidentCount(t testing.TB) int {
	t.Helper()
	page, err := e.incidents.List(context.Background(), incident.ListFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}
