package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

// TestRunbookVersionPinning: a runbook edited after an incident used it
// leaves the incident with the steps it had; a later incident gets the
// new version.
func TestRunbookVersionPinning(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	num := e.confirmed(t, "Web shell on the portal", incident.CyberAttack, incident.Serious, false)
	e.do(t, "POST", "/api/v1/incidents/"+num+"/plan/runbooks", "zhou.min",
		e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "web-intrusion"}}}), http.StatusOK)

	cur := e.do(t, "GET", "/api/v1/runbooks/web-intrusion", "zhou.min", nil, http.StatusOK)
	old := "Confirm the compromise (web shell, unexpected files, admin logins, tampered pages)"
	edited := strings.Replace(cur["yaml"].(string), old, "Confirm the compromise with the WAF vendor on the line", 1)
	res := e.do(t, "PUT", "/api/v1/runbooks/web-intrusion", "zhou.min",
		map[string]any{"base_version": 1, "yaml": edited, "note": "the WAF vendor helps from the start"}, http.StatusOK)
	if res["version"] != float64(2) || res["edit"].(map[string]any)["note"] != "the WAF vendor helps from the start" {
		t.Fatalf("saved = %v", res)
	}

	inc := e.do(t, "GET", "/api/v1/incidents/"+num, "zhou.min", nil, http.StatusOK)
	use := inc["plan"].(map[string]any)["runbooks"].([]any)[0].(map[string]any)
	if use["version"] != float64(1) || use["steps"].([]any)[0].(map[string]any)["title"] != old {
		t.Errorf("the incident's copy changed: %s", jsonString(use))
	}
	if task := taskByStep(e.tasks(t, num), "confirm-compromise"); task["title"] != old || task["runbook"] != "web-intrusion@1" {
		t.Errorf("the incident's task changed: %v", task)
	}
	page := e.login(t, "zhou.min").get("/incidents/" + num)
	mustContain(t, page, old, "web-intrusion@1", `href="/runbooks/web-intrusion?version=1"`)
	if strings.Contains(page.body, "with the WAF vendor on the line") {
		t.Error("the incident page shows the edited step")
	}
	// Both versions stay readable; a new incident gets version 2.
	if v1 := e.do(t, "GET", "/api/v1/runbooks/web-intrusion?version=1", "li.na", nil, http.StatusOK); v1["steps"].([]any)[0].(map[string]any)["title"].(map[string]any)["en"] != old {
		t.Errorf("version 1 = %v", v1["steps"])
	}
	num2 := e.confirmed(t, "Another web shell", incident.CyberAttack, incident.Serious, false)
	e.do(t, "POST", "/api/v1/incidents/"+num2+"/plan/runbooks", "zhou.min",
		e.with(t, num2, map[string]any{"runbooks": []any{map[string]any{"id": "web-intrusion"}}}), http.StatusOK)
	if task := taskByStep(e.tasks(t, num2), "confirm-compromise"); task["runbook"] != "web-intrusion@2" || !strings.Contains(task["title"].(string), "WAF vendor") {
		t.Errorf("new incident's task = %v", task)
	}
	vs := e.do(t, "GET", "/api/v1/runbooks/web-intrusion/versions", "zhou.min", nil, http.StatusOK)["items"].([]any)
	if len(vs) != 2 || vs[0].(map[string]any)["version"] != float64(2) || vs[1].(map[string]any)["builtin"] != true {
		t.Errorf("versions = %v", vs)
	}
}

// TestRunbookAPI: reading is for those who work incidents, writing for the
// response center; a file with problems is refused with each at its line;
// an edit from an old version is refused.
func TestRunbookAPI(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	list := e.do(t, "GET", "/api/v1/runbooks", "li.na", nil, http.StatusOK)["items"].([]any)
	if len(list) != 13 {
		t.Errorf("%d runbooks listed, want the 13 built-ins", len(list))
	}
	if l := e.do(t, "GET", "/api/v1/runbooks?category=force_majeure", "li.na", nil, http.StatusOK)["items"].([]any); len(l) != 1 ||
		l[0].(map[string]any)["id"] != "natural-disaster" {
		t.Errorf("force majeure runbooks = %v", l)
	}
	e.do(t, "GET", "/api/v1/runbooks?category=weather", "li.na", nil, http.StatusBadRequest)
	e.do(t, "GET", "/api/v1/runbooks", "rep", nil, http.StatusForbidden)
	e.do(t, "GET", "/api/v1/runbooks/nonesuch", "li.na", nil, http.StatusNotFound)
	e.do(t, "GET", "/api/v1/runbooks/ddos?version=0", "li.na", nil, http.StatusBadRequest)
	e.do(t, "GET", "/api/v1/runbooks/ddos?version=7", "li.na", nil, http.StatusNotFound)
	if st, _ := e.call(t, "GET", "/api/v1/runbooks", "", nil); st != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", st)
	}

	src := `id: vpn-abuse
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
	e.do(t, "POST", "/api/v1/runbooks", "li.na", map[string]any{"yaml": src}, http.StatusForbidden)
	bad := strings.Replace(strings.Replace(src, "duration: 15m", "duration: a while", 1), "categories: [abnormal_behaviour]", "categories: [vpn]", 1)
	res := e.do(t, "POST", "/api/v1/runbooks", "zhou.min", map[string]any{"yaml": bad}, http.StatusBadRequest)
	probs := res["problems"].([]any)
	if len(probs) != 2 {
		t.Fatalf("problems = %v", probs)
	}
	if p := probs[0].(map[string]any); p["line"] != float64(4) || p["field"] != "categories[0]" || !strings.Contains(p["message"].(string), "unknown category") {
		t.Errorf("first problem = %v", p)
	}
	if p := probs[1].(map[string]any); p["line"] != float64(12) || p["field"] != "steps.handle[0].duration" {
		t.Errorf("second problem = %v", p)
	}
	st, b := e.call(t, "POST", "/api/v1/runbooks", e.tokens["zhou.min"], map[string]any{"yaml": bad}, "Accept-Language", "zh")
	if st != http.StatusBadRequest || !strings.Contains(string(b), "未知的事件类别") {
		t.Errorf("in Chinese: %d %s", st, b)
	}
	created := e.do(t, "POST", "/api/v1/runbooks", "zhou.min", map[string]any{"yaml": src, "note": "new"}, http.StatusCreated)
	if created["version"] != float64(1) || created["builtin"] != false || created["yaml"] != src {
		t.Errorf("created = %v", created)
	}
	e.do(t, "POST", "/api/v1/runbooks", "zhou.min", map[string]any{"yaml": src}, http.StatusConflict)
	e.do(t, "PUT", "/api/v1/runbooks/vpn-abuse", "zhou.min", map[string]any{"base_version": 1, "yaml": src + "# v2\n"}, http.StatusOK)
	e.do(t, "PUT", "/api/v1/runbooks/vpn-abuse", "zhou.min", map[string]any{"base_version": 1, "yaml": src + "# also v2\n"}, http.StatusConflict)
	e.do(t, "PUT", "/api/v1/runbooks/vpn-abuse", "zhou.min", map[string]any{"base_version": 2, "yaml": strings.Replace(src, "vpn-abuse", "vpn-misuse", 1)}, http.StatusBadRequest)
	e.do(t, "PUT", "/api/v1/runbooks/nonesuch", "zhou.min", map[string]any{"base_version": 1, "yaml": strings.Replace(src, "vpn-abuse", "nonesuch", 1)}, http.StatusNotFound)
	e.do(t, "PUT", "/api/v1/runbooks/vpn-abuse", "zhou.min", map[string]any{"yaml": src}, http.StatusBadRequest)

	// Suggested for an abnormal-behaviour incident, with the built-in.
	num := e.confirmed(t, "Logins from abroad at 03:00", incident.AbnormalBehaviour, incident.Ordinary, false)
	sug := e.do(t, "GET", "/api/v1/incidents/"+num+"/runbooks/suggested", "zhou.min", nil, http.StatusOK)["items"].([]any)
	var ids []string
	for _, s := range sug {
		ids = append(ids, s.(map[string]any)["id"].(string))
	}
	if len(ids) != 2 || !strings.Contains(strings.Join(ids, " "), "vpn-abuse") || !strings.Contains(strings.Join(ids, " "), "abnormal-account") {
		t.Errorf("suggested = %v", ids)
	}
}

// TestRunbookPages: the list and a runbook for readers; the editor for
// the response center, which shows every problem at its line and saves a
// new version.
func TestRunbookPages(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	reader := e.login(t, "li.na")
	list := reader.get("/runbooks")
	mustContain(t, list, "Ransomware", "Natural disaster or force majeure", `href="/runbooks/ddos"`)
	if strings.Contains(list.body, `href="/runbooks/new"`) {
		t.Error("a responder is offered to create runbooks")
	}
	one := reader.get("/runbooks/ransomware")
	mustContain(t, one, "Identify the ransomware family", "Local public security bureau", "within 4h", "ransomware@1")
	if reader.get("/runbooks/ransomware/edit").status != http.StatusForbidden {
		t.Error("a responder may open the editor")
	}
	if p := e.login(t, "rep").get("/runbooks"); p.status != http.StatusForbidden {
		t.Errorf("a reporter sees runbooks: %d", p.status)
	}
	zh := e.login(t, "li.na")
	zh.lang = "zh"
	mustContain(t, zh.get("/runbooks/ransomware"), "识别勒索软件家族", "属地公安机关网安部门")

	editor := e.login(t, "zhou.min")
	form := editor.get("/runbooks/ransomware/edit")
	mustContain(t, form, `name="base_version" value="1"`, "id: ransomware")
	src, err := e.library.Get(context.Background(), "ransomware", 0)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(src.Source, "duration: 30m", "duration: half an hour", 1)
	res := editor.post("/runbooks/ransomware/edit", url.Values{"csrf_token": {form.csrf(t)}, "base_version": {"1"}, "yaml": {broken}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("broken save: %d", res.status)
	}
	line := 1 + bytes.Count([]byte(broken[:strings.Index(broken, "half an hour")]), []byte("\n"))
	mustContain(t, res, "Problems found: 1", fmt.Sprintf("line %d:", line), "steps.confirm[0].duration", "half an hour")
	// Without the token nothing is saved.
	if p := editor.post("/runbooks/ransomware/edit", url.Values{"base_version": {"1"}, "yaml": {src.Source}}); p.status != http.StatusForbidden {
		t.Errorf("save without CSRF token: %d", p.status)
	}
	changed := strings.Replace(src.Source, "Photograph the ransom note", "Photograph (do not touch) the ransom note", 1)
	ok := editor.post("/runbooks/ransomware/edit", url.Values{"csrf_token": {form.csrf(t)}, "base_version": {"1"}, "yaml": {changed}, "note": {"hands off"}})
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/runbooks/ransomware" {
		t.Fatalf("save: %d %s", ok.status, ok.header.Get("Location"))
	}
	mustContain(t, editor.get("/runbooks/ransomware"), "ransomware@2", "Photograph (do not touch)", "hands off")
	mustContain(t, editor.get("/runbooks/ransomware?version=1"), "This is version 1; the current one is 2.")
	stale := editor.post("/runbooks/ransomware/edit", url.Values{"csrf_token": {form.csrf(t)}, "base_version": {"1"}, "yaml": {changed}})
	if stale.status != http.StatusConflict {
		t.Errorf("stale save: %d", stale.status)
	}
	mustContain(t, stale, "Someone saved a new version")

	newForm := editor.get("/runbooks/new")
	created := editor.post("/runbooks/new", url.Values{"csrf_token": {newForm.csrf(t)},
		"yaml": {strings.Replace(src.Source, "id: ransomware", "id: ransomware-ot", 1)}})
	if created.status != http.StatusSeeOther || created.header.Get("Location") != "/runbooks/ransomware-ot" {
		t.Errorf("create: %d %s", created.status, created.header.Get("Location"))
	}
}
