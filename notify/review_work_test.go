package notify_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestPeriodBounds(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		p        notify.Period
		now      string
		from, to string
	}{
		{notify.Weekly, "2026-03-09 01:00", "2026-03-02 00:00", "2026-03-09 00:00"}, // Monday
		{notify.Weekly, "2026-03-15 23:59", "2026-03-02 00:00", "2026-03-09 00:00"}, // Sunday
		{notify.Monthly, "2026-03-01 01:30", "2026-02-01 00:00", "2026-03-01 00:00"},
		{notify.Monthly, "2026-01-20 08:00", "2025-12-01 00:00", "2026-01-01 00:00"},
	} {
		from, to := c.p.Bounds(d(c.now))
		if !from.Equal(d(c.from)) || !to.Equal(d(c.to)) {
			t.Errorf("%s at %s: %s – %s, want %s – %s", c.p, c.now, from, to, c.from, c.to)
		}
	}
}

func TestDueReminders(t *testing.T) {
	due := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Number: "INC-2026-000007", Stage: incident.Closed, Review: incident.ReviewReport{Actions: []incident.CorrectiveAction{
		{ID: "a1", Title: "Block macros", Owner: "zhou.min", Due: due, Status: incident.ActionOpen},
		{ID: "a2", Title: "Done already", Owner: "li.na", Due: due, Status: incident.ActionDone},
		{ID: "a3", Title: "Later", Owner: "li.na", Due: due.AddDate(0, 1, 0), Status: incident.ActionInProgress},
	}}}
	keys := func(now time.Time) []string {
		var out []string
		for _, r := range notify.DueReminders([]*incident.Incident{inc}, now) {
			out = append(out, r.Key)
		}
		return out
	}
	for _, c := range []struct {
		now  time.Time
		want []string
	}{
		{due.Add(-notify.ReminderAhead - time.Minute), nil},
		{due.Add(-notify.ReminderAhead), []string{"INC-2026-000007/action/a1/2026-03-20/soon"}},
		{due.Add(-time.Minute), []string{"INC-2026-000007/action/a1/2026-03-20/soon"}},
		{due.Add(time.Minute), []string{"INC-2026-000007/action/a1/2026-03-20/overdue/0"}},
		{due.Add(8 * 24 * time.Hour), []string{"INC-2026-000007/action/a1/2026-03-20/overdue/1"}},
	} {
		if got := keys(c.now); !slices.Equal(got, c.want) {
			t.Errorf("at %s: %v, want %v", c.now, got, c.want)
		}
	}
}

type managers []notify.Reader

func (m managers) ManagerReaders(context.Context) ([]notify.Reader, error) { return m, nil }

type owners map[string]notify.Contact

func (o owners) OwnerContact(_ context.Context, username string) (notify.Contact, error) {
	c, ok := o[username]
	if !ok {
		return notify.Contact{}, fmt.Errorf("%s: %w", username, notify.ErrNoContact)
	}
	return c, nil
}

// TestReviewWorkOnTheStore runs the reminders and the weekly report on the
// real store: run twice, each message is enqueued once; drills stay out
// of the real figures.
func TestReviewWorkOnTheStore(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	monday := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
	now := monday
	clockFn := func() time.Time { return now }
	week := monday.AddDate(0, 0, -7)
	ins := func(n int, level incident.Level, drill bool, stage incident.Stage, created time.Time, acked time.Duration, actions ...incident.CorrectiveAction) {
		t.Helper()
		a := created.Add(acked)
		inc := &incident.Incident{Number: fmt.Sprintf("INC-2026-%06d", n), Version: 1, Title: fmt.Sprintf("incident %d", n), Level: level, Drill: drill,
			Stage: stage, CreatedAt: created, UpdatedAt: created, AckedAt: &a, Occurrences: 1, Reporter: incident.Actor{ID: "r", Name: "R"},
			StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: created}, Review: incident.ReviewReport{Actions: actions},
			Timeline: []incident.Entry{{At: created, Actor: incident.System, Kind: incident.EntryEscalation, Note: "paged"}}}
		if err := db.Incidents().Insert(ctx, inc); err != nil {
			t.Fatal(err)
		}
	}
	late := incident.CorrectiveAction{ID: "a1", Title: "Patch the VPN", Owner: "zhou.min", Due: monday.AddDate(0, 0, -2), Status: incident.ActionOpen}
	soon := incident.CorrectiveAction{ID: "a1", Title: "Train staff", Owner: "nobody", Due: monday.AddDate(0, 0, 1), Status: incident.ActionOpen}
	ins(1, incident.Serious, false, incident.Closed, week.Add(time.Hour), 10*time.Minute, late)
	ins(2, incident.Serious, false, incident.Receive, week.Add(2*time.Hour), 20*time.Minute)
	ins(3, incident.Special, true, incident.Review, week.Add(3*time.Hour), time.Minute, soon)
	ins(4, incident.Ordinary, false, incident.Receive, week.Add(-2*time.Hour), time.Minute) // the week before

	out := notify.NewOutbox(db.Outbox(), clockFn, slog.New(slog.DiscardHandler))
	w := notify.NewReviewWork(db.Incidents(), func(context.Context) (map[incident.Level]incident.Deadlines, error) {
		return escalation.DeadlinesByLevel(nil), nil
	}, managers{{ID: "u-mgr", Contact: notify.Contact{Email: "mgr@example.cn", Lang: "en"}}, {ID: "u-mgr2", Contact: notify.Contact{SlackID: "U2", Lang: "zh"}}},
		owners{"zhou.min": {SlackID: "UZHOU", Lang: "zh"}}, out, "https://hub.example", slog.New(slog.DiscardHandler))
	for range 2 {
		if err := w.ActionReminders(ctx, now); err != nil {
			t.Fatal(err)
		}
		if err := w.ManagerReport(ctx, notify.Weekly, now); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := out.List(ctx, notify.StatusPending, 0)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]notify.Message{}
	for _, m := range msgs {
		by[m.Key] = m
	}
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 2 reminders and 2 reports: %v", len(msgs), slices.Collect(func(yield func(string) bool) {
			for k := range by {
				if !yield(k) {
					return
				}
			}
		}))
	}
	r := by["INC-2026-000001/action/a1/2026-03-07/overdue/0"]
	if r.Channel != notify.ChannelSlack || r.Address != "UZHOU" || !strings.Contains(r.Subject, "已逾期 2 天") {
		t.Errorf("overdue reminder %+v", r)
	}
	if r := by["INC-2026-000003/action/a1/2026-03-10/soon"]; r.Channel != notify.ChannelLog || r.Recipient != "nobody" {
		t.Errorf("reminder to an owner without contact %+v", r)
	}
	rep := by["report/weekly/2026-03-02/u-mgr"]
	for _, s := range []string{"2026-03-02 – 2026-03-08: 2 incidents, 1 overdue actions", "Incidents reported 2026-03-02 to 2026-03-08: 2 (drills, counted apart: 1)",
		"- Serious: 2", "- Special: 0", "Time to acknowledge 15m / 20m (1/2)", "Escalations fired: 2", "1 open, 1 overdue",
		"INC-2026-000001 a1 Patch the VPN (zhou.min, 2026-03-07)", "https://hub.example/reports?from=2026-03-02&to=2026-03-08"} {
		if !strings.Contains(rep.Subject+"\n"+rep.Body, s) {
			t.Errorf("weekly report lacks %q:\n%s\n%s", s, rep.Subject, rep.Body)
		}
	}
	if rep.Channel != notify.ChannelEmail || by["report/weekly/2026-03-02/u-mgr2"].Channel != notify.ChannelSlack {
		t.Errorf("report routes: %s, %s", rep.Channel, by["report/weekly/2026-03-02/u-mgr2"].Channel)
	}
}

type contactsByID map[string]notify.Contact

func (c contactsByID) Contact(_ context.Context, id string) (notify.Contact, error) {
	v, ok := c[id]
	if !ok {
		return notify.Contact{}, fmt.Errorf("%s: %w", id, notify.ErrNoContact)
	}
	return v, nil
}

// TestReviewReturnPlanner: a manager's return tells who moved the incident
// to review and who wrote the report, once per return; other review
// changes tell nobody.
func TestReviewReturnPlanner(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	li := incident.Actor{ID: "u-li", Name: "Li Na"}
	zhou := incident.Actor{ID: "u-zhou", Name: "Zhou Min"}
	boss := incident.Actor{ID: "u-boss", Name: "Chen Jie"}
	inc := &incident.Incident{Number: "INC-2026-000009", Title: "Trojan", Stage: incident.Review, Version: 5,
		Timeline: []incident.Entry{
			{Kind: incident.EntryReviewWritten, Actor: boss}, // an earlier round: not this review
			{Kind: incident.EntryStage, To: "review", Actor: li},
			{Kind: incident.EntryReviewWritten, Actor: zhou},
			{Kind: incident.EntryReviewWritten, Actor: li},
		}}
	p := notify.NewReviewReturnPlanner(contactsByID{"u-li": {SlackID: "ULI", Lang: "zh"}}, "https://hub", slog.New(slog.DiscardHandler))
	msgs, err := p.Plan(context.Background(), incident.Event{Kind: incident.EventReview, Incident: inc})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("a written review told %v, %v", msgs, err)
	}
	next, err := incident.DecideReview(inc, incident.ReturnReview{Comment: "Name the gateway rule."}, boss, now)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err = p.Plan(context.Background(), incident.Event{Kind: incident.EventReview, Incident: next})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("return told %v, %v", msgs, err)
	}
	li0, zhou0 := msgs[0], msgs[1]
	if li0.Recipient != "u-li" || li0.Channel != notify.ChannelSlack || li0.Key != "INC-2026-000009/review/returned/1/u-li" ||
		!strings.Contains(li0.Body, "Name the gateway rule.") || !strings.Contains(li0.Subject, "退回") {
		t.Errorf("to Li Na: %+v", li0)
	}
	if zhou0.Recipient != "u-zhou" || zhou0.Channel != notify.ChannelLog || !strings.Contains(zhou0.Subject, "returned by Chen Jie") {
		t.Errorf("to Zhou Min: %+v", zhou0)
	}
}
