package notify_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares v, as indented JSON, with testdata/name.golden.json, or
// rewrites the file with -update.
func golden(t *testing.T, name string, v any) []byte {
	t.Helper()
	got := marshal(t, v, "  ")
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./notify -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update if the change is intended):\n%s", name, path, got)
	}
	return got
}

var (
	reported = time.Date(2026, 3, 21, 8, 20, 0, 0, time.UTC)
	cardNow  = reported.Add(40 * time.Minute)
)

const baseURL = "https://tocsin.example.com"

// newIncident is a fresh report as Service.Report would store it.
func newIncident() *incident.Incident {
	return &incident.Incident{
		ID: "65f000000000000000000001", Number: "INC-2026-000042", Version: 1,
		Title: "Finance PCs encrypting files", Description: "Files renamed to *.locked",
		Category: incident.MaliciousProgram, SuggestedLevel: incident.Serious, Level: incident.Serious,
		Source: "chat", Reporter: incident.Actor{ID: "u-rep", Name: "Wang Fang"},
		Stage: incident.Receive, StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: reported},
		CreatedAt: reported, UpdatedAt: reported, Occurrences: 1,
		Timeline: []incident.Entry{{At: reported, Actor: incident.Actor{ID: "u-rep", Name: "Wang Fang"},
			Kind: incident.EntryReported, To: "receive", Note: "reported via chat"}},
	}
}

func TestCardGolden(t *testing.T) {
	acked := newIncident()
	ackAt := reported.Add(5 * time.Minute)
	acked.AckedAt, acked.AckedBy = &ackAt, &incident.Actor{ID: "u-li", Name: "Li Na"}

	special := newIncident()
	special.Level, special.LevelConfirmed, special.Scope = incident.Special, true, incident.Global
	special.Stage, special.AckedAt, special.AckedBy = incident.Handle, &ackAt, &incident.Actor{ID: "u-li", Name: "Li Na"}
	special.Assignees = []incident.Assignee{{Kind: "team", Name: "Network operations"}, {Kind: "vendor", Name: "Acme IR"}}
	special.Tasks = []incident.Task{{ID: "t1", Status: incident.TaskDone}, {ID: "t2", Status: incident.TaskWaived}, {ID: "t3", Status: incident.TaskInProgress}}
	special.Occurrences = 3

	hostile := newIncident()
	hostile.Title = "<!channel> *bold* <https://evil.example|click me> & <@U0ADMIN> " + strings.Repeat("很长的标题", 30)
	hostile.Reporter.Name = "<!here> Mallory & co"
	hostile.Drill = true
	hostile.Category = ""
	hostile.SuggestedLevel, hostile.Level = "", incident.Serious

	closed := newIncident()
	closed.Stage = incident.Closed

	tests := []struct {
		name string
		in   notify.CardInput
	}{
		{"card_new", notify.CardInput{Incident: newIncident(), Now: cardNow, BaseURL: baseURL}},
		{"card_acknowledged", notify.CardInput{Incident: acked, Now: cardNow, BaseURL: baseURL}},
		{"card_special_channel", notify.CardInput{Incident: special, Now: reported.Add(26 * time.Hour), BaseURL: baseURL, Channel: "C0INC42"}},
		{"card_hostile", notify.CardInput{Incident: hostile, Now: cardNow.Add(3 * time.Hour), BaseURL: baseURL}},
		{"card_closed", notify.CardInput{Incident: closed, Now: cardNow, BaseURL: baseURL}},
		{"card_restricted", notify.CardInput{Incident: special, Now: cardNow, BaseURL: baseURL, Restricted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := notify.RenderCard(tt.in)
			out := golden(t, tt.name, v)
			checkLimits(t, out)
			buttons := actionIDs(out)
			hasAck := strings.Contains(buttons, notify.ActionAck)
			wantAck := tt.in.Incident.AckedAt == nil && tt.in.Incident.Stage.Open() && !tt.in.Restricted
			if hasAck != wantAck {
				t.Errorf("Acknowledge button shown %v, want %v (buttons %s)", hasAck, wantAck, buttons)
			}
			if tt.in.Restricted && (strings.Contains(string(out), "Finance") || strings.Contains(string(out), "Wang")) {
				t.Errorf("a restricted card shows details:\n%s", out)
			}
		})
	}

	// The hostile card shows the text as typed and can mention or link nobody.
	out := marshal(t, notify.RenderCard(tests[3].in), "")
	for _, bad := range []string{"<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("hostile card contains %q", bad)
		}
	}
	for _, good := range []string{"&lt;!channel&gt;", " &amp; ", "&lt;https://evil.example|click me&gt;", "&lt;!here&gt; Mallory"} {
		if !strings.Contains(string(out), good) {
			t.Errorf("hostile card lacks %q", good)
		}
	}
}

// marshal is JSON as Slack receives it (no HTML escaping, which would hide
// what the tests look for), indented when indent is set.
func marshal(t *testing.T, v any, indent string) []byte {
	t.Helper()
	// slack-go marshals blocks itself, with escaping: decode and encode
	// again to undo it.
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var plain any
	if err := json.Unmarshal(raw, &plain); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(plain); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkLimits walks a rendered message and fails on what Slack refuses:
// more than 50 blocks, a text over 3000 characters.
func checkLimits(t *testing.T, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	blocks := 0
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if _, ok := x["type"].(string); ok && x["block_id"] != nil || x["type"] == "section" || x["type"] == "context" {
				blocks++
			}
			if s, ok := x["text"].(string); ok && utf8.RuneCountInString(s) > 3000 {
				t.Errorf("a text of %d characters: %.80s…", utf8.RuneCountInString(s), s)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	if blocks > 50 {
		t.Errorf("%d blocks, Slack takes 50", blocks)
	}
}

// actionIDs lists the action ids of a rendered message's buttons.
func actionIDs(raw []byte) string {
	var ids []string
	for _, part := range strings.Split(string(raw), `"action_id": "`)[1:] {
		ids = append(ids, part[:strings.IndexByte(part, '"')])
	}
	return strings.Join(ids, ",")
}

func TestThreadLinesGolden(t *testing.T) {
	actor := incident.Actor{ID: "u-li", Name: "Li Na"}
	entries := []incident.Entry{
		{Actor: actor, Kind: incident.EntryReported, To: "receive"},
		{Actor: actor, Kind: incident.EntryAck},
		{Actor: actor, Kind: incident.EntryStage, From: "receive", To: "confirm", Note: "Seen on 3 PCs\nisolated",
			Changes: []incident.FieldChange{{Field: "level", Before: "serious", After: "special"}, {Field: "assessment_note", After: "ransomware <!channel>"}}},
		{Actor: actor, Kind: incident.EntryStage, From: "handle", To: "plan", Reason: "the plan did not hold"},
		{Actor: actor, Kind: incident.EntryLevel, From: "serious", To: "special", Reason: "spreading to servers"},
		{Actor: incident.System, Kind: incident.EntryEscalation, Note: "paged li.na (step 1, on call for assessment)"},
		{Actor: incident.System, Kind: incident.EntryDeadline, Note: "confirm deadline 30m missed"},
		{Actor: actor, Kind: incident.EntryOccurrence, Note: "reported again via api: <https://x|y>"},
		{Actor: actor, Kind: incident.EntryMerged, Note: "INC-2026-000043 (dup) merged as a duplicate"},
		{Actor: actor, Kind: "task_done", Note: "isolate hosts"},
		{Actor: incident.Actor{Name: "<!everyone>"}, Kind: incident.EntryStage, From: "receive", To: "rejected", Note: strings.Repeat("x&", 2000)},
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = notify.ThreadLine(e)
		if n := utf8.RuneCountInString(lines[i]); n > 3000 {
			t.Errorf("line %d has %d characters", i, n)
		}
		if strings.Contains(lines[i], "<!") || strings.Contains(lines[i], "<https") {
			t.Errorf("line %d can mention or link: %s", i, lines[i])
		}
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "&amp;…") && !strings.HasSuffix(last, "x…") {
		t.Errorf("a long line is not cut cleanly: …%s", last[len(last)-20:])
	}
	golden(t, "thread_lines", lines)
}

func TestDirectGolden(t *testing.T) {
	page := notify.Message{Key: "page/x", Kind: notify.KindPage, Incident: "INC-2026-000042", Recipient: "li.na",
		Channel: notify.ChannelSlack, Subject: "Please acknowledge 请确认受理: INC-2026-000042 Serious (严重事件): Finance PCs <b>",
		Body: "INC-2026-000042 (serious, reported 2026-03-21 16:20 CST) has not been acknowledged.\n\n事件尚未确认受理。"}
	deadline := page
	deadline.Kind, deadline.Subject = notify.KindDeadline, "Deadline missed 超时: INC-2026-000042"
	coverage := notify.Message{Kind: notify.KindCoverage, Recipient: "chen", Subject: "Coverage gap 值班空缺", Body: "Nobody is on call for assessment."}
	restricted := page
	restricted.Restricted = true
	for name, m := range map[string]notify.Message{
		"dm_page": page, "dm_deadline": deadline, "dm_coverage": coverage, "dm_page_restricted": restricted,
	} {
		t.Run(name, func(t *testing.T) {
			out := golden(t, name, notify.RenderDirect(m, baseURL))
			checkLimits(t, out)
			if got, want := strings.Contains(actionIDs(out), notify.ActionAck), m.Kind == notify.KindPage; got != want {
				t.Errorf("Acknowledge button %v, want %v", got, want)
			}
			if m.Restricted && strings.Contains(string(out), "Finance") {
				t.Errorf("restricted message shows details: %s", out)
			}
		})
	}
}

func TestModalsGolden(t *testing.T) {
	for _, lang := range []string{"", "zh"} {
		name := "modal_report_" + map[string]string{"": "both", "zh": "zh"}[lang]
		t.Run(name, func(t *testing.T) {
			m := notify.ReportModal(lang)
			out := golden(t, name, m)
			var ids []string
			for _, b := range m.Blocks.BlockSet {
				ids = append(ids, b.ID())
			}
			if got := strings.Join(ids, ","); got != "title,description,category,suggested_level,affected_assets,occurred_at" {
				t.Errorf("block ids %s: each must be its field's name, for errors to land on it", got)
			}
			if !strings.Contains(string(out), "natural or other sudden disasters") && lang == "" {
				t.Error("the level definitions are not the help text")
			}
		})
	}
	inc := newIncident()
	inc.Version = 3
	m := notify.ConfirmModal(inc, "en")
	golden(t, "modal_confirm_en", m)
	if n, v, ok := notify.ParseConfirmMetadata(m.PrivateMetadata); !ok || n != inc.Number || v != 3 {
		t.Errorf("metadata %q reads back as %s, %d, %v", m.PrivateMetadata, n, v, ok)
	}
	for _, bad := range []string{"", "INC-1", "INC-1@x", "@3", "INC-1@0"} {
		if _, _, ok := notify.ParseConfirmMetadata(bad); ok {
			t.Errorf("ParseConfirmMetadata(%q) accepted", bad)
		}
	}
	golden(t, "modal_report_filed", notify.ReportFiledView(inc, baseURL, ""))
}

func TestEscapeAndTopic(t *testing.T) {
	if got := notify.EscapeMrkdwn("<!channel> & <@U1|x>"); got != "&lt;!channel&gt; &amp; &lt;@U1|x&gt;" {
		t.Errorf("EscapeMrkdwn = %q", got)
	}
	inc := newIncident()
	inc.Level, inc.Stage = incident.Special, incident.Dispatch
	if got := notify.ChannelTopic(inc); got != "INC-2026-000042 · Special 特殊事件 · Dispatch 资源调配" {
		t.Errorf("ChannelTopic = %q", got)
	}
}
