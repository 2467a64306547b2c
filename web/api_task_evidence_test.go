package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

// handling brings an incident with the ransomware runbook to handling,
// every task assigned by default or to the vendor.
func (e *workEnv) handling(t *testing.T, title string) string {
	t.Helper()
	num := e.confirmed(t, title, incident.MaliciousProgram, incident.Serious, false)
	base := "/api/v1/incidents/" + num
	e.do(t, "POST", base+"/plan/runbooks", "zhou.min", e.with(t, num, map[string]any{"runbooks": []any{map[string]any{"id": "ransomware"}}}), http.StatusOK)
	e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "dispatch"}), http.StatusOK)
	e.do(t, "POST", base+"/tasks/assign-defaults", "zhou.min", e.with(t, num, nil), http.StatusOK)
	e.do(t, "POST", base+"/tasks/"+taskByStep(e.tasks(t, num), "verify-clean")["id"].(string)+"/assign", "zhou.min",
		e.with(t, num, map[string]any{"vendor": "Qi An Response"}), http.StatusOK)
	e.do(t, "POST", base+"/transitions", "zhou.min", e.with(t, num, map[string]any{"to": "handle"}), http.StatusOK)
	return num
}

// TestEvidence: files are limited in size, sniffed, named safely, kept
// whole, served as attachments only to those who may see the incident
// and only through the incident that lists them; a refused change leaves
// no file behind.
func TestEvidence(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	num := e.handling(t, "Ransom note on fs01")
	other := e.handling(t, "Ransom note on fs02")
	isolate := taskByStep(e.tasks(t, num), "isolate-hosts")["id"].(string)
	path := "/api/v1/incidents/" + num + "/tasks/" + isolate + "/evidence"
	ver := func() string { return fmt.Sprint(e.version(t, num)) }

	// 8 MiB is accepted; one byte more is 413, and so is a body over the
	// upload limit (refused before it is read).
	big := bytes.Repeat([]byte{0x00, 0x01, 0xfe, 0xff}, (8<<20)/4)
	st, b := e.postFiles(t, path, "li.na", map[string]string{"version": ver(), "note": "memory image"}, upload{"mem.img", big})
	if st != http.StatusOK {
		t.Fatalf("8 MiB: %d %s", st, b)
	}
	st, b = e.postFiles(t, path, "li.na", map[string]string{"version": ver()}, upload{"mem2.img", append(big, 0)})
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "8 MiB") {
		t.Errorf("8 MiB + 1: %d %s", st, b)
	}
	st, _ = e.postFiles(t, path, "li.na", map[string]string{"version": ver()}, upload{"a.img", big}, upload{"b.img", big})
	if st != http.StatusRequestEntityTooLarge {
		t.Errorf("two 8 MiB files: %d", st)
	}
	// JSON bodies keep their 1 MiB limit.
	if st, _ := e.call(t, "POST", "/api/v1/incidents/"+num+"/tasks/"+isolate+"/notes", e.tokens["li.na"],
		`{"version":1,"note":"`+strings.Repeat("x", 2<<20)+`"}`); st != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB note: %d", st)
	}

	html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
	st, b = e.postFiles(t, path, "li.na", map[string]string{"version": ver()}, upload{"C:\\Users\\li\\Desktop\\re\"port\r\n.html", html})
	if st != http.StatusOK {
		t.Fatalf("html upload: %d %s", st, b)
	}
	files := taskByStep(e.tasks(t, num), "isolate-hosts")["evidence"].([]any)
	if len(files) != 2 {
		t.Fatalf("evidence = %v", files)
	}
	img, page := files[0].(map[string]any), files[1].(map[string]any)
	if img["size"] != float64(8<<20) || img["content_type"] != "application/octet-stream" || img["sha256"] == "" {
		t.Errorf("image = %v", img)
	}
	if n := page["name"].(string); !strings.HasPrefix(n, "re_port") || !strings.HasSuffix(n, ".html") || strings.ContainsAny(n, "\"\\/\r\n:") ||
		page["content_type"] != "text/html; charset=utf-8" {
		t.Errorf("html file = %v", page)
	}

	// Downloads: the reporter may see the incident, an outsider may not.
	resp, body := e.get(t, img["url"].(string), "rep")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, big) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=mem.img` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("headers = %v", resp.Header)
	}
	resp, _ = e.get(t, page["url"].(string), "li.na")
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("an HTML file is served as %q", ct)
	}
	if resp, _ := e.get(t, img["url"].(string), "outsider"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("outsider: %d", resp.StatusCode)
	}
	cross := "/api/v1/incidents/" + other + "/evidence/" + img["id"].(string)
	if resp, _ := e.get(t, cross, "zhou.min"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a file through another incident: %d", resp.StatusCode)
	}

	// Only the assignee (or the coordinator) uploads; a stale version
	// stores nothing.
	// Wang Wei sees the incident (he has a task of his own) but may not
	// attach to someone else's.
	if st, _ := e.postFiles(t, path, "wang.wei", map[string]string{"version": ver()}, upload{"x.txt", []byte("x")}); st != http.StatusForbidden {
		t.Errorf("another assignee uploads: %d", st)
	}
	before := countEvidence(t, e)
	if st, _ := e.postFiles(t, path, "li.na", map[string]string{"version": "1"}, upload{"x.txt", []byte("x")}); st != http.StatusConflict {
		t.Errorf("stale upload: %d", st)
	}
	if st, _ := e.postFiles(t, path, "li.na", map[string]string{"version": ver(), "status": "blocked"}, upload{"x.txt", []byte("x")}); st != http.StatusBadRequest {
		t.Errorf("upload with a bad status: %d", st)
	}
	if after := countEvidence(t, e); after != before {
		t.Errorf("refused uploads left files: %d → %d", before, after)
	}
	if st, _ := e.postFiles(t, path, "li.na", map[string]string{"version": ver()}); st != http.StatusBadRequest {
		t.Errorf("no file: %d", st)
	}
}

func countEvidence(t *testing.T, e *workEnv) int64 {
	t.Helper()
	n, err := e.db.Database().Collection("evidence").CountDocuments(t.Context(), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTicketTaskForms: the ticket page shows the tasks by stage and offers
// each person the actions they may take; its forms need the CSRF token,
// and a refusal is explained next to the task.
func TestTicketTaskForms(t *testing.T) {
	t.Parallel()
	e := newWorkEnv(t)
	num := e.handling(t, "Ransom note on fs01")
	isolate := taskByStep(e.tasks(t, num), "isolate-hosts")["id"].(string)
	block := taskByStep(e.tasks(t, num), "block-spread")["id"].(string)

	li := e.login(t, "li.na")
	p := li.get("/incidents/" + num)
	mustContain(t, p, "Confirmation checklist", "Plan measures", "Handling", `id="task-`+isolate+`"`,
		`action="/incidents/`+num+`/tasks/`+isolate+`"`, "awaiting acceptance", "Isolate")
	// Li Na is offered accept on her task, nothing on Zhao Lei's.
	if !strings.Contains(taskBlock(p.body, isolate), `value="accept"`) || strings.Contains(taskBlock(p.body, block), `name="action"`) {
		t.Error("actions offered to Li Na are wrong")
	}
	tok := p.csrf(t)
	res := li.post("/incidents/"+num+"/tasks/"+isolate, map[string][]string{"csrf_token": {tok}, "action": {"accept"}, "version": {fmt.Sprint(e.version(t, num))}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/incidents/"+num+"#task-"+isolate {
		t.Fatalf("accept: %d %s", res.status, res.header.Get("Location"))
	}
	if p := li.post("/incidents/"+num+"/tasks/"+isolate, map[string][]string{"action": {"start"}, "version": {fmt.Sprint(e.version(t, num))}}); p.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", p.status)
	}
	if p := li.post("/incidents/"+num+"/tasks/"+block, map[string][]string{"csrf_token": {tok}, "action": {"start"}, "version": {fmt.Sprint(e.version(t, num))}}); p.status != http.StatusForbidden {
		t.Errorf("someone else's task: %d", p.status)
	}
	bad := li.post("/incidents/"+num+"/tasks/"+isolate, map[string][]string{"csrf_token": {tok}, "action": {"block"}, "note": {""}, "version": {fmt.Sprint(e.version(t, num))}})
	if bad.status != http.StatusBadRequest || !strings.Contains(taskBlock(bad.body, isolate), "say what blocks the task") {
		t.Errorf("block without reason: %d\n%s", bad.status, taskBlock(bad.body, isolate))
	}
	stale := li.post("/incidents/"+num+"/tasks/"+isolate, map[string][]string{"csrf_token": {tok}, "action": {"start"}, "version": {"1"}})
	if stale.status != http.StatusConflict {
		t.Errorf("stale: %d", stale.status)
	}
	mustContain(t, stale, "changed by someone else")

	// Done with a file through the page's multipart form.
	ctype, body := multipartBody(t, map[string]string{"csrf_token": tok, "action": "done", "version": fmt.Sprint(e.version(t, num)),
		"note": "hosts unplugged"}, upload{"ports.txt", []byte("Gi1/0/7\n")})
	req, _ := http.NewRequest("POST", e.srv.URL+"/incidents/"+num+"/tasks/"+isolate+"/evidence", bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := li.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("done with a file: %d", resp.StatusCode)
	}
	after := li.get("/incidents/" + num)
	mustContain(t, taskPage(after, isolate), "hosts unplugged", "ports.txt", "/api/v1/incidents/"+num+"/evidence/")

	// In Chinese too, with no message missing.
	li.lang = "zh"
	mustContain(t, li.get("/incidents/"+num), "确认检查项", "处置任务", "断开受影响主机的网络连接")
	li.lang = ""

	// The coordinator may reorder and sees the defaults button no more
	// (everything is assigned); the timeline names the task.
	zm := e.login(t, "zhou.min")
	cp := zm.get("/incidents/" + num)
	if !strings.Contains(taskBlock(cp.body, block), `value="down"`) || strings.Contains(cp.body, `id="plan-assign-defaults"`) {
		t.Error("coordinator's actions are wrong")
	}
	mustContain(t, cp, `href="#task-`+isolate+`"`, "Task accepted")
}

// taskBlock is the markup of task id on a page.
func taskBlock(body, id string) string {
	i := strings.Index(body, `<li class="task`)
	for i >= 0 {
		end := strings.Index(body[i+1:], `<li class="task`)
		block := body[i:]
		if end >= 0 {
			block = body[i : i+1+end]
		}
		if strings.Contains(block, `id="task-`+id+`"`) {
			return block
		}
		if end < 0 {
			break
		}
		i = i + 1 + end
	}
	return ""
}

func taskPage(p page, id string) page { p.body = taskBlock(p.body, id); return p }
