package web_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/web"
)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests see each 303 and its Location.
type browser struct {
	t      testing.TB
	env    *testEnv
	client *http.Client
	lang   string // Accept-Language to send, if any
	// csrfToken is the session's CSRF token once a test has read it.
	csrfToken string
}

func (e *testEnv) browser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, env: e, client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one answer: status, body and headers.
type page struct {
	status int
	body   string
	header http.Header
	resp   *http.Response
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if strings.Contains(string(out), "⟦") {
		b.t.Errorf("%s %s shows a message key missing from the catalog:\n%s", method, path, out)
	}
	return page{status: resp.StatusCode, body: string(out), header: resp.Header, resp: resp}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, nil) }
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.do("POST", path, form)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the form token on p.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token on the page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

// login signs in as username through the form and returns the browser.
func (e *testEnv) login(t testing.TB, username string) *browser {
	t.Helper()
	b := e.browser(t)
	form := b.get("/login")
	res := b.post("/login", url.Values{"username": {username}, "password": {testPassword}, "csrf_token": {form.csrf(t)}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("login %s: %d\n%s", username, res.status, res.body)
	}
	return b
}

// fileReport files a report through the form and returns its number.
func (b *browser) fileReport(title string) string {
	b.t.Helper()
	form := b.get("/report")
	res := b.post("/report", url.Values{"title": {title}, "description": {"seen at 09:14"}, "csrf_token": {form.csrf(b.t)}})
	if res.status != http.StatusSeeOther {
		b.t.Fatalf("report: %d\n%s", res.status, res.body)
	}
	loc := res.header.Get("Location")
	m := regexp.MustCompile(`^/incidents/(INC-\d{4}-\d{6})\?new=1$`).FindStringSubmatch(loc)
	if m == nil {
		b.t.Fatalf("report redirected to %q", loc)
	}
	return m[1]
}

func mustContain(t testing.TB, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			t.Errorf("page (status %d) lacks %q:\n%s", p.status, s, p.body)
		}
	}
}

func TestLoginWrongPasswordIsGeneric(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	b := env.browser(t)
	form := b.get("/login")
	if form.status != http.StatusOK {
		t.Fatalf("login form: %d", form.status)
	}
	tok := form.csrf(t)
	wrong := b.post("/login", url.Values{"username": {"alice"}, "password": {"not-the-password"}, "csrf_token": {tok}})
	unknown := b.post("/login", url.Values{"username": {"nobody"}, "password": {"whatever-it-is"}, "csrf_token": {tok}})
	for _, p := range []page{wrong, unknown} {
		if p.status != http.StatusUnauthorized {
			t.Fatalf("failed login: status %d", p.status)
		}
		mustContain(t, p, "Wrong username or password.")
		if strings.Contains(p.body, "unknown user") || p.header.Get("Set-Cookie") != "" && strings.Contains(p.header.Get("Set-Cookie"), web.SessionCookie+"=") {
			t.Fatalf("failed login leaks or signs in: %v\n%s", p.header, p.body)
		}
	}
	// The form without its double-submit token is refused.
	if p := env.browser(t).post("/login", url.Values{"username": {"alice"}, "password": {testPassword}}); p.status != http.StatusForbidden {
		t.Fatalf("login without token: %d", p.status)
	}
}

func TestLoginSetsSecureCookieAndHonoursLocalNext(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	tests := []struct{ next, want string }{
		{"/report", "/report"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"", "/"},
	}
	for _, tt := range tests {
		b := env.browser(t)
		form := b.get("/login?next=" + url.QueryEscape(tt.next))
		var loginCookie *http.Cookie
		for _, c := range form.resp.Cookies() {
			if c.Name == "tocsin_login_csrf" {
				loginCookie = c
			}
		}
		if loginCookie == nil || !loginCookie.HttpOnly || loginCookie.SameSite != http.SameSiteStrictMode {
			t.Fatalf("login CSRF cookie: %+v", loginCookie)
		}
		next := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(form.body)
		res := b.post("/login", url.Values{"username": {"alice"}, "password": {testPassword},
			"csrf_token": {form.csrf(t)}, "next": {strings.ReplaceAll(next[1], "&#43;", "+")}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != tt.want {
			t.Fatalf("next %q: %d → %q, want %q", tt.next, res.status, res.header.Get("Location"), tt.want)
		}
		var sess *http.Cookie
		for _, c := range res.resp.Cookies() {
			if c.Name == web.SessionCookie && c.Value != "" {
				sess = c
			}
		}
		if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" {
			t.Fatalf("session cookie: %+v", sess)
		}
	}
}

func TestLogoutEndsSession(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	b := env.login(t, "alice")
	home := b.get("/report")
	if home.status != http.StatusOK {
		t.Fatalf("report form: %d", home.status)
	}
	if p := b.post("/logout", url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("logout without token: %d", p.status)
	}
	if p := b.post("/logout", url.Values{"csrf_token": {home.csrf(t)}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", p.status, p.header.Get("Location"))
	}
	if p := b.get("/report"); p.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.status)
	}
}

func TestPagesNeedSignIn(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	b := env.browser(t)
	for _, path := range []string{"/report", "/board", "/incidents", "/"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s: %d → %q", path, p.status, p.header.Get("Location"))
		}
	}
}

func TestHomeSendsEachRoleToItsPage(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	if p := env.login(t, "alice").get("/"); p.header.Get("Location") != "/incidents" {
		t.Errorf("reporter home → %q", p.header.Get("Location"))
	}
	if p := env.login(t, "coord").get("/"); p.header.Get("Location") != "/board" {
		t.Errorf("coordinator home → %q", p.header.Get("Location"))
	}
	if p := env.login(t, "alice").get("/board"); p.status != http.StatusForbidden {
		t.Errorf("reporter board: %d", p.status)
	}
}

func TestReportFormNeedsCSRF(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	boss := env.user(t, "boss", access.Manager)
	b := env.login(t, "alice")
	p := b.post("/report", url.Values{"title": {"Laptop stolen"}, "description": {"from car"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("report without csrf_token: %d", p.status)
	}
	if p = b.post("/report", url.Values{"title": {"Laptop stolen"}, "description": {"from car"}, "csrf_token": {"forged"}}); p.status != http.StatusForbidden {
		t.Fatalf("report with a wrong csrf_token: %d", p.status)
	}
	status, body := env.call(t, "GET", "/api/v1/incidents", boss, nil)
	if status != http.StatusOK || strings.Contains(string(body), `"number"`) {
		t.Fatalf("something was written: %d %s", status, body)
	}
}

func TestReportFormValidationInBothLanguages(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	tests := []struct {
		lang string
		want []string
	}{
		{"en-GB,en;q=0.9", []string{"title is a required field", "Please correct the fields marked below.", "suggested_level must be one of"}},
		{"zh-CN,zh;q=0.9", []string{"title为必填字段", "请修改下面标出的字段。", "报告安全事件"}},
	}
	for _, tt := range tests {
		b := env.login(t, "alice")
		b.lang = tt.lang
		form := b.get("/report")
		p := b.post("/report", url.Values{"title": {"  "}, "description": {"kept <b>text</b>"}, "suggested_level": {"extreme"},
			"affected_assets": {"host-1\nhost-2"}, "csrf_token": {form.csrf(t)}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("%s: status %d\n%s", tt.lang, p.status, p.body)
		}
		mustContain(t, p, tt.want...)
		// Values are kept (escaped), the error is tied to its field.
		mustContain(t, p, "kept &lt;b&gt;text&lt;/b&gt;", "host-1\nhost-2", `aria-describedby="report-title-help report-title-error"`)
	}
}

func TestReportFormFilesAndTicketEscapes(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "bob")
	b := env.login(t, "alice")
	form := b.get("/report")
	if form.status != http.StatusOK {
		t.Fatalf("report form: %d", form.status)
	}
	if csp := form.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP: %q", csp)
	}
	mustContain(t, form, "Malicious program", "Harms only a terminal", "Not sure", `type="datetime-local"`, `name="tz_offset"`)
	res := b.post("/report", url.Values{
		"title": {`<script>alert(1)</script> on intranet`}, "description": {"line one\nline two"},
		"category": {"cyber_attack"}, "suggested_level": {"special"}, "scope": {"global"},
		"affected_assets": {"web-01\r\n\r\n10.0.0.7\n"}, "occurred_at": {"2026-01-15T09:30"}, "tz_offset": {"480"},
		"drill": {"on"}, "csrf_token": {form.csrf(t)},
	})
	if res.status != http.StatusSeeOther {
		t.Fatalf("report: %d\n%s", res.status, res.body)
	}
	loc := res.header.Get("Location")
	ticket := b.get(loc)
	if ticket.status != http.StatusOK {
		t.Fatalf("ticket: %d", ticket.status)
	}
	number := strings.TrimSuffix(strings.TrimPrefix(loc, "/incidents/"), "?new=1")
	mustContain(t, ticket, "Your report was recorded as "+number, "&lt;script&gt;alert(1)&lt;/script&gt; on intranet",
		"line one\nline two", "web-01", "10.0.0.7", "Cyber attack", "Special", "Drill", "2026-01-15", "Timeline")
	if strings.Contains(ticket.body, "<script>alert(1)") {
		t.Fatal("the title was not escaped")
	}
	if ticket.header.Get("Content-Security-Policy") == "" || ticket.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("ticket headers: %v", ticket.header)
	}
	// 09:30 at UTC+8 is 01:30 UTC.
	status, body := env.call(t, "GET", "/api/v1/incidents/"+number, env.user(t, "boss", access.Manager), nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"occurred_at":"2026-01-15T01:30:00Z"`) || !strings.Contains(string(body), `"source":"web"`) {
		t.Fatalf("stored: %d %s", status, body)
	}
	// Someone else's report is not found, not forbidden.
	if p := env.login(t, "bob").get("/incidents/" + number); p.status != http.StatusNotFound {
		t.Fatalf("another reporter: %d", p.status)
	}
	// The reporter's list shows it.
	mine := b.get("/incidents")
	mustContain(t, mine, number, "My reports")
	if p := env.login(t, "bob").get("/incidents"); strings.Contains(p.body, number) {
		t.Fatal("another reporter's list shows the report")
	}
}

func TestTicketTransitionForm(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	number := env.login(t, "alice").fileReport("Suspicious login on the VPN")
	c := env.login(t, "coord")
	path := "/incidents/" + number
	p := c.get(path)
	mustContain(t, p, `Move to “Confirm”`, "the confirmed level is required", "Reject this report", "Change the level", `name="version" value="1"`)

	// Missing fields: 422 listing each missing condition.
	p = c.post(path+"/transition", url.Values{"form": {"forward"}, "to": {"confirm"}, "version": {"1"}, "level": {"serious"}, "csrf_token": {p.csrf(t)}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("blocked: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "Cannot enter “Confirm” yet", "the category is required", "the scope (local or global) is required", "an assessment note is required")
	if strings.Contains(p.body, "<li>the confirmed level is required</li>") {
		t.Error("the level was given but is listed as missing")
	}

	// Complete: moves on and shows on the timeline.
	p = c.post(path+"/transition", url.Values{"form": {"forward"}, "to": {"confirm"}, "version": {"1"}, "level": {"serious"},
		"category": {"cyber_attack"}, "scope": {"local"}, "nature": {"malicious_attack"}, "assessment_note": {"credential stuffing"},
		"csrf_token": {p.csrf(t)}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != path {
		t.Fatalf("confirm: %d\n%s", p.status, p.body)
	}
	p = c.get(path)
	mustContain(t, p, "Stage changed", "Receive → Confirm", "credential stuffing", `Move to “Plan”`, `aria-current="step"`)

	// A stale version: 409 with the page redrawn.
	p = c.post(path+"/transition", url.Values{"form": {"forward"}, "to": {"plan"}, "version": {"1"}, "csrf_token": {p.csrf(t)}})
	if p.status != http.StatusConflict {
		t.Fatalf("stale: %d", p.status)
	}
	mustContain(t, p, "changed by someone else")

	// Change the level with a reason; without one, 400 next to the field.
	p = c.post(path+"/level", url.Values{"level": {"special"}, "version": {"2"}, "csrf_token": {p.csrf(t)}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("level without reason: %d", p.status)
	}
	mustContain(t, p, "reason is a required field")
	p = c.post(path+"/level", url.Values{"level": {"special"}, "version": {"2"}, "reason": {"attacker is external"}, "csrf_token": {p.csrf(t)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("level: %d\n%s", p.status, p.body)
	}
	mustContain(t, c.get(path), "Level changed", "Serious → Special", "attacker is external")

	// Going back needs a reason (a missing condition, 422), then works.
	p = c.get(path)
	p = c.post(path+"/transition", url.Values{"form": {"back"}, "to": {"receive"}, "version": {"3"}, "csrf_token": {p.csrf(t)}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("back without reason: %d", p.status)
	}
	mustContain(t, p, "a reason is required to go back or reopen")

	// The reporter sees the outcome but no forms.
	r := env.login(t, "alice").get(path)
	mustContain(t, r, "There is nothing for you to do")
	if strings.Contains(r.body, `action="`+path+`/transition"`) {
		t.Error("the reporter is offered a transition form")
	}
	if p := env.login(t, "alice"); true {
		form := p.get(path)
		res := p.post(path+"/transition", url.Values{"form": {"forward"}, "to": {"plan"}, "version": {"3"}, "csrf_token": {form.csrf(t)}})
		if res.status != http.StatusForbidden {
			t.Fatalf("reporter transition: %d", res.status)
		}
	}
}

func TestPageListFiltersAndPaging(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	a := env.login(t, "alice")
	for i := range 3 {
		a.fileReport("Phishing wave " + string(rune('A'+i)))
	}
	c := env.login(t, "coord")
	p := c.get("/incidents?limit=2")
	mustContain(t, p, "All incidents", "Phishing wave C", "Phishing wave B", "Older »")
	next := regexp.MustCompile(`href="(/incidents\?[^"]*cursor=[^"]+)"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatalf("no next link:\n%s", p.body)
	}
	p = c.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	mustContain(t, p, "Phishing wave A", "« Newest")
	if strings.Contains(p.body, "Phishing wave C") {
		t.Error("page 2 repeats page 1")
	}
	if p = c.get("/incidents?level=extreme"); p.status != http.StatusBadRequest {
		t.Fatalf("bad filter: %d", p.status)
	}
	mustContain(t, p, "level must be ordinary, serious or special")
	if p = c.get("/incidents?q=wave+B"); !strings.Contains(p.body, "Phishing wave B") || strings.Contains(p.body, "Phishing wave A") {
		t.Fatalf("search:\n%s", p.body)
	}
}

func TestBoardPage(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	number := env.login(t, "alice").fileReport("Ransom note on file server")
	c := env.login(t, "coord")
	p := c.get("/board")
	if p.status != http.StatusOK {
		t.Fatalf("board: %d", p.status)
	}
	mustContain(t, p, `data-stage="receive"`, `data-number="`+number+`"`, "Ransom note on file server",
		`aria-live="polite"`, "Receive", "Review", `<template id="card-template">`, "board.js")
	partial := c.get("/board?partial=1")
	if partial.status != http.StatusOK || strings.Contains(partial.body, "<html") || !strings.Contains(partial.body, number) {
		t.Fatalf("partial: %d\n%s", partial.status, partial.body)
	}
	if p := c.get("/board?level=ordinary"); strings.Contains(p.body, `data-number="`+number+`"`) {
		t.Error("the level filter kept a serious incident")
	}
	if p := c.get("/board?category=nope"); p.status != http.StatusBadRequest {
		t.Errorf("bad category: %d", p.status)
	}
	// Chinese board.
	c.lang = "zh-CN"
	mustContain(t, c.get("/board"), "事件工单看板", "事件接报", `lang="zh-CN"`)
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	b := env.login(t, "alice")
	p := b.get("/lang?to=zh&next=" + url.QueryEscape("/report"))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/report" {
		t.Fatalf("switch: %d %q", p.status, p.header.Get("Location"))
	}
	mustContain(t, b.get("/report"), "报告安全事件", `href="/lang?to=en&amp;next=%2Freport"`)
	if p := b.get("/lang?to=en&next=https://evil.example/"); p.header.Get("Location") != "/" {
		t.Fatalf("open redirect: %q", p.header.Get("Location"))
	}
}

func TestErrorPagesAndStatic(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	b := env.login(t, "alice")
	p := b.get("/no/such/page")
	if p.status != http.StatusNotFound {
		t.Fatalf("404: %d", p.status)
	}
	mustContain(t, p, "Not found", "Request id:")
	b.lang = "zh"
	mustContain(t, b.get("/incidents/INC-2000-000001"), "未找到")
	css := b.get("/static/app.css")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, ".level-special { --level: #c62828") {
		t.Fatalf("css: %d %q", css.status, css.header.Get("Content-Type"))
	}
	if js := b.get("/static/board.js"); js.status != http.StatusOK || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("js: %d %q", js.status, js.header.Get("Content-Type"))
	}
}

// TestBoardEventStream opens the live stream as a coordinator, files a
// report through the API and expects its card within a few seconds.
func TestBoardEventStream(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rep := env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	env.user(t, "bob")
	c := env.login(t, "coord")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", env.srv.URL+"/board/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	waitFor := func(pred func(string) bool) string {
		t.Helper()
		for {
			select {
			case ln, ok := <-lines:
				if !ok {
					t.Fatal("stream ended")
				}
				if pred(ln) {
					return ln
				}
			case <-ctx.Done():
				t.Fatal("timed out waiting on the stream")
			}
		}
	}
	waitFor(func(ln string) bool { return ln == "retry: 3000" })
	waitFor(func(ln string) bool { return ln == ": connected" })

	// A reporter without the board role may not open the stream.
	if p := env.login(t, "bob").get("/board/events"); p.status != http.StatusForbidden {
		t.Fatalf("reporter stream: %d", p.status)
	}

	status, body := env.call(t, "POST", "/api/v1/incidents", rep, map[string]any{"title": "Worm on the lab network", "description": "port 445 scans"})
	if status != http.StatusCreated {
		t.Fatalf("report: %d %s", status, body)
	}
	number := decode(t, body)["number"].(string)
	waitFor(func(ln string) bool { return ln == "event: incident" })
	data := waitFor(func(ln string) bool { return strings.HasPrefix(ln, "data: ") })
	for _, want := range []string{`"number":"` + number + `"`, `"stage":"receive"`, `"open":true`, `"reporter":"Alice"`,
		`"level_name_zh":"严重事件"`, `"version":1`, `"url":"/incidents/` + number + `"`} {
		if !strings.Contains(data, want) {
			t.Errorf("event data lacks %s: %s", want, data)
		}
	}
	// Closing the hub ends the stream (shutdown).
	env.hub.Close()
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
		case <-ctx.Done():
			t.Fatal("the stream did not end when the hub closed")
		}
	}
}

// The stream clears the server's deadlines: it outlives a ReadTimeout and
// WriteTimeout that would end (or cancel) an ordinary request.
func TestBoardEventStreamOutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rep := env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	c := env.login(t, "coord")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: env.srv.Config.Handler, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+"/board/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.client.Do(req) // cookies are per host, not per port
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	got := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	// Let both timeouts pass several times over.
	idle := time.NewTimer(2 * time.Second)
	defer idle.Stop()
	for waiting := true; waiting; {
		select {
		case _, ok := <-got:
			if !ok {
				t.Fatal("the stream ended at the server's timeout")
			}
		case <-idle.C:
			waiting = false
		}
	}
	status, body := env.call(t, "POST", "/api/v1/incidents", rep, map[string]any{"title": "Late event", "description": "x"})
	if status != http.StatusCreated {
		t.Fatalf("report: %d %s", status, body)
	}
	for {
		select {
		case ln, ok := <-got:
			if !ok {
				t.Fatal("the stream ended before the event")
			}
			if strings.HasPrefix(ln, "data: ") && strings.Contains(ln, "Late event") {
				return
			}
		case <-ctx.Done():
			t.Fatal("no event after the timeouts passed")
		}
	}
}
