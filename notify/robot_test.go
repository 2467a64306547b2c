package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/notify"
)

// TestDingTalkSign checks the signature against one computed step by step
// here with crypto/hmac, and against a value computed outside Go.
func TestDingTalkSign(t *testing.T) {
	const secret = "SEC000000000000000000000000000000000000000000000000000000000000000"
	ts := time.UnixMilli(1700000000000)

	stringToSign := "1700000000000" + "\n" + secret
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	independent := base64.StdEncoding.EncodeToString(mac.Sum(nil))

	const fixed = "mphPIqgjGbRzHPELpWQPiram3BEkrp9g5J866J8sMcg=" // Python: base64(hmac.new(secret, ts+"\n"+secret, sha256))
	got := notify.DingTalkSign(secret, ts)
	if got != independent || got != fixed {
		t.Errorf("DingTalkSign = %s; computed here %s; fixed %s", got, independent, fixed)
	}
	if q := url.QueryEscape(got); q != "mphPIqgjGbRzHPELpWQPiram3BEkrp9g5J866J8sMcg%3D" {
		t.Errorf("URL-encoded %s", q)
	}
}

// TestFeishuSign: the key is timestamp "\n" secret, the message empty.
func TestFeishuSign(t *testing.T) {
	const secret = "demo-secret"
	ts := time.Unix(1599360473, 0)

	mac := hmac.New(sha256.New, []byte("1599360473"+"\n"+secret))
	mac.Write(nil)
	independent := base64.StdEncoding.EncodeToString(mac.Sum(nil))

	const fixed = "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=" // Python: base64(hmac.new(ts+"\n"+secret, b"", sha256))
	if got := notify.FeishuSign(secret, ts); got != independent || got != fixed {
		t.Errorf("FeishuSign = %s; computed here %s; fixed %s", got, independent, fixed)
	}
}

// roster answers People from a table: person → channel → address.
type roster map[string]map[notify.Channel]string

func (r roster) Address(_ context.Context, person string, ch notify.Channel) (string, error) {
	if a := r[person][ch]; a != "" {
		return a, nil
	}
	return "", fmt.Errorf("%s on %s: %w", person, ch, notify.ErrNoAddress)
}

var people = roster{
	"lina":     {notify.ChannelWeCom: "LiNa", notify.ChannelDingTalk: "manager4220", notify.ChannelFeishu: "ou_7d8a6e6df7621556ce0d21922b676706"},
	"zhangwei": {notify.ChannelWeCom: "13800001111", notify.ChannelDingTalk: "+86-13800001111"},
	"nochat":   {notify.ChannelEmail: "nochat@example.com"},
	"wangfang": {notify.ChannelDingTalk: "0240413235780"}, // an all-digit DingTalk user id, not a mobile
}

// robots is one robot of each platform behind one receiver each, the
// WeCom and DingTalk ones the defaults of their kind.
type robots struct {
	routes                   *notify.Routes
	wecom, dingtalk, feishu  *receiver
	wecomKey, dingtalkToken  string
	dingtalkSecret, fsSecret string
}

func newRobots(t *testing.T, wecom, dingtalk, feishu []reply) *robots {
	t.Helper()
	r := &robots{wecom: newReceiver(t, wecom...), dingtalk: newReceiver(t, dingtalk...), feishu: newReceiver(t, feishu...),
		wecomKey: "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", dingtalkToken: "a0b1c2d3token", dingtalkSecret: "SECdingtalk-secret", fsSecret: "feishu-secret"}
	routes, err := notify.ParseRoutes("routes.yaml", []byte(`
destinations:
  - {name: ops-wecom, kind: wecom, url_env: WECOM_URL, default: true}
  - {name: leadership-dingtalk, kind: dingtalk, url_env: DINGTALK_URL, secret_env: DINGTALK_SECRET, default: true}
  - {name: dpo-feishu, kind: feishu, url_env: FEISHU_URL, secret_env: FEISHU_SECRET}
`), env(
		"WECOM_URL", r.wecom.srv.URL+"/cgi-bin/webhook/send?key="+r.wecomKey,
		"DINGTALK_URL", r.dingtalk.srv.URL+"/robot/send?access_token="+r.dingtalkToken,
		"DINGTALK_SECRET", r.dingtalkSecret,
		"FEISHU_URL", r.feishu.srv.URL+"/open-apis/bot/v2/hook/feishu-hook-token",
		"FEISHU_SECRET", r.fsSecret,
	))
	if err != nil {
		t.Fatal(err)
	}
	r.routes = routes
	return r
}

func (r *robots) sender(t *testing.T, kind notify.Channel) *notify.RobotSender {
	t.Helper()
	s, err := notify.NewRobotSender(kind, r.routes, people, nil, baseURL, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func broadcastTo(kind notify.Channel, dest string) notify.Message {
	m := broadcastMessage()
	m.Channel, m.Address = kind, dest
	m.Key = "INC-2026-000042/broadcast/" + dest + "/reported/v1"
	m.Body = "A new incident was reported via web.\n收到新的事件报告。\n\nTitle 标题: *bold* [link](https://evil.example) <font color=\"warning\">x</font>"
	return m
}

func pageTo(kind notify.Channel, person string) notify.Message {
	return notify.Message{Key: "page/INC-2026-000042/1/0/" + person, Kind: notify.KindPage, Incident: "INC-2026-000042",
		Recipient: person, Channel: kind, Subject: "Please acknowledge 请确认受理: INC-2026-000042", Body: "Not acknowledged yet.\n尚未确认受理。"}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return v
}

func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestWeComRobot(t *testing.T) {
	ctx := context.Background()
	ok := reply{status: 200, body: `{"errcode":0,"errmsg":"ok"}`}
	r := newRobots(t, []reply{ok}, nil, nil)
	s := r.sender(t, notify.ChannelWeCom)

	ref, err := s.Send(ctx, broadcastTo(notify.ChannelWeCom, "ops-wecom"))
	if err != nil || ref != "wecom:ops-wecom" {
		t.Fatalf("Send = %q, %v", ref, err)
	}
	got := r.wecom.last(t)
	if got.url != "/cgi-bin/webhook/send?key="+r.wecomKey {
		t.Errorf("posted to %s", got.url)
	}
	v := decode(t, got.body)
	content, _ := field(v, "markdown", "content").(string)
	if field(v, "msgtype") != "markdown" || !strings.HasPrefix(content, "### INC-2026-000042 \\[Special 特殊事件\\] New report 新报告: Ransom note\n") ||
		!strings.HasSuffix(content, "\n[Open in Tocsin 在 Tocsin 中查看]("+baseURL+"/incidents/INC-2026-000042)") {
		t.Errorf("markdown:\n%s", content)
	}
	// People's text stays text: no link, emphasis or font tag of theirs.
	if !strings.Contains(content, `\*bold\* \[link\](https://evil.example) \<font color="warning"\>x\</font\>`) {
		t.Errorf("markdown not escaped:\n%s", content)
	}

	// A page mentions the person, by user id or by mobile, in a text message.
	for person, want := range map[string][2]string{"lina": {"mentioned_list", "LiNa"}, "zhangwei": {"mentioned_mobile_list", "13800001111"}} {
		if _, err := s.Send(ctx, pageTo(notify.ChannelWeCom, person)); err != nil {
			t.Fatal(err)
		}
		v := decode(t, r.wecom.last(t).body)
		list, _ := field(v, "text", want[0]).([]any)
		text, _ := field(v, "text", "content").(string)
		if field(v, "msgtype") != "text" || len(list) != 1 || list[0] != want[1] ||
			!strings.Contains(text, "Please acknowledge") || !strings.Contains(text, baseURL+"/incidents/INC-2026-000042") {
			t.Errorf("page to %s: %s", person, r.wecom.last(t).body)
		}
	}
	if name, every := s.Destination(pageTo(notify.ChannelWeCom, "lina")); name != "wecom:ops-wecom" || every != 3*time.Second {
		t.Errorf("Destination = %s, %v; want the default robot at 20 a minute", name, every)
	}
}

// TestWeComTruncation: markdown over 4096 bytes is cut on a rune boundary
// and keeps its link; a text page over 2048 bytes too.
func TestWeComTruncation(t *testing.T) {
	r := newRobots(t, []reply{{status: 200, body: `{"errcode":0}`}}, nil, nil)
	s := r.sender(t, notify.ChannelWeCom)
	m := broadcastTo(notify.ChannelWeCom, "ops-wecom")
	m.Body = strings.Repeat("勒索软件*", 2000) // 3-byte runes and escapes
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	content := field(decode(t, r.wecom.last(t).body), "markdown", "content").(string)
	if len(content) > notify.WeComMaxMarkdown || len(content) < notify.WeComMaxMarkdown-8 || !utf8.ValidString(content) {
		t.Errorf("markdown is %d bytes (valid UTF-8: %v)", len(content), utf8.ValidString(content))
	}
	if !strings.Contains(content, "…\n[Open in Tocsin") || strings.Contains(content, `\…`) {
		t.Errorf("cut badly: …%s", content[len(content)-120:])
	}

	p := pageTo(notify.ChannelWeCom, "lina")
	p.Body = strings.Repeat("尚未确认受理。", 500)
	if _, err := s.Send(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	text := field(decode(t, r.wecom.last(t).body), "text", "content").(string)
	if len(text) > notify.WeComMaxText || !utf8.ValidString(text) || !strings.HasSuffix(text, "…") {
		t.Errorf("text is %d bytes", len(text))
	}
}

func TestDingTalkRobot(t *testing.T) {
	ctx := context.Background()
	r := newRobots(t, nil, []reply{{status: 200, body: `{"errcode":0,"errmsg":"ok"}`}}, nil)
	s := r.sender(t, notify.ChannelDingTalk)

	if _, err := s.Send(ctx, broadcastTo(notify.ChannelDingTalk, "leadership-dingtalk")); err != nil {
		t.Fatal(err)
	}
	got := r.dingtalk.last(t)
	u, err := url.Parse(got.url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// timestamp in ms; sign computed here independently and compared.
	if u.Path != "/robot/send" || q.Get("access_token") != r.dingtalkToken || q.Get("timestamp") != strconv.FormatInt(channelsNow.UnixMilli(), 10) {
		t.Errorf("URL %s", got.url)
	}
	mac := hmac.New(sha256.New, []byte(r.dingtalkSecret))
	mac.Write([]byte(q.Get("timestamp") + "\n" + r.dingtalkSecret))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); q.Get("sign") != want {
		t.Errorf("sign %q, want %q", q.Get("sign"), want)
	}
	if !strings.Contains(got.url, "&sign="+url.QueryEscape(q.Get("sign"))) {
		t.Errorf("sign not URL-encoded in %s", got.url)
	}
	v := decode(t, got.body)
	text, _ := field(v, "actionCard", "text").(string)
	if field(v, "msgtype") != "actionCard" || field(v, "actionCard", "singleURL") != baseURL+"/incidents/INC-2026-000042" ||
		field(v, "actionCard", "singleTitle") != "Open in Tocsin 在 Tocsin 中查看" ||
		!strings.HasPrefix(text, "### INC-2026-000042 \\[Special 特殊事件\\]") || !strings.Contains(text, `\*bold\*`) ||
		!strings.HasSuffix(text, "\n\n— Tocsin") {
		t.Errorf("actionCard: %s", got.body)
	}

	// A page goes to the default robot as markdown with an @-mention.
	if _, err := s.Send(ctx, pageTo(notify.ChannelDingTalk, "lina")); err != nil {
		t.Fatal(err)
	}
	v = decode(t, r.dingtalk.last(t).body)
	ids, _ := field(v, "at", "atUserIds").([]any)
	text, _ = field(v, "markdown", "text").(string)
	if field(v, "msgtype") != "markdown" || len(ids) != 1 || ids[0] != "manager4220" || !strings.HasSuffix(text, "@manager4220") {
		t.Errorf("page: %s", r.dingtalk.last(t).body)
	}
	if _, err := s.Send(ctx, pageTo(notify.ChannelDingTalk, "zhangwei")); err != nil {
		t.Fatal(err)
	}
	if mobiles, _ := field(decode(t, r.dingtalk.last(t).body), "at", "atMobiles").([]any); len(mobiles) != 1 || mobiles[0] != "+86-13800001111" {
		t.Errorf("page by mobile: %s", r.dingtalk.last(t).body)
	}
	if _, err := s.Send(ctx, pageTo(notify.ChannelDingTalk, "wangfang")); err != nil {
		t.Fatal(err)
	}
	if ids, _ := field(decode(t, r.dingtalk.last(t).body), "at", "atUserIds").([]any); len(ids) != 1 || ids[0] != "0240413235780" {
		t.Errorf("page to a numeric user id: %s", r.dingtalk.last(t).body)
	}
}

func TestFeishuRobot(t *testing.T) {
	ctx := context.Background()
	r := newRobots(t, nil, nil, []reply{{status: 200, body: `{"code":0,"msg":"success","data":{}}`}})
	s := r.sender(t, notify.ChannelFeishu)

	if _, err := s.Send(ctx, broadcastTo(notify.ChannelFeishu, "dpo-feishu")); err != nil {
		t.Fatal(err)
	}
	got := r.feishu.last(t)
	v := decode(t, got.body)
	ts, _ := v["timestamp"].(string)
	if got.url != "/open-apis/bot/v2/hook/feishu-hook-token" || ts != strconv.FormatInt(channelsNow.Unix(), 10) {
		t.Errorf("posted to %s with timestamp %q", got.url, ts)
	}
	mac := hmac.New(sha256.New, []byte(ts+"\n"+r.fsSecret))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); v["sign"] != want {
		t.Errorf("sign %v, want %s", v["sign"], want)
	}
	post := field(v, "content", "post", "zh_cn")
	lines, _ := field(post, "content").([]any)
	if v["msg_type"] != "post" || field(post, "title") != "INC-2026-000042 [Special 特殊事件] New report 新报告: Ransom note" || len(lines) < 3 {
		t.Fatalf("post: %s", got.body)
	}
	// People's text is a plain text element, as written; the link is an a element.
	body, _ := json.Marshal(lines)
	if !strings.Contains(string(body), `{"tag":"text","text":"Title 标题: *bold* [link](https://evil.example) \u003cfont color=\"warning\"\u003ex\u003c/font\u003e"}`) ||
		!strings.Contains(string(body), `{"href":"`+baseURL+`/incidents/INC-2026-000042","tag":"a","text":"Open in Tocsin 在 Tocsin 中查看"}],[{"tag":"text","text":"— Tocsin"}]]`) {
		t.Errorf("lines: %s", body)
	}

	// A page to a Feishu user: not possible without a default robot.
	if _, err := s.Send(ctx, pageTo(notify.ChannelFeishu, "lina")); !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "no default feishu robot") {
		t.Errorf("page without a default robot: %v", err)
	}
	if name, every := s.Destination(broadcastTo(notify.ChannelFeishu, "dpo-feishu")); name != "feishu:dpo-feishu" || every != 600*time.Millisecond {
		t.Errorf("Destination = %s, %v", name, every)
	}

	// A body over 20 KB is cut to fit, on a rune boundary.
	m := broadcastTo(notify.ChannelFeishu, "dpo-feishu")
	m.Body = strings.Repeat("数据泄露\"<>&\n", 3000)
	if _, err := s.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if b := r.feishu.last(t).body; len(b) > notify.FeishuMaxBody || len(b) < notify.FeishuMaxBody-2048 || !utf8.Valid(b) {
		t.Errorf("body is %d bytes", len(b))
	} else if !strings.Contains(string(b), "…") || !strings.Contains(string(b), `"tag":"a"`) {
		t.Errorf("cut without a mark or without its link")
	}
}

// TestRobotErrors: each platform's error codes, and HTTP errors, are
// classified; no error shows a robot's key.
func TestRobotErrors(t *testing.T) {
	ctx := context.Background()
	type want struct {
		permanent bool
		after     time.Duration
		ok        bool
	}
	for _, tc := range []struct {
		kind  notify.Channel
		dest  string
		reply reply
		want  want
	}{
		{notify.ChannelWeCom, "ops-wecom", reply{status: 200, body: `{"errcode":0,"errmsg":"ok"}`}, want{ok: true}},
		{notify.ChannelWeCom, "ops-wecom", reply{status: 200, body: `{"errcode":93000,"errmsg":"invalid webhook url"}`}, want{permanent: true}},
		{notify.ChannelWeCom, "ops-wecom", reply{status: 200, body: `{"errcode":45009,"errmsg":"api freq out of limit"}`}, want{after: time.Minute}},
		{notify.ChannelWeCom, "ops-wecom", reply{status: 200, body: `{"errcode":-1,"errmsg":"system busy"}`}, want{}},
		{notify.ChannelWeCom, "ops-wecom", reply{status: 200, body: `<html>gateway</html>`}, want{}},
		{notify.ChannelWeCom, "ops-wecom", reply{status: 502}, want{}},
		{notify.ChannelDingTalk, "leadership-dingtalk", reply{status: 200, body: `{"errcode":310000,"errmsg":"sign not match"}`}, want{permanent: true}},
		{notify.ChannelDingTalk, "leadership-dingtalk", reply{status: 200, body: `{"errcode":300001,"errmsg":"token is not exist"}`}, want{permanent: true}},
		{notify.ChannelDingTalk, "leadership-dingtalk", reply{status: 200, body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`}, want{after: 10 * time.Minute}},
		{notify.ChannelDingTalk, "leadership-dingtalk", reply{status: 429, header: map[string]string{"Retry-After": "30"}}, want{after: 30 * time.Second}},
		{notify.ChannelDingTalk, "leadership-dingtalk", reply{status: 403}, want{permanent: true}},
		{notify.ChannelFeishu, "dpo-feishu", reply{status: 200, body: `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`}, want{permanent: true}},
		{notify.ChannelFeishu, "dpo-feishu", reply{status: 200, body: `{"StatusCode":0,"StatusMessage":"success"}`}, want{ok: true}},
		{notify.ChannelFeishu, "dpo-feishu", reply{status: 200, body: `{"StatusCode":0,"StatusMessage":"","code":9499,"msg":"too many request"}`}, want{after: time.Minute}},
		{notify.ChannelFeishu, "dpo-feishu", reply{status: 200, body: `{"code":11232,"msg":"frequency limited"}`}, want{after: time.Minute}},
		{notify.ChannelFeishu, "dpo-feishu", reply{status: 200, body: `{"code":9499,"msg":"Bad Request"}`}, want{permanent: true}},
		{notify.ChannelFeishu, "dpo-feishu", reply{status: 500}, want{}},
	} {
		t.Run(fmt.Sprintf("%s %d %s", tc.kind, tc.reply.status, tc.reply.body), func(t *testing.T) {
			replies := map[notify.Channel][]reply{tc.kind: {tc.reply}}
			r := newRobots(t, replies[notify.ChannelWeCom], replies[notify.ChannelDingTalk], replies[notify.ChannelFeishu])
			_, err := r.sender(t, tc.kind).Send(ctx, broadcastTo(tc.kind, tc.dest))
			if tc.want.ok {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, notify.ErrPermanent) != tc.want.permanent {
				t.Errorf("permanent = %v: %v", !tc.want.permanent, err)
			}
			var ra *notify.RetryAfterError
			if errors.As(err, &ra) != (tc.want.after > 0) || (ra != nil && ra.After != tc.want.after) {
				t.Errorf("retry after %v, want %v: %v", ra, tc.want.after, err)
			}
			for _, secret := range []string{r.wecomKey, r.dingtalkToken, r.dingtalkSecret, "feishu-hook-token"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}
}

func TestRobotUnreachable(t *testing.T) {
	r := newRobots(t, nil, nil, nil)
	r.wecom.srv.Close()
	_, err := r.sender(t, notify.ChannelWeCom).Send(context.Background(), broadcastTo(notify.ChannelWeCom, "ops-wecom"))
	if err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("err %v, want a transient error", err)
	}
	if strings.Contains(err.Error(), r.wecomKey) || strings.Contains(err.Error(), "key=") {
		t.Errorf("the error shows the robot's key: %v", err)
	}
}

func TestRobotAddressing(t *testing.T) {
	ctx := context.Background()
	r := newRobots(t, nil, nil, nil)
	s := r.sender(t, notify.ChannelWeCom)
	for name, m := range map[string]notify.Message{
		"unknown robot":           broadcastTo(notify.ChannelWeCom, "nosuch"),
		"a robot of another kind": broadcastTo(notify.ChannelWeCom, "leadership-dingtalk"),
		"a person without wecom":  pageTo(notify.ChannelWeCom, "nochat"),
		"nobody":                  {Key: "k", Kind: notify.KindPage, Channel: notify.ChannelWeCom},
	} {
		if _, err := s.Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	if n := len(r.wecom.requests()); n != 0 {
		t.Errorf("%d requests for messages that cannot be addressed", n)
	}
	if _, err := notify.NewRobotSender(notify.ChannelSlack, nil, nil, nil, baseURL, fixedNow); err == nil {
		t.Error("a Slack robot sender")
	}
}
