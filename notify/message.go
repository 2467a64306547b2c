package notify

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says why a message is sent.
type Kind string

// The kinds of message.
const (
	KindPage     Kind = "page"     // a step of an incident's acknowledgement chain
	KindDeadline Kind = "deadline" // a stage deadline of an incident was missed
	KindHandover Kind = "handover" // an outgoing on-call person is asked for a handover note
	KindCoverage Kind = "coverage" // a critical duty has nobody on call ahead

	// Chat coordination of one incident (Incident is set).
	KindCard    Kind = "card"    // post, or update, the incident's card in the response center channel
	KindThread  Kind = "thread"  // one line in the thread of the incident's card
	KindChannel Kind = "channel" // open the incident's own channel (Slack)
	KindInvite  Kind = "invite"  // invite Recipient into the incident's channel
	KindUpdate  Kind = "update"  // a post in the incident's own channel

	KindFeedback  Kind = "feedback"  // the reporter is told the number, then the outcome
	KindBroadcast Kind = "broadcast" // an incident change to a team's or level's configured destination
	KindTask      Kind = "task"      // a task was assigned to Recipient
	KindDigest    Kind = "digest"    // a periodic summary
)

// Channel is how a message reaches its recipient. The values are those of
// escalation.ContactKind (slack, email, wecom, ...), plus webhook and
// ChannelLog.
type Channel string

// The channels.
const (
	ChannelSlack    Channel = "slack"
	ChannelEmail    Channel = "email"
	ChannelWebhook  Channel = "webhook"
	ChannelWeCom    Channel = "wecom"
	ChannelDingTalk Channel = "dingtalk"
	ChannelFeishu   Channel = "feishu"
	// ChannelLog is for a recipient with no channel Tocsin can deliver to:
	// the message is only logged (and listed), so a coordinator can act on it.
	ChannelLog Channel = "log"
)

// Status is where a message is in its delivery:
//
//	pending → sending (a claim with a deadline) → sent
//	                                            → retry (after NextAt) → sending …
//	                                            → dead (attempts exhausted, or a permanent error)
//	                                            → unknown (the outcome of a send was lost; see ADR 0004)
//
// dead and unknown messages are listed for admins and can be sent again by
// hand, which puts them back to pending.
type Status string

// The statuses.
const (
	StatusPending Status = "pending"
	StatusSending Status = "sending"
	StatusRetry   Status = "retry"
	StatusSent    Status = "sent"
	StatusDead    Status = "dead"
	StatusUnknown Status = "unknown"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusSending, StatusRetry, StatusSent, StatusDead, StatusUnknown:
		return true
	}
	return false
}

// Message is one notification to one recipient.
type Message struct {
	// Key identifies the event the message is about for this recipient
	// (an incident, step, repeat and person, for example). It is unique in
	// the outbox: enqueueing a key twice sends one message.
	Key       string
	Kind      Kind
	Incident  string // incident number; "" for roster messages
	Recipient string // person id, or "" for a channel or robot destination
	Channel   Channel
	// Address is where on Channel: a Slack user or channel id, an e-mail
	// address, the name of a configured webhook or robot. "" means the
	// channel's default (for Slack, the response center channel).
	Address   string
	Subject   string
	Body      string
	CreatedAt time.Time

	// Delivery state, kept by the outbox worker.
	Status     Status
	Attempts   int       // sends started
	NextAt     time.Time // pending or retry: not before; sending: the claim's deadline
	Owner      string    // sending: the instance holding the claim
	LastError  string
	SentAt     time.Time
	UpdatedAt  time.Time
	Ref        string // what the sender returned (e.g. Slack "channel:ts"), for later edits
	Restricted bool   // carry no incident details (number and link only)
}

// Limits on a message.
const (
	MaxKey     = 512
	MaxSubject = 500
	MaxBody    = 20000
)

// ErrInvalid is returned (wrapped) for a message that cannot be enqueued.
var ErrInvalid = errors.New("invalid message")

func (m Message) validate() error {
	var problems []string
	if m.Key == "" || len(m.Key) > MaxKey {
		problems = append(problems, fmt.Sprintf("key must be 1 to %d bytes", MaxKey))
	}
	if m.Kind == "" {
		problems = append(problems, "kind is required")
	}
	if m.Recipient == "" && m.Address == "" && m.Channel != ChannelSlack {
		problems = append(problems, "recipient or address is required")
	}
	if len(m.Subject) > MaxSubject || len(m.Body) > MaxBody {
		problems = append(problems, "subject or body too long")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w %q: %s", ErrInvalid, m.Key, strings.Join(problems, "; "))
	}
	return nil
}
