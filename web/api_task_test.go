package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// TestStoryRansomware follows a confirmed serious ransomware report through
// plan (the runbook chosen from the suggestions), dispatch (tasks assigned
// to the on-call people by default and by hand, a vendor called in, the
// assignees notified, a decline handed back and reassigned), handling
// (tasks accepted, worked, done with evidence, one waived) to review,
// which is refused until every required task is finished and says which
// are not.
func TestStoryRansomware(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	num := e.confirmed(t, "Ransom note on the finance file server", incident.MaliciousProgram, incident.Serious, false)
	base := "/api/v1/incidents/" + num

	// Plan: the suggestions are the runbooks for malicious programs.
	sug := e.do(t, "GET", base+"/runbooks/suggested", "zhou.min", nil, http.StatusOK)
	var ids []string
	for _, s := range sug["items"].([]any) {
		sm := s.(map[string]any)
		ids = append(ids, sm["id"].(string))
		if sm["fits_level"] != true || sm["chosen"] != false {
			t.Errorf("suggestion %v", sm)
		}
	}
	if !slices.Equal(ids, []string{"malware-spread", "ransomware"}) && !slices.Equal(ids, []string{"ransomware", "malware-spread"}) {
		t.Errorf("suggested %v", ids)
	}
	// The reporter sees the incident but does not read runbooks.
	e.do(t, "GET", base+"/runbooks/suggested", "rep", nil, http.StatusForbidden)
	e.do(t, "POST", base+"/plan/runbooks", "li.na", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "ransomware"}}}), http.StatusNotFound)
	e.do(t, "POST", base+"/plan/runbooks", "rep", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "ransomware"}}}), http.StatusForbidden)
	e.do(t, "POST", base+"/plan/runbooks", "zhou.min", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "nonesuch"}}}), http.StatusNotFound)
	res := e.do(t, "POST", base+"/plan/runbooks", "zhou.min", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "ransomware"}}}), http.StatusOK)
	plan := res["plan"].(map[string]any)["runbooks"].([]any)[0].(map[string]any)
	if plan["id"] != "ransomware" || plan["version"] != float64(1) || len(plan["steps"].([]any)) != 15 || len(plan["communication"].([]any)) != 4 {
		t.Fatalf("plan = %s", jsonString(plan))
	}
	if p := res["task_progress"].(map[string]any); p["finished"] != float64(0) || p["total"] != float64(15) {
		t.Errorf("progress = %v", p)
	}
	// The same runbook again is refused with the reason, in Chinese too.
	st, b := e.call(t, "POST", base+"/plan/runbooks", e.tokens["zhou.min"],
		e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "ransomware"}}}), "Accept-Language", "zh")
	if st != http.StatusBadRequest || !strings.Contains(string(b), "已在计划中") {
		t.Errorf("chosen twice: %d %s", st, b)
	}

	// A task by hand, moved first, then removed; measures; strict input.
	res = e.do(t, "POST", base+"/tasks", "zhou.min", e.with(t, num, map[string]any{"title": "Ask the insurer", "duration": "2h",
		"stage": "handle", "phase": "communicate", "role": "coordinator"}), http.StatusOK)
	added := res["tasks"].([]any)[15].(map[string]any)
	if added["id"] != "t16" || added["expected"] != "2h" || added["required"] != false || added["runbook"] != nil {
		t.Errorf("added = %v", added)
	}
	e.do(t, "POST", base+"/tasks", "zhou.min", e.with(t, num, map[string]any{"title": "x", "duration": "soon"}), http.StatusBadRequest)
	e.do(t, "POST", base+"/tasks", "zhou.min", e.with(t, num, map[string]any{"title": "x", "colour": "red"}), http.StatusBadRequest)
	e.do(t, "POST", base+"/tasks", "zhou.min", map[string]any{"version": 1, "title": "stale"}, http.StatusConflict)
	res = e.do(t, "POST", base+"/tasks/t16/move", "zhou.min", e.with(t, num, map[string]any{"position": 0}), http.StatusOK)
	if first := res["tasks"].([]any)[0].(map[string]any); first["id"] != "t16" {
		t.Errorf("first task after the move = %v", first["id"])
	}
	e.do(t, "DELETE", fmt.Sprintf("%s/tasks/t16?version=%d&reason=the+policy+lapsed", base, e.version(t, num)), "zhou.min", nil, http.StatusOK)
	e.do(t, "DELETE", base+"/tasks/t16?version=1", "zhou.min", nil, http.StatusConflict)
	e.do(t, "PUT", base+"/plan/measures", "zhou.min", e.with(t, num, map[string]any{"measures": "Keep the finance share offline until restored."}), http.StatusOK)
	e.do(t, "POST", base+"/tasks/t1/assign", "zhou.min", e.with(t, num, map[string]any{"person": "li.na"}), http.StatusUnprocessableEntity) // not yet: plan stage

	// Dispatch: serious, so no approval; handling waits for assignees.
	e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "dispatch"}), http.StatusOK)
	blocked := e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "handle"}), http.StatusUnprocessableEntity)
	if msgs := blocked["messages"].(map[string]any); !has(msgs["tasks_assigned"].(string), "t1 “Identify the ransomware family", "(to do)") {
		t.Errorf("handle blocked: %v", blocked)
	}
	res = e.do(t, "POST", base+"/tasks/assign-defaults", "zhou.min", e.with(t, num, nil), http.StatusOK)
	left := res["unassigned"].(map[string]any)
	tasks := e.tasks(t, num)
	verify := taskByStep(tasks, "verify-clean")
	if left[verify["id"].(string)] == nil || !strings.Contains(left[verify["id"].(string)].(string), "application_engineer") || len(left) != 1 {
		t.Errorf("left unassigned: %v", left)
	}
	want := map[string]string{"identify-family": "li.na", "isolate-hosts": "li.na", "block-spread": "zhao.lei",
		"check-backups": "zhao.lei", "decide-isolation": "chen.jie", "ransom-position": "chen.jie", "report-authorities": "zhou.min"}
	for step, who := range want {
		if got := taskByStep(tasks, step); got["assignee"] != who || got["response"] != "pending" {
			t.Errorf("%s assigned to %v (%v), want %s", step, got["assignee"], got["response"], who)
		}
	}
	if isolate := taskByStep(tasks, "isolate-hosts"); isolate["team"] != "desk" || isolate["due_at"] == nil || isolate["assigned_by"].(map[string]any)["name"] != "Zhou.min" {
		t.Errorf("isolate = %v", isolate)
	}
	// The one nobody fits goes to a vendor, called in with its contact.
	e.do(t, "POST", base+"/tasks/"+verify["id"].(string)+"/assign", "zhou.min", e.with(t, num, map[string]any{"person": "li.na", "vendor": "x"}), http.StatusBadRequest)
	e.do(t, "POST", base+"/tasks/"+verify["id"].(string)+"/assign", "zhou.min", e.with(t, num, map[string]any{"person": "nobody"}), http.StatusBadRequest)
	res = e.do(t, "POST", base+"/tasks/"+verify["id"].(string)+"/assign", "zhou.min",
		e.with(t, num, map[string]any{"vendor": "Qi An Response", "contact": "400-000-0000"}), http.StatusOK)
	var vendor bool
	for _, a := range res["assignees"].([]any) {
		am := a.(map[string]any)
		vendor = vendor || am["kind"] == "vendor" && am["name"] == "Qi An Response"
	}
	if !vendor {
		t.Errorf("resources called in = %v", res["assignees"])
	}

	// Every person assigned was notified, once, by their contact.
	msgs := e.taskMessages(t, num)
	for _, tk := range e.tasks(t, num) {
		if tk["assignee_kind"] != "person" {
			continue
		}
		key := num + "/task/" + tk["id"].(string) + "/assigned/" + tk["assignee"].(string)
		m, ok := msgs[key]
		if !ok {
			t.Errorf("no notice %s; have %v", key, sortedKeys(msgs))
			continue
		}
		if m.Recipient != tk["assignee"] || !strings.Contains(m.Body, "/incidents/"+num+"#task-"+tk["id"].(string)) {
			t.Errorf("notice %s = %+v", key, m)
		}
	}
	// (The address within the channel is the planner's to set, see
	// escalation's tests; the outbox keeps the channel.)
	if m := msgs[num+"/task/"+taskByStep(tasks, "isolate-hosts")["id"].(string)+"/assigned/li.na"]; m.Channel != notify.ChannelWeCom {
		t.Errorf("Li Na is reached by %s", m.Channel)
	}
	if len(msgs) != 14 {
		t.Errorf("%d task notices, want 14 (one per person assignment): %v", len(msgs), sortedKeys(msgs))
	}

	// Li Na can see the incident now; she declines one task, which goes
	// back to the coordinator, who is told and reassigns it.
	e.do(t, "GET", base, "li.na", nil, http.StatusOK)
	id := func(step string) string { return taskByStep(tasks, step)["id"].(string) }
	// Wang Wei works on the incident (a task of his own), so he sees it,
	// but he may not answer for someone else's task.
	e.do(t, "POST", base+"/tasks/"+id("identify-family")+"/decline", "wang.wei", e.with(t, num, map[string]any{"reason": "not mine"}), http.StatusForbidden)
	e.do(t, "POST", base+"/tasks/"+id("identify-family")+"/decline", "li.na", e.with(t, num, map[string]any{"reason": ""}), http.StatusBadRequest)
	e.do(t, "POST", base+"/tasks/"+id("identify-family")+"/decline", "li.na",
		e.with(t, num, map[string]any{"reason": "I am isolating hosts; give it to Wang Wei"}), http.StatusOK)
	e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "handle"}), http.StatusUnprocessableEntity)
	declineKey := num + "/task/" + id("identify-family") + "/declined/1/zhou.min"
	if m, ok := e.taskMessages(t, num)[declineKey]; !ok || m.Channel != notify.ChannelSlack || !strings.Contains(m.Body, "give it to Wang Wei") {
		t.Errorf("decline notice %s = %+v", declineKey, m)
	}
	e.do(t, "POST", base+"/tasks/"+id("identify-family")+"/assign", "zhou.min", e.with(t, num, map[string]any{"person": "wang.wei"}), http.StatusOK)
	if _, ok := e.taskMessages(t, num)[num+"/task/"+id("identify-family")+"/assigned/wang.wei/r2"]; !ok {
		t.Errorf("no notice of the second assignment: %v", sortedKeys(e.taskMessages(t, num)))
	}

	// Handling.
	e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "handle"}), http.StatusOK)
	e.do(t, "POST", base+"/tasks/"+id("isolate-hosts")+"/accept", "li.na", e.with(t, num, nil), http.StatusOK)
	e.do(t, "POST", base+"/tasks/"+id("isolate-hosts")+"/accept", "li.na", e.with(t, num, nil), http.StatusUnprocessableEntity)
	e.do(t, "POST", base+"/tasks/"+id("isolate-hosts")+"/status", "wang.wei", e.with(t, num, map[string]any{"status": "in_progress"}), http.StatusForbidden)
	e.do(t, "POST", base+"/tasks/"+id("isolate-hosts")+"/status", "li.na", e.with(t, num, map[string]any{"status": "in_progress"}), http.StatusOK)
	e.do(t, "POST", base+"/tasks/"+id("isolate-hosts")+"/notes", "li.na", e.with(t, num, map[string]any{"note": "3 of 5 hosts unplugged"}), http.StatusOK)
	e.do(t, "POST", base+"/tasks/"+id("isolate-hosts")+"/status", "li.na", e.with(t, num, map[string]any{"status": "done"}), http.StatusBadRequest)
	st, b = e.postFiles(t, base+"/tasks/"+id("isolate-hosts")+"/evidence", "li.na",
		map[string]string{"version": fmt.Sprint(e.version(t, num)), "status": "done", "note": "all 5 hosts off the network; ports shut"},
		upload{"../../switch ports.csv", []byte("port,host\nGi1/0/7,fs01\n")})
	if st != http.StatusOK {
		t.Fatalf("done with evidence: %d %s", st, b)
	}
	done := taskByStep(e.tasks(t, num), "isolate-hosts")
	ev := done["evidence"].([]any)
	if done["status"] != "done" || len(ev) != 1 || ev[0].(map[string]any)["name"] != "switch ports.csv" ||
		ev[0].(map[string]any)["content_type"] != "text/plain; charset=utf-8" {
		t.Fatalf("done task = %s", jsonString(done))
	}

	// Review is refused and names the unfinished required tasks.
	blocked = e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "review"}), http.StatusUnprocessableEntity)
	why := blocked["messages"].(map[string]any)["tasks_finished"].(string)
	if !has(why, id("identify-family"), "Identify the ransomware family", "to do") || strings.Contains(why, id("isolate-hosts")+" ") ||
		strings.Contains(why, "Tell staff") {
		t.Errorf("review refused with %q", why)
	}
	st, b = e.call(t, "POST", base+"/transitions", e.tokens["zhou.min"], e.with(t, num, map[string]any{"to": "review"}), "Accept-Language", "zh")
	if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "识别勒索软件家族") {
		t.Errorf("in Chinese: %d %s", st, b)
	}

	// The leadership's decision is recorded as waived; the rest are done
	// by their assignees (or by the coordinator for the vendor).
	e.do(t, "POST", base+"/tasks/"+id("ransom-position")+"/status", "chen.jie",
		e.with(t, num, map[string]any{"status": "waived", "note": ""}), http.StatusBadRequest)
	e.do(t, "POST", base+"/tasks/"+id("ransom-position")+"/status", "chen.jie",
		e.with(t, num, map[string]any{"status": "waived", "note": "decided at the 10:00 call: no contact, no payment"}), http.StatusOK)
	for _, tk := range e.tasks(t, num) {
		if tk["required"] != true || tk["status"] == "done" || tk["status"] == "waived" {
			continue
		}
		who := tk["assignee"].(string)
		if tk["assignee_kind"] == "vendor" {
			who = "zhou.min"
		}
		e.do(t, "POST", base+"/tasks/"+tk["id"].(string)+"/status", who,
			e.with(t, num, map[string]any{"status": "done", "note": "done: " + tk["title"].(string)}), http.StatusOK)
	}
	res = e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "review"}), http.StatusOK)
	if res["stage"] != "review" {
		t.Fatalf("stage = %v", res["stage"])
	}
	full := e.do(t, "GET", base, "zhou.min", nil, http.StatusOK)
	seen := map[string]bool{}
	for _, en := range full["timeline"].([]any) {
		seen[en.(map[string]any)["kind"].(string)] = true
	}
	for _, k := range []string{"runbook_chosen", "task_added", "task_moved", "task_removed", "measures", "task_assigned",
		"task_declined", "task_accepted", "task_status", "task_note", "evidence"} {
		if !seen[k] {
			t.Errorf("no %s entry on the timeline", k)
		}
	}
	if p := full["task_progress"].(map[string]any); p["total"] != float64(15) || p["finished"].(float64) < 12 {
		t.Errorf("progress = %v", p)
	}

	// The board card shows the progress.
	b2 := e.login(t, "zhou.min")
	board := b2.get("/board")
	fin, total := int(full["task_progress"].(map[string]any)["finished"].(float64)), 15
	mustContain(t, board, fmt.Sprintf(`<span class="n">%d/%d</span>`, fin, total))
}

// TestSpecialPlanApproval: a special incident is blocked at dispatch until
// a manager approves its plan; a return with comments goes back to the
// coordinator, who changes the plan and submits it again. Each step is on
// the timeline and notified.
func TestSpecialPlanApproval(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	num := e.confirmed(t, "Flood of traffic on the public portal", incident.CyberAttack, incident.Special, false)
	base := "/api/v1/incidents/" + num
	e.do(t, "POST", base+"/plan/runbooks", "zhou.min", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "ddos"}}}), http.StatusOK)

	res := e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "dispatch"}), http.StatusUnprocessableEntity)
	if res["missing"].([]any)[0] != "plan_approval" || !strings.Contains(res["messages"].(map[string]any)["plan_approval"].(string), "submit the plan") {
		t.Fatalf("dispatch before approval: %v", res)
	}
	e.do(t, "POST", base+"/plan/decision", "chen.jie", e.with(t, num, map[string]any{"decision": "approve"}), http.StatusUnprocessableEntity)
	e.do(t, "POST", base+"/plan/submit", "zhou.min", e.with(t, num, map[string]any{"note": "scrubbing costs money"}), http.StatusOK)
	if m, ok := e.taskMessages(t, num)[num+"/plan/1/submitted/chen.jie"]; !ok || m.Channel != notify.ChannelEmail {
		t.Errorf("approval request = %+v (%v)", m, sortedKeys(e.taskMessages(t, num)))
	}
	e.do(t, "POST", base+"/plan/decision", "zhou.min", e.with(t, num, map[string]any{"decision": "approve"}), http.StatusForbidden)
	e.do(t, "POST", base+"/plan/decision", "chen.jie", e.with(t, num, map[string]any{"decision": "return"}), http.StatusBadRequest)
	e.do(t, "POST", base+"/plan/decision", "chen.jie", e.with(t, num, map[string]any{"decision": "return",
		"comment": "add a task to warn the call center before scrubbing starts"}), http.StatusOK)
	if m, ok := e.taskMessages(t, num)[num+"/plan/1/returned/zhou.min"]; !ok || !strings.Contains(m.Body, "warn the call center") {
		t.Errorf("return notice = %+v", m)
	}
	res = e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "dispatch"}), http.StatusUnprocessableEntity)
	if !strings.Contains(res["messages"].(map[string]any)["plan_approval"].(string), "warn the call center") {
		t.Errorf("dispatch after return: %v", res)
	}

	e.do(t, "POST", base+"/tasks", "zhou.min", e.with(t, num, map[string]any{"title": "Warn the call center", "stage": "plan",
		"required": true, "duration": "30m", "role": "coordinator"}), http.StatusOK)
	e.do(t, "POST", base+"/plan/submit", "zhou.min", e.with(t, num, nil), http.StatusOK)
	e.do(t, "POST", base+"/plan/decision", "chen.jie", e.with(t, num, map[string]any{"decision": "approve", "comment": "go"}), http.StatusOK)
	msgs := e.taskMessages(t, num)
	for _, k := range []string{num + "/plan/2/submitted/chen.jie", num + "/plan/2/approved/zhou.min"} {
		if _, ok := msgs[k]; !ok {
			t.Errorf("no %s; have %v", k, sortedKeys(msgs))
		}
	}
	res = e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "dispatch"}), http.StatusOK)
	if res["plan_approved_by"].(map[string]any)["name"] != "Chen.jie" {
		t.Errorf("approved by %v", res["plan_approved_by"])
	}
	var kinds []string
	for _, en := range res["timeline"].([]any) {
		kinds = append(kinds, en.(map[string]any)["kind"].(string))
	}
	for _, k := range []string{"plan_submitted", "plan_returned", "task_added", "plan_approved"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline lacks %s: %v", k, kinds)
		}
	}
}

// TestDrillRunsTheSameFlow: a drill goes through plan and dispatch like any
// incident; its notices say it is a drill.
func TestDrillRunsTheSameFlow(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	num := e.confirmed(t, "Drill: UPS alarm in server room B", incident.EquipmentFailure, incident.Serious, true)
	base := "/api/v1/incidents/" + num
	e.do(t, "POST", base+"/plan/runbooks", "zhou.min", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "equipment-failure"}}}), http.StatusOK)
	e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "dispatch"}), http.StatusOK)
	e.do(t, "POST", base+"/tasks/t1/assign", "zhou.min", e.with(t, num, map[string]any{"team": "desk"}), http.StatusOK)
	msgs := e.taskMessages(t, num)
	m, ok := msgs[num+"/task/t1/assigned/li.na"]
	if !ok || !strings.Contains(m.Subject, "[DRILL 演练]") {
		t.Errorf("drill notice = %+v (%v)", m, sortedKeys(msgs))
	}
}
