package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/notify/slackfake"
)

// TestSlackSignature: only a request signed with the app's secret, over
// the body as sent, within five minutes, is read; any other gets 401,
// files nothing, and is logged without its body.
func TestSlackSignature(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	env.slackUser(t, "wang", "U0WANG", "", "en")
	const marker = "Secret-marker-printer-on-fire"
	body := []byte(url.Values{"command": {"/incident"}, "text": {marker}, "user_id": {"U0WANG"},
		"trigger_id": {"t.1"}, "response_url": {env.fake.ResponseURL("x")}}.Encode())
	now := time.Now()
	missing := func(name string) http.Header { h := sign(body, signingSecret, now); h.Del(name); return h }
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-1] ^= 1

	for _, tt := range []struct {
		name string
		body []byte
		h    http.Header
	}{
		{"wrong secret", body, sign(body, "another-secret", now)},
		{"tampered body", tampered, sign(body, signingSecret, now)},
		{"6 minutes old", body, sign(body, signingSecret, now.Add(-6*time.Minute))},
		{"6 minutes in the future", body, sign(body, signingSecret, now.Add(6*time.Minute))},
		{"no signature", body, missing("X-Slack-Signature")},
		{"no timestamp", body, missing("X-Slack-Request-Timestamp")},
		{"no headers", body, http.Header{}},
		{"signature not hex", body, func() http.Header { h := sign(body, signingSecret, now); h.Set("X-Slack-Signature", "v0=zz"); return h }()},
	} {
		for _, path := range []string{"/slack/commands", "/slack/interactions"} {
			if status, _ := env.post(t, path, tt.body, tt.h); status != http.StatusUnauthorized {
				t.Errorf("%s on %s: status %d, want 401", tt.name, path, status)
			}
		}
	}
	if n := env.incidentCount(t); n != 0 {
		t.Fatalf("%d incidents filed by refused requests", n)
	}
	logs := env.logs.String()
	if strings.Contains(logs, marker) || strings.Contains(logs, "Secret-marker") {
		t.Errorf("a refused body was logged:\n%s", logs)
	}
	if c := strings.Count(logs, "slack: request refused"); c != 16 {
		t.Errorf("%d refusals logged, want 16:\n%s", c, logs)
	}
	for _, reason := range []string{"signature does not match", "outside the 5-minute window", "missing X-Slack-Signature"} {
		if !strings.Contains(logs, reason) {
			t.Errorf("log does not say %q", reason)
		}
	}

	// The same request, signed right, is taken.
	if status, out := env.post(t, "/slack/commands", body, sign(body, signingSecret, now.Add(-4*time.Minute))); status != http.StatusOK {
		t.Fatalf("a valid request (4 minutes old): %d %s", status, out)
	}
	if n := env.incidentCount(t); n != 1 {
		t.Fatalf("%d incidents after a valid request, want 1", n)
	}
}

func TestSlackBodyLimitAndChatOff(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	big := []byte("text=" + strings.Repeat("a", 300<<10))
	if status, _ := env.post(t, "/slack/commands", big, sign(big, signingSecret, time.Now())); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 300 KiB command: %d, want 413", status)
	}
	off := newEnv(t) // chat off: no Slack app
	req, _ := http.NewRequest(http.MethodPost, off.srv.URL+"/slack/commands", strings.NewReader("text=x"))
	resp, err := off.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("chat off: %d, want 404", resp.StatusCode)
	}
}

// TestSlackQuickReportAndAcknowledge is the story: a signed /incident
// <text> files a report; its card appears in the response center
// channel; a responder (mapped by e-mail) presses Acknowledge, which
// acknowledges the incident as them and edits the card in place.
func TestSlackQuickReportAndAcknowledge(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	wang := env.slackUser(t, "wang", "U0WANG", "wang@example.org", "en")
	li := env.slackUser(t, "li.na", "", "Li.Na@example.org", "", access.Responder, access.Coordinator)
	env.fake.AddUser(slackfake.User{ID: "U0LINA", Email: "li.na@example.org", Locale: "zh-CN"})

	status, ans := env.command(t, "U0WANG", "Finance PCs renaming files to *.locked <!channel>\nSeen on FIN-PC-012 and FIN-PC-013 since 08:10.")
	if status != http.StatusOK || ans["response_type"] != "ephemeral" {
		t.Fatalf("answer %d %v", status, ans)
	}
	page, err := env.incidents.List(context.Background(), incident.ListFilter{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("incidents %v, %v", page.Items, err)
	}
	inc, _ := env.incidents.Get(context.Background(), page.Items[0].ID)
	text, _ := ans["text"].(string)
	if !strings.Contains(text, inc.Number) || !strings.Contains(text, env.srv.URL+"/incidents/"+inc.Number) ||
		strings.Contains(text, "<!channel>") {
		t.Errorf("answer %q: want the number, its link, and the title escaped", text)
	}
	if inc.Source != "chat" || inc.Reporter.ID != wang.ID || inc.Title != "Finance PCs renaming files to *.locked <!channel>" ||
		!strings.Contains(inc.Description, "FIN-PC-013") {
		t.Errorf("incident %+v", inc)
	}

	if got := env.deliver(t); strings.Join(got, ",") != inc.Number+"/slack/card" {
		t.Fatalf("delivered %q, want the card", got)
	}
	posts := env.fake.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != centerChannel ||
		!strings.Contains(posts[0].Form.Get("blocks"), inc.Number) || !strings.Contains(posts[0].Form.Get("attachments"), notify.ActionAck) {
		t.Fatalf("card posts %+v", posts)
	}
	cardRef, _ := env.Ref(context.Background(), inc.Number+"/slack/card")

	status, ans = env.interact(t, env.press("U0LINA", notify.ActionAck, inc.Number))
	if status != http.StatusOK || ans != nil {
		t.Fatalf("pressing Acknowledge: %d %v", status, ans)
	}
	acked, _ := env.incidents.Get(context.Background(), inc.ID)
	if acked.AckedBy == nil || acked.AckedBy.ID != li.ID {
		t.Fatalf("acknowledged by %+v, want li.na", acked.AckedBy)
	}
	if reply := env.waitResponse(t, 1); !strings.Contains(reply, "您已受理") || strings.Contains(reply, "You acknowledged") {
		t.Errorf("reply %q: want it in Chinese (li.na's Slack locale)", reply)
	}
	got := env.deliver(t)
	if strings.Join(got, ",") != inc.Number+"/slack/card/v2,"+inc.Number+"/slack/thread/0001" {
		t.Fatalf("delivered %q", got)
	}
	upd := env.fake.Calls("chat.update")
	if len(upd) != 1 || upd[0].Form.Get("channel")+":"+upd[0].Form.Get("ts") != cardRef {
		t.Fatalf("chat.update %+v, want one on the card %s", upd, cardRef)
	}
	if att := upd[0].Form.Get("attachments"); strings.Contains(att, notify.ActionAck) || !strings.Contains(att, "Li.na") {
		t.Errorf("the edited card still offers Acknowledge or does not say who took it on: %s", att)
	}
	thread := env.fake.Calls("chat.postMessage")[1]
	if _, ts, _ := strings.Cut(cardRef, ":"); thread.Form.Get("thread_ts") != ts || !strings.Contains(thread.Form.Get("text"), "acknowledged") {
		t.Errorf("thread line %+v", thread.Form)
	}

	// Pressing it again says who was first, and changes nothing.
	env.interact(t, env.press("U0LINA", notify.ActionAck, inc.Number))
	if reply := env.waitResponse(t, 2); !strings.Contains(reply, "已由") {
		t.Errorf("second press: %q", reply)
	}
	if got := env.deliver(t); len(got) != 0 {
		t.Errorf("a second press enqueued %q", got)
	}
}

// TestSlackRefusals: an unknown Slack user, and a user whose role does
// not allow it, get a clear ephemeral answer and change nothing.
func TestSlackRefusals(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	env.slackUser(t, "wang", "U0WANG", "", "en")
	res, err := env.incidents.Report(context.Background(), incident.ReportInput{Title: "Odd traffic", Description: "to 203.0.113.9", Source: "web"},
		incident.Actor{ID: "someone", Name: "Someone"})
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident

	// Unknown: not linked, and Slack's e-mail matches no account.
	env.fake.AddUser(slackfake.User{ID: "U0GHOST", Email: "ghost@example.org"})
	status, ans := env.command(t, "U0GHOST", "Printer on fire")
	if text, _ := ans["text"].(string); status != http.StatusOK || ans["response_type"] != "ephemeral" ||
		!strings.Contains(text, "--slack-id U0GHOST") || !strings.Contains(text, "未关联") {
		t.Errorf("unknown user's report: %d %v", status, ans)
	}
	env.interact(t, env.press("U0NOBODY", notify.ActionAck, inc.Number)) // users.info: user_not_found
	if reply := env.waitResponse(t, 1); !strings.Contains(reply, "not linked") {
		t.Errorf("unknown user's button: %q", reply)
	}
	_, ans = env.interact(t, submit("U0GHOST", notify.CallbackReport, "", map[string]map[string]any{
		"title": {"type": "plain_text_input", "value": "x"}, "description": {"type": "plain_text_input", "value": "y"}}))
	if errs, _ := ans["errors"].(map[string]any); ans["response_action"] != "errors" || !strings.Contains(errs["title"].(string), "not linked") {
		t.Errorf("unknown user's modal: %v", ans)
	}

	// A reporter may not confirm, nor acknowledge, nor look at incidents
	// that are not theirs.
	env.interact(t, env.press("U0WANG", notify.ActionConfirm, inc.Number))
	if reply := env.waitResponse(t, 2); !strings.Contains(reply, "No such incident") {
		t.Errorf("reporter pressing Confirm on another's incident: %q", reply)
	}
	own, _ := env.incidents.Report(context.Background(), incident.ReportInput{Title: "Mine", Description: "mine", Source: "web"},
		incident.Actor{ID: mustUser(t, env, "wang").ID, Name: "Wang"})
	env.interact(t, env.press("U0WANG", notify.ActionConfirm, own.Incident.Number))
	if reply := env.waitResponse(t, 3); !strings.Contains(reply, "role") {
		t.Errorf("reporter pressing Confirm on their own incident: %q", reply)
	}
	_, ans = env.command(t, "U0WANG", "ack "+own.Incident.Number)
	if text, _ := ans["text"].(string); !strings.Contains(text, "role") {
		t.Errorf("reporter's /incident ack: %v", ans)
	}
	if n := len(env.fake.Calls("views.open")); n != 0 {
		t.Errorf("%d modals opened for refused users", n)
	}
	for _, ref := range []string{inc.ID, own.Incident.ID} {
		got, _ := env.incidents.Get(context.Background(), ref)
		if got.Version != 1 || got.AckedAt != nil || got.Stage != incident.Receive {
			t.Errorf("%s changed: %+v", got.Number, got)
		}
	}
	if n := env.incidentCount(t); n != 2 {
		t.Errorf("%d incidents, want the 2 made here", n)
	}
}

func mustUser(t *testing.T, env *slackEnv, username string) *access.User {
	t.Helper()
	u, err := env.access.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSlackReportModal: /incident alone opens the report form; a
// submission with bad fields gets errors keyed by the fields' blocks and
// files nothing; a good one files the report as the web form would.
func TestSlackReportModal(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	wang := env.slackUser(t, "wang", "U0WANG", "", "")
	status, ans := env.command(t, "U0WANG", "")
	if status != http.StatusOK || ans != nil {
		t.Fatalf("/incident: %d %v", status, ans)
	}
	opened := env.fake.Calls("views.open")
	if len(opened) != 1 || !strings.HasPrefix(opened[0].Form.Get("trigger_id"), "1337.42.trigger") ||
		!strings.Contains(opened[0].Form.Get("view"), notify.CallbackReport) {
		t.Fatalf("views.open %+v", opened)
	}

	future := time.Now().Add(3 * time.Hour).Unix()
	_, ans = env.interact(t, submit("U0WANG", notify.CallbackReport, "", map[string]map[string]any{
		"title":           {"type": "plain_text_input", "value": strings.Repeat("长", 201)},
		"description":     {"type": "plain_text_input", "value": "   "},
		"affected_assets": {"type": "plain_text_input", "value": "ok-host\n" + strings.Repeat("h", 201)},
		"occurred_at":     {"type": "datetimepicker", "selected_date_time": future},
	}))
	errs, _ := ans["errors"].(map[string]any)
	if ans["response_action"] != "errors" || len(errs) != 3 {
		t.Fatalf("bad fields: %v", ans)
	}
	for block, want := range map[string]string{"title": "200", "description": "required", "affected_assets": "200"} {
		if m, _ := errs[block].(string); !strings.Contains(m, want) || !strings.Contains(m, " / ") {
			t.Errorf("errors[%s] = %q, want %q in both languages", block, m, want)
		}
	}
	// The domain's own rule (no future times) lands on its field too.
	_, ans = env.interact(t, submit("U0WANG", notify.CallbackReport, "", map[string]map[string]any{
		"title": {"type": "plain_text_input", "value": "t"}, "description": {"type": "plain_text_input", "value": "d"},
		"occurred_at": {"type": "datetimepicker", "selected_date_time": future},
	}))
	if errs, _ := ans["errors"].(map[string]any); errs["occurred_at"] == nil || !strings.Contains(errs["occurred_at"].(string), "future") {
		t.Errorf("future time: %v", ans)
	}
	if n := env.incidentCount(t); n != 0 {
		t.Fatalf("%d incidents filed by bad submissions", n)
	}

	at := time.Date(2026, 3, 21, 8, 10, 0, 0, time.UTC)
	good := submit("U0WANG", notify.CallbackReport, "", map[string]map[string]any{
		"title":           {"type": "plain_text_input", "value": "  VPN gateway exploited  "},
		"description":     {"type": "plain_text_input", "value": "CVE-2026-1234 on vpn-gw-1"},
		"category":        {"type": "static_select", "selected_option": map[string]any{"value": "cyber_attack"}},
		"suggested_level": {"type": "radio_buttons", "selected_option": map[string]any{"value": "special"}},
		"affected_assets": {"type": "plain_text_input", "value": "vpn-gw-1\n\n  vpn-gw-2 "},
		"occurred_at":     {"type": "datetimepicker", "selected_date_time": at.Unix()},
	})
	status, ans = env.interact(t, good)
	if status != http.StatusOK || ans["response_action"] != "update" {
		t.Fatalf("good submission: %d %v", status, ans)
	}
	page, _ := env.incidents.List(context.Background(), incident.ListFilter{})
	if len(page.Items) != 1 {
		t.Fatalf("%d incidents", len(page.Items))
	}
	inc, _ := env.incidents.Get(context.Background(), page.Items[0].ID)
	if inc.Title != "VPN gateway exploited" || inc.Category != incident.CyberAttack || inc.SuggestedLevel != incident.Special ||
		strings.Join(inc.AffectedAssets, ",") != "vpn-gw-1,vpn-gw-2" || inc.OccurredAt == nil || !inc.OccurredAt.Equal(at) ||
		inc.Source != "chat" || inc.Reporter.ID != wang.ID {
		t.Errorf("filed %+v", inc)
	}
	view, _ := json.Marshal(ans["view"])
	if !strings.Contains(string(view), inc.Number) {
		t.Errorf("the modal does not show the number: %s", view)
	}
	// Slack sending the same submission again files nothing new.
	env.interact(t, good)
	if n := env.incidentCount(t); n != 1 {
		t.Errorf("%d incidents after a repeated submission", n)
	}
	// A special report: the card, its channel.
	if got := strings.Join(env.deliver(t), ","); got != inc.Number+"/slack/card,"+inc.Number+"/slack/channel" {
		t.Errorf("delivered %s", got)
	}
	if c := env.fake.Calls("conversations.create"); len(c) != 1 || c[0].Form.Get("name") != "inc-"+strings.ToLower(inc.Number[4:])+"-vpn-gateway-exploited" {
		t.Errorf("channel %+v", c)
	}
}

// TestSlackConfirmModal: a coordinator's Confirm… opens the form; a
// submission without the note is refused on that field; a complete one
// confirms the incident as them.
func TestSlackConfirmModal(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	chen := env.slackUser(t, "chen", "U0CHEN", "", "en", access.Coordinator)
	res, err := env.incidents.Report(context.Background(), incident.ReportInput{Title: "Odd traffic", Description: "d", Source: "web"},
		incident.Actor{ID: "someone", Name: "Someone"})
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	env.interact(t, env.press("U0CHEN", notify.ActionConfirm, inc.Number))
	opened := env.fake.Calls("views.open")
	if len(opened) != 1 || !strings.Contains(opened[0].Form.Get("view"), notify.ConfirmMetadata(inc)) {
		t.Fatalf("views.open %+v", opened)
	}
	values := map[string]map[string]any{
		"level":    {"type": "radio_buttons", "selected_option": map[string]any{"value": "special"}},
		"category": {"type": "static_select", "selected_option": map[string]any{"value": "cyber_attack"}},
		"scope":    {"type": "radio_buttons", "selected_option": map[string]any{"value": "global"}},
	}
	_, ans := env.interact(t, submit("U0CHEN", notify.CallbackConfirm, notify.ConfirmMetadata(inc), values))
	errs, _ := ans["errors"].(map[string]any)
	if ans["response_action"] != "errors" || len(errs) != 1 || !strings.Contains(errs["assessment_note"].(string), "assessment note") {
		t.Fatalf("without the note: %v", ans)
	}
	values["assessment_note"] = map[string]any{"type": "plain_text_input", "value": "C2 beacons from 3 hosts"}
	status, ans := env.interact(t, submit("U0CHEN", notify.CallbackConfirm, notify.ConfirmMetadata(inc), values))
	if status != http.StatusOK || ans != nil {
		t.Fatalf("complete: %d %v", status, ans)
	}
	got, _ := env.incidents.Get(context.Background(), inc.ID)
	if got.Stage != incident.Confirm || got.Level != incident.Special || !got.LevelConfirmed || got.Scope != incident.Global ||
		got.Timeline[len(got.Timeline)-1].Actor.ID != chen.ID {
		t.Errorf("after confirming: %+v", got)
	}
	// The same form again is stale: the version moved on.
	_, ans = env.interact(t, submit("U0CHEN", notify.CallbackConfirm, notify.ConfirmMetadata(inc), values))
	if errs, _ := ans["errors"].(map[string]any); errs["level"] == nil {
		t.Errorf("a stale form: %v", ans)
	}
}

// TestSlackSubcommands: help, status, channel and on-call, in English and
// in Chinese; text that only starts with a subcommand is a report.
func TestSlackSubcommands(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	env.slackUser(t, "chen", "U0CHEN", "", "zh", access.Coordinator)
	res, _ := env.incidents.Report(context.Background(), incident.ReportInput{Title: "Odd <traffic>", Description: "d", Source: "web"},
		incident.Actor{ID: "someone", Name: "Someone"})
	n := res.Incident.Number

	_, ans := env.command(t, "U0CHEN", "帮助")
	if text, _ := ans["text"].(string); !strings.Contains(text, "/incident status") || !strings.Contains(text, "值班") {
		t.Errorf("help: %v", ans)
	}
	_, ans = env.command(t, "U0CHEN", "状态 "+strings.ToLower(n))
	raw, _ := json.Marshal(ans)
	if !strings.Contains(string(raw), n) || !strings.Contains(string(raw), "Odd \\u0026lt;traffic\\u0026gt;") {
		t.Errorf("status: %s", raw)
	}
	_, ans = env.command(t, "U0CHEN", "status INC-2026-999999")
	if text, _ := ans["text"].(string); !strings.Contains(text, "没有该事件") {
		t.Errorf("status of an unknown incident: %v", ans)
	}
	_, ans = env.command(t, "U0CHEN", "频道 "+n)
	if text, _ := ans["text"].(string); !strings.Contains(text, "正在建立") {
		t.Errorf("channel: %v", ans)
	}
	if got := env.deliver(t); len(got) != 2 || got[1] != n+"/slack/channel" {
		t.Errorf("delivered %q, want the card and the channel", got)
	}
	status, ans := env.command(t, "U0CHEN", "值班")
	if status != http.StatusOK || ans != nil {
		t.Errorf("oncall answers at once, empty: %d %v", status, ans)
	}
	if reply := env.waitResponse(t, 1); !strings.Contains(reply, "名册中没有该团队") {
		t.Errorf("oncall with an empty roster: %q", reply)
	}
	_, ans = env.command(t, "U0CHEN", "status page is down for everyone")
	if text, _ := ans["text"].(string); !strings.Contains(text, "已报告") {
		t.Errorf("a report starting with a subcommand word: %v", ans)
	}
}

// TestSlackTeamVisibility: in Slack as on the web, a responder sees the
// incidents assigned to their team, and no other.
func TestSlackTeamVisibility(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	env.slackUser(t, "lina", "U0LINA", "", "en", access.Responder)
	env.slackUser(t, "wang", "U0WANG", "", "en", access.Responder)
	ctx := context.Background()
	rs := env.db.Rosters()
	for _, id := range []string{"lina", "wang"} {
		if err := rs.SavePerson(ctx, escalation.Person{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rs.SaveTeam(ctx, escalation.Team{ID: "net", Name: "Network", Kind: escalation.SupportTeam, Members: []string{"lina"}}); err != nil {
		t.Fatal(err)
	}
	res, err := env.incidents.Report(ctx, incident.ReportInput{Title: "Router flapping", Description: "d", Source: "web"},
		incident.Actor{ID: "someone", Name: "Someone"})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Incident.Number
	// The team is assigned as at dispatch (stored directly: the stage does
	// not matter here).
	inc, err := env.db.Incidents().Get(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	inc.Assignees = []incident.Assignee{{Kind: incident.AssigneeTeam, Name: "Network"}}
	inc.Version++
	if err := env.db.Incidents().Update(ctx, inc, inc.Version-1); err != nil {
		t.Fatal(err)
	}
	if _, ans := env.command(t, "U0LINA", "status "+n); !strings.Contains(fmt.Sprint(ans), "Router flapping") {
		t.Errorf("status for a member of the assigned team: %v", ans)
	}
	if _, ans := env.command(t, "U0WANG", "status "+n); strings.Contains(fmt.Sprint(ans), "Router flapping") ||
		!strings.Contains(fmt.Sprint(ans), "No such incident") {
		t.Errorf("status for a responder of no assigned team: %v", ans)
	}
}

// TestSlackOnCall: /incident oncall answers from the roster, through
// response_url: every team with a rotation, or the one asked for, with
// the people's Slack handles.
func TestSlackOnCall(t *testing.T) {
	t.Parallel()
	env := newSlackEnv(t)
	env.slackUser(t, "chen", "U0CHEN", "", "en", access.Responder)
	env.slackUser(t, "wang", "U0WANG", "", "en")
	r := env.db.Rosters()
	ctx := context.Background()
	for _, p := range []escalation.Person{
		{ID: "li.na", Name: "Li <Na>", Contacts: []escalation.Contact{{Kind: escalation.ContactSlack, Value: "U0LI"}}},
		{ID: "zhao", Name: "Zhao"},
	} {
		if err := r.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	rot := &escalation.Rotation{Participants: []string{"li.na"}, Interval: escalation.Daily, HandoffTime: "09:00",
		TimeZone: "Asia/Shanghai", Start: time.Now().Add(-7 * 24 * time.Hour)}
	for _, tm := range []escalation.Team{
		{ID: "assessment", Name: "Assessment group", Kind: escalation.AssessmentGroup, Members: []string{"li.na"}, Critical: true, Rotation: rot},
		{ID: "netops", Name: "Network operations", Kind: escalation.SupportTeam, Members: []string{"zhao"}},
	} {
		if err := r.SaveTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	env.command(t, "U0CHEN", "oncall")
	reply := env.waitResponse(t, 1)
	if !strings.Contains(reply, "*Assessment group*: Li &lt;Na&gt; (<@U0LI>) · until ") || strings.Contains(reply, "Network") {
		t.Errorf("oncall: %q", reply)
	}
	env.command(t, "U0CHEN", "值班 netops")
	if reply := env.waitResponse(t, 2); reply != "*Network operations*: nobody on call" {
		t.Errorf("oncall netops: %q", reply)
	}
	_, ans := env.command(t, "U0WANG", "oncall")
	if text, _ := ans["text"].(string); !strings.Contains(text, "role") {
		t.Errorf("a reporter asking who is on call: %v", ans)
	}
}
