package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DingTalk (钉钉) custom robot limits.
const (
	DingTalkMaxText   = 4096 // bytes of markdown text we send (the platform's own limit is larger)
	dingTalkEvery     = 3 * time.Second
	dingTalkThrottled = 10 * time.Minute // a robot over 20 a minute is throttled for 10 minutes
)

// dingtalk posts to a DingTalk custom robot: POST {url with access_token},
// plus &timestamp=<ms>&sign=<signature> when the robot has a signing
// secret. A message about an incident is an actionCard with a button to
// it; a page is a markdown message that @-mentions the person (actionCard
// cannot mention); anything else is markdown.
type dingtalk struct{}

func (dingtalk) every() time.Duration { return dingTalkEvery }

// DingTalkSign is the sign parameter of a DingTalk robot request made at
// ts with secret: base64(HMAC-SHA256(secret, "<ts in ms>\n<secret>")),
// before URL encoding.
func DingTalkSign(secret string, ts time.Time) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts.UnixMilli(), 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (dingtalk) request(e *Endpoint, m robotMessage, now time.Time) (string, []byte, error) {
	target := e.URL
	if e.Secret != "" {
		sep := "&"
		if !strings.Contains(target, "?") {
			sep = "?"
		}
		target += sep + "timestamp=" + strconv.FormatInt(now.UnixMilli(), 10) + "&sign=" + url.QueryEscape(DingTalkSign(e.Secret, now))
	}
	title := oneLine(m.Subject)
	text := "### " + markdownEscaper.Replace(title) + "\n\n"
	foot := "\n\n" + robotSignature
	var body map[string]any
	switch {
	case m.Mention != "":
		if m.Link != "" {
			foot = "\n\n[" + robotButton + "](" + m.Link + ")"
		}
		foot += "\n\n@" + m.Mention
		text += fitMarkdown(markdownLines(m.Body, "\n\n"), DingTalkMaxText-len(text)-len(foot)) + foot
		at := map[string]any{"atUserIds": []string{m.Mention}}
		if mobile.MatchString(m.Mention) {
			at = map[string]any{"atMobiles": []string{m.Mention}}
		}
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": title, "text": text}, "at": at}
	case m.Link != "":
		text += fitMarkdown(markdownLines(m.Body, "\n\n"), DingTalkMaxText-len(text)-len(foot)) + foot
		body = map[string]any{"msgtype": "actionCard", "actionCard": map[string]any{
			"title": title, "text": text, "btnOrientation": "0", "singleTitle": robotButton, "singleURL": m.Link,
		}}
	default:
		text += fitMarkdown(markdownLines(m.Body, "\n\n"), DingTalkMaxText-len(text)-len(foot)) + foot
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": title, "text": text}}
	}
	data, err := json.Marshal(body)
	return target, data, err
}

// dingtalkAnswer is DingTalk's answer: {"errcode":0,"errmsg":"ok"}.
type dingtalkAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (dingtalk) check(what string, body []byte) error {
	var a dingtalkAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.ErrCode == nil {
		return fmt.Errorf("%s: unexpected answer%s", what, snippet(body))
	}
	switch code := *a.ErrCode; code {
	case 0:
		return nil
	case 130101, 410100: // send too fast: the robot is throttled for 10 minutes
		return &RetryAfterError{After: dingTalkThrottled, Err: platformError(what, code, a.ErrMsg)}
	case 310000, // the robot's security settings refused it: sign not match, keywords not in content, IP not allowed
		300001, 400101, 400106, // no such token or robot
		400102, // the robot is stopped
		400105: // message type not supported
		return fmt.Errorf("%w: %w", platformError(what, code, a.ErrMsg), ErrPermanent)
	default: // -1 system busy, and codes not known to mean a bad request
		return platformError(what, code, a.ErrMsg)
	}
}
