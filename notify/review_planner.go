package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// ReviewReturnPlanner tells the team when a manager returns a review with
// comments: whoever moved the incident to review and whoever wrote the
// report, each in their language, by Slack DM, else e-mail, else the log.
// (The reporter hears of the outcome when the review is signed off, from
// the FeedbackPlanner.) Keys: <number>/review/returned/<n>/<account id>.
type ReviewReturnPlanner struct {
	contacts Contacts
	baseURL  string
	log      *slog.Logger
}

var _ Planner = (*ReviewReturnPlanner)(nil)

// NewReviewReturnPlanner returns the planner over contacts.
func NewReviewReturnPlanner(contacts Contacts, baseURL string, log *slog.Logger) *ReviewReturnPlanner {
	return &ReviewReturnPlanner{contacts: contacts, baseURL: baseURL, log: log}
}

// Plan returns the notices a return calls for.
func (p *ReviewReturnPlanner) Plan(ctx context.Context, ev incident.Event) ([]Message, error) {
	inc := ev.Incident
	if ev.Kind != incident.EventReview || inc == nil || inc.Review.Returned == nil || len(inc.Timeline) == 0 ||
		inc.Timeline[len(inc.Timeline)-1].Kind != incident.EntryReviewReturned {
		return nil, nil
	}
	var team []string
	for i := len(inc.Timeline) - 1; i >= 0; i-- {
		e := inc.Timeline[i]
		if (e.Kind == incident.EntryReviewWritten || e.Kind == incident.EntryStage && e.To == string(incident.Review)) &&
			e.Actor.ID != "" && e.Actor.ID != incident.System.ID && !slices.Contains(team, e.Actor.ID) {
			team = append(team, e.Actor.ID)
		}
		if e.Kind == incident.EntryStage && e.To == string(incident.Review) {
			break // the review began here
		}
	}
	var out []Message
	for _, id := range team {
		c, err := p.contacts.Contact(ctx, id)
		switch {
		case errors.Is(err, ErrNoContact):
			c = Contact{}
		case err != nil:
			return nil, fmt.Errorf("review return of %s: %w", inc.Number, err)
		}
		m := Message{Key: fmt.Sprintf("%s/review/returned/%d/%s", inc.Number, inc.Review.Returns, id), Kind: KindFeedback,
			Incident: inc.Number, Recipient: id}
		route(&m, c)
		m.Subject, m.Body = returnText(inc, c.Lang, p.baseURL)
		out = append(out, m)
	}
	return out, nil
}

func returnText(inc *incident.Incident, lang, baseURL string) (subject, body string) {
	r := inc.Review.Returned
	link := strings.TrimRight(baseURL, "/") + "/incidents/" + inc.Number + "/review"
	if strings.HasPrefix(lang, "zh") {
		subject = fmt.Sprintf("%s 的评估报告被 %s 退回", inc.Number, r.By.Name)
		body = fmt.Sprintf("%s“%s”的评估报告被 %s 退回，意见：\n%s\n\n请修改后再提交签批：%s\n", inc.Number, oneLine(inc.Title), r.By.Name, r.Comment, link)
	} else {
		subject = fmt.Sprintf("Review of %s returned by %s", inc.Number, r.By.Name)
		body = fmt.Sprintf("%s returned the review of %s “%s” with these comments:\n%s\n\nChange it and ask for sign-off again: %s\n", r.By.Name, inc.Number, oneLine(inc.Title), r.Comment, link)
	}
	return fitBytes(subject, MaxSubject), fitBytes(body, MaxBody)
}
