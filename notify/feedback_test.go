package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

func validUTF8(s string) bool { return utf8.ValidString(s) }

// contactBook answers Contacts from a table; a missing id is an unknown
// account, and broken makes every lookup fail like a database that is down.
type contactBook struct {
	m      map[string]notify.Contact
	broken bool
}

func (c contactBook) Contact(_ context.Context, id string) (notify.Contact, error) {
	if c.broken {
		return notify.Contact{}, errors.New("connection refused")
	}
	ct, ok := c.m[id]
	if !ok {
		return notify.Contact{}, fmt.Errorf("account %s: %w", id, notify.ErrNoContact)
	}
	return ct, nil
}

func TestFeedbackPlanner(t *testing.T) {
	ctx := context.Background()
	book := contactBook{m: map[string]notify.Contact{
		"u-slack": {SlackID: "U024BE7LH", Email: "ignored@example.com", Lang: "en"},
		"u-mail":  {Email: "lina@example.com", Lang: "zh"},
		"u-none":  {Lang: "zh"},
	}}
	var logs bytes.Buffer
	p := notify.NewFeedbackPlanner(book, baseURL, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

	for _, tc := range []struct {
		reporter string
		channel  notify.Channel
		address  string
		received []string // in the reporter's language
	}{
		{"u-slack", notify.ChannelSlack, "U024BE7LH", []string{"Report received: INC-2026-000042", "It is recorded as INC-2026-000042"}},
		{"u-mail", notify.ChannelEmail, "lina@example.com", []string{"报告已受理：INC-2026-000042", "编号 INC-2026-000042"}},
		{"u-none", notify.ChannelLog, "", []string{"报告已受理"}},
		{"u-deleted", notify.ChannelLog, "", []string{"Report received"}},
	} {
		t.Run(tc.reporter, func(t *testing.T) {
			inc := reportedInc("INC-2026-000042", incident.Serious)
			inc.Reporter.ID = tc.reporter
			msgs, err := p.Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: inc})
			if err != nil || len(msgs) != 1 {
				t.Fatalf("Plan = %v, %v", msgs, err)
			}
			m := msgs[0]
			if m.Key != "INC-2026-000042/feedback/received" || m.Kind != notify.KindFeedback || m.Channel != tc.channel ||
				m.Address != tc.address || m.Recipient != tc.reporter || m.Incident != "INC-2026-000042" {
				t.Errorf("message %+v", m)
			}
			for _, s := range append(tc.received, baseURL+"/incidents/INC-2026-000042") {
				if !strings.Contains(m.Subject+"\n"+m.Body, s) {
					t.Errorf("lacks %q:\n%s\n%s", s, m.Subject, m.Body)
				}
			}
			// Planned again (a retry, a reconciliation): the same key.
			again, _ := p.Plan(ctx, incident.Event{Kind: notify.EventReconcile, Incident: inc})
			if len(again) != 1 || again[0].Key != m.Key {
				t.Errorf("planned again: %v", msgKeys(again))
			}
		})
	}
	if !strings.Contains(logs.String(), "feedback only logged") || !strings.Contains(logs.String(), "recipient=u-none") {
		t.Errorf("a reporter without a channel is not logged:\n%s", logs.String())
	}
}

func TestFeedbackOutcome(t *testing.T) {
	ctx := context.Background()
	book := contactBook{m: map[string]notify.Contact{"u-en": {Email: "a@example.com", Lang: "en"}, "u-zh": {Email: "b@example.com", Lang: "zh"}}}
	p := notify.NewFeedbackPlanner(book, baseURL, slog.New(slog.DiscardHandler))

	base := reportedInc("INC-2026-000050", incident.Serious)
	inReview := changedInc(base, incident.Entry{Kind: incident.EntryStage, From: "handle", To: "review"}, func(i *incident.Incident) { i.Stage = incident.Review })
	closed := changedInc(inReview, incident.Entry{Kind: incident.EntryStage, From: "review", To: "closed"}, func(i *incident.Incident) {
		i.Stage = incident.Closed
		i.Review.Summary = "Phishing mail removed from 42 mailboxes; two passwords reset."
	})
	rejected := changedInc(base, incident.Entry{Kind: incident.EntryStage, From: "receive", To: "rejected"}, func(i *incident.Incident) {
		i.Stage = incident.Rejected
		i.Rejection = incident.Rejection{Reason: incident.FalsePositive, Note: "Scheduled vulnerability scan."}
	})
	for _, tc := range []struct {
		name     string
		inc      *incident.Incident
		reporter string
		key      string
		want     []string
	}{
		{"closed en", closed, "u-en", "INC-2026-000050/feedback/outcome/closed",
			[]string{"Incident closed: INC-2026-000050", "has been handled and is now closed", "Review summary: Phishing mail removed"}},
		{"closed zh", closed, "u-zh", "INC-2026-000050/feedback/outcome/closed",
			[]string{"事件已关闭：INC-2026-000050", "已处理完毕并关闭", "评估总结：Phishing mail removed"}},
		{"rejected en", rejected, "u-en", "INC-2026-000050/feedback/outcome/rejected",
			[]string{"Report not taken on: INC-2026-000050", "assessed as a false positive", "Note: Scheduled vulnerability scan."}},
		{"rejected zh", rejected, "u-zh", "INC-2026-000050/feedback/outcome/rejected",
			[]string{"报告未立案：INC-2026-000050", "经判定为误报", "说明：Scheduled vulnerability scan."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := tc.inc.Clone()
			inc.Reporter.ID = tc.reporter
			for _, kind := range []incident.EventKind{incident.EventStage, notify.EventReconcile, incident.EventStage} {
				msgs, err := p.Plan(ctx, incident.Event{Kind: kind, Incident: inc})
				if err != nil || len(msgs) != 1 || msgs[0].Key != tc.key {
					t.Fatalf("%s: %v, %v; want key %s", kind, msgKeys(msgs), err, tc.key)
				}
				for _, s := range tc.want {
					if !strings.Contains(msgs[0].Subject+"\n"+msgs[0].Body, s) {
						t.Errorf("lacks %q:\n%s\n%s", s, msgs[0].Subject, msgs[0].Body)
					}
				}
			}
		})
	}
	// Other stage changes tell the reporter nothing.
	for _, inc := range []*incident.Incident{inReview, changedInc(inReview, incident.Entry{Kind: incident.EntryAck}, nil)} {
		if msgs, _ := p.Plan(ctx, incident.Event{Kind: notify.EventReconcile, Incident: inc}); len(msgs) != 0 {
			t.Errorf("feedback on %s: %v", inc.Timeline[len(inc.Timeline)-1].Kind, msgKeys(msgs))
		}
	}
	// Incidents the system made have nobody to tell.
	sys := base.Clone()
	sys.Reporter = incident.System
	if msgs, _ := p.Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: sys}); len(msgs) != 0 {
		t.Errorf("feedback to the system: %v", msgKeys(msgs))
	}
	// A lookup that fails is an error (the Announcer logs it; Reconcile repairs).
	broken := notify.NewFeedbackPlanner(contactBook{broken: true}, baseURL, slog.New(slog.DiscardHandler))
	if msgs, err := broken.Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: base}); err == nil || len(msgs) != 0 {
		t.Errorf("a failed lookup: %v, %v", msgKeys(msgs), err)
	}
}
