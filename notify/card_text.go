package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
)

// Slack's limits on what a message or view may hold (PLATFORM.md). Block
// counts need no guard: a card has four blocks, a modal seven, whatever
// the incident holds (Slack takes 50 and 100); texts are clipped.
const (
	maxSlackText       = 3000 // characters of a section's or context's text
	maxSlackField      = 2000 // characters of one section field
	maxSlackButton     = 75   // characters of a button's or option's text
	maxSlackHint       = 2000 // characters of an input's hint
	maxSlackModalTitle = 24   // characters of a view's title and buttons
	maxSlackFallback   = 3000 // characters of a message's fallback text (Slack allows more; notifications show less)
)

// mrkdwnEscaper escapes the three characters Slack's mrkdwn gives meaning
// to. With them escaped, user text cannot form a mention (<!channel>,
// <@U123>), a link (<https://x|y>) or a channel reference: it is shown as
// typed. Formatting characters (*bold*, _italic_) stay: they change how a
// word looks, never what a message does, and Slack has no way to escape
// them.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeMrkdwn makes user text safe to put in Slack mrkdwn.
func EscapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// clip shortens s to at most limit characters, ending with "…" when it
// cut. It cuts between runes and never inside an escape (&amp;), which
// Slack would show half-written.
func clip(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)[:limit-1]
	cut := string(runes)
	if amp := strings.LastIndexByte(cut, '&'); amp >= 0 && !strings.Contains(cut[amp:], ";") {
		cut = cut[:amp]
	}
	return cut + "…"
}

// clipBytes shortens s to at most limit bytes, between runes, ending with
// "…" when it cut; for outbox fields, whose limits are in bytes.
func clipBytes(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := s[:limit-len("…")]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + "…"
}

// label is a field name in both languages, as every card shows them: a
// response channel's readers do not share one language.
func label(en, zh string) string { return en + " " + zh }

// say picks the text of lang: "en", "zh", or both for "" (a person whose
// language is not known).
func say(lang, en, zh string) string {
	switch lang {
	case "en":
		return en
	case "zh":
		return zh
	}
	return en + " / " + zh
}

// sayLines is say for longer texts: both languages go on lines of their own.
func sayLines(lang, en, zh string) string {
	if lang == "" {
		return en + "\n" + zh
	}
	return say(lang, en, zh)
}

func levelLabel(l incident.Level) string {
	if li, ok := l.Info(); ok {
		return label(li.NameEN, li.NameZH)
	}
	return string(l)
}

func levelColour(l incident.Level) string {
	if li, ok := l.Info(); ok {
		return li.Colour
	}
	return "#607d8b"
}

func stageLabel(s incident.Stage) string {
	si := s.Info()
	return label(si.NameEN, si.NameZH)
}

func categoryLabel(c incident.Category) string {
	if c == "" {
		return label("Not yet categorized", "尚未分类")
	}
	if ci, ok := c.Info(); ok {
		return label(ci.NameEN, ci.NameZH)
	}
	return EscapeMrkdwn(string(c))
}

// ageLabel is a compact age in both languages: "40m · 40分钟", "3h · 3小时".
func ageLabel(d time.Duration) string {
	switch {
	case d < time.Hour:
		m := max(int(d/time.Minute), 0)
		return fmt.Sprintf("%dm · %d分钟", m, m)
	case d < 24*time.Hour:
		h := int(d / time.Hour)
		return fmt.Sprintf("%dh · %d小时", h, h)
	}
	days := int(d / (24 * time.Hour))
	return fmt.Sprintf("%dd · %d天", days, days)
}

// incidentURL is the incident's page in Tocsin.
func incidentURL(baseURL, number string) string {
	return strings.TrimRight(baseURL, "/") + "/incidents/" + number
}

// link is a mrkdwn link whose text is safe: the text is escaped, and the
// URL is one Tocsin made.
func link(url, text string) string {
	return "<" + url + "|" + strings.ReplaceAll(EscapeMrkdwn(text), "|", "¦") + ">"
}
