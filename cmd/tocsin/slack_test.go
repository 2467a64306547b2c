package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/notify/slackfake"
)

func TestConfigSlack(t *testing.T) {
	const (
		token  = "xoxb-1234-5678-abcdefABCDEF"
		secret = "8f742231b10e8888abcd99yyyzzz85a5"
	)
	c, err := readConfig(t, []string{"--slack-channel", "C0CENTER"}, envMap(
		"TOCSIN_SLACK_BOT_TOKEN", token, "TOCSIN_SLACK_SIGNING_SECRET", secret,
		"TOCSIN_SLACK_API_URL", "http://127.0.0.1:9999/api/"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Slack() || c.SlackBotToken != token || c.SlackSigningSecret != secret || c.SlackChannel != "C0CENTER" ||
		c.SlackAPIURL != "http://127.0.0.1:9999/api/" {
		t.Errorf("config %+v", c)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("starting", "config", c)
	for name, out := range map[string]string{"String": c.String(), "log": logged.String()} {
		if strings.Contains(out, token) || strings.Contains(out, secret) || strings.Contains(out, "abcdef") {
			t.Errorf("%s shows a Slack secret:\n%s", name, out)
		}
		if !strings.Contains(out, "(set, 27 characters)") || !strings.Contains(out, "C0CENTER") {
			t.Errorf("%s does not show the Slack settings masked:\n%s", name, out)
		}
	}
	if off, err := readConfig(t, nil, envMap()); err != nil || off.Slack() {
		t.Errorf("no token: chat on %v, %v", off.Slack(), err)
	}

	for _, tc := range []struct {
		name string
		env  []string
		want []string
	}{
		{"token without secret or channel", []string{"TOCSIN_SLACK_BOT_TOKEN", token},
			[]string{"TOCSIN_SLACK_SIGNING_SECRET: required", "TOCSIN_SLACK_CHANNEL: required"}},
		{"not a bot token", []string{"TOCSIN_SLACK_BOT_TOKEN", "hunter2-hunter2", "TOCSIN_SLACK_SIGNING_SECRET", secret, "TOCSIN_SLACK_CHANNEL", "C0CENTER"},
			[]string{"TOCSIN_SLACK_BOT_TOKEN (set, 15 characters)", "xoxb-"}},
		{"short secret", []string{"TOCSIN_SLACK_SIGNING_SECRET", "abc"}, []string{"TOCSIN_SLACK_SIGNING_SECRET (set, 3 characters)"}},
		{"channel name", []string{"TOCSIN_SLACK_CHANNEL", "#incidents"}, []string{`TOCSIN_SLACK_CHANNEL "#incidents"`, "channel id"}},
		{"api url", []string{"TOCSIN_SLACK_API_URL", "slack.com/api"}, []string{"TOCSIN_SLACK_API_URL", "absolute"}},
	} {
		_, err := readConfig(t, nil, envMap(tc.env...))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not mention %q:\n%v", tc.name, w, err)
			}
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "abc\"") {
			t.Errorf("%s: error shows a secret: %v", tc.name, err)
		}
	}
}

// refMap stands in for the outbox worker's record of sent messages.
type refMap struct {
	mu   sync.Mutex
	refs map[string]string
}

func (r *refMap) Ref(_ context.Context, key string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refs[key], nil
}

// TestSlackWiring: "user add --slack-id" links an account; buildSlack
// wires the planner, the sender and the app on the configured Slack; the
// directory finds people through their accounts and the roster; a report
// goes out as a card on the response center channel.
func TestSlackWiring(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fake := slackfake.New(t)
	env := envMap("TOCSIN_DATA_DIR", dir, "TOCSIN_LOG_LEVEL", "error", "TOCSIN_NEW_PASSWORD", "a-long-password-1",
		"TOCSIN_SLACK_BOT_TOKEN", "xoxb-test-token", "TOCSIN_SLACK_SIGNING_SECRET", "0123456789abcdef0123",
		"TOCSIN_SLACK_CHANNEL", "C0CENTER", "TOCSIN_SLACK_API_URL", strings.TrimSuffix(fake.URL(), "/"))
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"user", "add", "--username", "li.na", "--role", "responder", "--slack-id", "U0LINA"}, env,
		strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("user add: %v\n%s", err, stderr.String())
	}
	err = run(ctx, []string{"user", "add", "--username", "other", "--slack-id", "U0LINA"}, env, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "Slack id U0LINA is linked to another account") {
		t.Errorf("a second account with the same Slack id: %v", err)
	}
	err = run(ctx, []string{"user", "add", "--username", "bad", "--slack-id", "lina"}, env, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "Slack user id") {
		t.Errorf("a malformed Slack id: %v", err)
	}

	cfg, err := readConfig(t, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	accounts := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	lina, err := accounts.UserByUsername(ctx, "li.na")
	if err != nil || lina.SlackID != "U0LINA" {
		t.Fatalf("li.na: %+v, %v", lina, err)
	}
	rosters := db.Rosters()
	for _, p := range []escalation.Person{
		{ID: "li.na", Name: "Li Na"},
		{ID: "chen", Name: "Chen", Contacts: []escalation.Contact{{Kind: escalation.ContactEmail, Value: "c@x.org"}, {Kind: escalation.ContactSlack, Value: "U0CHEN"}}},
		{ID: "zhao", Name: "Zhao"},
	} {
		if err := rosters.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := rosters.SaveTeam(ctx, escalation.Team{ID: "netops", Name: "Network operations", Kind: escalation.SupportTeam,
		Members: []string{"li.na", "chen", "zhao"}}); err != nil {
		t.Fatal(err)
	}

	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	refs := &refMap{refs: map[string]string{}}
	ann := notify.NewAnnouncer(out, log)
	incidents := incident.NewService(db.Incidents(), time.Now, ann)
	sender, planner, app, err := buildSlack(cfg, slackDeps{Incidents: incidents, Accounts: accounts, Rosters: rosters, Outbox: out, Refs: refs, Log: log})
	if err != nil || sender == nil || planner == nil || app == nil {
		t.Fatalf("buildSlack: %v", err)
	}
	ann.Add(planner)
	if app.SigningSecret != "0123456789abcdef0123" || app.OpenChannel == nil ||
		strings.Join(app.ResponseOrigins, " ") != "https://hooks.slack.com "+strings.TrimSuffix(fake.URL(), "/") {
		t.Errorf("app %+v", app)
	}

	d := &slackDirectory{accounts: accounts, rosters: rosters}
	for person, want := range map[string]string{lina.ID: "U0LINA", "li.na": "U0LINA", "chen": "U0CHEN", "zhao": "", "ghost": ""} {
		if got, err := d.SlackID(ctx, person); err != nil || got != want {
			t.Errorf("SlackID(%s) = %q, %v; want %q", person, got, err, want)
		}
	}
	for _, team := range []string{"netops", "network OPERATIONS"} {
		if got, err := d.TeamMembers(ctx, team); err != nil || strings.Join(got, ",") != "li.na,chen,zhao" {
			t.Errorf("TeamMembers(%s) = %q, %v", team, got, err)
		}
	}
	// A special incident dispatched to the team invites those on Slack.
	special := &incident.Incident{Number: "INC-2026-000009", Title: "x", Level: incident.Special,
		Assignees: []incident.Assignee{{Kind: "team", Name: "Network operations"}}}
	msgs, err := planner.OpenChannel(ctx, special)
	var invited []string
	for _, m := range msgs[1:] {
		invited = append(invited, m.Recipient+"="+m.Address)
	}
	if err != nil || strings.Join(invited, ",") != "li.na=U0LINA,chen=U0CHEN" {
		t.Errorf("invites %q, %v", invited, err)
	}

	res, err := incidents.Report(ctx, incident.ReportInput{Title: "Phishing wave", Description: "to finance", Source: "web"},
		incident.Actor{ID: lina.ID, Name: "Li Na"})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := out.List(ctx, notify.StatusPending, 0)
	if err != nil || len(pending) != 1 || pending[0].Key != res.Incident.Number+"/slack/card" {
		t.Fatalf("pending %+v, %v", pending, err)
	}
	if _, err := sender.Send(ctx, pending[0]); err != nil {
		t.Fatal(err)
	}
	if posts := fake.Calls("chat.postMessage"); len(posts) != 1 || posts[0].Form.Get("channel") != "C0CENTER" ||
		!strings.Contains(posts[0].Form.Get("blocks"), "Phishing wave") || !strings.Contains(posts[0].Form.Get("blocks"), cfg.BaseURL+"/incidents/") {
		t.Errorf("card posts %+v", posts)
	}

	cfg.SlackBotToken = ""
	if s, p, a, err := buildSlack(cfg, slackDeps{}); s != nil || p != nil || a != nil || err != nil {
		t.Errorf("chat off: %v %v %v %v", s, p, a, err)
	}
}
