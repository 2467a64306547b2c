package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// send makes an API call as the test's bootstrap token.
func send(t *testing.T, method, url string, body any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

// escalationEntries counts an incident's escalation timeline entries whose
// note mentions step.
func escalationEntries(t *testing.T, url, number, step string) int {
	t.Helper()
	status, body := get(t, url+"/api/v1/incidents/"+number, testToken)
	if status != 200 {
		t.Fatalf("get %s: %d %s", number, status, body)
	}
	var inc struct {
		Timeline []struct{ Kind, Note string } `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(body), &inc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range inc.Timeline {
		if e.Kind == "escalation" && strings.Contains(e.Note, step) {
			n++
		}
	}
	return n
}

// TestEscalationSurvivesRestart stops the real binary with a page pending,
// restarts it after the page fell due, and finds it sent once, at start-up.
func TestEscalationSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir)
	// A roster: one on-call engineer and a lead; a serious policy whose
	// second step comes 4 s after the first.
	for _, p := range []map[string]any{
		{"id": "lina", "name": "李娜", "roles": []string{"network_engineer"}, "time_zone": "Asia/Shanghai", "contacts": []any{}},
		{"id": "chenjing", "name": "陈静", "roles": []string{"security_manager"}, "time_zone": "Asia/Shanghai", "contacts": []any{}},
	} {
		if s, b := send(t, "PUT", hub.url+"/api/v1/people/"+p["id"].(string), p); s != 200 {
			t.Fatalf("person: %d %s", s, b)
		}
	}
	team := map[string]any{"name": "Assessment group", "kind": "assessment", "members": []string{"lina", "chenjing"}, "lead": "chenjing",
		"rotation": map[string]any{"participants": []string{"lina"}, "interval": "daily", "handoff_time": "09:00",
			"time_zone": "Asia/Shanghai", "start": "2026-01-01T00:00:00+08:00"}}
	if s, b := send(t, "PUT", hub.url+"/api/v1/teams/assessment", team); s != 200 {
		t.Fatalf("team: %d %s", s, b)
	}
	policy := map[string]any{
		"steps": []any{
			map[string]any{"target": map[string]any{"kind": "oncall", "team": "assessment"}, "delay": "4s", "repeat": 0},
			map[string]any{"target": map[string]any{"kind": "lead", "team": "assessment"}, "delay": "4s", "repeat": 0},
		},
		"deadlines": map[string]any{"ack": "8s", "confirm": "1h", "dispatch": "2h", "handle": "72h"},
	}
	if s, b := send(t, "PUT", hub.url+"/api/v1/policies/serious", policy); s != 200 {
		t.Fatalf("policy: %d %s", s, b)
	}
	s, b := send(t, "POST", hub.url+"/api/v1/incidents", map[string]any{"title": "Beaconing from FIN-PC-017",
		"description": "EDR: periodic callbacks to an unknown host", "suggested_level": "serious"})
	if s != 201 {
		t.Fatalf("report: %d %s", s, b)
	}
	var inc struct{ Number string }
	_ = json.Unmarshal([]byte(b), &inc)

	waitFor(t, 10*time.Second, "step 1 paged at once", func() bool { return escalationEntries(t, hub.url, inc.Number, "step 1") == 1 })
	if n := escalationEntries(t, hub.url, inc.Number, "step 2"); n != 0 {
		t.Fatalf("step 2 fired before its time")
	}
	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := hub.wait(t, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second) // step 2 falls due while the hub is down

	again := startHub(t, dir)
	waitFor(t, 15*time.Second, "step 2 paged after the restart", func() bool {
		return escalationEntries(t, again.url, inc.Number, "step 2") == 1
	})
	time.Sleep(2 * time.Second)
	if n := escalationEntries(t, again.url, inc.Number, "step 2"); n != 1 {
		t.Fatalf("step 2 recorded %d times, want once", n)
	}
	if n := escalationEntries(t, again.url, inc.Number, "step 1"); n != 1 {
		t.Fatalf("step 1 recorded %d times after the restart, want once", n)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
