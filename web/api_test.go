package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tocsin-hub/tocsin/access"
)

func report(title string) map[string]any {
	return map[string]any{"title": title, "description": "Files on the finance share are being renamed to *.locked."}
}

func TestReportCreated(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "reporter1")
	status, body := env.call(t, "POST", "/api/v1/incidents", tok, map[string]any{
		"title": "财务部终端疑似勒索软件", "description": "文件被加密，扩展名变为 .locked", "category": "malicious_program",
		"suggested_level": "serious", "scope": "local", "affected_assets": []string{"FIN-PC-012", "\\\\fs01\\finance"},
		"occurred_at": "2026-11-21T08:30:00+08:00", "drill": true,
	})
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, body)
	}
	got := decode(t, body)
	for _, k := range []string{"id", "number", "created_at"} {
		if got[k] == "" || got[k] == nil {
			t.Errorf("response lacks %s: %s", k, body)
		}
	}
	if got["stage"] != "receive" || got["level"] != "serious" || got["outcome"] != "created" || got["drill"] != true ||
		got["occurred_at"] != "2026-11-21T00:30:00Z" || !strings.HasPrefix(got["number"].(string), "INC-20") {
		t.Fatalf("unexpected response: %s", body)
	}
	// The reporter sees it, with its timeline; another reporter does not.
	status, body = env.call(t, "GET", "/api/v1/incidents/"+got["number"].(string), tok, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"kind":"reported"`) {
		t.Fatalf("get: %d %s", status, body)
	}
	other := env.user(t, "reporter2")
	if status, _ = env.call(t, "GET", "/api/v1/incidents/"+got["id"].(string), other, nil); status != http.StatusNotFound {
		t.Fatalf("another reporter got %d, want 404", status)
	}
	coord := env.user(t, "coord", access.Coordinator)
	if status, _ = env.call(t, "GET", "/api/v1/incidents/"+got["id"].(string), coord, nil); status != http.StatusOK {
		t.Fatalf("coordinator got %d", status)
	}
}

func TestReportValidationBothLanguages(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "reporter")
	bad := map[string]any{"title": strings.Repeat("长", 201), "suggested_level": "extreme", "occurred_at": "yesterday", "affected_assets": []string{strings.Repeat("a", 201)}}
	tests := []struct {
		lang   string
		fields map[string]string // field → substring of its message
	}{
		{"en-GB,en;q=0.9", map[string]string{"title": "200", "description": "required", "suggested_level": "one of", "occurred_at": "format", "affected_assets[0]": "200"}},
		{"zh-CN,zh;q=0.9", map[string]string{"title": "200", "description": "必填", "suggested_level": "必须是", "occurred_at": "格式", "affected_assets[0]": "200"}},
	}
	for _, tt := range tests {
		status, body := env.call(t, "POST", "/api/v1/incidents", tok, bad, "Accept-Language", tt.lang)
		if status != http.StatusBadRequest {
			t.Fatalf("%s: status %d: %s", tt.lang, status, body)
		}
		fields, _ := decode(t, body)["fields"].(map[string]any)
		for f, want := range tt.fields {
			m, _ := fields[f].(string)
			if !strings.Contains(m, want) {
				t.Errorf("%s: fields[%s] = %q, want it to contain %q (all: %s)", tt.lang, f, m, want, body)
			}
		}
	}
	// Nothing was written by any rejected request.
	status, body := env.call(t, "GET", "/api/v1/incidents", env.user(t, "boss", access.Manager), nil)
	if status != http.StatusOK || strings.Contains(string(body), `"number"`) {
		t.Fatalf("list after rejected requests: %d %s", status, body)
	}
}

func TestReportMalformedBodies(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "reporter")
	huge := `{"title":"big","description":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"unknown field", `{"title":"t","description":"d","severity":"high"}`, 400, `"severity":"unknown field"`},
		{"wrong type", `{"title":"t","description":"d","drill":"yes"}`, 400, `"drill":"must be of type boolean"`},
		{"wrong list type", `{"title":"t","description":"d","affected_assets":"pc1"}`, 400, `"affected_assets":"must be of type array of string"`},
		{"not an object", `["t"]`, 400, "JSON object"},
		{"syntax", `{"title":`, 400, "malformed JSON"},
		{"trailing data", `{"title":"t","description":"d"} {}`, 400, "after the JSON object"},
		{"empty", ``, 400, "empty"},
		{"too large", huge, 413, "1 MiB"},
	}
	for _, tt := range tests {
		status, body := env.call(t, "POST", "/api/v1/incidents", tok, tt.body)
		if status != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d %s; want %d containing %s", tt.name, status, body, tt.status, tt.want)
		}
	}
	status, body := env.call(t, "POST", "/api/v1/incidents", tok, `title=t`, "Content-Type", "text/plain")
	if status != 400 || !strings.Contains(string(body), "application/json") {
		t.Errorf("content type: %d %s", status, body)
	}
}

func TestAuthRequired(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	for _, tok := range []string{"", "tcs_not-a-real-token"} {
		status, _ := env.call(t, "POST", "/api/v1/incidents", tok, report("x"))
		if status != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", tok, status)
		}
	}
	status, _ := env.call(t, "POST", "/api/v1/incidents", "bootstrap-secret-for-tests", report("via bootstrap"))
	if status != http.StatusCreated {
		t.Errorf("bootstrap token: %d", status)
	}
	rep := env.user(t, "rep")
	if status, _ := env.call(t, "GET", "/api/v1/users", rep, nil); status != http.StatusForbidden {
		t.Errorf("reporter listing users: %d, want 403", status)
	}
	if status, _ := env.call(t, "POST", "/api/v1/tokens", rep, map[string]any{"name": "x", "username": "rep"}); status != http.StatusForbidden {
		t.Errorf("reporter creating a token: %d, want 403", status)
	}
}

func TestAdminCreatesUserAndToken(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	admin := "bootstrap-secret-for-tests"
	status, body := env.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": "siem", "name": "SIEM connector", "password": "a-long-enough-password", "roles": []string{"reporter"}})
	if status != http.StatusCreated || strings.Contains(string(body), "password") {
		t.Fatalf("create user: %d %s", status, body)
	}
	if status, body = env.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": "siem", "password": "a-long-enough-password"}); status != http.StatusConflict {
		t.Fatalf("duplicate user: %d %s", status, body)
	}
	status, body = env.call(t, "POST", "/api/v1/tokens", admin, map[string]any{"name": "siem", "username": "siem"})
	if status != http.StatusCreated {
		t.Fatalf("create token: %d %s", status, body)
	}
	tok := decode(t, body)["token"].(string)
	if status, body = env.call(t, "POST", "/api/v1/incidents", tok, report("from the SIEM")); status != http.StatusCreated {
		t.Fatalf("report with new token: %d %s", status, body)
	}
	if r := decode(t, body)["reporter"].(map[string]any); r["name"] != "SIEM connector" {
		t.Fatalf("reporter = %v", r)
	}
	_, body = env.call(t, "GET", "/api/v1/tokens", admin, nil)
	if strings.Contains(string(body), tok) {
		t.Fatal("token list shows the secret")
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "siem")
	s1, b1 := env.call(t, "POST", "/api/v1/incidents", tok, report("port scan"), "Idempotency-Key", "evt-42")
	s2, b2 := env.call(t, "POST", "/api/v1/incidents", tok, report("port scan"), "Idempotency-Key", "evt-42")
	if s1 != 201 || s2 != 201 {
		t.Fatalf("statuses %d %d: %s %s", s1, s2, b1, b2)
	}
	if n1, n2 := decode(t, b1)["number"], decode(t, b2)["number"]; n1 != n2 || decode(t, b2)["outcome"] != "replayed" {
		t.Fatalf("retry made %v then %v (%s)", n1, n2, b2)
	}
	// The same key for a different report is refused, not answered with the old one.
	if s, b := env.call(t, "POST", "/api/v1/incidents", tok, report("something else"), "Idempotency-Key", "evt-42"); s != http.StatusUnprocessableEntity {
		t.Fatalf("reused key: %d %s", s, b)
	}
	// Keys belong to their caller.
	other := env.user(t, "edr")
	_, b3 := env.call(t, "POST", "/api/v1/incidents", other, report("port scan"), "Idempotency-Key", "evt-42")
	if decode(t, b3)["number"] == decode(t, b1)["number"] {
		t.Fatal("another caller's key matched")
	}
	// Concurrent retries of one request make one incident.
	var wg sync.WaitGroup
	numbers := make(chan string, 10)
	for range 10 {
		wg.Go(func() {
			s, b := env.call(t, "POST", "/api/v1/incidents", tok, report("burst"), "Idempotency-Key", "evt-burst")
			if s != 201 {
				t.Errorf("status %d: %s", s, b)
				return
			}
			numbers <- decode(t, b)["number"].(string)
		})
	}
	wg.Wait()
	close(numbers)
	distinct := map[string]bool{}
	for n := range numbers {
		distinct[n] = true
	}
	if len(distinct) != 1 {
		t.Fatalf("concurrent retries made %d incidents: %v", len(distinct), distinct)
	}
}

func TestDedupKeyAttachesOccurrences(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "ids")
	body := report("IDS: SMB brute force from 10.2.3.4")
	body["dedup_key"] = "ids:smb-bruteforce:10.2.3.4"
	s1, b1 := env.call(t, "POST", "/api/v1/incidents", tok, body)
	s2, b2 := env.call(t, "POST", "/api/v1/incidents", tok, body)
	if s1 != 201 || s2 != 200 {
		t.Fatalf("statuses %d %d", s1, s2)
	}
	first, second := decode(t, b1), decode(t, b2)
	if first["number"] != second["number"] || second["outcome"] != "attached" || second["deduplicated"] != true || second["occurrences"] != 2.0 {
		t.Fatalf("second report: %s", b2)
	}
	_, b := env.call(t, "GET", "/api/v1/incidents/"+first["number"].(string), tok, nil)
	if !strings.Contains(string(b), `"kind":"occurrence"`) {
		t.Fatalf("timeline lacks the occurrence: %s", b)
	}
}

func TestTransitionsOverHTTP(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rep := env.user(t, "rep")
	coord := env.user(t, "coord", access.Coordinator)
	_, b := env.call(t, "POST", "/api/v1/incidents", rep, report("Phishing e-mail impersonating the CFO"))
	num := decode(t, b)["number"].(string)
	path := "/api/v1/incidents/" + num + "/transitions"

	// A reporter may not move incidents.
	if s, _ := env.call(t, "POST", path, rep, map[string]any{"to": "confirm", "version": 1}); s != http.StatusForbidden {
		t.Fatalf("reporter transition: %d", s)
	}
	// Missing conditions: 422 naming each, in Chinese on request.
	s, b := env.call(t, "POST", path, coord, map[string]any{"to": "confirm", "version": 1, "level": "serious"}, "Accept-Language", "zh")
	got := decode(t, b)
	if s != http.StatusUnprocessableEntity || fmt.Sprint(got["missing"]) != "[category scope assessment_note]" || !strings.Contains(fmt.Sprint(got["messages"]), "鉴定意见") {
		t.Fatalf("missing conditions: %d %s", s, b)
	}
	// A forbidden move: 422.
	if s, b = env.call(t, "POST", path, coord, map[string]any{"to": "handle", "version": 1}); s != http.StatusUnprocessableEntity {
		t.Fatalf("skip: %d %s", s, b)
	}
	s, b = env.call(t, "POST", path, coord, map[string]any{"to": "confirm", "version": 1, "level": "serious", "category": "cyber_attack", "scope": "global", "assessment_note": "credential phishing, 40 recipients"})
	if s != http.StatusOK || decode(t, b)["stage"] != "confirm" || decode(t, b)["version"] != 2.0 {
		t.Fatalf("confirm: %d %s", s, b)
	}
	// A stale version: 409, and nothing changes.
	if s, b = env.call(t, "POST", path, coord, map[string]any{"to": "plan", "version": 1}); s != http.StatusConflict {
		t.Fatalf("stale: %d %s", s, b)
	}
	// Level change with a reason is recorded.
	s, b = env.call(t, "POST", "/api/v1/incidents/"+num+"/level", coord, map[string]any{"level": "special", "version": 2, "reason": "attacker is outside the network"})
	if s != http.StatusOK || decode(t, b)["level"] != "special" || !strings.Contains(string(b), "attacker is outside") {
		t.Fatalf("level: %d %s", s, b)
	}
	// Back with a reason.
	if s, b = env.call(t, "POST", path, coord, map[string]any{"to": "receive", "version": 3}); s != 422 || !strings.Contains(string(b), `"reason"`) {
		t.Fatalf("back without reason: %d %s", s, b)
	}
	if s, b = env.call(t, "POST", path, coord, map[string]any{"to": "receive", "version": 3, "reason": "wrong category"}); s != 200 {
		t.Fatalf("back: %d %s", s, b)
	}
}

func TestConcurrentTransitionsOneWins(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	coord := env.user(t, "coord", access.Coordinator)
	_, b := env.call(t, "POST", "/api/v1/incidents", coord, report("race"))
	path := "/api/v1/incidents/" + decode(t, b)["number"].(string) + "/transitions"
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count = map[int]int{}
	)
	for range 20 {
		wg.Go(func() {
			s, _ := env.call(t, "POST", path, coord, map[string]any{"to": "confirm", "version": 1, "level": "ordinary", "category": "other", "scope": "local", "assessment_note": "n"})
			mu.Lock()
			count[s]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if count[200] != 1 || count[409] != 19 {
		t.Fatalf("statuses = %v, want one 200 and nineteen 409", count)
	}
}

func TestConcurrentReportsDistinctNumbers(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "siem")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		numbers = map[string]bool{}
	)
	for i := range 50 {
		wg.Go(func() {
			s, b := env.call(t, "POST", "/api/v1/incidents", tok, report(fmt.Sprintf("alert %d", i)))
			if s != 201 {
				t.Errorf("status %d: %s", s, b)
				return
			}
			mu.Lock()
			numbers[decode(t, b)["number"].(string)] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(numbers) != 50 {
		t.Fatalf("%d distinct numbers, want 50", len(numbers))
	}
}

func TestListFiltersAndPaging(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rep := env.user(t, "rep")
	mgr := env.user(t, "mgr", access.Manager)
	for i := range 7 {
		r := report(fmt.Sprintf("Alert %d", i))
		if i%2 == 0 {
			r["category"] = "data_security"
			r["description"] = "Customer DATABASE dump offered for sale"
		}
		env.call(t, "POST", "/api/v1/incidents", rep, r)
	}
	s, b := env.call(t, "GET", "/api/v1/incidents?category=data_security&q=database&stage=receive", mgr, nil)
	if s != 200 || strings.Count(string(b), `"number"`) != 4 || strings.Contains(string(b), "Customer DATABASE") {
		t.Fatalf("filtered list (brief, 4 items): %d %s", s, b)
	}
	seen := map[string]bool{}
	cursor := ""
	for range 5 {
		_, b := env.call(t, "GET", "/api/v1/incidents?limit=3&cursor="+cursor, mgr, nil)
		page := decode(t, b)
		for _, it := range page["items"].([]any) {
			seen[it.(map[string]any)["number"].(string)] = true
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if len(seen) != 7 {
		t.Fatalf("paging saw %d incidents, want 7", len(seen))
	}
	for _, q := range []string{"stage=finished", "level=high", "limit=0", "cursor=zzz"} {
		if s, b := env.call(t, "GET", "/api/v1/incidents?"+q, mgr, nil); s != 400 {
			t.Errorf("%s: %d %s", q, s, b)
		}
	}
}

func TestHealthAndHeaders(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := env.srv.Client().Get(env.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
}

func TestAcknowledge(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rep := env.user(t, "rep")
	li := env.user(t, "li.na", access.Responder)
	coord := env.user(t, "coord", access.Coordinator)
	_, b := env.call(t, "POST", "/api/v1/incidents", rep, report("beaconing"))
	path := "/api/v1/incidents/" + decode(t, b)["number"].(string) + "/ack"
	if s, _ := env.call(t, "POST", path, rep, nil); s != http.StatusForbidden {
		t.Fatalf("reporter ack: %d", s)
	}
	// A responder who does not work the incident does not see it.
	if s, _ := env.call(t, "POST", path, li, nil); s != http.StatusNotFound {
		t.Fatalf("outside responder ack: %d", s)
	}
	s, b := env.call(t, "POST", path, coord, nil)
	got := decode(t, b)
	if s != 200 || got["acked_by"].(map[string]any)["name"] != "Coord" || got["already_acknowledged"] != false {
		t.Fatalf("ack: %d %s", s, b)
	}
	s, b = env.call(t, "POST", path, coord, nil)
	if s != 200 || decode(t, b)["already_acknowledged"] != true {
		t.Fatalf("second ack: %d %s", s, b)
	}
}
