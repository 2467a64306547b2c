package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tocsin-hub/tocsin/incident"
)

// Contact is how the holder of an account is reached, and in which
// language.
type Contact struct {
	SlackID string // Slack user id; "" when the account is not linked to Slack
	Email   string
	Lang    string // en or zh
}

// Contacts finds the contact of an account (a reporter is an account,
// incident.Actor.ID being its id). It is implemented at wiring over the
// accounts.
type Contacts interface {
	// Contact returns the contact of account id, or an error wrapping
	// ErrNoContact when there is no such account.
	Contact(ctx context.Context, id string) (Contact, error)
}

// ErrNoContact is returned (wrapped) by Contacts for an unknown account.
var ErrNoContact = errors.New("no such account")

// FeedbackPlanner tells the reporter what became of their report
// (DOMAIN.md: "record all reports, handle them promptly, and tell the
// reporter the result"): the ticket number at once, and the outcome when
// the incident is closed or the report rejected, in the reporter's
// language. The notice goes to the reporter's Slack DM when the account
// is linked to Slack, else by e-mail when it has an address, else to the
// log (where a coordinator can see it). Keys:
//
//	<number>/feedback/received
//	<number>/feedback/outcome/<closed|rejected>
type FeedbackPlanner struct {
	contacts Contacts
	baseURL  string
	log      *slog.Logger
}

var _ Planner = (*FeedbackPlanner)(nil)

// NewFeedbackPlanner returns a planner that reads reporters' contacts
// from contacts and links to the hub at baseURL.
func NewFeedbackPlanner(contacts Contacts, baseURL string, log *slog.Logger) *FeedbackPlanner {
	return &FeedbackPlanner{contacts: contacts, baseURL: baseURL, log: log}
}

// Plan returns the reporter's notice that ev calls for, if any.
func (p *FeedbackPlanner) Plan(ctx context.Context, ev incident.Event) ([]Message, error) {
	ch, ok := ChangeOf(ev)
	if !ok || (ch != ChangeReported && ch != ChangeClosed) {
		return nil, nil
	}
	inc := ev.Incident
	reporter := inc.Reporter.ID
	if reporter == "" || reporter == incident.System.ID {
		return nil, nil // nobody to tell
	}
	fb, key := FeedbackReceived, inc.Number+"/feedback/received"
	if ch == ChangeClosed {
		fb, key = FeedbackOutcome, inc.Number+"/feedback/outcome/"+string(inc.Stage)
	}
	c, err := p.contacts.Contact(ctx, reporter)
	switch {
	case errors.Is(err, ErrNoContact):
		c = Contact{} // an account since deleted, an API token's owner: log it
	case err != nil:
		return nil, fmt.Errorf("feedback for %s: %w", inc.Number, err)
	}
	m := Message{Key: key, Kind: KindFeedback, Incident: inc.Number, Recipient: reporter}
	switch {
	case c.SlackID != "":
		m.Channel, m.Address = ChannelSlack, c.SlackID
	case c.Email != "":
		m.Channel, m.Address = ChannelEmail, c.Email
	default:
		m.Channel = ChannelLog
		p.log.DebugContext(ctx, "reporter has no Slack id nor e-mail address: feedback only logged",
			"incident", inc.Number, "recipient", reporter, "key", key)
	}
	m.Subject, m.Body = FeedbackText(inc, fb, c.Lang, p.baseURL)
	return []Message{m}, nil
}
