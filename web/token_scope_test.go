package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
)

// scopedToken creates an account and a token for it within spec.
func (e *testEnv) scopedToken(t testing.TB, username string, spec access.TokenSpec, roles ...access.Role) string {
	t.Helper()
	ctx := context.Background()
	u, err := e.access.UserByUsername(ctx, username)
	if err != nil {
		u, err = e.access.CreateUser(ctx, access.NewUser{Username: username, Password: testPassword, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, _, err := e.access.CreateScopedToken(ctx, u, spec)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokenNetworks: a token used from outside its networks is no
// credential: 401 with the message an unknown token gets, counted
// against the address like one; inside them it works.
func TestTokenNetworks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inside := e.scopedToken(t, "partner", access.TokenSpec{Name: "soc", System: "soc", Networks: []string{"127.0.0.0/8"}})
	outside := e.scopedToken(t, "partner", access.TokenSpec{Name: "soc-far", Networks: []string{"203.0.113.0/24", "2001:db8::/32"}})

	if status, body := e.call(t, "GET", "/api/v1/me", inside, nil); status != http.StatusOK || !strings.Contains(string(body), `"partner"`) {
		t.Fatalf("from within its networks: %d %s", status, body)
	}
	status, body := e.call(t, "GET", "/api/v1/me", outside, nil)
	_, unknown := e.call(t, "GET", "/api/v1/me", "tcs_unknown", nil)
	if status != http.StatusUnauthorized || string(body) != string(unknown) {
		t.Fatalf("from outside its networks: %d %s; want 401 %s", status, body, unknown)
	}
	// Two failures so far; the address locks at AddrLockout.MaxFailures.
	for i := 3; i < access.AddrLockout.MaxFailures; i++ {
		if status, _ := e.call(t, "GET", "/api/v1/incidents", outside, nil); status != http.StatusUnauthorized {
			t.Fatalf("outside, try %d: %d", i, status)
		}
	}
	if status, body := e.call(t, "GET", "/api/v1/me", outside, nil); status != http.StatusTooManyRequests {
		t.Fatalf("outside, try %d: %d %s; want 429 (counted like an unknown token)", access.AddrLockout.MaxFailures, status, body)
	}
	if status, _ := e.call(t, "GET", "/api/v1/me", inside, nil); status != http.StatusOK {
		t.Fatalf("a valid token from the locked address: %d", status)
	}
}

// TestTokenExpiry: an expired token is refused like an unknown one.
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.scopedToken(t, "partner", access.TokenSpec{Name: "short", Expires: time.Now().Add(1500 * time.Millisecond)})
	if status, _ := e.call(t, "GET", "/api/v1/me", tok, nil); status != http.StatusOK {
		t.Fatalf("before expiry: %d", status)
	}
	time.Sleep(1600 * time.Millisecond)
	if status, _ := e.call(t, "GET", "/api/v1/me", tok, nil); status != http.StatusUnauthorized {
		t.Fatalf("after expiry: %d, want 401", status)
	}
}

// TestGrantBoundToken: a token bound to a grant reaches the shared API
// only; everywhere else, whatever its owner's roles, it is 403 with a
// message saying why.
func TestGrantBoundToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.scopedToken(t, "boss", access.TokenSpec{Name: "partner view", Grant: "SG-0123456789ab"}, access.Admin, access.Manager)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/me"},
		{"GET", "/api/v1/incidents"},
		{"POST", "/api/v1/tokens"},
		{"GET", "/api/v1/users"},
		{"GET", "/api/v1/grants"},
		{"GET", "/api/v1/shared"},
		{"GET", "/api/v1/sharedx/incidents/INC-1"},
		{"GET", "/api/v1/shared/../users"},
		{"GET", "/api/v1/shared/%2e%2e/users"},
		{"GET", "/incidents"},
		{"GET", "/healthz"},
	} {
		status, body := e.call(t, tc.method, tc.path, tok, nil)
		if status != http.StatusForbidden || !strings.Contains(string(body), "bound to a sharing grant") {
			t.Errorf("%s %s: %d %s; want 403 saying the token is bound to a grant", tc.method, tc.path, status, body)
		}
	}
	// Under the shared API the token is a credential: whatever the route
	// answers, it is not the token check refusing it.
	status, body := e.call(t, "GET", "/api/v1/shared/incidents/INC-"+strconv.Itoa(1), tok, nil)
	if status == http.StatusUnauthorized || strings.Contains(string(body), "bound to a sharing grant") {
		t.Errorf("under the shared API: %d %s", status, body)
	}
}

// TestCreateScopedTokenAPI: admins issue tokens with a system, networks
// and an end; bad networks are 400 naming the network; users carry an
// organization and department.
func TestCreateScopedTokenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(t, "root", access.Admin)
	status, body := e.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": "liaison", "password": "a-long-password-1",
		"organization": "Provincial CERT", "department": "协调处"})
	if m := decode(t, body); status != http.StatusCreated || m["organization"] != "Provincial CERT" || m["department"] != "协调处" {
		t.Fatalf("create user: %d %s", status, body)
	}
	expires := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	status, body = e.call(t, "POST", "/api/v1/tokens", admin, map[string]any{"name": "soc", "username": "liaison",
		"system": "soc-platform", "networks": []string{"127.0.0.1/8"}, "expires": expires})
	m := decode(t, body)
	if status != http.StatusCreated || m["system"] != "soc-platform" || m["expires"] != expires.Format(time.RFC3339) {
		t.Fatalf("create token: %d %s", status, body)
	}
	if nets, _ := m["networks"].([]any); len(nets) != 1 || nets[0] != "127.0.0.0/8" {
		t.Fatalf("networks = %v, want the canonical prefix", m["networks"])
	}
	secret, _ := m["token"].(string)
	status, body = e.call(t, "GET", "/api/v1/me", secret, nil)
	if me := decode(t, body); status != http.StatusOK || me["organization"] != "Provincial CERT" || me["department"] != "协调处" || me["system"] != "soc-platform" {
		t.Fatalf("the new token's /me: %d %s", status, body)
	}
	status, body = e.call(t, "GET", "/api/v1/tokens", admin, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"system":"soc-platform"`) || strings.Contains(string(body), secret) {
		t.Fatalf("list tokens: %d %s", status, body)
	}
	status, body = e.call(t, "POST", "/api/v1/tokens", admin, map[string]any{"name": "bad", "username": "liaison",
		"networks": []string{"10.0.0.300/8"}})
	if status != http.StatusBadRequest || !strings.Contains(string(body), `network \"10.0.0.300/8\"`) {
		t.Fatalf("a bad network: %d %s", status, body)
	}
}
