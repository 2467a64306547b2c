package notify_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// FuzzSlackText: whatever a title or note holds, the channel name keeps
// Slack's rules, and a thread line is at most one section, valid UTF-8,
// and can neither mention nor link.
//
//	go test ./notify -run '^$' -fuzz FuzzSlackText -fuzztime 60s
func FuzzSlackText(f *testing.F) {
	for _, s := range []string{"Finance PCs", "财务部终端", "<!channel> & <https://x|y>", strings.Repeat("&", 4000), "Ünïcödé ß", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name := notify.ChannelName("INC-2026-000042", s)
		if len(name) == 0 || len(name) > 80 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" ||
			!strings.HasPrefix(name, "inc-2026-000042") {
			t.Fatalf("channel name %q for %q", name, s)
		}
		line := notify.ThreadLine(incident.Entry{Actor: incident.Actor{Name: s}, Kind: incident.EntryStage, From: "receive", To: "confirm", Note: s, Reason: s})
		// ">" starts a quote at the start of a line, Tocsin's own; any
		// other < or > would be user text unescaped.
		if utf8.RuneCountInString(line) > 3000 || strings.ContainsAny(strings.ReplaceAll(line, "\n>", "\n"), "<>") {
			t.Fatalf("line %q", line)
		}
		if utf8.ValidString(s) && !utf8.ValidString(line) {
			t.Fatalf("line not valid UTF-8: %q", line)
		}
		if i := strings.LastIndexByte(line, '&'); i >= 0 && !strings.Contains(line[i:], ";") {
			t.Fatalf("line ends inside an escape: …%q", line[max(0, i-10):])
		}
	})
}
