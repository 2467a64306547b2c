package web_test

import (
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
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

// rosterNow is the roster tests' clock: Wednesday 4 March 2026, 10:00 in
// Shanghai. The assessment group's weekly rotation (Mondays 09:00 from
// 2 February) has zhangwei on duty from 2 March to 9 March, then priya.
var rosterNow = time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)

// newRosterEnv is newEnv with a roster store and a fixed clock.
func newRosterEnv(t testing.TB) (*testEnv, *store.Rosters) {
	t.Helper()
	db := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	inc := incident.NewService(db.Incidents(), time.Now, hub)
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	env := &testEnv{access: acc, incidents: inc, hub: hub}
	env.srv = httptest.NewUnstartedServer(nil)
	rosters := db.Rosters()
	s, err := web.New(web.Config{BaseURL: "http://" + env.srv.Listener.Addr().String(), Logger: log,
		BootstrapToken: "bootstrap-secret-for-tests", Now: func() time.Time { return rosterNow }},
		web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping, Rosters: rosters})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Config.Handler = s.Handler()
	env.srv.Start()
	env.client = env.srv.Client()
	env.client.Timeout = 30 * time.Second
	t.Cleanup(func() { hub.Close(); env.srv.Close() })
	return env, rosters
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func sh(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, shanghai)
}

// seedRoster stores a small roster: the assessment group (critical, weekly
// rotation), the response center, management, a vendor; two departments;
// an override that removes the duty for six hours (a gap) and one where
// priya stands in for zhangwei.
func seedRoster(t testing.TB, r *store.Rosters) {
	t.Helper()
	ctx := context.Background()
	person := func(id, name, dept string, roles []escalation.Role, contacts ...escalation.Contact) {
		if err := r.SavePerson(ctx, escalation.Person{ID: id, Name: name, Roles: roles, Department: dept,
			TimeZone: "Asia/Shanghai", Contacts: contacts}); err != nil {
			t.Fatal(err)
		}
	}
	email := func(v string) escalation.Contact { return escalation.Contact{Kind: escalation.ContactEmail, Value: v} }
	phone := func(v string) escalation.Contact { return escalation.Contact{Kind: escalation.ContactPhone, Value: v} }
	person("wanglei", "王磊", "Security", []escalation.Role{escalation.RoleCoordinator}, email("wanglei@example.cn"), phone("+86 138 0000 0001"))
	person("lina", "李娜", "IT", []escalation.Role{escalation.RoleNetworkEngineer}, email("lina@example.cn"))
	person("zhangwei", "张伟", "IT", []escalation.Role{escalation.RoleTerminalEngineer}, email("zhangwei@example.cn"), phone("+86 138 0000 0002"),
		escalation.Contact{Kind: escalation.ContactWeCom, Value: "ZhangWei"})
	person("priya", "Priya <b>Nair</b>", "IT", []escalation.Role{escalation.RoleApplicationEngineer}, email("priya@example.cn"))
	person("chenjing", "陈静", "Security", []escalation.Role{escalation.RoleSecurityManager})
	person("acme.duty", "Acme duty desk", "", nil, phone("+86 400 000 0000"))
	for _, d := range []escalation.Department{{Name: "IT", Liaison: "zhangwei"}, {Name: "Security", Liaison: "wanglei"}} {
		if err := r.SaveDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	teams := []escalation.Team{
		{ID: "assessment", Name: "Assessment group", Kind: escalation.AssessmentGroup, Members: []string{"lina", "zhangwei", "priya"},
			Lead: "lina", Critical: true, Rotation: &escalation.Rotation{Participants: []string{"lina", "zhangwei", "priya"},
				Interval: escalation.Weekly, HandoffTime: "09:00", HandoffWeekday: time.Monday, TimeZone: "Asia/Shanghai",
				Start: sh(2026, 2, 2, 9, 0)}},
		{ID: "response", Name: "Response center", Kind: escalation.ResponseCenter, Members: []string{"wanglei"}},
		{ID: "management", Name: "Management", Kind: escalation.ManagementTeam, Members: []string{"chenjing"}, Lead: "chenjing"},
		{ID: "acme", Name: "Acme Security Services", Kind: escalation.VendorTeam, Members: []string{"acme.duty"}},
	}
	for _, tm := range teams {
		if err := r.SaveTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []escalation.Override{
		{Team: "assessment", Start: sh(2026, 3, 5, 0, 0), End: sh(2026, 3, 5, 6, 0), Note: "network maintenance"},
		{Team: "assessment", Person: "priya", Replaces: "zhangwei", Start: sh(2026, 3, 6, 12, 0), End: sh(2026, 3, 6, 18, 0)},
	} {
		if _, err := r.SaveOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// getJSON decodes a JSON answer into v after checking its status.
func getJSON(t testing.TB, status int, body []byte, want int, v any) {
	t.Helper()
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("not JSON: %v: %s", err, body)
		}
	}
}

func TestRosterAPIRoles(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	reporter := env.user(t, "someone")
	responder := env.user(t, "lina", access.Responder)
	coord := env.user(t, "wanglei", access.Coordinator)
	admin := env.user(t, "root", access.Admin)
	person := map[string]any{"name": "Zhao Min", "roles": []string{"network_engineer"}, "time_zone": "Asia/Shanghai",
		"contacts": []map[string]string{{"kind": "email", "value": "zhaomin@example.cn"}, {"kind": "feishu", "value": "ou_123"}}}

	reads := []string{"/api/v1/people", "/api/v1/people/lina", "/api/v1/teams", "/api/v1/teams/assessment", "/api/v1/departments",
		"/api/v1/departments/IT", "/api/v1/overrides", "/api/v1/oncall?team=assessment", "/api/v1/coverage",
		"/api/v1/teams/assessment/handovers", "/api/v1/policies", "/api/v1/policies/serious"}
	for _, path := range reads {
		if st, _ := env.call(t, "GET", path, "", nil); st != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %d", path, st)
		}
		if st, _ := env.call(t, "GET", path, reporter, nil); st != http.StatusForbidden {
			t.Errorf("reporter GET %s: %d", path, st)
		}
		if st, body := env.call(t, "GET", path, responder, nil); st != http.StatusOK {
			t.Errorf("responder GET %s: %d %s", path, st, body)
		}
	}
	// A responder reads but does not write.
	writes := []struct{ method, path string }{{"PUT", "/api/v1/people/zhaomin"}, {"DELETE", "/api/v1/people/lina"},
		{"PUT", "/api/v1/teams/x"}, {"DELETE", "/api/v1/teams/acme"}, {"PUT", "/api/v1/departments/IT"}, {"POST", "/api/v1/overrides"},
		{"DELETE", "/api/v1/overrides/0123456789abcdef01234567"}, {"PUT", "/api/v1/policies/serious"}}
	for _, w := range writes {
		if st, _ := env.call(t, w.method, w.path, responder, person); st != http.StatusForbidden {
			t.Errorf("responder %s %s: %d", w.method, w.path, st)
		}
	}

	// A coordinator writes people, teams, departments and overrides…
	var got map[string]any
	st, body := env.call(t, "PUT", "/api/v1/people/zhaomin", coord, person)
	getJSON(t, st, body, http.StatusOK, &got)
	st, body = env.call(t, "GET", "/api/v1/people/zhaomin", responder, nil)
	getJSON(t, st, body, http.StatusOK, &got)
	if got["id"] != "zhaomin" || got["name"] != "Zhao Min" || !strings.Contains(string(body), `"feishu","value":"ou_123"`) {
		t.Fatalf("person round trip: %s", body)
	}
	// …and what it reads back it can write again unchanged.
	st, body = env.call(t, "PUT", "/api/v1/people/zhaomin", coord, string(body))
	getJSON(t, st, body, http.StatusOK, nil)
	if st, body = env.call(t, "PUT", "/api/v1/people/zhaomin", coord, map[string]any{"id": "other", "name": "X"}); st != http.StatusBadRequest ||
		!strings.Contains(string(body), `"id"`) {
		t.Fatalf("id differing from the path: %d %s", st, body)
	}

	team := map[string]any{"name": "Network on-call", "kind": "support", "members": []string{"zhaomin", "lina"}, "lead": "zhaomin",
		"critical": true, "rotation": map[string]any{"participants": []string{"zhaomin", "lina"}, "interval": "custom", "length": "12h",
			"handoff_time": "08:00", "time_zone": "Asia/Shanghai", "start": "2026-03-01T08:00:00+08:00"}}
	st, body = env.call(t, "PUT", "/api/v1/teams/netops", coord, team)
	getJSON(t, st, body, http.StatusOK, nil)
	st, body = env.call(t, "GET", "/api/v1/teams/netops", responder, nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"length":"12h"`) || !strings.Contains(string(body), `"start":"2026-03-01T08:00:00+08:00"`) {
		t.Fatalf("team round trip: %d %s", st, body)
	}
	// A team member cannot be deleted; the team first, then the person.
	if st, body = env.call(t, "DELETE", "/api/v1/people/zhaomin", coord, nil); st != http.StatusConflict {
		t.Fatalf("delete a member: %d %s", st, body)
	}
	if st, body = env.call(t, "DELETE", "/api/v1/teams/netops", coord, nil); st != http.StatusNoContent {
		t.Fatalf("delete team: %d %s", st, body)
	}
	if st, body = env.call(t, "DELETE", "/api/v1/people/zhaomin", coord, nil); st != http.StatusNoContent {
		t.Fatalf("delete person: %d %s", st, body)
	}
	if st, _ = env.call(t, "GET", "/api/v1/people/zhaomin", coord, nil); st != http.StatusNotFound {
		t.Fatalf("deleted person: %d", st)
	}
	// The assessment group is paged by the default policies: in use.
	if st, body = env.call(t, "DELETE", "/api/v1/teams/assessment", coord, nil); st != http.StatusConflict {
		t.Fatalf("delete a paged team: %d %s", st, body)
	}

	st, body = env.call(t, "PUT", "/api/v1/departments/Finance", coord, map[string]any{"liaison": "wanglei"})
	getJSON(t, st, body, http.StatusOK, nil)
	if st, body = env.call(t, "GET", "/api/v1/departments/Finance", responder, nil); st != http.StatusOK || !strings.Contains(string(body), `"liaison":"wanglei"`) {
		t.Fatalf("department: %d %s", st, body)
	}
	if st, body = env.call(t, "PUT", "/api/v1/departments/Legal", coord, map[string]any{"liaison": "nobody"}); st != http.StatusBadRequest ||
		!strings.Contains(string(body), `"liaison"`) {
		t.Fatalf("department with unknown liaison: %d %s", st, body)
	}

	var ov map[string]any
	st, body = env.call(t, "POST", "/api/v1/overrides", coord, map[string]any{"team": "assessment", "person": "lina", "replaces": "zhangwei",
		"start": "2026-03-07T09:00:00+08:00", "end": "2026-03-08T09:00:00+08:00", "note": "swap"})
	getJSON(t, st, body, http.StatusCreated, &ov)
	id, _ := ov["id"].(string)
	if st, body = env.call(t, "GET", "/api/v1/overrides?team=assessment", responder, nil); st != http.StatusOK || !strings.Contains(string(body), id) {
		t.Fatalf("override list: %d %s", st, body)
	}
	if st, body = env.call(t, "DELETE", "/api/v1/overrides/"+id, coord, nil); st != http.StatusNoContent {
		t.Fatalf("delete override: %d %s", st, body)
	}
	if st, _ = env.call(t, "DELETE", "/api/v1/overrides/"+id, coord, nil); st != http.StatusNotFound {
		t.Fatalf("delete it again: %d", st)
	}
	if st, body = env.call(t, "POST", "/api/v1/overrides", coord, map[string]any{"team": "nosuch", "person": "ghost",
		"start": "2026-03-07T09:00:00+08:00", "end": "2026-03-08T09:00:00+08:00"}); st != http.StatusBadRequest ||
		!strings.Contains(string(body), `"team":"no such team"`) || !strings.Contains(string(body), `"person":"no such person"`) {
		t.Fatalf("override of unknown team and person: %d %s", st, body)
	}

	// …but not the escalation policies: those are the admins'.
	policy := map[string]any{"steps": []map[string]any{
		{"target": map[string]any{"kind": "oncall", "team": "assessment"}, "repeat": 1},
		{"target": map[string]any{"kind": "role", "team": "management", "role": "security_manager"}, "delay": "10m"},
	}, "deadlines": map[string]any{"ack": "10m", "confirm": "30m", "dispatch": "2h", "handle": "3d"}}
	if st, _ = env.call(t, "PUT", "/api/v1/policies/serious", coord, policy); st != http.StatusForbidden {
		t.Fatalf("coordinator PUT policy: %d", st)
	}
	st, body = env.call(t, "PUT", "/api/v1/policies/serious", admin, policy)
	getJSON(t, st, body, http.StatusOK, nil)
	st, body = env.call(t, "GET", "/api/v1/policies/serious", responder, nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"handle":"72h"`) || !strings.Contains(string(body), `"delay":"10m"`) {
		t.Fatalf("policy round trip: %d %s", st, body)
	}
	if st, _ = env.call(t, "GET", "/api/v1/policies/extreme", responder, nil); st != http.StatusNotFound {
		t.Fatalf("unknown level: %d", st)
	}
	bad := map[string]any{"steps": []map[string]any{{"target": map[string]any{"kind": "lead", "team": "ghosts"}}},
		"deadlines": map[string]any{"ack": "1h", "confirm": "30m", "dispatch": "soon", "handle": "3d"}}
	st, body = env.call(t, "PUT", "/api/v1/policies/ordinary", admin, bad)
	if st != http.StatusBadRequest || !strings.Contains(string(body), `"deadlines.dispatch"`) {
		t.Fatalf("bad policy: %d %s", st, body)
	}
	bad["deadlines"] = map[string]any{"ack": "1h", "confirm": "30m", "dispatch": "2h", "handle": "3d"}
	st, body = env.call(t, "PUT", "/api/v1/policies/ordinary", admin, bad)
	if st != http.StatusBadRequest || !strings.Contains(string(body), `"deadlines.confirm"`) {
		t.Fatalf("policy with deadlines out of order: %d %s", st, body)
	}
	bad["deadlines"] = map[string]any{"ack": "10m", "confirm": "30m", "dispatch": "2h", "handle": "3d"}
	st, body = env.call(t, "PUT", "/api/v1/policies/ordinary", admin, bad)
	if st != http.StatusBadRequest || !strings.Contains(string(body), `"steps[0].target.team":"no such team"`) {
		t.Fatalf("policy paging an unknown team: %d %s", st, body)
	}
}

func TestRosterValidationBothLanguages(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	coord := env.user(t, "wanglei", access.Coordinator)
	tests := []struct {
		name, path string
		body       any
		en, zh     map[string]string // field → part of its message
	}{
		{
			name: "request shape", path: "/api/v1/people/x1",
			body: map[string]any{"name": "", "contacts": []map[string]string{{"kind": "fax", "value": "1"}}},
			en:   map[string]string{"name": "required", "contacts[0].kind": "one of"},
			zh:   map[string]string{"name": "必填", "contacts[0].kind": "必须是"},
		},
		{
			name: "domain rules", path: "/api/v1/people/x1",
			body: map[string]any{"name": "X", "time_zone": "Mars/Olympus", "roles": []string{"Boss!"},
				"contacts": []map[string]string{{"kind": "email", "value": "not-an-address"}, {"kind": "phone", "value": "call me"}}},
			en: map[string]string{"time_zone": "IANA", "roles[0]": "lower-case", "contacts[0].value": "e-mail", "contacts[1].value": "phone"},
			zh: map[string]string{"time_zone": "IANA", "roles[0]": "小写", "contacts[0].value": "电子邮件", "contacts[1].value": "电话"},
		},
		{
			name: "rotation", path: "/api/v1/teams/t1",
			body: map[string]any{"name": "T", "kind": "support", "members": []string{"lina"}, "rotation": map[string]any{
				"participants": []string{"lina"}, "interval": "weekly", "handoff_time": "09:00", "time_zone": "Asia/Shanghai",
				"start": "2026-03-02T09:00:00+08:00"}},
			en: map[string]string{"rotation.handoff_weekday": "weekday"},
			zh: map[string]string{"rotation.handoff_weekday": "星期"},
		},
		{
			name: "rotation rules", path: "/api/v1/teams/t1",
			body: map[string]any{"name": "T", "kind": "support", "members": []string{"lina"}, "lead": "priya", "rotation": map[string]any{
				"participants": []string{"zhangwei"}, "interval": "daily", "handoff_time": "25:00", "time_zone": "Local",
				"start": "2026-03-02T09:00:00+08:00"}},
			en: map[string]string{"lead": "member", "rotation.participants[0]": "member", "rotation.handoff_time": "HH:MM", "rotation.time_zone": "IANA"},
			zh: map[string]string{"lead": "成员", "rotation.participants[0]": "成员", "rotation.handoff_time": "HH:MM", "rotation.time_zone": "IANA"},
		},
		{
			name: "override", path: "/api/v1/overrides",
			body: map[string]any{"team": "assessment", "person": "lina", "replaces": "lina", "start": "2026-03-07T09:00:00+08:00", "end": "2026-03-06T09:00:00+08:00"},
			en:   map[string]string{"person": "themselves", "end": "after the start"},
			zh:   map[string]string{"person": "自己", "end": "晚于"},
		},
	}
	for _, tt := range tests {
		for lang, want := range map[string]map[string]string{"en": tt.en, "zh-CN": tt.zh} {
			method := "PUT"
			if strings.HasSuffix(tt.path, "/overrides") {
				method = "POST"
			}
			st, body := env.call(t, method, tt.path, coord, tt.body, "Accept-Language", lang)
			if st != http.StatusBadRequest {
				t.Fatalf("%s (%s): %d %s", tt.name, lang, st, body)
			}
			fields, _ := decode(t, body)["fields"].(map[string]any)
			for f, part := range want {
				if m, _ := fields[f].(string); !strings.Contains(m, part) {
					t.Errorf("%s (%s): fields[%s] = %q, want it to contain %q (%s)", tt.name, lang, f, m, part, body)
				}
			}
		}
	}
	// Nothing refused was stored.
	for _, path := range []string{"/api/v1/people/x1", "/api/v1/teams/t1"} {
		if st, _ := env.call(t, "GET", path, coord, nil); st != http.StatusNotFound {
			t.Errorf("GET %s after refusals: %d", path, st)
		}
	}
}

// onCall is the part of GET /api/v1/oncall the tests look at.
type onCall struct {
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	People []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Contacts []struct {
			Kind, Value string
		} `json:"contacts"`
	} `json:"people"`
	ShiftStart   time.Time `json:"shift_start"`
	ShiftEnd     time.Time `json:"shift_end"`
	FromOverride bool      `json:"from_override"`
	Next         *struct {
		At     time.Time `json:"at"`
		People []struct {
			ID string `json:"id"`
		} `json:"people"`
	} `json:"next"`
}

func TestOnCallPastFutureAndOverride(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	tok := env.user(t, "lina", access.Responder)
	tests := []struct {
		name, at     string
		who          string // "" for nobody
		start, end   time.Time
		fromOverride bool
	}{
		{"now (default): until the removal", "", "zhangwei", sh(2026, 3, 2, 9, 0), sh(2026, 3, 5, 0, 0), false},
		{"past", "2026-02-18T12:00:00+08:00", "priya", sh(2026, 2, 16, 9, 0), sh(2026, 2, 23, 9, 0), false},
		{"future", "2026-03-20T12:00:00+08:00", "lina", sh(2026, 3, 16, 9, 0), sh(2026, 3, 23, 9, 0), false},
		{"during a stand-in", "2026-03-06T15:00:00+08:00", "priya", sh(2026, 3, 6, 12, 0), sh(2026, 3, 6, 18, 0), true},
		{"during a removal", "2026-03-05T03:00:00+08:00", "", sh(2026, 3, 5, 0, 0), sh(2026, 3, 5, 6, 0), true},
		{"before the first shift", "2026-02-01T12:00:00Z", "", time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		path := "/api/v1/oncall?team=assessment"
		if tt.at != "" {
			path += "&at=" + strings.ReplaceAll(tt.at, "+", "%2B")
		}
		var got onCall
		st, body := env.call(t, "GET", path, tok, nil)
		getJSON(t, st, body, http.StatusOK, &got)
		switch {
		case tt.who == "" && len(got.People) != 0, tt.who != "" && (len(got.People) != 1 || got.People[0].ID != tt.who):
			t.Errorf("%s: on call %+v, want %q (%s)", tt.name, got.People, tt.who, body)
		case !tt.start.IsZero() && (!got.ShiftStart.Equal(tt.start) || !got.ShiftEnd.Equal(tt.end)):
			t.Errorf("%s: shift %s – %s, want %s – %s", tt.name, got.ShiftStart, got.ShiftEnd, tt.start.UTC(), tt.end.UTC())
		case got.FromOverride != tt.fromOverride:
			t.Errorf("%s: from_override %v (%s)", tt.name, got.FromOverride, body)
		}
	}
	// Now: zhangwei with contacts, and the next change is to the gap.
	var now onCall
	st, body := env.call(t, "GET", "/api/v1/oncall?team=assessment", tok, nil)
	getJSON(t, st, body, http.StatusOK, &now)
	if now.People[0].Name != "张伟" || len(now.People[0].Contacts) != 3 || now.Next == nil || !now.Next.At.Equal(sh(2026, 3, 5, 0, 0)) || len(now.Next.People) != 0 {
		t.Fatalf("now: %s", body)
	}
	for _, bad := range []struct{ path, field string }{
		{"/api/v1/oncall", "team"},
		{"/api/v1/oncall?team=assessment&at=tomorrow", "at"},
	} {
		if st, body := env.call(t, "GET", bad.path, tok, nil); st != http.StatusBadRequest || !strings.Contains(string(body), `"`+bad.field+`"`) {
			t.Errorf("GET %s: %d %s", bad.path, st, body)
		}
	}
	if st, _ := env.call(t, "GET", "/api/v1/oncall?team=nosuch", tok, nil); st != http.StatusNotFound {
		t.Errorf("unknown team: %d", st)
	}
}

func TestCoverageGaps(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	tok := env.user(t, "lina", access.Responder)
	type gaps struct {
		CriticalTeams []string `json:"critical_teams"`
		Gaps          []struct {
			Team      string    `json:"team"`
			TeamName  string    `json:"team_name"`
			Start     time.Time `json:"start"`
			End       time.Time `json:"end"`
			Overrides []string  `json:"overrides"`
		} `json:"gaps"`
	}
	var got gaps
	st, body := env.call(t, "GET", "/api/v1/coverage", tok, nil)
	getJSON(t, st, body, http.StatusOK, &got)
	if len(got.Gaps) != 1 || got.Gaps[0].Team != "assessment" || got.Gaps[0].TeamName != "Assessment group" ||
		!got.Gaps[0].Start.Equal(sh(2026, 3, 5, 0, 0)) || !got.Gaps[0].End.Equal(sh(2026, 3, 5, 6, 0)) || len(got.Gaps[0].Overrides) != 1 {
		t.Fatalf("coverage: %s", body)
	}
	// A window after the removal has no gap; a critical team without a
	// rotation is uncovered over the whole window.
	got = gaps{}
	st, body = env.call(t, "GET", "/api/v1/coverage?from=2026-03-10T00:00:00Z&to=2026-03-20T00:00:00Z", tok, nil)
	getJSON(t, st, body, http.StatusOK, &got)
	if len(got.Gaps) != 0 || len(got.CriticalTeams) != 1 {
		t.Fatalf("coverage later: %s", body)
	}
	coord := env.user(t, "wanglei", access.Coordinator)
	st, body = env.call(t, "PUT", "/api/v1/teams/response", coord, map[string]any{"name": "Response center", "kind": "response_center",
		"members": []string{"wanglei"}, "critical": true})
	getJSON(t, st, body, http.StatusOK, nil)
	got = gaps{}
	st, body = env.call(t, "GET", "/api/v1/coverage?from=2026-03-10T00:00:00Z&to=2026-03-20T00:00:00Z", tok, nil)
	getJSON(t, st, body, http.StatusOK, &got)
	if len(got.Gaps) != 1 || got.Gaps[0].Team != "response" || !got.Gaps[0].Start.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("coverage of a critical team without rotation: %s", body)
	}
	for _, q := range []string{"?from=2026-03-01T00:00:00Z&to=2026-04-15T00:00:00Z", "?from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z", "?from=yesterday"} {
		if st, body := env.call(t, "GET", "/api/v1/coverage"+q, tok, nil); st != http.StatusBadRequest {
			t.Errorf("coverage%s: %d %s", q, st, body)
		}
	}
}

func TestHandoverNotes(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	zhangwei := env.user(t, "zhangwei", access.Responder) // on duty now
	priya := env.user(t, "priya", access.Responder)
	coord := env.user(t, "wanglei", access.Coordinator)

	// The person on duty hands over at the coming change (to the gap at
	// midnight), without saying when.
	var h map[string]any
	st, body := env.call(t, "POST", "/api/v1/teams/assessment/handovers", zhangwei, map[string]any{"note": "INC-2026-000007 still open; watch the VPN"})
	getJSON(t, st, body, http.StatusCreated, &h)
	if h["outgoing"] != "zhangwei" || h["incoming"] != nil || h["at"] != "2026-03-04T16:00:00Z" || h["written_by"] != "zhangwei" {
		t.Fatalf("handover: %s", body)
	}
	// priya is not the outgoing person of any nearby change: refused.
	if st, body = env.call(t, "POST", "/api/v1/teams/assessment/handovers", priya, map[string]any{"note": "hello"}); st != http.StatusForbidden {
		t.Fatalf("handover by someone else: %d %s", st, body)
	}
	// A coordinator writes one for a given change.
	st, body = env.call(t, "POST", "/api/v1/teams/assessment/handovers", coord, map[string]any{"at": "2026-03-09T09:00:00+08:00", "note": "Weekly hand-over <ok>"})
	getJSON(t, st, body, http.StatusCreated, &h)
	if h["outgoing"] != "zhangwei" || h["incoming"] != "priya" || h["written_by"] != "wanglei" {
		t.Fatalf("coordinator's handover: %s", body)
	}
	if st, body = env.call(t, "POST", "/api/v1/teams/assessment/handovers", coord, map[string]any{"note": ""}, "Accept-Language", "zh"); st != http.StatusBadRequest ||
		!strings.Contains(string(body), `"note"`) {
		t.Fatalf("empty note: %d %s", st, body)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	st, body = env.call(t, "GET", "/api/v1/teams/assessment/handovers", priya, nil)
	getJSON(t, st, body, http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[0]["note"] != "Weekly hand-over <ok>" {
		t.Fatalf("handovers, newest first: %s", body)
	}
	if st, _ = env.call(t, "GET", "/api/v1/teams/nosuch/handovers", priya, nil); st != http.StatusNotFound {
		t.Fatalf("handovers of an unknown team: %d", st)
	}
}

func TestRosterUnavailableWithoutStore(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	tok := env.user(t, "wanglei", access.Coordinator)
	if st, body := env.call(t, "GET", "/api/v1/people", tok, nil); st != http.StatusServiceUnavailable || !strings.Contains(string(body), "roster") {
		t.Fatalf("no roster store: %d %s", st, body)
	}
}
