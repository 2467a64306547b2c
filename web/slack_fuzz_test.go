package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
)

// FuzzSlackCommand sends arbitrary /incident text, signed, from a linked
// coordinator. Whatever it says, the answer is 200 with an ephemeral
// message or nothing (the modal, or an answer to come), never an error.
//
//	go test ./web -run '^$' -fuzz FuzzSlackCommand -fuzztime 60s
func FuzzSlackCommand(f *testing.F) {
	for _, s := range []string{"", "help", "帮助", "status INC-2026-000001", "状态 2026-1", "ack", "ack INC-1-2 x",
		"oncall", "值班 netops", "channel INC-2026-000001", "Printer <!channel> on fire\nsince 9", "\x00\xff", "status " + string(make([]byte, 300))} {
		f.Add(s)
	}
	env := newSlackEnv(f)
	env.slackUser(f, "chen", "U0CHEN", "", "en", access.Coordinator)
	f.Fuzz(func(t *testing.T, text string) {
		status, ans := env.command(t, "U0CHEN", text)
		if status != http.StatusOK {
			t.Fatalf("status %d for %q", status, text)
		}
		if ans != nil && ans["response_type"] != "ephemeral" {
			t.Fatalf("answer %v for %q", ans, text)
		}
	})
}

// FuzzSlackInteraction sends arbitrary, signed interaction payloads. The
// answer is 200 or, for a payload that is not an interaction, 400; never
// a 5xx.
//
//	go test ./web -run '^$' -fuzz FuzzSlackInteraction -fuzztime 60s
func FuzzSlackInteraction(f *testing.F) {
	env := newSlackEnv(f)
	env.slackUser(f, "chen", "U0CHEN", "", "en", access.Coordinator)
	seeds := []map[string]any{
		env.press("U0CHEN", "tocsin_ack", "INC-2026-000001"),
		env.press("U0CHEN", "tocsin_confirm", "nonsense"),
		submit("U0CHEN", "tocsin_report", "", map[string]map[string]any{"title": {"value": "t"}, "description": {"value": "d"}}),
		submit("U0CHEN", "tocsin_confirm_modal", "INC-2026-000001@1", nil),
		{"type": "view_closed"},
	}
	for _, s := range seeds {
		b, _ := json.Marshal(s)
		f.Add(string(b))
	}
	f.Add(`{"type":"block_actions","actions":[{"block_id":1}]}`)
	f.Add(`{"type":"view_submission","user":{"id":"U0CHEN"},"view":{"callback_id":"tocsin_report"}}`)
	f.Add(`{"type":"view_submission","user":{"id":"U0CHEN"},"view":{"callback_id":"tocsin_confirm_modal","private_metadata":"INC-2026-000001@1"}}`)
	f.Add(`not json`)
	env.client.Timeout = 5 * time.Second // a hang is a failure, with its input
	f.Fuzz(func(t *testing.T, payload string) {
		body := []byte(url.Values{"payload": {payload}}.Encode())
		status, _ := env.post(t, "/slack/interactions", body, sign(body, signingSecret, time.Now()))
		if status != http.StatusOK && status != http.StatusBadRequest {
			t.Fatalf("status %d for %q", status, payload)
		}
	})
}
