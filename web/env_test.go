package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

// testEnv is a whole hub on a fresh database behind a real HTTP server.
type testEnv struct {
	srv       *httptest.Server
	client    *http.Client
	access    *access.Service
	incidents *incident.Service
	hub       *web.Hub
}

// testPassword is the password of every account made by env.user.
const testPassword = "correct-horse-battery"

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	db := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	inc := incident.NewService(db.Incidents(), time.Now, hub)
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	env := &testEnv{access: acc, incidents: inc, hub: hub}
	env.srv = httptest.NewUnstartedServer(nil)
	s, err := web.New(web.Config{BaseURL: "http://" + env.srv.Listener.Addr().String(), Logger: log,
		BootstrapToken: "bootstrap-secret-for-tests"}, web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping})
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

// user creates an account with roles and returns an API token acting as it.
func (e *testEnv) user(t testing.TB, username string, roles ...access.Role) string {
	t.Helper()
	u, err := e.access.CreateUser(context.Background(), access.NewUser{Username: username, Name: strings.ToUpper(username[:1]) + username[1:],
		Password: testPassword, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.access.CreateToken(context.Background(), u, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends a request with an optional bearer token, JSON body (any value
// is marshalled; a string is sent as is) and extra headers as name, value
// pairs; it returns the status and body.
func (e *testEnv) call(t testing.TB, method, path, token string, body any, headers ...string) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// decode unmarshals a JSON body into a map for assertions.
func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return m
}
