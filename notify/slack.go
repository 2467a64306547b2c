package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
)

// SlackIncidents reads the incident a Slack message is about, as it is at
// send time; *incident.Service is one.
type SlackIncidents interface {
	Get(ctx context.Context, ref string) (*incident.Incident, error)
}

// SlackSenderConfig is what the Slack sender needs.
type SlackSenderConfig struct {
	// API is the Slack client (slack.New with the bot token, and
	// slack.OptionAPIURL for a test server).
	API *slack.Client
	// Channel is the response center's channel id: cards go there.
	Channel string
	// BaseURL is Tocsin's address, for links.
	BaseURL   string
	Incidents SlackIncidents
	// Refs finds what earlier messages created (the card's "channel:ts",
	// the incident channel's id); the outbox store implements it.
	Refs Refs
	// Directory finds a person's Slack id when a message names the person
	// (Recipient) and not their Slack id (Address); nil: Address only.
	Directory SlackDirectory
	Now       func() time.Time
	Logger    *slog.Logger
}

// SlackSender delivers the outbox's Slack messages with slack-go. Every
// post carries Slack message metadata (event type "tocsin_message" and the
// outbox key), by which Delivered finds a post whose outcome was lost.
type SlackSender struct {
	api       *slack.Client
	channel   string
	baseURL   string
	incidents SlackIncidents
	refs      Refs
	dir       SlackDirectory
	now       func() time.Time
	log       *slog.Logger
}

var (
	_ Sender      = (*SlackSender)(nil)
	_ Destination = (*SlackSender)(nil)
	_ Confirmer   = (*SlackSender)(nil)
)

// NewSlackSender returns the Slack sender.
func NewSlackSender(cfg SlackSenderConfig) *SlackSender {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &SlackSender{api: cfg.API, channel: cfg.Channel, baseURL: cfg.BaseURL, incidents: cfg.Incidents,
		refs: cfg.Refs, dir: cfg.Directory, now: cfg.Now, log: cfg.Logger}
}

// MetadataEventType is the event type of the metadata on Tocsin's posts.
const MetadataEventType = "tocsin_message"

// Spacing between two messages to one destination. Slack takes about one
// post a second per channel; chat.update is limited per workspace (Tier 3,
// 50+ a minute) rather than per channel; conversations.create is Tier 2
// (20+ a minute).
const (
	postEvery    = time.Second
	updateEvery  = 300 * time.Millisecond
	createEvery  = 3 * time.Second
	maxNameTries = 10 // channel names tried when the first is taken
)

// Destination names the Slack method and conversation m goes to, so that
// the worker spaces messages there and honours a 429 there only.
func (s *SlackSender) Destination(m Message) (string, time.Duration) {
	switch m.Kind {
	case KindCard:
		if m.Key != slackCardKey(m.Incident) {
			return "slack:chat.update:" + s.cardChannel(m), updateEvery
		}
		return "slack:chat.postMessage:" + s.cardChannel(m), postEvery
	case KindThread:
		// The card's channel: thread lines queue behind the card's post.
		return "slack:chat.postMessage:" + s.cardChannel(m), postEvery
	case KindChannel:
		return "slack:conversations.create", createEvery
	case KindInvite:
		return "slack:conversations.invite:#" + m.Incident, 0
	case KindUpdate:
		return "slack:chat.postMessage:#" + m.Incident, postEvery
	case KindBroadcast:
		return "slack:chat.postMessage:" + m.Address, postEvery
	}
	who := m.Address
	if who == "" {
		who = m.Recipient
	}
	return "slack:chat.postMessage:@" + who, postEvery
}

func (s *SlackSender) cardChannel(m Message) string {
	if m.Address != "" {
		return m.Address
	}
	return s.channel
}

// Send delivers m and returns what it created: "channel:ts" of a post, the
// id of a new channel.
func (s *SlackSender) Send(ctx context.Context, m Message) (string, error) {
	ref, err := s.send(ctx, m)
	if err != nil {
		return "", classify(err)
	}
	return ref, nil
}

func (s *SlackSender) send(ctx context.Context, m Message) (string, error) {
	switch m.Kind {
	case KindCard:
		if m.Key == slackCardKey(m.Incident) {
			return s.postCard(ctx, m)
		}
		return s.updateCard(ctx, m)
	case KindThread:
		return s.postThread(ctx, m)
	case KindChannel:
		return s.openChannel(ctx, m)
	case KindInvite:
		return s.invite(ctx, m)
	case KindUpdate:
		return s.postUpdate(ctx, m)
	case KindBroadcast:
		if m.Address == "" {
			return "", fmt.Errorf("broadcast %s names no channel: %w", m.Key, ErrPermanent)
		}
		return s.post(ctx, m.Address, m, RenderDirect(m, s.baseURL).options()...)
	}
	return s.postDirect(ctx, m)
}

// post sends a message with m's key in its metadata and returns
// "channel:ts".
func (s *SlackSender) post(ctx context.Context, channel string, m Message, opts ...slack.MsgOption) (string, error) {
	opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType: MetadataEventType, EventPayload: map[string]any{"key": m.Key}}))
	ch, ts, err := s.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("post %s to %s: %w", m.Key, channel, err)
	}
	return ch + ":" + ts, nil
}

// incident reads m's incident; one that is gone cannot be shown, ever.
func (s *SlackSender) incident(ctx context.Context, m Message) (*incident.Incident, error) {
	inc, err := s.incidents.Get(ctx, m.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w: %w", m.Key, err, ErrPermanent)
	}
	return inc, err
}

// ref returns the Ref of the message with key, or an error (retried) when
// that message has not been sent yet.
func (s *SlackSender) ref(ctx context.Context, key string) (string, error) {
	if s.refs == nil {
		return "", fmt.Errorf("no outbox references to find %s: %w", key, ErrPermanent)
	}
	ref, err := s.refs.Ref(ctx, key)
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", key, err)
	}
	if ref == "" {
		return "", fmt.Errorf("%s is not sent yet", key)
	}
	return ref, nil
}

// cardRef is the Ref of the incident's card, "" when it is not posted.
func (s *SlackSender) cardRef(ctx context.Context, number string) string {
	if s.refs == nil {
		return ""
	}
	ref, _ := s.refs.Ref(ctx, slackCardKey(number))
	return ref
}

// channelOf is the incident's own channel id, "" when it has none (yet).
func (s *SlackSender) channelOf(ctx context.Context, number string) string {
	if s.refs == nil {
		return ""
	}
	ref, err := s.refs.Ref(ctx, slackChannelKey(number))
	if err != nil {
		s.log.WarnContext(ctx, "slack: look up the incident channel", "incident", number, "err", err)
	}
	return ref
}

func splitRef(ref string) (channel, ts string, ok bool) {
	channel, ts, ok = strings.Cut(ref, ":")
	return channel, ts, ok && channel != "" && ts != ""
}

func (s *SlackSender) card(ctx context.Context, m Message, inc *incident.Incident) SlackView {
	return RenderCard(CardInput{Incident: inc, Now: s.now(), BaseURL: s.baseURL,
		Channel: s.channelOf(ctx, inc.Number), Restricted: m.Restricted || inc.Restricted})
}

func (s *SlackSender) postCard(ctx context.Context, m Message) (string, error) {
	ch := s.cardChannel(m)
	if ch == "" {
		return "", fmt.Errorf("%s: no response center channel is configured: %w", m.Key, ErrPermanent)
	}
	inc, err := s.incident(ctx, m)
	if err != nil {
		return "", err
	}
	return s.post(ctx, ch, m, s.card(ctx, m, inc).options()...)
}

// updateCard draws the incident as it is now over its card, whichever
// change this update was planned for: a late or reordered update still
// shows the latest state.
func (s *SlackSender) updateCard(ctx context.Context, m Message) (string, error) {
	ref, err := s.ref(ctx, slackCardKey(m.Incident))
	if err != nil {
		return "", err
	}
	ch, ts, ok := splitRef(ref)
	if !ok {
		return "", fmt.Errorf("%s: the card's reference %q is not channel:ts: %w", m.Key, ref, ErrPermanent)
	}
	inc, err := s.incident(ctx, m)
	if err != nil {
		return "", err
	}
	if _, _, _, err := s.api.UpdateMessageContext(ctx, ch, ts, s.card(ctx, m, inc).options()...); err != nil {
		return "", fmt.Errorf("update card %s: %w", ref, err)
	}
	return ref, nil
}

func (s *SlackSender) postThread(ctx context.Context, m Message) (string, error) {
	ref, err := s.ref(ctx, slackCardKey(m.Incident))
	if err != nil {
		return "", err
	}
	ch, ts, ok := splitRef(ref)
	if !ok {
		return "", fmt.Errorf("%s: the card's reference %q is not channel:ts: %w", m.Key, ref, ErrPermanent)
	}
	return s.post(ctx, ch, m, slack.MsgOptionText(lineText(m), false), slack.MsgOptionTS(ts))
}

// lineText is a thread or channel line: the rendered entry, or only the
// number for a restricted incident.
func lineText(m Message) string {
	if m.Restricted {
		return m.Incident + " " + label("changed", "有更新")
	}
	return m.Body
}
