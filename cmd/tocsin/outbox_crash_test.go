//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify/slackfake"
)

// TestOutboxSurvivesSIGKILL: reports are filed while Slack is down, so
// their cards wait in the outbox (retrying); the hub is killed with
// SIGKILL; Slack recovers; the restarted hub posts every card, each once.
func TestOutboxSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	const reports = 12
	fake := slackfake.New(t)
	outage := make([]slackfake.Fault, 2000)
	for i := range outage {
		outage[i] = slackfake.Fault{Status: http.StatusInternalServerError}
	}
	fake.Fail("chat.postMessage", outage...)
	slackEnv := []string{
		"TOCSIN_SLACK_BOT_TOKEN=xoxb-crash-test",
		"TOCSIN_SLACK_SIGNING_SECRET=crash-test-signing-secret",
		"TOCSIN_SLACK_CHANNEL=C0CENTER",
		"TOCSIN_SLACK_API_URL=" + fake.URL(),
	}
	dir := t.TempDir()
	hub := startHub(t, dir, slackEnv...)

	numbers := make([]string, reports)
	for i := range numbers {
		s, b := send(t, "POST", hub.url+"/api/v1/incidents", map[string]any{
			"title": fmt.Sprintf("Crash test report %d", i), "description": "filed while Slack is down", "suggested_level": "ordinary"})
		if s != 201 {
			t.Fatalf("report: %d %s", s, b)
		}
		var inc struct{ Number string }
		if err := json.Unmarshal([]byte(b), &inc); err != nil {
			t.Fatal(err)
		}
		numbers[i] = inc.Number
	}
	// Every card was tried and refused at least once: they are waiting.
	fake.WaitCalls(t, "chat.postMessage", reports, 30*time.Second)
	if err := hub.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := hub.wait(t, 10*time.Second); exitCode(err) != -1 {
		t.Fatalf("hub was not killed by the signal: %v", err)
	}
	before := len(fake.Calls("chat.postMessage"))
	fake.Heal()

	again := startHub(t, dir, slackEnv...)
	waitFor(t, 60*time.Second, "every card posted", func() bool {
		for _, n := range numbers {
			if cardsPosted(t, fake, before, n) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // room for a second post, were there one
	for _, n := range numbers {
		if c := cardsPosted(t, fake, before, n); c != 1 {
			t.Errorf("%s: card posted %d times after the restart, want once", n, c)
		}
		for _, m := range outboxItems(t, again.url, n) {
			if m["key"] == n+"/slack/card" && m["status"] != "sent" {
				t.Errorf("%s: card %v", n, m)
			}
		}
	}
}

// cardsPosted counts the posts of number's card among the calls after the
// first skip, by the outbox key the sender puts in the message metadata.
func cardsPosted(t *testing.T, fake *slackfake.Server, skip int, number string) int {
	t.Helper()
	n := 0
	for _, c := range fake.Calls("chat.postMessage")[skip:] {
		var meta struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(c.Form.Get("metadata")), &meta); err != nil {
			continue
		}
		if meta.EventPayload["key"] == number+"/slack/card" && !strings.Contains(c.Form.Get("thread_ts"), ".") {
			n++
		}
	}
	return n
}
