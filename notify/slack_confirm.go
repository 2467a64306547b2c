package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

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
