package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// SlackDirectory finds the Slack users of the people an incident names.
// It is implemented at wiring from the accounts (their linked Slack id)
// and the roster (people's Slack contacts); notify cannot ask escalation
// itself, which depends on notify.
type SlackDirectory interface {
	// SlackID returns the Slack user id of person: an account id or
	// username, or a roster person id. "" and no error when the person has
	// none.
	SlackID(ctx context.Context, person string) (string, error)
	// TeamMembers returns the person ids of the members of a roster team
	// (by id or name); none for an unknown team.
	TeamMembers(ctx context.Context, team string) ([]string, error)
}

// SlackPlanner is the Planner of everything an incident shows in Slack:
// its card in the response center channel, kept current (chat.update) with
// a line in the card's thread for every change; its own channel for a
// special incident, with the people dispatched to it invited and every
// change posted there too.
//
// Keys, per incident number N:
//
//	N/slack/card              post the card (Ref: "channel:ts")
//	N/slack/card/v<version>   edit it after the change that made version
//	N/slack/thread/<i>        the thread line of timeline entry i
//	N/slack/channel           open the incident's channel (Ref: its id)
//	N/slack/invite/<user>     invite a Slack user into it
//	N/slack/update/<i>        entry i posted in the incident's channel
//
// Entry indexes are zero-padded to four digits, so that keys sort, and
// messages enqueued together are delivered, in timeline order.
type SlackPlanner struct {
	dir  SlackDirectory
	refs Refs
}

var _ Planner = (*SlackPlanner)(nil)

// NewSlackPlanner returns the Slack planner. dir finds whom to invite into
// incident channels (nil: nobody is invited); refs tells whether an
// incident's channel was opened on request (nil: only special incidents
// are known to have one).
func NewSlackPlanner(dir SlackDirectory, refs Refs) *SlackPlanner {
	return &SlackPlanner{dir: dir, refs: refs}
}

// Slack message keys of incident number.
func slackCardKey(number string) string    { return number + "/slack/card" }
func slackChannelKey(number string) string { return number + "/slack/channel" }
func slackCardUpdateKey(number string, version int64) string {
	return slackCardKey(number) + "/v" + strconv.FormatInt(version, 10)
}
func slackThreadKey(number string, i int) string {
	return fmt.Sprintf("%s/slack/thread/%04d", number, i)
}
func slackUpdateKey(number string, i int) string {
	return fmt.Sprintf("%s/slack/update/%04d", number, i)
}
func slackInviteKey(number, user string) string { return number + "/slack/invite/" + user }

// entryIndex reads the timeline index at the end of a thread or update key.
func entryIndex(key string) (int, bool) {
	i, err := strconv.Atoi(key[strings.LastIndexByte(key, '/')+1:])
	return i, err == nil && i >= 0
}

// Plan returns the Slack messages of ev: the card post for a new report
// (and a reconciliation), otherwise a card edit and the thread lines of the
// change's new timeline entries; for an incident with a channel, the
// channel (opened if it is not), invites and the same lines posted there.
func (p *SlackPlanner) Plan(ctx context.Context, ev incident.Event) ([]Message, error) {
	inc := ev.Incident
	if inc == nil || inc.Number == "" {
		return nil, nil
	}
	var msgs []Message
	if ev.Kind == incident.EventReported || ev.Kind == EventReconcile {
		msgs = append(msgs, Message{Key: slackCardKey(inc.Number), Kind: KindCard, Incident: inc.Number,
			Channel: ChannelSlack, Subject: cardSubject(inc)})
	}
	if ev.Kind != incident.EventReported && inc.Version > 1 {
		msgs = append(msgs, Message{Key: slackCardUpdateKey(inc.Number, inc.Version), Kind: KindCard, Incident: inc.Number,
			Channel: ChannelSlack, Subject: cardSubject(inc)})
	}
	fresh := newEntries(inc, ev.Kind == EventReconcile)
	for _, i := range fresh {
		msgs = append(msgs, p.line(inc, i, KindThread, slackThreadKey(inc.Number, i)))
	}

	var errs []error
	hasChannel := inc.Level == incident.Special
	if hasChannel {
		chMsgs, err := p.channel(ctx, inc)
		msgs = append(msgs, chMsgs...)
		errs = append(errs, err)
	} else if p.refs != nil && ev.Kind != incident.EventReported {
		ref, err := p.refs.Ref(ctx, slackChannelKey(inc.Number))
		hasChannel = ref != ""
		errs = append(errs, err)
		if hasChannel { // opened on request: newcomers are invited too
			invites, err := p.invites(ctx, inc)
			msgs = append(msgs, invites...)
			errs = append(errs, err)
		}
	}
	if hasChannel && ev.Kind != incident.EventReported {
		for _, i := range fresh {
			msgs = append(msgs, p.line(inc, i, KindUpdate, slackUpdateKey(inc.Number, i)))
		}
	}
	return msgs, errors.Join(errs...)
}

// OpenChannel returns the messages that open inc's own channel and invite
// its people: what a special incident gets on its own, and any incident
// on request (a card's Open channel button, /incident channel).
func (p *SlackPlanner) OpenChannel(ctx context.Context, inc *incident.Incident) ([]Message, error) {
	return p.channel(ctx, inc)
}

func (p *SlackPlanner) channel(ctx context.Context, inc *incident.Incident) ([]Message, error) {
	msgs := []Message{{Key: slackChannelKey(inc.Number), Kind: KindChannel, Incident: inc.Number,
		Channel: ChannelSlack, Subject: clipBytes(ChannelName(inc.Number, inc.Title), MaxSubject)}}
	invites, err := p.invites(ctx, inc)
	return append(msgs, invites...), err
}

// invites are the messages that invite inc's participants and the
// people and team members dispatched to it who have a Slack id, one per
// Slack user.
func (p *SlackPlanner) invites(ctx context.Context, inc *incident.Incident) ([]Message, error) {
	if p.dir == nil {
		return nil, nil
	}
	var (
		users []string
		who   = map[string]string{} // Slack user → the person it was found for
		errs  []error
	)
	add := func(person, id string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("slack id of %s: %w", person, err))
		}
		if id != "" && !slices.Contains(users, id) {
			users = append(users, id)
			who[id] = person
		}
	}
	for _, person := range inc.Participants {
		id, err := p.dir.SlackID(ctx, person)
		add(person, id, err)
	}
	for _, a := range inc.Assignees {
		switch a.Kind {
		case "person":
			id, err := p.dir.SlackID(ctx, a.Name)
			add(a.Name, id, err)
		case "team", "":
			members, err := p.dir.TeamMembers(ctx, a.Name)
			if err != nil {
				add(a.Name, "", err)
			}
			for _, person := range members {
				id, err := p.dir.SlackID(ctx, person)
				add(person, id, err)
			}
		}
	}
	msgs := make([]Message, 0, len(users))
	for _, u := range users {
		msgs = append(msgs, Message{Key: slackInviteKey(inc.Number, u), Kind: KindInvite, Incident: inc.Number,
			Recipient: who[u], Channel: ChannelSlack, Address: u,
			Subject: "Invite to " + inc.Number + " channel 邀请加入事件频道"})
	}
	return msgs, errors.Join(errs...)
}

// line is the message that posts timeline entry i of inc as kind (a
// thread line or a post in the incident's channel).
func (p *SlackPlanner) line(inc *incident.Incident, i int, kind Kind, key string) Message {
	e := inc.Timeline[i]
	return Message{Key: key, Kind: kind, Incident: inc.Number, Channel: ChannelSlack,
		Subject: clipBytes(inc.Number+" "+string(e.Kind), MaxSubject), Body: clipBytes(ThreadLine(e), MaxBody)}
}

// newEntries are the indexes of the timeline entries a change added: those
// made at the change's time (UpdatedAt), or every one for a
// reconciliation. The reported entry is left out: the card itself says it.
func newEntries(inc *incident.Incident, all bool) []int {
	var out []int
	for i, e := range inc.Timeline {
		if e.Kind == incident.EntryReported {
			continue
		}
		if all || e.At.Equal(inc.UpdatedAt) {
			out = append(out, i)
		}
	}
	return out
}

func cardSubject(inc *incident.Incident) string {
	return clipBytes(inc.Number+" "+inc.Title, MaxSubject)
}
