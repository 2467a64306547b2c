package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Feishu (飞书, Lark) custom bot limits.
const (
	FeishuMaxBody   = 20 << 10               // bytes of request body
	feishuEvery     = 600 * time.Millisecond // 100 a minute (and so under 5 a second)
	feishuThrottled = time.Minute
)

// feishu posts to a Feishu custom bot: POST {url} with a "post" (rich
// text) message, whose elements are plain text, links and @-mentions, so
// people's text needs no escaping. With a signing secret the body carries
// timestamp (seconds) and sign.
type feishu struct{}

func (feishu) every() time.Duration { return feishuEvery }

// FeishuSign is the sign field of a Feishu bot request made at ts with
// secret: base64(HMAC-SHA256(key = "<ts in s>\n<secret>", message = "")).
func FeishuSign(secret string, ts time.Time) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(ts.Unix(), 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type feishuElement struct {
	Tag    string `json:"tag"`
	Text   string `json:"text,omitempty"`
	Href   string `json:"href,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type feishuRequest struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Post map[string]feishuPost `json:"post"`
	} `json:"content"`
}

type feishuPost struct {
	Title   string            `json:"title"`
	Content [][]feishuElement `json:"content"`
}

func (feishu) request(e *Endpoint, m robotMessage, now time.Time) (string, []byte, error) {
	text := strings.TrimRight(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n")
	data, err := feishuBody(e, m, text, now)
	if err != nil || len(data) <= FeishuMaxBody {
		return e.URL, data, err
	}
	// Too large: keep the longest start of the text that fits (each line
	// is an element, so size does not grow with bytes alone).
	lo, hi := 0, len(text)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		d, err := feishuBody(e, m, fitBytes(text, mid), now)
		if err != nil {
			return e.URL, nil, err
		}
		if len(d) <= FeishuMaxBody {
			lo, data = mid, d
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		data, err = feishuBody(e, m, "", now)
	}
	return e.URL, data, err
}

func feishuBody(e *Endpoint, m robotMessage, text string, now time.Time) ([]byte, error) {
	var req feishuRequest
	if e.Secret != "" {
		req.Timestamp = strconv.FormatInt(now.Unix(), 10)
		req.Sign = FeishuSign(e.Secret, now)
	}
	req.MsgType = "post"
	var lines [][]feishuElement
	if m.Mention != "" {
		lines = append(lines, []feishuElement{{Tag: "at", UserID: m.Mention}})
	}
	for _, l := range strings.Split(text, "\n") {
		lines = append(lines, []feishuElement{{Tag: "text", Text: l}})
	}
	if m.Link != "" {
		lines = append(lines, []feishuElement{{Tag: "a", Text: robotButton, Href: m.Link}})
	}
	lines = append(lines, []feishuElement{{Tag: "text", Text: robotSignature}})
	req.Content.Post = map[string]feishuPost{"zh_cn": {Title: oneLine(m.Subject), Content: lines}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// feishuAnswer is Feishu's answer: {"code":0,"msg":"success","data":{}},
// or from older bots {"StatusCode":0,"StatusMessage":"success"}.
type feishuAnswer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

func (feishu) check(what string, body []byte) error {
	var a feishuAnswer
	if err := json.Unmarshal(body, &a); err != nil || (a.Code == nil && a.StatusCode == nil) {
		return fmt.Errorf("%s: unexpected answer%s", what, snippet(body))
	}
	code, msg := 0, a.Msg
	if a.Code != nil {
		code = *a.Code
	}
	if code == 0 && a.StatusCode != nil {
		code, msg = *a.StatusCode, a.StatusMessage
	}
	switch {
	case code == 0:
		return nil
	case code == 11232, code == 9499 && strings.Contains(strings.ToLower(msg), "too many"): // frequency limited
		return &RetryAfterError{After: feishuThrottled, Err: platformError(what, code, msg)}
	case code == 19021, // sign match fail or timestamp is not within one hour
		code == 19022, // IP not allowed
		code == 19024, // key words not found
		code == 19007, // bot not enabled
		code == 9499:  // bad request
		return fmt.Errorf("%w: %w", platformError(what, code, msg), ErrPermanent)
	default:
		return platformError(what, code, msg)
	}
}
