package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// robotButton is the label of the link to the incident in robot messages.
const robotButton = "Open in Tocsin 在 Tocsin 中查看"

// robotSignature ends every DingTalk and Feishu message, so that a robot
// whose security setting is a custom keyword can use "Tocsin".
const robotSignature = "— Tocsin"

// robotMessage is what a robot is asked to show.
type robotMessage struct {
	Subject string
	Body    string
	Link    string // the incident's page; "" for a message about no incident
	Mention string // the person paged: their user id (or mobile) on the platform
}

// robotPlatform is what differs between WeCom, DingTalk and Feishu: the
// message format, the signing and the way the platform says no.
type robotPlatform interface {
	// request is the URL and JSON body that post m to robot e at now.
	request(e *Endpoint, m robotMessage, now time.Time) (target string, body []byte, err error)
	// check reads the platform's answer to an HTTP 200: the platforms
	// answer 200 with an error code in the JSON body.
	check(what string, body []byte) error
	// every is the least time between two messages to one robot.
	every() time.Duration
}

// RobotSender posts messages to WeCom, DingTalk or Feishu group robots (one
// sender per platform). A broadcast goes to the robot named by its
// Address; a page to a person (Recipient set, no Address) goes to the
// platform's default robot with an @-mention of the person's id there.
type RobotSender struct {
	kind     Channel
	platform robotPlatform
	routes   *Routes
	people   People
	client   *http.Client
	baseURL  string
	now      func() time.Time
}

var (
	_ Sender      = (*RobotSender)(nil)
	_ Destination = (*RobotSender)(nil)
)

// NewRobotSender returns the sender of robot platform kind (ChannelWeCom,
// ChannelDingTalk or ChannelFeishu) to the robots of routes; people finds
// the ids of people paged through the default robot. client is
// NewHTTPClient() unless a test says otherwise.
func NewRobotSender(kind Channel, routes *Routes, people People, client *http.Client, baseURL string, now func() time.Time) (*RobotSender, error) {
	var p robotPlatform
	switch kind {
	case ChannelWeCom:
		p = wecom{}
	case ChannelDingTalk:
		p = dingtalk{}
	case ChannelFeishu:
		p = feishu{}
	default:
		return nil, fmt.Errorf("no robot platform %q", kind)
	}
	if client == nil {
		client = NewHTTPClient()
	}
	return &RobotSender{kind: kind, platform: p, routes: routes, people: people, client: client, baseURL: baseURL, now: now}, nil
}

// Destination is the robot m goes to, paced at the platform's rate limit
// (WeCom and DingTalk 20 a minute, Feishu 100 a minute and 5 a second).
func (s *RobotSender) Destination(m Message) (string, time.Duration) {
	name := m.Address
	if name == "" {
		if d, ok := s.routes.Default(s.kind); ok {
			name = d.Name
		}
	}
	return string(s.kind) + ":" + name, s.platform.every()
}

// Send posts m to its robot.
func (s *RobotSender) Send(ctx context.Context, m Message) (string, error) {
	e, mention, err := s.resolve(ctx, m)
	if err != nil {
		return "", err
	}
	what := fmt.Sprintf("%s robot %s", s.kind, e.Name)
	rm := robotMessage{Subject: m.Subject, Body: m.Body, Mention: mention}
	if m.Incident != "" {
		rm.Link = IncidentURL(s.baseURL, m.Incident)
	}
	now := s.now()
	target, body, err := s.platform.request(e, rm, now)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	r, err := postJSON(ctx, s.client, what, target, body, nil)
	if err != nil {
		return "", err
	}
	if err := statusError(what, r, now); err != nil {
		return "", err
	}
	if err := s.platform.check(what, r.body); err != nil {
		return "", err
	}
	return string(s.kind) + ":" + e.Name, nil
}

// resolve finds the robot of m and the person to mention.
func (s *RobotSender) resolve(ctx context.Context, m Message) (*Endpoint, string, error) {
	if m.Address != "" {
		e, ok := s.routes.Endpoint(m.Address)
		if !ok || e.Kind != s.kind {
			return nil, "", fmt.Errorf("%s robot %q is not configured: %w", s.kind, m.Address, ErrPermanent)
		}
		return e, "", nil
	}
	if m.Recipient == "" {
		return nil, "", fmt.Errorf("%s message %s has neither a robot nor a person: %w", s.kind, m.Key, ErrPermanent)
	}
	e, ok := s.routes.Default(s.kind)
	if !ok {
		return nil, "", fmt.Errorf("page to %s on %s: no default %s robot is configured (default: true in the routes file): %w",
			m.Recipient, s.kind, s.kind, ErrPermanent)
	}
	if s.people == nil {
		return nil, "", fmt.Errorf("page to %s on %s: no roster to find the person's id: %w", m.Recipient, s.kind, ErrPermanent)
	}
	id, err := s.people.Address(ctx, m.Recipient, s.kind)
	switch {
	case errors.Is(err, ErrNoAddress):
		return nil, "", fmt.Errorf("page to %s: %w: %w", m.Recipient, err, ErrPermanent)
	case err != nil:
		return nil, "", fmt.Errorf("page to %s: %w", m.Recipient, err)
	}
	return e, strings.TrimSpace(id), nil
}

// mobile matches a mention that is a phone number rather than a user id:
// with its country code (+86 138 0000 1111), or an 11-digit mainland
// mobile. Other all-digit values are user ids, which DingTalk's often are.
var mobile = regexp.MustCompile(`^(\+[0-9][0-9 -]{6,19}|1[3-9][0-9]{9})$`)

// markdownEscaper makes people's text (a title, a note) literal in the
// robots' Markdown, so a title cannot turn into a link or a heading.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"#", `\#`, "<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`,
)

// markdownLines renders text as Markdown, each line literal, lines joined
// by sep.
func markdownLines(text, sep string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	for i, l := range lines {
		lines[i] = markdownEscaper.Replace(l)
	}
	return strings.Join(lines, sep)
}

// fitMarkdown shortens escaped Markdown to at most n bytes on a rune
// boundary without leaving half an escape, marking a cut.
func fitMarkdown(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := cutBytes(s, n-len(ellipsis))
	trailing := len(cut) - len(strings.TrimRight(cut, `\`))
	if trailing%2 == 1 {
		cut = cut[:len(cut)-1]
	}
	return cut + ellipsis
}

// platformError is an error code in a robot platform's answer.
func platformError(what string, code int, msg string) error {
	return fmt.Errorf("%s: error %d %q", what, code, cutBytes(msg, 200))
}
