package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

// workEnv is a whole hub for the working stages: the roster, the runbook
// library, evidence files, and the outbox fed by the task notices, on a
// fresh database behind a real HTTP server.
type workEnv struct {
	*testEnv
	db      *store.DB
	outbox  *notify.Outbox
	library *runbooks.Library
	tokens  map[string]string // by username
}

// The people of the work tests: accounts whose usernames are their ids in
// the roster. The desk's rotation puts Li Na on call (it starts now and
// hands off daily); Zhao Lei leads the network team; Zhou Min is the
// response center; Chen Jie the security manager.
func newWorkEnv(t *testing.T) *workEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	ann := notify.NewAnnouncer(out, log, escalation.NewTaskNotices(db.Rosters(), base, time.Now))
	inc := incident.NewService(db.Incidents(), time.Now, hub, ann)
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	lib, err := runbooks.NewLibrary(db.Runbooks(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{BaseURL: base, Logger: log, BootstrapToken: "bootstrap-secret-for-tests"},
		web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping, Rosters: db.Rosters(), Runbooks: lib, Evidence: db.Evidence()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	client := srv.Client()
	client.Timeout = 60 * time.Second
	t.Cleanup(func() { hub.Close(); srv.Close() })
	e := &workEnv{testEnv: &testEnv{srv: srv, client: client, access: acc, incidents: inc, hub: hub},
		db: db, outbox: out, library: lib, tokens: map[string]string{}}

	for name, roles := range map[string][]access.Role{
		"rep": nil, "outsider": nil,
		"li.na": {access.Responder}, "wang.wei": {access.Responder}, "zhao.lei": {access.Responder},
		"zhou.min": {access.Coordinator}, "chen.jie": {access.Manager},
	} {
		e.tokens[name] = e.user(t, name, roles...)
	}
	rs := db.Rosters()
	for _, p := range []escalation.Person{
		{ID: "li.na", Name: "Li Na", Roles: []escalation.Role{escalation.RoleTerminalEngineer},
			Contacts: []escalation.Contact{{Kind: escalation.ContactWeCom, Value: "LiNa"}}},
		{ID: "wang.wei", Name: "Wang Wei", Roles: []escalation.Role{escalation.RoleTerminalEngineer},
			Contacts: []escalation.Contact{{Kind: escalation.ContactEmail, Value: "wang.wei@example.cn"}}},
		{ID: "zhao.lei", Name: "Zhao Lei", Roles: []escalation.Role{escalation.RoleNetworkEngineer, "system_administrator"}},
		{ID: "zhou.min", Name: "Zhou Min", Roles: []escalation.Role{escalation.RoleCoordinator},
			Contacts: []escalation.Contact{{Kind: escalation.ContactSlack, Value: "U0ZHOU"}}},
		{ID: "chen.jie", Name: "Chen Jie", Roles: []escalation.Role{escalation.RoleSecurityManager, escalation.RoleLeadership},
			Contacts: []escalation.Contact{{Kind: escalation.ContactEmail, Value: "chen.jie@example.cn"}}},
	} {
		if err := rs.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	for _, tm := range []escalation.Team{
		{ID: "desk", Name: "Service desk", Kind: escalation.SupportTeam, Members: []string{"li.na", "wang.wei"},
			Rotation: &escalation.Rotation{Participants: []string{"li.na", "wang.wei"}, Interval: escalation.Daily,
				HandoffTime: start.Format("15:04"), TimeZone: "UTC", Start: start}},
		{ID: "net", Name: "Network", Kind: escalation.SupportTeam, Members: []string{"zhao.lei"}, Lead: "zhao.lei"},
		{ID: "rc", Name: "Response center", Kind: escalation.ResponseCenter, Members: []string{"zhou.min"}, Lead: "zhou.min"},
		{ID: "mgmt", Name: "Management", Kind: escalation.ManagementTeam, Members: []string{"chen.jie"}, Lead: "chen.jie"},
	} {
		if err := rs.SaveTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// do sends a JSON request as username and checks the status; it returns
// the decoded answer.
func (e *workEnv) do(t *testing.T, method, path, username string, body any, want int) map[string]any {
	t.Helper()
	status, b := e.call(t, method, path, e.tokens[username], body)
	if status != want {
		t.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, username, status, want, b)
	}
	if len(b) == 0 {
		return nil
	}
	return decode(t, b)
}

// version reads the incident's current version.
func (e *workEnv) version(t *testing.T, num string) int64 {
	t.Helper()
	return int64(e.do(t, "GET", "/api/v1/incidents/"+num, "zhou.min", nil, http.StatusOK)["version"].(float64))
}

// with adds the incident's current version to body.
func (e *workEnv) with(t *testing.T, num string, body map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{"version": e.version(t, num)}
	for k, v := range body {
		out[k] = v
	}
	return out
}

// confirmed reports an incident as rep and brings it, as the coordinator,
// to the plan stage with the level and category given.
func (e *workEnv) confirmed(t *testing.T, title string, cat incident.Category, level incident.Level, drill bool) string {
	t.Helper()
	res := e.do(t, "POST", "/api/v1/incidents", "rep", map[string]any{"title": title, "description": "seen at 09:14",
		"category": string(cat), "suggested_level": string(level), "drill": drill}, http.StatusCreated)
	num := res["number"].(string)
	e.do(t, "POST", "/api/v1/incidents/"+num+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "confirm",
		"level": string(level), "category": string(cat), "scope": "local", "assessment_note": "confirmed by the assessment group"}), http.StatusOK)
	e.do(t, "POST", "/api/v1/incidents/"+num+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "plan"}), http.StatusOK)
	return num
}

// tasks returns the incident's tasks as the API shows them.
func (e *workEnv) tasks(t *testing.T, num string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, x := range e.do(t, "GET", "/api/v1/incidents/"+num, "zhou.min", nil, http.StatusOK)["tasks"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// taskMessages lists the task notices in the outbox for incident num.
func (e *workEnv) taskMessages(t *testing.T, num string) map[string]notify.Message {
	t.Helper()
	all, err := e.outbox.List(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]notify.Message{}
	for _, m := range all {
		if m.Kind == notify.KindTask && m.Incident == num {
			out[m.Key] = m
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// upload is one file of a multipart request.
type upload struct {
	name string
	data []byte
}

// multipartBody builds a multipart/form-data body of fields and files.
func multipartBody(t testing.TB, fields map[string]string, files ...upload) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// postFiles uploads files as username and returns the status and body.
func (e *workEnv) postFiles(t *testing.T, path, username string, fields map[string]string, files ...upload) (int, []byte) {
	t.Helper()
	ctype, body := multipartBody(t, fields, files...)
	req, err := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+e.tokens[username])
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// get fetches path as username and returns the whole response.
func (e *workEnv) get(t *testing.T, path, username string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[username])
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func taskByStep(tasks []map[string]any, step string) map[string]any {
	for _, t := range tasks {
		if t["step"] == step {
			return t
		}
	}
	panic(fmt.Sprintf("no task from step %s", step))
}

func has(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
