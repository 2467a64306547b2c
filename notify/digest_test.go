package notify_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestBuildDigest(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 3, 20, h, 0, 0, 0, time.UTC) }
	mk := func(n string, l incident.Level, s incident.Stage, created time.Time, entries ...incident.EntryKind) *incident.Incident {
		inc := &incident.Incident{Number: n, Title: "t " + n, Level: l, Stage: s, CreatedAt: created}
		for _, k := range entries {
			inc.Timeline = append(inc.Timeline, incident.Entry{Kind: k})
		}
		return inc
	}
	drill := mk("D-1", incident.Special, incident.Receive, at(1), incident.EntryReported, incident.EntryDeadline)
	drill.Drill = true
	open := []*incident.Incident{
		mk("A", incident.Serious, incident.Confirm, at(2), incident.EntryReported, incident.EntryStage, incident.EntryDeadline, incident.EntryEscalation),
		mk("B", incident.Special, incident.Plan, at(5), incident.EntryReported, incident.EntryDeadline),
		mk("C", incident.Serious, incident.Confirm, at(3), incident.EntryReported, incident.EntryDeadline, incident.EntryStage), // moved on since
		mk("E", incident.Special, incident.Receive, at(1), incident.EntryReported, incident.EntryDeadline),
		mk("F", incident.Ordinary, incident.Closed, at(1), incident.EntryDeadline), // not open: left out
		drill,
	}
	r := notify.BuildDigest(open, 3, false, time.Date(2026, 3, 21, 1, 5, 0, 0, time.FixedZone("CST", 8*3600)))
	if r.Day != "2026-03-20" || r.Open != 4 || r.Drills != 1 || r.Failures != 3 {
		t.Errorf("report %+v", r)
	}
	if r.Counts[incident.Serious][incident.Confirm] != 2 || r.Counts[incident.Special][incident.Plan] != 1 || r.Counts[incident.Special][incident.Receive] != 1 {
		t.Errorf("counts %v", r.Counts)
	}
	var overdue []string
	for _, inc := range r.Overdue {
		overdue = append(overdue, inc.Number)
	}
	if strings.Join(overdue, ",") != "E,B,A" { // gravest first, then oldest
		t.Errorf("overdue %v", overdue)
	}

	subject, body := notify.DigestText(r, "en", baseURL)
	for _, s := range []string{"Tocsin daily digest 2026-03-20: 4 open, 3 overdue, 3 failed deliveries", "(drills, counted apart: 1)",
		"- Special: 2 (Receive 1, Plan 1)", "- Serious: 2 (Confirm 2)", "- Ordinary: 0",
		"- E [Special] Receive: t E\n  " + baseURL + "/incidents/E", "could not be delivered (dead or outcome unknown): 3",
		baseURL + "/api/v1/outbox?status=dead", baseURL + "/board"} {
		if !strings.Contains(subject+"\n"+body, s) {
			t.Errorf("English digest lacks %q:\n%s\n%s", s, subject, body)
		}
	}
	subject, body = notify.DigestText(r, "zh", baseURL)
	for _, s := range []string{"Tocsin 每日摘要 2026-03-20：未结 4，超时 3，投递失败 3", "另有演练 1 起", "- 特殊事件: 2 (事件接报 1, 响应计划制定 1)", "超时（当前阶段已错过时限）：3 起"} {
		if !strings.Contains(subject+"\n"+body, s) {
			t.Errorf("Chinese digest lacks %q:\n%s\n%s", s, subject, body)
		}
	}
}

// readerList is a fixed list of digest readers.
type readerList []notify.DigestReader

func (l readerList) DigestReaders(context.Context) ([]notify.DigestReader, error) { return l, nil }

// TestDigestOnTheStore runs the digest on the real store: incidents
// reported, one rejected, one with a missed deadline, two failed messages;
// run twice, one digest per reader.
func TestDigestOnTheStore(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	now := time.Date(2026, 3, 21, 1, 5, 0, 0, time.UTC)
	clockFn := func() time.Time { return now }
	svc := incident.NewService(db.Incidents(), clockFn)
	reporter := incident.Actor{ID: "u1", Name: "Li Na"}
	report := func(title string, level incident.Level, drill bool) *incident.Incident {
		res, err := svc.Report(ctx, incident.ReportInput{Title: title, Description: "d", SuggestedLevel: level, Drill: drill, Source: "web"}, reporter)
		if err != nil {
			t.Fatal(err)
		}
		return res.Incident
	}
	late := report("Web shell on the portal", incident.Special, false)
	report("Odd login times", incident.Ordinary, false)
	report("Tabletop exercise", incident.Serious, true)
	rej := report("Scanner noise", incident.Serious, false)
	if _, err := svc.TransitionLoaded(ctx, rej, incident.TransitionInput{To: incident.Rejected, Version: rej.Version,
		RejectReason: incident.FalsePositive}, reporter); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Record(ctx, late.ID, incident.Entry{Actor: incident.System, Kind: incident.EntryDeadline, Note: "confirm deadline missed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Outbox().Insert(ctx, []notify.Message{
		{Key: "x/1", Kind: notify.KindPage, Recipient: "a", Channel: notify.ChannelEmail, Status: notify.StatusDead, CreatedAt: now},
		{Key: "x/2", Kind: notify.KindPage, Recipient: "b", Channel: notify.ChannelWeCom, Status: notify.StatusUnknown, CreatedAt: now},
		{Key: "x/3", Kind: notify.KindPage, Recipient: "c", Channel: notify.ChannelWeCom, Status: notify.StatusSent, CreatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	out := notify.NewOutbox(db.Outbox(), clockFn, slog.New(slog.DiscardHandler))
	readers := readerList{{ID: "u-coord", Email: "coord@example.com", Lang: "zh"}, {ID: "u-mgr", Email: "mgr@example.com", Lang: "en"}}
	d := notify.NewDigester(svc, readers, out, baseURL, slog.New(slog.DiscardHandler))
	for range 2 {
		if err := d.Digest(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := out.List(ctx, notify.StatusPending, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 {
		t.Fatalf("%d digests enqueued, want one per reader: %v", len(pending), msgKeys(pending))
	}
	for _, m := range pending {
		if m.Kind != notify.KindDigest || m.Channel != notify.ChannelEmail || !strings.HasPrefix(m.Key, "digest/2026-03-21/u-") {
			t.Errorf("message %+v", m)
		}
	}
	en := pending[1]
	if en.Recipient != "u-mgr" {
		en = pending[0]
	}
	for _, s := range []string{"2 open, 1 overdue, 2 failed deliveries", "(drills, counted apart: 1)", "- Special: 1 (Receive 1)",
		"- Ordinary: 1 (Receive 1)", "- Serious: 0", late.Number + " [Special] Receive: Web shell on the portal"} {
		if !strings.Contains(en.Subject+"\n"+en.Body, s) {
			t.Errorf("digest lacks %q:\n%s\n%s", s, en.Subject, en.Body)
		}
	}
}
