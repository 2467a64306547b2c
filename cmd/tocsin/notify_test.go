//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

// outboxItems lists the hub's outbox for incident as the bootstrap admin.
func outboxItems(t *testing.T, url, incident string) []map[string]any {
	t.Helper()
	status, body := get(t, url+"/api/v1/outbox?incident="+incident, testToken)
	if status != 200 {
		t.Fatalf("outbox: %d %s", status, body)
	}
	var l struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// TestPagesDeliveredWithChatOff: with no chat configured, the hub's worker
// takes a page from the outbox at once, logs it and marks it sent; after a
// restart nothing is sent again.
func TestPagesDeliveredWithChatOff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir, "TOCSIN_LOG_LEVEL=info")
	person := map[string]any{"id": "lina", "name": "李娜", "roles": []string{"network_engineer"}, "time_zone": "Asia/Shanghai",
		"contacts": []any{map[string]any{"kind": "slack", "value": "U0LINA"}}}
	if s, b := send(t, "PUT", hub.url+"/api/v1/people/lina", person); s != 200 {
		t.Fatalf("person: %d %s", s, b)
	}
	team := map[string]any{"name": "Assessment group", "kind": "assessment", "members": []string{"lina"}, "lead": "lina",
		"rotation": map[string]any{"participants": []string{"lina"}, "interval": "daily", "handoff_time": "09:00",
			"time_zone": "Asia/Shanghai", "start": "2026-01-01T00:00:00+08:00"}}
	if s, b := send(t, "PUT", hub.url+"/api/v1/teams/assessment", team); s != 200 {
		t.Fatalf("team: %d %s", s, b)
	}
	policy := map[string]any{
		"steps":     []any{map[string]any{"target": map[string]any{"kind": "oncall", "team": "assessment"}, "delay": "1s", "repeat": 0}},
		"deadlines": map[string]any{"ack": "1h", "confirm": "1h", "dispatch": "2h", "handle": "72h"},
	}
	if s, b := send(t, "PUT", hub.url+"/api/v1/policies/serious", policy); s != 200 {
		t.Fatalf("policy: %d %s", s, b)
	}
	s, b := send(t, "POST", hub.url+"/api/v1/incidents", map[string]any{"title": "Beaconing from FIN-PC-017",
		"description": "EDR: periodic callbacks", "suggested_level": "serious"})
	if s != 201 {
		t.Fatalf("report: %d %s", s, b)
	}
	var inc struct{ Number string }
	_ = json.Unmarshal([]byte(b), &inc)

	var page map[string]any
	waitFor(t, 15*time.Second, "the page sent", func() bool {
		for _, m := range outboxItems(t, hub.url, inc.Number) {
			if m["kind"] == "page" && m["status"] == "sent" {
				page = m
				return true
			}
		}
		return false
	})
	if page["channel"] != "slack" || page["ref"] != "log" || page["recipient"] != "lina" || page["attempts"] != 1.0 {
		t.Errorf("page: %v", page)
	}
	if !strings.Contains(hub.stderr.String(), "no sender for its channel: logged only") {
		t.Errorf("the page was not logged:\n%s", hub.stderr)
	}

	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := hub.wait(t, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	again := startHub(t, dir)
	time.Sleep(time.Second)
	// The page and the reporter's receipt (logged: no e-mail, no Slack),
	// each sent once, and nothing sent again by the restart.
	items := outboxItems(t, again.url, inc.Number)
	kinds := map[any]int{}
	for _, m := range items {
		kinds[m["kind"]]++
		if m["status"] != "sent" || m["attempts"] != 1.0 {
			t.Errorf("after the restart: %v", m)
		}
	}
	if len(items) != 2 || kinds["page"] != 1 || kinds["feedback"] != 1 {
		t.Errorf("after the restart: %v", items)
	}
}
