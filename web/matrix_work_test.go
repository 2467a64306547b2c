package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// The rows of the access matrix for the working stages (plan, tasks,
// evidence), the runbooks and the outbox.
//
// The incidents of the work rows (workIncident) have two tasks: t1 is
// assigned to resp.out, who is otherwise unrelated to the incident, so
// that being a task assignee is what lets resp.out see it and work that
// task; t2 is unassigned and belongs to the Network team. resp.in sees the
// normal incident through that team and the restricted one as a named
// participant, but works neither task.

// Statuses of the work rows, in the order of matrixRoles.
const (
	// viewWork: those who may see a work incident (CanView).
	viewWorkNormal = "401 200 404 200 200 200 200 200 200"
	viewWorkRestr  = "401 404 404 200 200 404 200 200 404"
	// suggestWork: those who see it and read runbooks (CanReadRunbooks).
	suggestWorkNormal = "401 403 404 200 200 200 200 200 200"
	suggestWorkRestr  = "401 404 404 200 200 404 200 200 404"
	// planWork: the response center, managers, admins (CanPlan).
	planWorkNormal = "401 403 404 403 403 200 200 403 200"
	planWorkRestr  = "401 404 404 403 403 404 200 403 404"
	// approveWork: managers and admins (CanApprovePlan).
	approveWorkNormal = "401 403 404 403 403 403 200 403 200"
	approveWorkRestr  = "401 404 404 403 403 404 200 403 404"
	// taskWork: t1's assignee and those who plan (CanWorkTask).
	taskWorkNormal = "401 403 404 403 200 200 200 403 200"
	taskWorkRestr  = "401 404 404 403 200 404 200 403 404"
)

// pageStatuses turns the statuses of an API row into those of the page
// form doing the same: anonymous callers are sent to sign in, a done
// change redirects.
func pageStatuses(api string) string {
	f := strings.Fields(api)
	for i, s := range f {
		if s == "401" || s == "200" || s == "201" || s == "204" {
			f[i] = "303"
		}
	}
	return strings.Join(f, " ")
}

// workIncident stores a fresh incident of the cast at stage, reported by
// rep.own and assigned to the Network team, with tasks t1 (assigned to
// resp.out) and t2 (unassigned, Network's); a restricted one also names
// resp.in. mod, if given, changes it before it is stored.
func (e *fullEnv) workIncident(t testing.TB, restricted bool, stage incident.Stage, mod func(*incident.Incident)) *incident.Incident {
	t.Helper()
	inc := e.castIncident(t, restricted, "work "+uniq("i"))
	now := time.Now().UTC().Truncate(time.Millisecond)
	coord := e.users[castCoord]
	inc.Version = 2
	inc.Stage, inc.StageEnteredAt[stage] = stage, now
	inc.Category, inc.Level, inc.LevelConfirmed = incident.MaliciousProgram, incident.Serious, true
	inc.Tasks = []incident.Task{
		{ID: "t1", TaskSpec: incident.TaskSpec{Title: "Isolate the hosts", Stage: incident.Handle, Phase: incident.PhaseIsolate},
			Status: incident.TaskTodo, Assignee: castRespOut, AssigneeKind: incident.AssignPerson, AssigneeName: castRespOut,
			AssignedBy: &incident.Actor{ID: coord.ID, Name: coord.Name}, AssignedAt: &now, Round: 1},
		{ID: "t2", TaskSpec: incident.TaskSpec{Title: "Block the address", Stage: incident.Handle, Phase: incident.PhaseIsolate, Team: "net"},
			Status: incident.TaskTodo},
	}
	inc.TaskSeq = 2
	if mod != nil {
		mod(inc)
	}
	if err := e.db.Incidents().Update(context.Background(), inc, 1); err != nil {
		t.Fatal(err)
	}
	return inc
}

// onWork is a call about a fresh work incident at stage: :ref in path is
// its number and :task is t1. body gives the JSON body of an API call or
// the form of a page (its version is the incident's).
func (e *fullEnv) onWork(restricted bool, stage incident.Stage, mod func(*incident.Incident), method, path string,
	body func(inc *incident.Incident) matrixCall) func(*testing.T, *fullEnv, string) matrixCall {
	return func(t *testing.T, _ *fullEnv, _ string) matrixCall {
		inc := e.workIncident(t, restricted, stage, mod)
		c := matrixCall{}
		if body != nil {
			c = body(inc)
		}
		c.method = method
		c.path = strings.NewReplacer(":ref", inc.Number, ":task", "t1").Replace(path)
		return c
	}
}

// api is a JSON body with the incident's version.
func api(fields map[string]any) func(*incident.Incident) matrixCall {
	return func(inc *incident.Incident) matrixCall {
		m := map[string]any{"version": inc.Version}
		for k, v := range fields {
			m[k] = v
		}
		return matrixCall{json: m}
	}
}

// form is a page's form with the incident's version.
func form(fields url.Values) func(*incident.Incident) matrixCall {
	return func(inc *incident.Incident) matrixCall {
		f := url.Values{"version": {fmtInt(inc.Version)}}
		for k, v := range fields {
			f[k] = v
		}
		return matrixCall{form: f}
	}
}

// evidenceUpload is a multipart upload of one file with the incident's
// version.
func evidenceUpload(fields url.Values) func(*incident.Incident) matrixCall {
	return func(inc *incident.Incident) matrixCall {
		c := form(fields)(inc)
		c.files = []upload{{name: "capture.txt", data: []byte("netstat output\n")}}
		return c
	}
}

// submitted is a special incident whose plan the coordinator submitted.
func (e *fullEnv) submitted(inc *incident.Incident) {
	coord := e.users[castCoord]
	at := time.Now().UTC().Truncate(time.Millisecond)
	inc.Level = incident.Special
	inc.Plan = incident.ResponsePlan{Measures: "cut the link to the branch", Approval: incident.ApprovalPending, Round: 1,
		SubmittedBy: &incident.Actor{ID: coord.ID, Name: coord.Name}, SubmittedAt: &at}
}

// workRows are the rows of the plan, task and evidence routes, each with
// a normal and a restricted incident.
func (e *fullEnv) workRows(t *testing.T) []matrixRow {
	special := func(inc *incident.Incident) {
		inc.Level = incident.Special
		inc.Plan.Measures = "cut the link to the branch"
	}
	// An incident whose t1 lists an evidence file, which the row reads.
	withEvidence := func(restricted bool) string {
		inc := e.workIncident(t, restricted, incident.Handle, nil)
		data := []byte("netstat output\n")
		sum := sha256.Sum256(data)
		f := incident.EvidenceFile{Evidence: incident.Evidence{Name: "capture.txt", ContentType: "text/plain; charset=utf-8", Size: int64(len(data)),
			SHA256: hex.EncodeToString(sum[:]), At: time.Now().UTC()}, Incident: inc.Number, Task: "t1", Data: data}
		id, err := e.db.Evidence().Put(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		f.ID = id
		inc.Tasks[0].Evidence = []incident.Evidence{f.Evidence}
		inc.Version++
		if err := e.db.Incidents().Update(context.Background(), inc, inc.Version-1); err != nil {
			t.Fatal(err)
		}
		return "/api/v1/incidents/" + inc.Number + "/evidence/" + id
	}
	var rows []matrixRow
	for _, restricted := range []bool{false, true} {
		variant, pick := "normal", func(normal, restr string) string { return normal }
		if restricted {
			variant, pick = "restricted", func(_, restr string) string { return restr }
		}
		view, plan := pick(viewWorkNormal, viewWorkRestr), pick(planWorkNormal, planWorkRestr)
		suggest := pick(suggestWorkNormal, suggestWorkRestr)
		approve, task := pick(approveWorkNormal, approveWorkRestr), pick(taskWorkNormal, taskWorkRestr)
		on := func(stage incident.Stage, mod func(*incident.Incident), method, path string, body func(*incident.Incident) matrixCall) func(*testing.T, *fullEnv, string) matrixCall {
			return e.onWork(restricted, stage, mod, method, path, body)
		}
		const ref, page = "/api/v1/incidents/:ref", "/incidents/:ref"
		batch := []matrixRow{
			{route: "GET " + ref + "/tasks", want: view, call: on(incident.Handle, nil, "GET", ref+"/tasks", nil)},
			{route: "GET " + ref + "/runbooks/suggested", want: suggest, call: on(incident.Plan, nil, "GET", ref+"/runbooks/suggested", nil)},
			{route: "GET " + ref + "/evidence/:id", want: view, call: get(withEvidence(restricted))},
			{route: "POST " + ref + "/plan/runbooks", want: plan, call: on(incident.Plan, nil, "POST", ref+"/plan/runbooks",
				api(map[string]any{"runbooks": []any{map[string]any{"id": "ransomware"}}}))},
			{route: "PUT " + ref + "/plan/measures", want: plan, call: on(incident.Dispatch, nil, "PUT", ref+"/plan/measures",
				api(map[string]any{"measures": "block the address at the border"}))},
			{route: "POST " + ref + "/plan/submit", want: plan, call: on(incident.Plan, special, "POST", ref+"/plan/submit",
				api(map[string]any{"note": "please approve"}))},
			{route: "POST " + ref + "/plan/decision", want: approve, call: on(incident.Plan, e.submitted, "POST", ref+"/plan/decision",
				api(map[string]any{"decision": "approve", "comment": "go"}))},
			{route: "POST " + ref + "/tasks", want: plan, call: on(incident.Dispatch, nil, "POST", ref+"/tasks",
				api(map[string]any{"title": "Check the proxy logs"}))},
			{route: "POST " + ref + "/tasks/assign-defaults", want: plan, call: on(incident.Dispatch, nil, "POST", ref+"/tasks/assign-defaults",
				api(nil))},
			{route: "DELETE " + ref + "/tasks/:task", want: plan, call: on(incident.Dispatch, nil, "DELETE", ref+"/tasks/:task?version=2&reason=not+needed", nil)},
			{route: "POST " + ref + "/tasks/:task/move", want: plan, call: on(incident.Dispatch, nil, "POST", ref+"/tasks/:task/move",
				api(map[string]any{"position": 1}))},
			{route: "POST " + ref + "/tasks/:task/assign", want: plan, call: on(incident.Dispatch, nil, "POST", ref+"/tasks/:task/assign",
				api(map[string]any{"person": castRespIn}))},
			{route: "POST " + ref + "/tasks/:task/accept", want: task, call: on(incident.Dispatch, nil, "POST", ref+"/tasks/:task/accept",
				api(nil))},
			{route: "POST " + ref + "/tasks/:task/decline", want: task, call: on(incident.Dispatch, nil, "POST", ref+"/tasks/:task/decline",
				api(map[string]any{"reason": "on leave this week"}))},
			{route: "POST " + ref + "/tasks/:task/status", want: task, call: on(incident.Handle, nil, "POST", ref+"/tasks/:task/status",
				api(map[string]any{"status": "in_progress"}))},
			{route: "POST " + ref + "/tasks/:task/notes", want: task, call: on(incident.Handle, nil, "POST", ref+"/tasks/:task/notes",
				api(map[string]any{"note": "two hosts isolated"}))},
			{route: "POST " + ref + "/tasks/:task/evidence", want: task, call: on(incident.Handle, nil, "POST", ref+"/tasks/:task/evidence",
				evidenceUpload(nil))},
			{route: "POST " + page + "/plan", want: pageStatuses(plan), call: on(incident.Dispatch, nil, "POST", page+"/plan",
				form(url.Values{"action": {"measures"}, "measures": {"block the address at the border"}}))},
			{route: "POST " + page + "/tasks/:task", want: pageStatuses(task), call: on(incident.Handle, nil, "POST", page+"/tasks/:task",
				form(url.Values{"action": {"note"}, "note": {"two hosts isolated"}}))},
			{route: "POST " + page + "/tasks/:task/evidence", want: pageStatuses(task), call: on(incident.Handle, nil, "POST", page+"/tasks/:task/evidence",
				evidenceUpload(url.Values{"action": {"attach"}, "note": {"netstat"}}))},
		}
		for i := range batch {
			batch[i].variant = variant
		}
		rows = append(rows, batch...)
	}
	return rows
}

// matrixRunbook is a runbook's source; %s is its id.
const matrixRunbook = `id: %s
title: {en: VPN abuse, zh: VPN 滥用}
summary: {en: Shared VPN accounts., zh: 共用 VPN 账号。}
categories: [abnormal_behaviour]
steps:
  handle:
    - id: disable
      phase: isolate
      title: {en: Disable the account, zh: 禁用账号}
      role: network_engineer
      required: true
      duration: 15m
      evidence: {en: Account state, zh: 账号状态}
communication:
  - audience: {en: The owner's manager, zh: 账号所有人的主管}
    when: {en: When disabled, zh: 禁用时}
    owner: coordinator
    required: true
`

// runbookRows are the rows of the runbook routes: those who work
// incidents and auditors read, the response center and admins edit.
func (e *fullEnv) runbookRows() []matrixRow {
	// fresh stores a new runbook (version 1) for a cell that changes one.
	fresh := func(t *testing.T) string {
		id := uniq("rb-")
		if _, err := e.library.Create(context.Background(), strings.Replace(matrixRunbook, "%s", id, 1), "", incident.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	const (
		readAPI  = "401 403 403 200 200 200 200 200 200"
		readPage = "303 403 403 200 200 200 200 200 200"
		editPage = "303 403 403 403 403 200 403 403 200"
		editPost = "303 403 403 403 403 303 403 403 303"
	)
	return []matrixRow{
		{route: "GET /api/v1/runbooks", want: readAPI, call: get("/api/v1/runbooks")},
		{route: "GET /api/v1/runbooks/:id", want: readAPI, call: get("/api/v1/runbooks/ransomware")},
		{route: "GET /api/v1/runbooks/:id/versions", want: readAPI, call: get("/api/v1/runbooks/ransomware/versions")},
		{route: "POST /api/v1/runbooks", want: "401 403 403 403 403 201 403 403 201", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/runbooks", json: map[string]any{"yaml": strings.Replace(matrixRunbook, "%s", uniq("rb-"), 1)}}
		}},
		{route: "PUT /api/v1/runbooks/:id", want: "401 403 403 403 403 200 403 403 200", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			id := fresh(t)
			return matrixCall{method: "PUT", path: "/api/v1/runbooks/" + id,
				json: map[string]any{"base_version": 1, "yaml": strings.Replace(matrixRunbook, "%s", id, 1) + "# v2\n"}}
		}},
		{route: "GET /runbooks", want: readPage, call: get("/runbooks")},
		{route: "GET /runbooks/:id", want: readPage, call: get("/runbooks/ransomware")},
		{route: "GET /runbooks/new", want: editPage, call: get("/runbooks/new")},
		{route: "GET /runbooks/:id/edit", want: editPage, call: get("/runbooks/ransomware/edit")},
		{route: "POST /runbooks/new", want: editPost, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/runbooks/new", form: url.Values{"yaml": {strings.Replace(matrixRunbook, "%s", uniq("rb-"), 1)}}}
		}},
		{route: "POST /runbooks/:id/edit", want: editPost, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			id := fresh(t)
			return matrixCall{method: "POST", path: "/runbooks/" + id + "/edit",
				form: url.Values{"base_version": {"1"}, "yaml": {strings.Replace(matrixRunbook, "%s", id, 1) + "# v2\n"}}}
		}},
	}
}

// outboxRows are the rows of the outbox routes: admins only.
func (e *fullEnv) outboxRows() []matrixRow {
	// dead stores a message that ran out of attempts, for a cell that
	// sends it again.
	dead := func(t *testing.T) string {
		key := uniq("dead-")
		now := time.Now().UTC().Truncate(time.Millisecond)
		if _, err := e.db.Outbox().Insert(context.Background(), []notify.Message{{Key: key, Kind: notify.KindFeedback, Incident: "2026-0001",
			Recipient: castRepOwn, Channel: notify.ChannelEmail, Address: "rep@example.com", Subject: "Your report", Body: "received",
			CreatedAt: now, Status: notify.StatusDead, Attempts: 5, NextAt: now, LastError: "smtp: 550", UpdatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		return key
	}
	return []matrixRow{
		{route: "GET /api/v1/outbox", want: "401 403 403 403 403 403 403 403 200", call: get("/api/v1/outbox")},
		{route: "POST /api/v1/outbox/retry", want: "401 403 403 403 403 403 403 403 200", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/outbox/retry", json: map[string]any{"key": dead(t)}}
		}},
		{route: "GET /outbox", want: "303 403 403 403 403 403 403 403 200", call: get("/outbox")},
		{route: "POST /outbox/retry", want: "303 403 403 403 403 403 403 403 303", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "POST", path: "/outbox/retry", form: url.Values{"key": {dead(t)}}}
		}},
	}
}

// flatten keeps the first value of each field.
func flatten(v url.Values) map[string]string {
	out := map[string]string{}
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}

// postMultipart posts fields and files as a multipart form in b's session
// and returns the status.
func (e *fullEnv) postMultipart(t *testing.T, b *browser, path string, fields map[string]string, files []upload) int {
	t.Helper()
	ctype, body := multipartBody(t, fields, files...)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
