package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// WeCom (企业微信) group robot limits.
const (
	WeComMaxMarkdown = 4096 // bytes of markdown.content
	WeComMaxText     = 2048 // bytes of text.content
	weComEvery       = 3 * time.Second
	weComThrottled   = time.Minute // after errcode 45009
)

// wecom posts to a WeCom group robot: POST {url with key}, no signature
// (the key is the secret). A broadcast is a markdown message; a page is a
// text message, which is the kind that can mention a person
// (mentioned_list by user id, mentioned_mobile_list by mobile number).
type wecom struct{}

func (wecom) every() time.Duration { return weComEvery }

func (wecom) request(e *Endpoint, m robotMessage, _ time.Time) (string, []byte, error) {
	var body any
	if m.Mention != "" {
		text := m.Subject + "\n" + strings.TrimRight(m.Body, "\n")
		if m.Link != "" && !strings.Contains(text, m.Link) {
			text += "\n" + m.Link
		}
		t := map[string]any{"content": fitBytes(text, WeComMaxText)}
		if mobile.MatchString(m.Mention) {
			t["mentioned_mobile_list"] = []string{m.Mention}
		} else {
			t["mentioned_list"] = []string{m.Mention}
		}
		body = map[string]any{"msgtype": "text", "text": t}
	} else {
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": WeComMarkdown(m.Subject, m.Body, m.Link)}}
	}
	data, err := json.Marshal(body)
	return e.URL, data, err
}

// WeComMarkdown renders a message as WeCom markdown: the subject as a
// heading, the body's lines literal, then the link; at most
// WeComMaxMarkdown bytes, the body cut on a rune boundary when longer.
func WeComMarkdown(subject, body, link string) string {
	head := "### " + markdownEscaper.Replace(oneLine(subject)) + "\n"
	var foot string
	if link != "" {
		foot = "\n[" + robotButton + "](" + link + ")"
	}
	room := WeComMaxMarkdown - len(head) - len(foot)
	if room < 0 {
		head, room = fitMarkdown(head, WeComMaxMarkdown-len(foot)), 0
	}
	return head + fitMarkdown(markdownLines(body, "\n"), room) + foot
}

// wecomAnswer is WeCom's answer: {"errcode":0,"errmsg":"ok"}.
type wecomAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (wecom) check(what string, body []byte) error {
	var a wecomAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.ErrCode == nil {
		return fmt.Errorf("%s: unexpected answer%s", what, snippet(body))
	}
	switch code := *a.ErrCode; code {
	case 0:
		return nil
	case 45009: // api freq out of limit
		return &RetryAfterError{After: weComThrottled, Err: platformError(what, code, a.ErrMsg)}
	case 93000, // invalid webhook url: the key is wrong or the robot was removed
		40008, 40058, 44004, 45002: // bad message type, bad parameter, empty content, content too large
		return fmt.Errorf("%w: %w", platformError(what, code, a.ErrMsg), ErrPermanent)
	default: // -1 system busy, and codes not known to mean a bad request
		return platformError(what, code, a.ErrMsg)
	}
}
