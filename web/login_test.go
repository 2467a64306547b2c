package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/web"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestLoginLockoutPage: repeated failures lock the sign-in: 429, a
// Retry-After, a clear message in the reader's language; the right
// password is refused until the lock ends; each outcome is in the audit
// trail, without the password.
func TestLoginLockoutPage(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now()}
	e := newFullEnv(t, clk.Now)
	e.account(t, "li.na")
	b := e.browser(t)
	b.lang = "zh-CN"
	try := func(pw string) page {
		t.Helper()
		form := b.get("/login")
		return b.post("/login", url.Values{"username": {"li.na"}, "password": {pw}, "csrf_token": {form.csrf(t)}})
	}
	for i := 1; i <= 4; i++ {
		if p := try("wrong-" + strconv.Itoa(i)); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "用户名或密码错误") {
			t.Fatalf("failure %d: %d", i, p.status)
		}
	}
	p := try("wrong-5")
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "900" {
		t.Fatalf("fifth failure: %d Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "登录失败次数过多", "请在 15 分钟后重试")
	clk.Advance(5 * time.Minute)
	b.lang = "en"
	p = try(testPassword)
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "600" {
		t.Fatalf("the right password while locked: %d %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "Too many failed sign-ins", "try again in 10 minutes")
	if strings.Contains(p.header.Get("Set-Cookie"), web.SessionCookie+"=") && !strings.Contains(p.header.Get("Set-Cookie"), web.SessionCookie+"=;") {
		t.Fatalf("a locked sign-in set a session: %v", p.header)
	}
	clk.Advance(10 * time.Minute)
	if p := try(testPassword); p.status != http.StatusSeeOther {
		t.Fatalf("after the lock: %d", p.status)
	}

	counts := map[audit.Action]int{}
	for _, r := range e.records(t, audit.Filter{Actor: "li.na"}) {
		counts[r.Action]++
		if strings.Contains(r.Note, "wrong-") || strings.Contains(r.Note, testPassword) {
			t.Errorf("a record holds a password: %+v", r)
		}
		if r.Source.IP == "" {
			t.Errorf("a sign-in record without its address: %+v", r)
		}
	}
	if counts[audit.ActionLoginFailure] != 4 || counts[audit.ActionLoginLocked] != 2 || counts[audit.ActionLoginSuccess] != 1 {
		t.Errorf("sign-in records: %v", counts)
	}
}

// TestUnknownTokensLockTheAddress: the API answers 429 with Retry-After to
// unknown tokens from an address that sent too many; valid tokens from it
// keep working.
func TestUnknownTokensLockTheAddress(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.account(t, "siem")
	for i := 1; i < access.AddrLockout.MaxFailures; i++ {
		if status, _ := e.call(t, "GET", "/api/v1/me", "tcs_guess"+strconv.Itoa(i), nil); status != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %d", i, status)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer tcs_guess-last")
	req.Header.Set("Accept-Language", "zh")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "900" {
		t.Fatalf("the last bad token: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if status, body := e.call(t, "GET", "/api/v1/me", "tcs_more", nil); status != http.StatusTooManyRequests || !strings.Contains(string(body), "try again in") {
		t.Fatalf("while locked: %d %s", status, body)
	}
	if status, _ := e.call(t, "GET", "/api/v1/me", e.tokens["siem"], nil); status != http.StatusOK {
		t.Fatalf("a valid token from the locked address: %d", status)
	}
}

// TestSignInRotatesTheSession: signing in ends whatever session the
// browser had and issues a new secret and CSRF token; the pre-login token
// is dropped.
func TestSignInRotatesTheSession(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.account(t, "li.na")
	e.account(t, "wang")
	b := e.login(t, "wang")
	u, _ := url.Parse(e.srv.URL)
	oldSecret := ""
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == web.SessionCookie {
			oldSecret = c.Value
		}
	}
	oldCSRF := b.get("/incidents").csrf(t)
	form := b.get("/login") // signed in: sent on
	if form.status != http.StatusSeeOther {
		t.Fatalf("login form while signed in: %d", form.status)
	}
	// Sign in again as someone else from the same browser.
	anon := e.browser(t)
	loginForm := anon.get("/login")
	loginURL, _ := url.Parse(e.srv.URL + "/login")
	for _, c := range anon.client.Jar.Cookies(loginURL) {
		c.Path = "/login"
		b.client.Jar.SetCookies(loginURL, []*http.Cookie{c})
	}
	res := b.post("/login", url.Values{"username": {"li.na"}, "password": {testPassword}, "csrf_token": {loginForm.csrf(t)}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", res.status)
	}
	var newSecret string
	csrfCleared := false
	for _, c := range res.resp.Cookies() {
		switch {
		case c.Name == web.SessionCookie && c.Value != "":
			newSecret = c.Value
		case c.Name == "tocsin_login_csrf" && c.MaxAge < 0:
			csrfCleared = true
		}
	}
	if newSecret == "" || newSecret == oldSecret || !csrfCleared {
		t.Fatalf("rotation: new %q old %q, login token cleared %v", newSecret, oldSecret, csrfCleared)
	}
	if _, _, err := e.access.Session(t.Context(), oldSecret); err == nil {
		t.Fatal("the old session still works")
	}
	if p := b.get("/incidents"); p.status != http.StatusOK || !strings.Contains(p.body, `<span class="who" title="Signed in as">Li.na</span>`) {
		t.Fatalf("signed in as: %d %s", p.status, p.body)
	}
	if newCSRF := b.get("/incidents").csrf(t); newCSRF == oldCSRF {
		t.Fatal("the CSRF token survived the new sign-in")
	}
}

// TestSessionTimeoutsInTheBrowser: an idle session sends the browser to
// sign in; a busy one still ends MaxSessionAge after sign-in.
func TestSessionTimeoutsInTheBrowser(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now()}
	e := newFullEnv(t, clk.Now)
	e.account(t, "li.na")
	idle := e.login(t, "li.na")
	clk.Advance(access.IdleTimeout + time.Minute)
	if p := idle.get("/incidents"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("idle session: %d %q", p.status, p.header.Get("Location"))
	}
	busy := e.login(t, "li.na")
	for range int(access.MaxSessionAge/(6*time.Hour)) - 1 {
		clk.Advance(6 * time.Hour)
		if p := busy.get("/incidents"); p.status != http.StatusOK {
			t.Fatalf("busy session ended at %s: %d", clk.Now(), p.status)
		}
	}
	clk.Advance(7 * time.Hour)
	if p := busy.get("/incidents"); p.status != http.StatusSeeOther {
		t.Fatalf("a session past MaxSessionAge: %d", p.status)
	}
}
