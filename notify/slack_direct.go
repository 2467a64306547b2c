package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

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
