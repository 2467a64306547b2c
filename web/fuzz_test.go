package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReportIntake throws arbitrary bodies at POST /api/v1/incidents through
// the whole stack. Whatever arrives, the answer is a clean 2xx or 4xx, never a
// 500; an accepted report reads back with the title it was given.
//
//	go test ./web -run '^$' -fuzz FuzzReportIntake -fuzztime 60s
func FuzzReportIntake(f *testing.F) {
	seeds := []string{
		`{"title":"Phishing","description":"mail from the CFO"}`,
		`{"title":"勒索软件","description":"文件被加密","category":"malicious_program","suggested_level":"special","scope":"global","affected_assets":["FIN-PC-012"],"occurred_at":"2026-11-21T08:30:00+08:00","dedup_key":"k","drill":true}`,
		`{"title":"","description":""}`,
		`{"title":"t","description":"d","occurred_at":"2026-13-40T99:00:00Z"}`,
		`{"title":"t","description":"d","affected_assets":[1,2]}`,
		`{"title":"\u0000","description":"\ud800"}`,
		`{"title":"t","description":"d","extra":{}}`,
		`null`, `[]`, `"x"`, `{`, `{"title":"t"}{"title":"u"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	env := newEnv(f)
	tok := env.user(f, "fuzzer")
	f.Fuzz(func(t *testing.T, body []byte) {
		status, resp := env.call(t, "POST", "/api/v1/incidents", tok, body)
		switch status {
		case 200, 201:
			var req struct{ Title string }
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatalf("accepted a body that is not JSON: %q", body)
			}
			got := decode(t, resp)
			if got["title"] != strings.TrimSpace(req.Title) && utf8.ValidString(req.Title) {
				t.Fatalf("title %q stored as %q", req.Title, got["title"])
			}
			s, back := env.call(t, "GET", "/api/v1/incidents/"+got["number"].(string), tok, nil)
			if s != 200 || decode(t, back)["title"] != got["title"] {
				t.Fatalf("read back %d %s", s, back)
			}
		case 400, 413, 422:
			if e, _ := decode(t, resp)["error"].(string); e == "" {
				t.Fatalf("%d without an error message: %s", status, resp)
			}
		default:
			t.Fatalf("status %d for %q: %s", status, body, resp)
		}
	})
}
