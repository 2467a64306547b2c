package web_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/web"
)

// TestEveryChangeIsRecorded makes changes of every kind through the API
// and pages and finds a record of each, with who, what, where from and
// before/after.
func TestEveryChangeIsRecorded(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.seedCast(t)
	adm, coord := e.tokens[castAdmin], e.tokens[castCoord]
	ua := "Mozilla/5.0 (audit test)"
	mustCall := func(method, path, tok string, body any, want int) map[string]any {
		t.Helper()
		status, out := e.call(t, method, path, tok, body, "User-Agent", ua)
		if status != want {
			t.Fatalf("%s %s: %d %s", method, path, status, out)
		}
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		return m
	}
	inc := mustCall("POST", "/api/v1/incidents", e.tokens[castRepOwn], map[string]any{"title": "Ransom note", "description": "on fs01"}, 201)
	num := inc["number"].(string)
	mustCall("POST", "/api/v1/incidents/"+num+"/transitions", coord, map[string]any{"to": "confirm", "version": 1, "level": "special",
		"category": "malicious_program", "scope": "local", "assessment_note": "confirmed by lab"}, 200)
	mustCall("POST", "/api/v1/incidents/"+num+"/ack", e.tokens[castRespIn], nil, 404) // not assigned: refused, not recorded
	mustCall("POST", "/api/v1/users", adm, map[string]any{"username": "new.auditor", "password": "a-long-password-1", "roles": []string{"auditor"}}, 201)
	mustCall("POST", "/api/v1/tokens", adm, map[string]any{"name": "siem", "username": "new.auditor"}, 201)
	mustCall("PUT", "/api/v1/people/zhao", coord, map[string]any{"name": "Zhao"}, 200)
	mustCall("PUT", "/api/v1/policies/ordinary", adm, map[string]any{"steps": []map[string]any{{"target": map[string]any{"kind": "oncall", "team": "net"}}},
		"deadlines": map[string]any{"ack": "15m", "confirm": "1h", "dispatch": "4h", "handle": "24h"}}, 200)
	b := e.login(t, castCoord)
	if p := b.post("/roster/departments", url.Values{"name": {"Finance"}, "liaison": {castRespIn}, "csrf_token": {b.get("/incidents").csrf(t)}}); p.status != http.StatusSeeOther {
		t.Fatalf("department: %d", p.status)
	}

	byAction := map[audit.Action][]audit.Record{}
	for _, r := range e.records(t, audit.Filter{}) {
		byAction[r.Action] = append(byAction[r.Action], r)
	}
	one := func(a audit.Action) audit.Record {
		t.Helper()
		if len(byAction[a]) != 1 {
			t.Fatalf("%d records of %s; all: %v", len(byAction[a]), a, byAction)
		}
		return byAction[a][0]
	}
	rep := one("incident.reported")
	if rep.Target != (audit.Target{Kind: "incident", ID: num}) || rep.Actor.Username != castRepOwn || rep.Actor.Via != "token" ||
		rep.Source.UserAgent != ua || rep.Source.IP != "127.0.0.1" {
		t.Errorf("report record %+v", rep)
	}
	st := one("incident.stage")
	wantChanges := map[string][2]string{"stage": {"receive", "confirm"}, "level": {"serious", "special"}, "assessment_note": {"", "confirmed by lab"}}
	for _, ch := range st.Changes {
		if w, ok := wantChanges[ch.Field]; ok && (ch.Before != w[0] || ch.After != w[1]) {
			t.Errorf("stage record change %+v, want %v", ch, w)
		}
		delete(wantChanges, ch.Field)
	}
	if len(wantChanges) > 0 || st.Actor.Username != castCoord {
		t.Errorf("stage record %+v lacks %v", st, wantChanges)
	}
	if len(byAction["incident.acknowledged"]) != 0 {
		t.Error("a refused change was recorded")
	}
	if u := one(audit.ActionUserCreate); u.Target.ID != "new.auditor" || u.Changes[0].After != "reporter, auditor" || u.Actor.Username != castAdmin {
		t.Errorf("user record %+v", u)
	}
	if tk := one(audit.ActionTokenCreate); !strings.HasPrefix(tk.Target.ID, "tcs_") || len(tk.Target.ID) > 12 || tk.Changes[1].After != "new.auditor" {
		t.Errorf("token record %+v (it must name the token by prefix only)", tk)
	}
	if p := one("roster.person.save"); p.Target != (audit.Target{Kind: "person", ID: "zhao"}) {
		t.Errorf("person record %+v", p)
	}
	if p := one("policy.save"); p.Target != (audit.Target{Kind: "policy", ID: "ordinary"}) {
		t.Errorf("policy record %+v", p)
	}
	if d := one("roster.department.save"); d.Target != (audit.Target{Kind: "department", ID: "Finance"}) || d.Actor.Via != "session" {
		t.Errorf("department record %+v", d)
	}
	if ls := one(audit.ActionLoginSuccess); ls.Actor.Username != castCoord {
		t.Errorf("sign-in record %+v", ls)
	}
	// Nothing secret is recorded: no password, no token.
	for _, rs := range byAction {
		for _, r := range rs {
			b, _ := json.Marshal(r)
			if strings.Contains(string(b), "a-long-password-1") || strings.Contains(string(b), e.tokens[castAdmin]) || strings.Contains(string(b), testPassword) {
				t.Errorf("a record holds a secret: %s", b)
			}
		}
	}
	if rep, err := audit.Verify(t.Context(), e.db.Audit()); err != nil || rep.Break != nil {
		t.Fatalf("the chain: %+v %v", rep, err)
	}
}

// TestEveryChangingRouteHasAnAuditRule: a new route that changes
// something must say how it is recorded.
func TestEveryChangingRouteHasAnAuditRule(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	for _, r := range e.server.Routes() {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			continue
		}
		if !web.AuditRuleFor(r.Method + " " + r.Path) {
			t.Errorf("%s %s has no audit rule (web/audit_changes.go)", r.Method, r.Path)
		}
	}
}

// TestAuditBrowseAndExport reads the trail by incident, person and period,
// pages through it, exports it as CSV with formula-safe cells, and finds
// each read recorded.
func TestAuditBrowseAndExport(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.seedCast(t)
	// A formula in a title and in a reason: exported cells must not be
	// formulas.
	rep := e.tokens[castRepOwn]
	var numbers []string
	for i := range 3 {
		status, body := e.call(t, "POST", "/api/v1/incidents", rep, map[string]any{"title": "=HYPERLINK(\"http://evil\")", "description": "x"})
		if status != 201 {
			t.Fatalf("report %d: %d %s", i, status, body)
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		numbers = append(numbers, m["number"].(string))
	}
	status, body := e.call(t, "POST", "/api/v1/incidents/"+numbers[0]+"/level", e.tokens[castCoord],
		map[string]any{"level": "special", "version": 1, "reason": "=1+2 @SUM(A1) -cmd +x"})
	if status != 200 {
		t.Fatalf("level: %d %s", status, body)
	}
	e.flushAudit(t)
	aud := e.tokens[castAuditor]

	// By incident.
	status, body = e.call(t, "GET", "/api/v1/audit?incident="+numbers[0], aud, nil)
	var res struct {
		Items []struct {
			Seq    int64        `json:"seq"`
			Action string       `json:"action"`
			Target audit.Target `json:"target"`
			Actor  audit.Actor  `json:"actor"`
			Hash   string       `json:"hash"`
		} `json:"items"`
		Next string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &res); status != 200 || err != nil {
		t.Fatalf("audit: %d %s", status, body)
	}
	if len(res.Items) != 2 || res.Items[0].Action != "incident.level" || res.Items[1].Action != "incident.reported" || res.Items[0].Seq <= res.Items[1].Seq {
		t.Fatalf("records of %s: %+v", numbers[0], res.Items)
	}
	// By person, paged.
	var seen []int64
	cursor := ""
	for range 10 {
		_, body = e.call(t, "GET", "/api/v1/audit?limit=2&actor="+castRepOwn+"&cursor="+cursor, aud, nil)
		res.Items, res.Next = nil, ""
		_ = json.Unmarshal(body, &res)
		for _, it := range res.Items {
			if it.Actor.Username != castRepOwn {
				t.Errorf("actor filter let through %+v", it)
			}
			seen = append(seen, it.Seq)
		}
		if cursor = res.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Fatalf("paged through %v, want the 3 reports", seen)
	}
	// By period: nothing before, everything in.
	past := time.Now().Add(-48 * time.Hour).Format("2006-01-02")
	_, body = e.call(t, "GET", "/api/v1/audit?to="+past, aud, nil)
	if !strings.Contains(string(body), `"items":[]`) {
		t.Errorf("records before %s: %s", past, body)
	}
	_, body = e.call(t, "GET", "/api/v1/audit?from="+past+"&incident="+numbers[1], aud, nil)
	if !strings.Contains(string(body), numbers[1]) {
		t.Errorf("records since %s: %s", past, body)
	}
	// Bad filters: field messages in the caller's language.
	status, body = e.call(t, "GET", "/api/v1/audit?from=yesterday&limit=0", aud, nil, "Accept-Language", "zh-CN")
	if status != 400 || !strings.Contains(string(body), `"from":"请使用日期`) || !strings.Contains(string(body), `"limit":"limit 必须在 1 到 500 之间"`) {
		t.Errorf("bad filter: %d %s", status, body)
	}

	// The CSV export, through the page's session.
	b := e.login(t, castAuditor)
	p := b.get("/audit.csv?incident=" + numbers[0])
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), `attachment; filename="tocsin-audit-`) || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("csv: %d %v", p.status, p.header)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(p.body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "seq" || rows[1][6] != "incident.level" {
		t.Fatalf("csv rows: %q", rows)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a cell that a spreadsheet reads as a formula: %q", cell)
			}
		}
	}
	if note := rows[1][12]; note != "reason: =1+2 @SUM(A1) -cmd +x" {
		t.Errorf("note cell %q", note)
	}
	// The page shows the same records and links the export with the
	// filters kept.
	page := b.get("/audit?incident=" + numbers[0])
	mustContain(t, page, "incident.level", "/audit.csv?incident="+numbers[0], "reason: =1&#43;2 @SUM(A1) -cmd &#43;x")

	// Each read was recorded, the export as an export.
	var reads, exports int
	for _, r := range e.records(t, audit.Filter{Actor: castAuditor}) {
		switch r.Action {
		case audit.ActionAuditRead:
			reads++
		case audit.ActionAuditExport:
			exports++
			if r.Note != "incident="+numbers[0] || r.Actor.Via != "session" {
				t.Errorf("export record %+v", r)
			}
		}
	}
	if reads < 6 || exports != 1 {
		t.Errorf("%d reads and %d exports recorded", reads, exports)
	}
}

// TestAuditUnavailableRefusesReads: without a trail to record the read,
// nothing is shown.
func TestAuditUnavailableRefusesReads(t *testing.T) {
	t.Parallel()
	env := newEnv(t) // no audit trail
	tok := env.user(t, "inspector", "auditor")
	status, body := env.call(t, "GET", "/api/v1/audit", tok, nil)
	if status != http.StatusServiceUnavailable || strings.Contains(string(body), "items") {
		t.Fatalf("audit without a trail: %d %s", status, body)
	}
	b := env.login(t, "inspector")
	if p := b.get("/audit.csv"); p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "must be recorded") {
		t.Fatalf("export without a trail: %d\n%s", p.status, p.body)
	}
}
