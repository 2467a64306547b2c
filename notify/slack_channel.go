package notify

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
)

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
	// A restricted incident's channel is named by its number alone: the
	// name is seen by everyone who can list channels.
	restricted := m.Restricted || inc.Restricted
	title := inc.Title
	if restricted {
		title = ""
	}
	base := ChannelName(inc.Number, title)
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
	view := RenderCard(CardInput{Incident: inc, Now: s.now(), BaseURL: s.baseURL, Channel: ch.ID, Restricted: restricted})
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
