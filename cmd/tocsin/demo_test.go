//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs `tocsin demo` and checks what it loaded through the API,
// then restarts it to check that the load happens once.
func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir, "TOCSIN_DEMO=true")

	out := hub.stdout.String()
	for _, want := range []string{"username    admin", "Demo data loaded", "wanglei", "sarah.chen", "chenjing", hub.url + "/login"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not show %q:\n%s", want, out)
		}
	}
	// Every printed password stays out of the log.
	found := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(strings.Trim(line, "| "))
		var who, pw string
		switch {
		case len(f) == 2 && f[0] == "password":
			who, pw = "admin", f[1]
		case len(f) >= 3 && len(f[1]) == 16 && (f[0] == "wanglei" || f[0] == "chenjing" || f[0] == "lina"):
			who, pw = f[0], f[1]
		}
		if pw == "" {
			continue
		}
		found++
		if strings.Contains(hub.stderr.String(), pw) {
			t.Errorf("the password of %s is in the log", who)
		}
	}
	if found != 4 {
		t.Errorf("found %d of the 4 passwords looked for in stdout:\n%s", found, out)
	}

	stages := demoStages(t, hub.url)
	want := map[string]int{"receive": 2, "confirm": 2, "plan": 2, "dispatch": 1, "handle": 2, "review": 1, "closed": 1, "rejected": 2}
	for st, n := range want {
		if stages[st] != n {
			t.Errorf("%d incidents in %s, want %d (all: %v)", stages[st], st, n, stages)
		}
	}

	// The demo roster is loaded: the assessment group has someone on call,
	// and the escalation chain of an unacknowledged report paged them.
	status, body := get(t, hub.url+"/api/v1/oncall?team=assessment", testToken)
	if status != 200 || !strings.Contains(body, `"people"`) {
		t.Errorf("on call in the assessment group: %d %s", status, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, list := get(t, hub.url+"/api/v1/incidents?stage=receive&limit=1", testToken)
		var page struct {
			Items []struct{ Number string } `json:"items"`
		}
		_ = json.Unmarshal([]byte(list), &page)
		if len(page.Items) == 1 {
			_, inc := get(t, hub.url+"/api/v1/incidents/"+page.Items[0].Number, testToken)
			if strings.Contains(inc, `"kind":"escalation"`) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no escalation entry on a new demo report within 15 s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := hub.wait(t, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	again := startHub(t, dir, "TOCSIN_DEMO=true")
	if got := demoStages(t, again.url); len(got) != len(stages) || got["receive"] != stages["receive"] {
		t.Errorf("after a restart with demo on: %v, want %v", got, stages)
	}
	if out := again.stdout.String(); !strings.Contains(out, "already has incidents") || strings.Contains(out, "username    admin") {
		t.Errorf("restart printed:\n%s", out)
	}
}

// demoStages counts a hub's incidents by stage, and checks the incident
// with two occurrences.
func demoStages(t *testing.T, url string) map[string]int {
	t.Helper()
	status, body := get(t, url+"/api/v1/incidents?limit=100", testToken)
	if status != 200 {
		t.Fatalf("list: %d %s", status, body)
	}
	var page struct {
		Items []struct {
			Stage       string `json:"stage"`
			Occurrences int    `json:"occurrences"`
			Drill       bool   `json:"drill"`
			Level       string `json:"level"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	stages := map[string]int{}
	var repeated, drills, special int
	for _, it := range page.Items {
		stages[it.Stage]++
		if it.Occurrences > 1 {
			repeated++
		}
		if it.Drill {
			drills++
		}
		if it.Level == "special" {
			special++
		}
	}
	if repeated < 2 || drills != 1 || special < 2 {
		t.Errorf("incidents with several occurrences: %d (want 2: the DDoS and the merged ransomware), drills %d, special %d",
			repeated, drills, special)
	}
	return stages
}
