package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// matrixRoles are the columns of the access matrix, in order.
var matrixRoles = []string{"anonymous", castRepOwn, castRepOther, castRespIn, castRespOut, castCoord, castManager, castAuditor, castAdmin}

// matrixCall is one request of the matrix.
type matrixCall struct {
	method, path string
	json         any        // the body of an API call
	form         url.Values // the body of a page's form (the CSRF token is added)
	// files make the body multipart/form-data: form's fields (with the
	// CSRF token on a page) and these files in the field "file".
	files []upload
}

// matrixRow is one route (with one kind of incident, for routes about an
// incident) and the exact status each role gets.
type matrixRow struct {
	route   string // "METHOD path" as registered
	variant string // normal or restricted incident, for routes with :ref
	want    string // one status per matrixRoles
	call    func(t *testing.T, e *fullEnv, who string) matrixCall
}

// get is a row's call without a body.
func get(path string) func(*testing.T, *fullEnv, string) matrixCall {
	return func(*testing.T, *fullEnv, string) matrixCall { return matrixCall{method: http.MethodGet, path: path} }
}

// onIncident is a call about a fresh incident of the row's kind.
func onIncident(restricted bool, method, suffix string, body func(inc *incident.Incident) (any, url.Values)) func(*testing.T, *fullEnv, string) matrixCall {
	return func(t *testing.T, e *fullEnv, who string) matrixCall {
		inc := e.castIncident(t, restricted, "matrix "+who)
		c := matrixCall{method: method, path: suffix}
		if strings.HasPrefix(suffix, "/api/") {
			c.path = "/api/v1/incidents/" + inc.Number + strings.TrimPrefix(suffix, "/api/v1/incidents/:ref")
		} else {
			c.path = "/incidents/" + inc.Number + strings.TrimPrefix(suffix, "/incidents/:ref")
		}
		if body != nil {
			c.json, c.form = body(inc)
		}
		return c
	}
}

var cellN atomic.Int64

// uniq is a fresh id for fixtures of one cell.
func uniq(prefix string) string { return prefix + strconv.FormatInt(cellN.Add(1), 10) }

// TestAccessMatrix walks every registered route × every role, with a
// normal and a restricted incident for the routes about one, and checks
// the exact status of each cell. A route registered without a row fails
// the test, as does a row for a route that does not exist.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.seedCast(t)
	normal := e.castIncident(t, false, "normal")
	restricted := e.castIncident(t, true, "restricted")
	ctx := context.Background()

	confirm := func(inc *incident.Incident) (any, url.Values) {
		return map[string]any{"to": "confirm", "version": inc.Version, "level": "serious", "category": "cyber_attack", "scope": "local", "assessment_note": "checked"},
			url.Values{"form": {"forward"}, "to": {"confirm"}, "version": {"1"}, "level": {"serious"}, "category": {"cyber_attack"}, "scope": {"local"}, "assessment_note": {"checked"}}
	}
	level := func(inc *incident.Incident) (any, url.Values) {
		return map[string]any{"level": "special", "version": inc.Version, "reason": "spreading"},
			url.Values{"level": {"special"}, "version": {"1"}, "reason": {"spreading"}}
	}
	restrict := func(inc *incident.Incident) (any, url.Values) {
		to := !inc.Restricted
		return map[string]any{"restricted": to, "version": inc.Version, "reason": "need to know"},
			url.Values{"restricted": {strconv.FormatBool(to)}, "version": {"1"}, "reason": {"need to know"}}
	}
	person := func(t *testing.T) string {
		id := uniq("p")
		if err := e.rosters.SavePerson(ctx, escalation.Person{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	team := func(t *testing.T) string {
		id := uniq("t")
		if err := e.rosters.SaveTeam(ctx, escalation.Team{ID: id, Name: id, Kind: escalation.SupportTeam}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	override := func(t *testing.T) string {
		start := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
		id, err := e.rosters.SaveOverride(ctx, escalation.Override{Team: "net", Person: castRespIn, Start: start, End: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	when := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	policy := map[string]any{"steps": []map[string]any{{"target": map[string]any{"kind": "oncall", "team": "net"}}},
		"deadlines": map[string]any{"ack": "15m", "confirm": "1h", "dispatch": "4h", "handle": "24h"}}

	const (
		everyone    = "200 200 200 200 200 200 200 200 200"
		signedIn    = "401 200 200 200 200 200 200 200 200"
		adminOnly   = "401 403 403 403 403 403 403 403 200"
		boardAPI    = "401 403 403 200 200 200 200 200 200"
		auditAPI    = "401 403 403 403 403 403 403 200 200"
		pageAll     = "303 200 200 200 200 200 200 200 200"
		boardPage   = "303 403 403 200 200 200 200 200 200"
		editorPage  = "303 403 403 403 403 200 403 403 200"
		editorPost  = "303 403 403 403 403 303 403 403 303"
		auditPage   = "303 403 403 403 403 403 403 200 200"
		viewNormal  = "200 404 200 404 200 200 200 200" // after the anonymous column
		viewRestr   = "404 404 200 404 404 200 200 404"
		redirectAll = "303 303 303 303 303 303 303 303 303"
	)
	rows := []matrixRow{
		{route: "GET /healthz", want: everyone, call: get("/healthz")},
		{route: "GET /readyz", want: everyone, call: get("/readyz")},
		{route: "GET /api/v1/meta", want: signedIn, call: get("/api/v1/meta")},
		{route: "GET /api/v1/me", want: signedIn, call: get("/api/v1/me")},
		{route: "POST /api/v1/incidents", want: "401 201 201 201 201 201 201 403 201", call: func(_ *testing.T, _ *fullEnv, who string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/incidents", json: map[string]any{"title": "by " + who, "description": "seen"}}
		}},
		{route: "GET /api/v1/incidents", want: signedIn, call: get("/api/v1/incidents")},
		{route: "GET /api/v1/incidents/:ref", variant: "normal", want: "401 " + viewNormal, call: get("/api/v1/incidents/" + normal.Number)},
		{route: "GET /api/v1/incidents/:ref", variant: "restricted", want: "401 " + viewRestr, call: get("/api/v1/incidents/" + restricted.Number)},
		{route: "POST /api/v1/incidents/:ref/transitions", variant: "normal", want: "401 403 404 200 404 200 200 403 200",
			call: onIncident(false, "POST", "/api/v1/incidents/:ref/transitions", confirm)},
		{route: "POST /api/v1/incidents/:ref/transitions", variant: "restricted", want: "401 404 404 200 404 404 200 403 404",
			call: onIncident(true, "POST", "/api/v1/incidents/:ref/transitions", confirm)},
		{route: "POST /api/v1/incidents/:ref/level", variant: "normal", want: "401 403 404 403 404 200 200 403 200",
			call: onIncident(false, "POST", "/api/v1/incidents/:ref/level", level)},
		{route: "POST /api/v1/incidents/:ref/level", variant: "restricted", want: "401 404 404 403 404 404 200 403 404",
			call: onIncident(true, "POST", "/api/v1/incidents/:ref/level", level)},
		{route: "POST /api/v1/incidents/:ref/ack", variant: "normal", want: "401 403 404 200 404 200 200 403 200",
			call: onIncident(false, "POST", "/api/v1/incidents/:ref/ack", nil)},
		{route: "POST /api/v1/incidents/:ref/ack", variant: "restricted", want: "401 404 404 200 404 404 200 403 404",
			call: onIncident(true, "POST", "/api/v1/incidents/:ref/ack", nil)},
		{route: "POST /api/v1/incidents/:ref/restriction", variant: "normal", want: "401 403 404 403 404 200 200 403 403",
			call: onIncident(false, "POST", "/api/v1/incidents/:ref/restriction", restrict)},
		{route: "POST /api/v1/incidents/:ref/restriction", variant: "restricted", want: "401 404 404 403 404 404 200 403 404",
			call: onIncident(true, "POST", "/api/v1/incidents/:ref/restriction", restrict)},
		{route: "GET /api/v1/users", want: adminOnly, call: get("/api/v1/users")},
		{route: "POST /api/v1/users", want: "401 403 403 403 403 403 403 403 201", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/users", json: map[string]any{"username": uniq("new"), "password": "a-long-password-1"}}
		}},
		{route: "GET /api/v1/tokens", want: adminOnly, call: get("/api/v1/tokens")},
		{route: "POST /api/v1/tokens", want: "401 403 403 403 403 403 403 403 201", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/tokens", json: map[string]any{"name": "siem", "username": castRepOther}}
		}},
		{route: "GET /api/v1/people", want: boardAPI, call: get("/api/v1/people")},
		{route: "GET /api/v1/people/:id", want: boardAPI, call: get("/api/v1/people/" + castRespIn)},
		{route: "PUT /api/v1/people/:id", want: "401 403 403 403 403 200 403 403 200", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "PUT", path: "/api/v1/people/" + uniq("p"), json: map[string]any{"name": "New person"}}
		}},
		{route: "DELETE /api/v1/people/:id", want: "401 403 403 403 403 204 403 403 204", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "DELETE", path: "/api/v1/people/" + person(t)}
		}},
		{route: "GET /api/v1/teams", want: boardAPI, call: get("/api/v1/teams")},
		{route: "GET /api/v1/teams/:id", want: boardAPI, call: get("/api/v1/teams/net")},
		{route: "PUT /api/v1/teams/:id", want: "401 403 403 403 403 200 403 403 200", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "PUT", path: "/api/v1/teams/" + uniq("t"), json: map[string]any{"name": "New team", "kind": "support", "members": []string{}}}
		}},
		{route: "DELETE /api/v1/teams/:id", want: "401 403 403 403 403 204 403 403 204", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "DELETE", path: "/api/v1/teams/" + team(t)}
		}},
		{route: "GET /api/v1/teams/:id/handovers", want: boardAPI, call: get("/api/v1/teams/net/handovers")},
		{route: "POST /api/v1/teams/:id/handovers", want: "401 403 403 201 403 201 403 403 201", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/teams/net/handovers",
				json: map[string]any{"at": when.Format(time.RFC3339), "outgoing": castRespIn, "incoming": castRespIn, "note": "all quiet"}}
		}},
		{route: "GET /api/v1/departments", want: boardAPI, call: get("/api/v1/departments")},
		{route: "GET /api/v1/departments/:name", want: boardAPI, call: get("/api/v1/departments/IT")},
		{route: "PUT /api/v1/departments/:name", want: "401 403 403 403 403 200 403 403 200", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "PUT", path: "/api/v1/departments/" + uniq("d"), json: map[string]any{"liaison": castRespIn}}
		}},
		{route: "DELETE /api/v1/departments/:name", want: "401 403 403 403 403 204 403 403 204", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			name := uniq("d")
			if err := e.rosters.SaveDepartment(ctx, escalation.Department{Name: name, Liaison: castRespIn}); err != nil {
				t.Fatal(err)
			}
			return matrixCall{method: "DELETE", path: "/api/v1/departments/" + name}
		}},
		{route: "GET /api/v1/overrides", want: boardAPI, call: get("/api/v1/overrides")},
		{route: "POST /api/v1/overrides", want: "401 403 403 403 403 201 403 403 201", call: func(*testing.T, *fullEnv, string) matrixCall {
			start := when.Add(time.Duration(cellN.Add(1)) * time.Hour)
			return matrixCall{method: "POST", path: "/api/v1/overrides", json: map[string]any{"team": "net", "person": castRespIn,
				"start": start.Format(time.RFC3339), "end": start.Add(30 * time.Minute).Format(time.RFC3339)}}
		}},
		{route: "DELETE /api/v1/overrides/:id", want: "401 403 403 403 403 204 403 403 204", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "DELETE", path: "/api/v1/overrides/" + override(t)}
		}},
		{route: "GET /api/v1/oncall", want: boardAPI, call: get("/api/v1/oncall?team=net")},
		{route: "GET /api/v1/coverage", want: boardAPI, call: get("/api/v1/coverage")},
		{route: "GET /api/v1/policies", want: boardAPI, call: get("/api/v1/policies")},
		{route: "GET /api/v1/policies/:level", want: boardAPI, call: get("/api/v1/policies/serious")},
		{route: "PUT /api/v1/policies/:level", want: adminOnly, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "PUT", path: "/api/v1/policies/ordinary", json: policy}
		}},
		{route: "GET /api/v1/audit", want: auditAPI, call: get("/api/v1/audit?incident=" + normal.Number)},

		{route: "GET /static/:name", want: everyone, call: get("/static/app.css")},
		{route: "GET /favicon.ico", want: "302 302 302 302 302 302 302 302 302", call: get("/favicon.ico")},
		{route: "GET /lang", want: redirectAll, call: get("/lang?to=zh&next=/incidents")},
		{route: "GET /login", want: "200 303 303 303 303 303 303 303 303", call: get("/login")},
		{route: "POST /login", want: "401 303 303 303 303 303 303 303 303", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/login"} // see signIn
		}},
		{route: "POST /logout", want: redirectAll, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/logout", form: url.Values{}}
		}},
		{route: "GET /", want: redirectAll, call: get("/")},
		{route: "GET /report", want: "303 200 200 200 200 200 200 403 200", call: get("/report")},
		{route: "POST /report", want: "303 303 303 303 303 303 303 403 303", call: func(_ *testing.T, _ *fullEnv, who string) matrixCall {
			return matrixCall{method: "POST", path: "/report", form: url.Values{"title": {"form by " + who}, "description": {"seen"}}}
		}},
		{route: "GET /incidents", want: pageAll, call: get("/incidents")},
		{route: "GET /incidents/:ref", variant: "normal", want: "303 " + viewNormal, call: get("/incidents/" + normal.Number)},
		{route: "GET /incidents/:ref", variant: "restricted", want: "303 " + viewRestr, call: get("/incidents/" + restricted.Number)},
		{route: "POST /incidents/:ref/transition", variant: "normal", want: "303 403 404 303 404 303 303 403 303",
			call: onIncident(false, "POST", "/incidents/:ref/transition", confirm)},
		{route: "POST /incidents/:ref/transition", variant: "restricted", want: "303 404 404 303 404 404 303 403 404",
			call: onIncident(true, "POST", "/incidents/:ref/transition", confirm)},
		{route: "POST /incidents/:ref/level", variant: "normal", want: "303 403 404 403 404 303 303 403 303",
			call: onIncident(false, "POST", "/incidents/:ref/level", level)},
		{route: "POST /incidents/:ref/level", variant: "restricted", want: "303 404 404 403 404 404 303 403 404",
			call: onIncident(true, "POST", "/incidents/:ref/level", level)},
		{route: "POST /incidents/:ref/ack", variant: "normal", want: "303 403 404 303 404 303 303 403 303",
			call: onIncident(false, "POST", "/incidents/:ref/ack", func(*incident.Incident) (any, url.Values) { return nil, url.Values{} })},
		{route: "POST /incidents/:ref/ack", variant: "restricted", want: "303 404 404 303 404 404 303 403 404",
			call: onIncident(true, "POST", "/incidents/:ref/ack", func(*incident.Incident) (any, url.Values) { return nil, url.Values{} })},
		{route: "POST /incidents/:ref/restriction", variant: "normal", want: "303 403 404 403 404 303 303 403 403",
			call: onIncident(false, "POST", "/incidents/:ref/restriction", restrict)},
		{route: "POST /incidents/:ref/restriction", variant: "restricted", want: "303 404 404 403 404 404 303 403 404",
			call: onIncident(true, "POST", "/incidents/:ref/restriction", restrict)},
		{route: "GET /board", want: boardPage, call: get("/board")},
		{route: "GET /board/events", want: boardPage, call: get("/board/events")},
		{route: "GET /roster", want: boardPage, call: get("/roster")},
		{route: "POST /roster/teams/:id/handovers", want: "303 403 403 303 403 303 403 403 303", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/teams/net/handovers", form: url.Values{"at": {when.Format(time.RFC3339)}, "note": {"quiet"}}}
		}},
		{route: "GET /roster/edit", want: editorPage, call: get("/roster/edit")},
		{route: "POST /roster/people", want: editorPost, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/people", form: url.Values{"id": {uniq("p")}, "name": {"Form person"}}}
		}},
		{route: "POST /roster/people/:id/delete", want: editorPost, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/people/" + person(t) + "/delete", form: url.Values{}}
		}},
		{route: "POST /roster/teams", want: editorPost, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/teams", form: url.Values{"id": {uniq("t")}, "name": {"Form team"}, "kind": {"support"}}}
		}},
		{route: "POST /roster/teams/:id/delete", want: editorPost, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/teams/" + team(t) + "/delete", form: url.Values{}}
		}},
		{route: "POST /roster/departments", want: editorPost, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/departments", form: url.Values{"name": {uniq("d")}, "liaison": {castRespIn}}}
		}},
		{route: "POST /roster/overrides", want: editorPost, call: func(*testing.T, *fullEnv, string) matrixCall {
			start := when.Add(time.Duration(cellN.Add(1)) * time.Hour).In(shanghai)
			return matrixCall{method: "POST", path: "/roster/overrides", form: url.Values{"team": {"net"}, "person": {castRespIn},
				"time_zone": {"Asia/Shanghai"}, "start": {start.Format("2006-01-02T15:04")}, "end": {start.Add(30 * time.Minute).Format("2006-01-02T15:04")}}}
		}},
		{route: "POST /roster/overrides/:id/delete", want: editorPost, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/overrides/" + override(t) + "/delete", form: url.Values{}}
		}},
		{route: "GET /roster/policies", want: editorPage, call: get("/roster/policies")},
		{route: "POST /roster/policies/:level", want: "303 403 403 403 403 403 403 403 303", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/roster/policies/ordinary", form: url.Values{"deadlines_ack": {"15m"},
				"deadlines_confirm": {"1h"}, "deadlines_dispatch": {"4h"}, "deadlines_handle": {"24h"}, "steps": {"oncall net"}}}
		}},
		{route: "GET /audit", want: auditPage, call: get("/audit")},
		{route: "GET /audit.csv", want: auditPage, call: get("/audit.csv?incident=" + normal.Number)},
	}
	rows = append(rows, e.workRows(t)...)
	rows = append(rows, e.runbookRows()...)
	rows = append(rows, e.outboxRows()...)
	rows = append(rows, e.reviewRows()...)
	rows = append(rows, e.sharePageRows(t)...)
	rows = append(rows, e.shareRows(t)...)

	// Every route has a row, and every row a route.
	registered := map[string]bool{}
	for _, r := range e.server.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	covered := map[string]bool{}
	for _, row := range rows {
		covered[row.route] = true
		if !registered[row.route] {
			t.Errorf("row for %s, which is not a route", row.route)
		}
		if n := len(strings.Fields(row.want)); n != len(matrixRoles) {
			t.Fatalf("%s %s: %d statuses for %d roles", row.route, row.variant, n, len(matrixRoles))
		}
	}
	for r := range registered {
		if !covered[r] {
			t.Errorf("route %s has no row in the access matrix: add one", r)
		}
	}

	sessions := map[string]*browser{}
	for _, who := range matrixRoles[1:] {
		sessions[who] = e.login(t, who)
	}
	for _, row := range rows {
		name := row.route
		if row.variant != "" {
			name += " (" + row.variant + ")"
		}
		want := strings.Fields(row.want)
		var got []string
		for i, who := range matrixRoles {
			c := row.call(t, e, who)
			status := e.matrixDo(t, sessions, who, c)
			got = append(got, strconv.Itoa(status))
			if strconv.Itoa(status) != want[i] {
				t.Errorf("%s as %s: %d, want %s", name, who, status, want[i])
			}
		}
		if t.Failed() && !slices.Equal(got, want) {
			t.Logf("%s: got  %s\n%s  want %s", name, strings.Join(got, " "), strings.Repeat(" ", len(name)), row.want)
		}
	}
}

// matrixDo sends c as who and returns the status. API calls carry who's
// token; page calls who's session cookie and CSRF token.
func (e *fullEnv) matrixDo(t *testing.T, sessions map[string]*browser, who string, c matrixCall) int {
	t.Helper()
	api := strings.HasPrefix(c.path, "/api/") || c.path == "/healthz" || c.path == "/readyz"
	switch {
	case api:
		var body io.Reader
		ctype := ""
		switch {
		case c.files != nil:
			var b []byte
			ctype, b = multipartBody(t, flatten(c.form), c.files...)
			body = bytes.NewReader(b)
		case c.json != nil:
			b, _ := json.Marshal(c.json)
			body, ctype = bytes.NewReader(b), "application/json"
		}
		req, _ := http.NewRequest(c.method, e.srv.URL+c.path, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if tok := e.tokens[who]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 && resp.StatusCode != 401 && resp.StatusCode != 403 && resp.StatusCode != 404 {
			t.Logf("%s %s as %s: %d %s", c.method, c.path, who, resp.StatusCode, out)
		}
		return resp.StatusCode
	case c.method == http.MethodPost && c.path == "/login":
		return e.signIn(t, who)
	case c.path == "/logout":
		b := e.browser(t)
		if who != "anonymous" {
			b = e.login(t, who) // a session of its own: signing out ends it
		}
		return b.post("/logout", e.withCSRF(t, b, who, c.form)).status
	case c.path == "/board/events":
		return e.streamStatus(t, sessions[who])
	}
	b := sessions[who]
	if b == nil {
		b = e.browser(t)
	}
	if c.method == http.MethodGet {
		return b.get(c.path).status
	}
	if c.files != nil {
		return e.postMultipart(t, b, c.path, flatten(e.withCSRF(t, b, who, c.form)), c.files)
	}
	p := b.do(c.method, c.path, e.withCSRF(t, b, who, c.form))
	if p.status >= 400 && p.status != 403 && p.status != 404 {
		t.Logf("%s %s as %s: %d\n%s", c.method, c.path, who, p.status, p.body)
	}
	return p.status
}

// withCSRF adds who's CSRF token to form.
func (e *fullEnv) withCSRF(t *testing.T, b *browser, who string, form url.Values) url.Values {
	t.Helper()
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	if who != "anonymous" {
		// A session keeps its token: read it once, from a page that shows
		// few incidents (the list grows with every cell).
		if b.csrfToken == "" {
			b.csrfToken = b.get("/incidents?q=no-such-incident").csrf(t)
		}
		out.Set("csrf_token", b.csrfToken)
	}
	return out
}

// signIn posts the sign-in form as who (anonymous: with a wrong password).
func (e *fullEnv) signIn(t *testing.T, who string) int {
	t.Helper()
	b := e.browser(t)
	form := b.get("/login")
	user, pw := who, testPassword
	if who == "anonymous" {
		user, pw = castRepOwn, "not the password"
	}
	return b.post("/login", url.Values{"username": {user}, "password": {pw}, "csrf_token": {form.csrf(t)}}).status
}

// streamStatus opens the board's event stream and returns the status of
// its answer, then leaves.
func (e *fullEnv) streamStatus(t *testing.T, b *browser) int {
	t.Helper()
	if b == nil {
		b = e.browser(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/board/events", nil)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(fmt.Errorf("board events: %w", err))
	}
	resp.Body.Close()
	return resp.StatusCode
}
