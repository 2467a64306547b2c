package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/audit"
)

// injectionPayload is hostile text a reporter or a responder can type into
// any field. The list is meant for every output that shows such text: the
// pages, the board's stream, the CSV export and the JSON API here; chat
// cards (Slack mrkdwn and Block Kit), robot markdown and e-mail are tested
// with the same list where they are built.
type injectionPayload struct {
	name string
	text string
}

// injectionPayloads: script and HTML (in text and in attributes), markdown
// and chat markup (links, images, mentions, Slack's <!channel> and
// <url|label>, Block Kit JSON), spreadsheet formulas and event-stream
// framing.
var injectionPayloads = []injectionPayload{
	{"script tag", `<script>alert("tocsin-xss-1")</script>`},
	{"img onerror", `<img src=x onerror=alert('tocsin-xss-2')>`},
	{"attribute breakout", `" autofocus onfocus="alert(3)" x="`},
	{"single-quote breakout", `' onmouseover='alert(4)`},
	{"closing tags", `</textarea></title></style><svg/onload=alert(5)>`},
	{"javascript link (markdown)", `[click me](javascript:alert(6))`},
	{"image (markdown)", `![x](http://evil.example/track.png)`},
	{"emphasis and code (markdown)", "**bold** _it_ `code` ~~gone~~ > quote"},
	{"slack mentions", `<!channel> <!here> <@U0123ABCD> @all`},
	{"slack link", `<http://evil.example|Open the incident>`},
	{"block kit json", `{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*fake*"}}]}`},
	{"spreadsheet formula", `=HYPERLINK("http://evil.example","click")`},
	{"formula by sign", `+cmd|'/C calc'!A0`},
	{"event-stream framing", "title\n\nevent: gone\ndata: {\"number\":\"INC-1\"}"},
	{"entities", `&lt;b&gt; &amp; &#60;script&#62;`},
	{"unicode", "\u202eevil\u202c 李娜 🙂"},
}

// dangerousHTML are fragments that must never appear in a page as markup,
// whatever was typed.
var dangerousHTML = regexp.MustCompile(`(?i)<script>alert|<img src=x|onfocus="alert|onmouseover='alert|<svg/onload|href="javascript:|<a href="http://evil|src="http://evil|<!channel>`)

// assertHTMLSafe checks that body shows payload as text: the page, read as
// a browser reads it (entities decoded), contains it, and no markup of it
// survived.
func assertHTMLSafe(t *testing.T, where, body string, p injectionPayload, shown bool) {
	t.Helper()
	if m := dangerousHTML.FindString(body); m != "" {
		t.Errorf("%s (%s): markup from the payload: %q", where, p.name, m)
	}
	if strings.ContainsAny(p.text, `<>"'&`) && strings.Contains(body, p.text) {
		t.Errorf("%s (%s): the payload appears unescaped", where, p.name)
	}
	if shown {
		want := p.text
		if i := strings.IndexByte(want, '\n'); i >= 0 {
			want = want[:i] // lines may be shown apart
		}
		if !strings.Contains(html.UnescapeString(body), strings.TrimSpace(want)) {
			t.Errorf("%s (%s): the text is not shown at all", where, p.name)
		}
	}
}

// TestOutputsEscapeEveryField takes each payload through every text field
// of an incident's life (report, assessment, level and restriction
// reasons, plan, assignees, review, rejection) and checks the ticket, the
// list, the board and its refresh, the board's stream, the JSON API, the
// audit page and the CSV export.
func TestOutputsEscapeEveryField(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.seedCast(t)
	mgr := e.tokens[castManager]
	coordB := e.login(t, castCoord)
	mgrB := e.login(t, castManager)
	audB := e.login(t, castAuditor)
	events := e.openStream(t, coordB)

	for _, p := range injectionPayloads {
		text := p.text
		title := strings.ReplaceAll(text, "\n", " ")
		call := func(method, path string, body any) map[string]any {
			t.Helper()
			status, out := e.call(t, method, path, mgr, body)
			if status >= 300 {
				t.Fatalf("%s: %s %s: %d %s", p.name, method, path, status, out)
			}
			var m map[string]any
			_ = json.Unmarshal(out, &m)
			return m
		}
		inc := call("POST", "/api/v1/incidents", map[string]any{"title": text, "description": text + "\n" + text,
			"affected_assets": []string{title, "fs01"}})
		num := inc["number"].(string)
		v := func() int { return int(call("GET", "/api/v1/incidents/"+num, nil)["version"].(float64)) }
		call("POST", "/api/v1/incidents/"+num+"/transitions", map[string]any{"to": "confirm", "version": v(), "level": "serious",
			"category": "other", "scope": "local", "assessment_note": text})
		call("POST", "/api/v1/incidents/"+num+"/level", map[string]any{"level": "ordinary", "version": v(), "reason": text})
		call("POST", "/api/v1/incidents/"+num+"/restriction", map[string]any{"restricted": true, "version": v(), "reason": text})
		call("POST", "/api/v1/incidents/"+num+"/restriction", map[string]any{"restricted": false, "version": v(), "reason": text})
		call("POST", "/api/v1/incidents/"+num+"/transitions", map[string]any{"to": "plan", "version": v(), "measures": text})
		call("POST", "/api/v1/incidents/"+num+"/transitions", map[string]any{"to": "dispatch", "version": v(),
			"assignees": []map[string]any{{"kind": "vendor", "name": title}}, "note": text})

		// While it is open: the board, its refresh and its stream.
		board := mgrB.get("/board")
		assertHTMLSafe(t, "board", board.body, p, true)
		assertHTMLSafe(t, "board refresh", mgrB.get("/board?partial=1").body, p, true)
		lines := events.until(t, func(ln string) bool {
			return strings.HasPrefix(ln, "data:") && strings.Contains(ln, num) && strings.Contains(ln, `"stage":"dispatch"`)
		})
		data := strings.TrimPrefix(lines[len(lines)-1], "data: ")
		var card struct{ Title string }
		if err := json.Unmarshal([]byte(data), &card); err != nil || card.Title != strings.TrimSpace(text) {
			t.Errorf("%s: stream data %q: %v (title %q)", p.name, data, err, card.Title)
		}
		for _, ln := range lines {
			switch {
			case strings.HasPrefix(ln, "data: ") && (!json.Valid([]byte(strings.TrimPrefix(ln, "data: "))) || strings.ContainsAny(ln, "<>")):
				t.Errorf("%s: stream data is not JSON, or carries markup: %q", p.name, ln)
			case strings.HasPrefix(ln, "event: ") && ln != "event: incident" && ln != "event: gone",
				ln == `data: {"number":"INC-1"}`:
				t.Errorf("%s: a forged stream line: %q", p.name, ln)
			}
		}

		call("POST", "/api/v1/incidents/"+num+"/transitions", map[string]any{"to": "handle", "version": v()})
		call("POST", "/api/v1/incidents/"+num+"/transitions", map[string]any{"to": "review", "version": v()})
		call("POST", "/api/v1/incidents/"+num+"/transitions", map[string]any{"to": "closed", "version": v(),
			"review_summary": text, "root_cause": text, "lessons": text})

		ticket := mgrB.get("/incidents/" + num)
		if ticket.status != http.StatusOK {
			t.Fatalf("%s: ticket %d", p.name, ticket.status)
		}
		assertHTMLSafe(t, "ticket", ticket.body, p, true)
		assertHTMLSafe(t, "list", mgrB.get("/incidents?q="+url.QueryEscape(strings.Fields(title + " x")[0])).body, p, false)
		assertHTMLSafe(t, "list", mgrB.get("/incidents?limit=500").body, p, true)

		// The JSON API keeps the text exactly and escapes markup.
		status, raw := e.call(t, "GET", "/api/v1/incidents/"+num, mgr, nil)
		var got struct {
			Title, Description, AssessmentNote string `json:",omitempty"`
		}
		if status != 200 || !json.Valid(raw) || json.Unmarshal(raw, &got) != nil || got.Title != strings.TrimSpace(text) {
			t.Errorf("%s: API %d title %q", p.name, status, got.Title)
		}
		if strings.Contains(string(raw), "<script") || strings.Contains(string(raw), "<img") {
			t.Errorf("%s: API answer with raw markup", p.name)
		}

		// A rejected report's note.
		rej := call("POST", "/api/v1/incidents", map[string]any{"title": "reject " + title, "description": "x"})
		call("POST", "/api/v1/incidents/"+rej["number"].(string)+"/transitions", map[string]any{"to": "rejected", "version": 1,
			"reject_reason": "false_positive", "reject_note": text})
		assertHTMLSafe(t, "rejected ticket", mgrB.get("/incidents/"+rej["number"].(string)).body, p, true)

		// The audit trail shows the reasons and notes: escaped on the page,
		// formula-safe in the export.
		e.flushAudit(t)
		assertHTMLSafe(t, "audit page", audB.get("/audit?incident="+num).body, p, true)
		export := audB.get("/audit.csv?incident=" + num)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(export.body, "\uFEFF"))).ReadAll()
		if err != nil || len(rows) < 10 {
			t.Fatalf("%s: csv %d rows, %v", p.name, len(rows), err)
		}
		found := false
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: formula cell %q", p.name, cell)
				}
				if strings.Contains(cell, strings.SplitN(text, "\n", 2)[0]) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: the export does not hold the text", p.name)
		}
	}
	// The recorded chain still holds with every payload in it.
	if rep, err := audit.Verify(context.Background(), e.db.Audit()); err != nil || rep.Break != nil {
		t.Fatalf("chain: %+v %v", rep, err)
	}
}
