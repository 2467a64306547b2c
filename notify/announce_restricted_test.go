package notify_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestRestrictedIncidentsSayNumberAndLinkOnly: whatever a planner writes
// for a restricted incident (the Slack card and thread, a broadcast, a
// task notice), the outbox holds its number and link only; and a card
// rendered after the incident was restricted shows no detail either.
func TestRestrictedIncidentsSayNumberAndLinkOnly(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	out := notify.NewOutbox(db.Outbox(), time.Now, slog.New(slog.DiscardHandler))
	chatty := notify.PlannerFunc(func(_ context.Context, ev incident.Event) ([]notify.Message, error) {
		inc := ev.Incident
		return []notify.Message{{Key: inc.Number + "/broadcast/leaders", Kind: notify.KindBroadcast, Incident: inc.Number,
			Channel: notify.ChannelDingTalk, Address: "leaders", Subject: inc.Title, Body: inc.Description + " reported by " + inc.Reporter.Name}}, nil
	})
	ann := notify.NewAnnouncer(out, slog.New(slog.DiscardHandler), notify.NewSlackPlanner(dir, nil), chatty)
	ann.SetBaseURL("https://tocsin.example.com")

	inc := newIncident()
	inc.Restricted = true
	ann.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: inc})
	msgs, err := out.List(ctx, "", 100)
	if err != nil || len(msgs) < 2 {
		t.Fatalf("enqueued %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		text := m.Subject + " " + m.Body
		if !m.Restricted || strings.Contains(text, inc.Title) || strings.Contains(text, "Wang Fang") || strings.Contains(text, "locked") {
			t.Errorf("%s carries details: %+v", m.Key, m)
		}
		if !strings.Contains(m.Body, "https://tocsin.example.com/incidents/"+inc.Number) {
			t.Errorf("%s has no link: %q", m.Key, m.Body)
		}
	}

	// The card of a message enqueued before the restriction is drawn from
	// the incident as it is when sent: restricted, so without details.
	e := newSender(t)
	open := newIncident()
	post := planned(t, incident.Event{Kind: incident.EventReported, Incident: open})[0]
	open.Restricted = true
	e.incs.put(open)
	e.send(t, post)
	call := e.fake.Calls("chat.postMessage")[0]
	var shown strings.Builder
	for _, f := range []string{"blocks", "attachments", "text"} {
		shown.WriteString(call.Form.Get(f))
	}
	if strings.Contains(shown.String(), open.Title) || strings.Contains(shown.String(), "Wang Fang") {
		t.Errorf("the card of a restricted incident shows details: %s", shown.String())
	}
	var meta slack.SlackMetadata
	if err := json.Unmarshal([]byte(call.Form.Get("metadata")), &meta); err != nil || meta.EventPayload["key"] != post.Key {
		t.Errorf("metadata %s", call.Form.Get("metadata"))
	}
}
