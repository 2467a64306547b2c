package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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
		Channel: s.channelOf(ctx, inc.Number), Restricted: m.Restricted})
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

// openChannel creates the incident's channel (private: incident details
// are for the people working it), named from its number and title, with
// a numbered suffix when the name is taken; sets its topic to the level
// and stage; posts the card in it; and redraws the response center's card
// to point at it. Only the creation decides the outcome: once the channel
// exists, failing to do the rest is logged, since sending again would
// create a second channel.
func (s *SlackSender) openChannel(ctx context.Context, m Message) (string, error) {
	inc, err := s.incident(ctx, m)
	if err != nil {
		return "", err
	}
	base := ChannelName(inc.Number, inc.Title)
	name := base
	var ch *slack.Channel
	for n := 2; ; n++ {
		ch, err = s.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: true})
		if slackErrorCode(err) != "name_taken" || n > maxNameTries {
			break
		}
		name = suffixedName(base, n)
	}
	if err != nil {
		return "", fmt.Errorf("create channel %s: %w", name, err)
	}
	log := s.log.With("incident", inc.Number, "key", m.Key, "channel", ch.ID)
	if _, err := s.api.SetTopicOfConversationContext(ctx, ch.ID, ChannelTopic(inc)); err != nil {
		log.WarnContext(ctx, "slack: set the incident channel's topic", "err", err)
	}
	view := RenderCard(CardInput{Incident: inc, Now: s.now(), BaseURL: s.baseURL, Channel: ch.ID, Restricted: m.Restricted})
	if _, _, err := s.api.PostMessageContext(ctx, ch.ID, view.options()...); err != nil {
		log.WarnContext(ctx, "slack: post the card in the incident channel", "err", err)
	}
	if ref := s.cardRef(ctx, inc.Number); ref != "" {
		if cch, ts, ok := splitRef(ref); ok {
			if _, _, _, err := s.api.UpdateMessageContext(ctx, cch, ts, view.options()...); err != nil {
				log.WarnContext(ctx, "slack: point the card at the incident channel", "err", err)
			}
		}
	}
	log.InfoContext(ctx, "slack: incident channel opened", "name", name)
	return ch.ID, nil
}

func (s *SlackSender) invite(ctx context.Context, m Message) (string, error) {
	ch, err := s.ref(ctx, slackChannelKey(m.Incident))
	if err != nil {
		return "", err
	}
	user, err := s.slackUser(ctx, m)
	if err != nil {
		return "", err
	}
	_, err = s.api.InviteUsersToConversationContext(ctx, ch, user)
	if err != nil && slackErrorCode(err) != "already_in_channel" {
		return "", fmt.Errorf("invite %s to %s: %w", user, ch, err)
	}
	return ch + ":" + user, nil
}

// postUpdate posts a change into the incident's channel and, when the
// change moved the stage or the level, brings the channel's topic up to
// date.
func (s *SlackSender) postUpdate(ctx context.Context, m Message) (string, error) {
	ch, err := s.ref(ctx, slackChannelKey(m.Incident))
	if err != nil {
		return "", err
	}
	ref, err := s.post(ctx, ch, m, slack.MsgOptionText(lineText(m), false))
	if err != nil {
		return "", err
	}
	inc, err := s.incidents.Get(ctx, m.Incident)
	if err != nil {
		s.log.WarnContext(ctx, "slack: read the incident for its channel topic", "incident", m.Incident, "err", err)
		return ref, nil
	}
	if i, ok := entryIndex(m.Key); ok && i < len(inc.Timeline) {
		if k := inc.Timeline[i].Kind; k == incident.EntryStage || k == incident.EntryLevel {
			if _, err := s.api.SetTopicOfConversationContext(ctx, ch, ChannelTopic(inc)); err != nil {
				s.log.WarnContext(ctx, "slack: set the incident channel's topic", "incident", m.Incident, "err", err)
			}
		}
	}
	return ref, nil
}

// slackUser is the Slack user a message is for: its Address, else the
// Slack id of its Recipient.
func (s *SlackSender) slackUser(ctx context.Context, m Message) (string, error) {
	if m.Address != "" {
		return m.Address, nil
	}
	if m.Recipient == "" || s.dir == nil {
		return "", fmt.Errorf("%s names no Slack user: %w", m.Key, ErrPermanent)
	}
	id, err := s.dir.SlackID(ctx, m.Recipient)
	if err != nil {
		return "", fmt.Errorf("slack id of %s: %w", m.Recipient, err)
	}
	if id == "" {
		return "", fmt.Errorf("%s has no Slack id: %w", m.Recipient, ErrPermanent)
	}
	return id, nil
}

// dm opens (or finds) the direct conversation with user.
func (s *SlackSender) dm(ctx context.Context, user string) (string, error) {
	ch, _, _, err := s.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", fmt.Errorf("open a direct message with %s: %w", user, err)
	}
	return ch.ID, nil
}

// postDirect posts a message for one person into their direct
// conversation, or into the channel its Address names (a digest to a
// team's channel, say).
func (s *SlackSender) postDirect(ctx context.Context, m Message) (string, error) {
	ch, err := s.directChannel(ctx, m)
	if err != nil {
		return "", err
	}
	return s.post(ctx, ch, m, RenderDirect(m, s.baseURL).options()...)
}

// directChannel is where a message for a person goes: the channel its
// Address names, else the direct conversation with its Slack user.
func (s *SlackSender) directChannel(ctx context.Context, m Message) (string, error) {
	if isChannelID(m.Address) {
		return m.Address, nil
	}
	user, err := s.slackUser(ctx, m)
	if err != nil {
		return "", err
	}
	return s.dm(ctx, user)
}

// isChannelID reports whether id names a channel (public C…, private
// G…) rather than a user (U…, W…).
func isChannelID(id string) bool { return strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G") }

// Delivered looks for m's key in the metadata of the posts made since m
// was created, in the conversation m went to. A card edit and an invite
// report false: sending them again does no harm. So does a channel
// creation, which cannot be found by key: sending it again after a crash
// between creating and recording opens a second, suffixed, channel.
func (s *SlackSender) Delivered(ctx context.Context, m Message) (string, bool, error) {
	var (
		ch, thread string
		err        error
	)
	switch m.Kind {
	case KindCard:
		if m.Key != slackCardKey(m.Incident) {
			return "", false, nil
		}
		ch = s.cardChannel(m)
	case KindThread:
		ref, rerr := s.ref(ctx, slackCardKey(m.Incident))
		if rerr != nil {
			return "", false, classify(rerr)
		}
		ch, thread, _ = splitRef(ref)
	case KindChannel, KindInvite:
		return "", false, nil
	case KindUpdate:
		ch, err = s.ref(ctx, slackChannelKey(m.Incident))
	case KindBroadcast:
		ch = m.Address
	default:
		ch, err = s.directChannel(ctx, m)
	}
	if err != nil {
		return "", false, classify(err)
	}
	if ch == "" {
		return "", false, nil
	}
	ts, err := s.findKey(ctx, ch, thread, m)
	if err != nil || ts == "" {
		return "", false, classify(err)
	}
	return ch + ":" + ts, true, nil
}

// historyPages bounds how far Delivered reads back.
const historyPages = 10

// findKey returns the ts of the post carrying m's key in ch (in the
// thread of ts thread, when set) since m was created, or "".
func (s *SlackSender) findKey(ctx context.Context, ch, thread string, m Message) (string, error) {
	oldest := strconv.FormatFloat(float64(m.CreatedAt.Add(-time.Minute).UnixMicro())/1e6, 'f', 6, 64)
	cursor := ""
	for range historyPages {
		var (
			msgs []slack.Message
			more bool
			err  error
		)
		if thread != "" {
			msgs, more, cursor, err = s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: ch, Timestamp: thread, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
		} else {
			var h *slack.GetConversationHistoryResponse
			h, err = s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: ch, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
			if h != nil {
				msgs, more, cursor = h.Messages, h.HasMore, h.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", fmt.Errorf("read %s for %s: %w", ch, m.Key, err)
		}
		for _, msg := range msgs {
			if msg.Metadata.EventType == MetadataEventType && msg.Metadata.EventPayload["key"] == m.Key {
				return msg.Timestamp, nil
			}
		}
		if !more || cursor == "" {
			break
		}
	}
	return "", nil
}
