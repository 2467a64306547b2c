package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// reported is a new incident as the service stores it.
func reportedInc(number string, level incident.Level) *incident.Incident {
	at := time.Date(2026, 3, 21, 1, 30, 0, 0, time.UTC)
	return &incident.Incident{
		ID: "id-" + number, Number: number, Version: 1, Title: "Ransom note on file server <FS-01>",
		Category: incident.MaliciousProgram, SuggestedLevel: level, Level: level, Stage: incident.Receive,
		Source: "web", Reporter: incident.Actor{ID: "u-reporter", Name: "Li Na"}, CreatedAt: at,
		Timeline: []incident.Entry{{At: at, Kind: incident.EntryReported, To: string(incident.Receive)}},
	}
}

// changed returns inc after one more change recorded by entry.
func changedInc(inc *incident.Incident, e incident.Entry, edit func(*incident.Incident)) *incident.Incident {
	next := inc.Clone()
	next.Version++
	next.Timeline = append(next.Timeline, e)
	if edit != nil {
		edit(next)
	}
	return next
}

func msgKeys(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	return out
}

func TestBroadcastPlanner(t *testing.T) {
	ctx := context.Background()
	p := notify.NewBroadcastPlanner(loadGood(t), baseURL)

	inc := reportedInc("INC-2026-000042", incident.Special)
	msgs, err := p.Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: inc})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"INC-2026-000042/broadcast/leadership-dingtalk/reported/v1",
		"INC-2026-000042/broadcast/siem/reported/v1",
		"INC-2026-000042/broadcast/soc-mail/reported/v1",
	}
	if got := msgKeys(msgs); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	for _, m := range msgs {
		ep := strings.Split(m.Key, "/")[2]
		if m.Kind != notify.KindBroadcast || m.Address != ep || m.Incident != inc.Number || m.Recipient != "" {
			t.Errorf("message %+v", m)
		}
	}
	if ch := msgs[0].Channel; ch != notify.ChannelDingTalk {
		t.Errorf("the dingtalk destination's channel is %q", ch)
	}
	m := msgs[0]
	for _, s := range []string{"INC-2026-000042", "Special 特殊事件", "Malicious program 恶意程序", "Receive 事件接报",
		"Ransom note on file server <FS-01>", baseURL + "/incidents/INC-2026-000042", "A new incident was reported via web.", "收到新的事件报告"} {
		if !strings.Contains(m.Subject+"\n"+m.Body, s) {
			t.Errorf("broadcast lacks %q:\n%s\n%s", s, m.Subject, m.Body)
		}
	}
	if strings.Contains(m.Subject, "DRILL") {
		t.Error("a real incident marked as a drill")
	}

	// The same change planned again, or replayed by a reconciliation,
	// gives the same keys.
	again, _ := p.Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: inc})
	replay, _ := p.Plan(ctx, incident.Event{Kind: notify.EventReconcile, Incident: inc})
	if !slices.Equal(msgKeys(again), want) || !slices.Equal(msgKeys(replay), want) {
		t.Errorf("planned twice: %v; reconciled: %v; want %v", msgKeys(again), msgKeys(replay), want)
	}

	// A level change: a new version, its own keys; soc-mail wants it.
	lowered := changedInc(inc, incident.Entry{Kind: incident.EntryLevel, From: "special", To: "serious", Reason: "internal scan"},
		func(i *incident.Incident) { i.Level = incident.Serious })
	msgs, _ = p.Plan(ctx, incident.Event{Kind: incident.EventLevel, Incident: lowered})
	if got := msgKeys(msgs); !slices.Equal(got, []string{"INC-2026-000042/broadcast/siem/level/v2", "INC-2026-000042/broadcast/soc-mail/level/v2"}) {
		t.Errorf("level change keys %v", got)
	}
	if b := msgs[0].Body; !strings.Contains(b, "from Special to Serious. Reason: internal scan") || !strings.Contains(b, "级别由特殊事件调整为严重事件") {
		t.Errorf("level change body:\n%s", b)
	}

	// An acknowledgement is broadcast nowhere.
	acked := changedInc(lowered, incident.Entry{Kind: incident.EntryAck}, nil)
	if msgs, _ := p.Plan(ctx, incident.Event{Kind: incident.EventAck, Incident: acked}); len(msgs) != 0 {
		t.Errorf("ack broadcast: %v", msgKeys(msgs))
	}
	if msgs, _ := p.Plan(ctx, incident.Event{Kind: notify.EventReconcile, Incident: acked}); len(msgs) != 0 {
		t.Errorf("ack replayed: %v", msgKeys(msgs))
	}

	// Dispatch to the network team reaches its robot; a rejection is "closed".
	dispatched := changedInc(lowered, incident.Entry{Kind: incident.EntryStage, From: "plan", To: "dispatch"}, func(i *incident.Incident) {
		i.Stage = incident.Dispatch
		i.Assignees = []incident.Assignee{{Kind: "team", Name: "Network team"}}
	})
	msgs, _ = p.Plan(ctx, incident.Event{Kind: incident.EventStage, Incident: dispatched})
	if got := msgKeys(msgs); !slices.Equal(got, []string{"INC-2026-000042/broadcast/netops-wecom/stage/v3", "INC-2026-000042/broadcast/siem/stage/v3"}) {
		t.Errorf("dispatch keys %v", got)
	}
	if b := msgs[0].Body; !strings.Contains(b, "moved from Plan to Dispatch") || !strings.Contains(b, "进入“资源调配”阶段") {
		t.Errorf("stage body:\n%s", b)
	}
}

func TestBroadcastDrillAndRejection(t *testing.T) {
	ctx := context.Background()
	p := notify.NewBroadcastPlanner(loadGood(t), baseURL)
	inc := reportedInc("INC-2026-000043", incident.Ordinary)
	inc.Drill = true
	rejected := changedInc(inc, incident.Entry{Kind: incident.EntryStage, From: "receive", To: "rejected"}, func(i *incident.Incident) {
		i.Stage = incident.Rejected
		i.Rejection = incident.Rejection{Reason: incident.Duplicate, DuplicateOf: "INC-2026-000042", Note: "same host"}
	})
	for _, kind := range []incident.EventKind{incident.EventStage, notify.EventReconcile} {
		msgs, err := p.Plan(ctx, incident.Event{Kind: kind, Incident: rejected})
		if err != nil || len(msgs) != 2 {
			t.Fatalf("%s: %v, %v", kind, msgKeys(msgs), err)
		}
		for _, m := range msgs {
			if !strings.HasPrefix(m.Subject, notify.DrillTag) || !strings.Contains(m.Subject, "Rejected 已驳回") {
				t.Errorf("subject %q", m.Subject)
			}
			if !strings.HasSuffix(m.Key, "/closed/v2") {
				t.Errorf("key %s", m.Key)
			}
			for _, s := range []string{"duplicates INC-2026-000042", "与 INC-2026-000042 重复", "Note 说明: same host", "Drill 演练: yes"} {
				if !strings.Contains(m.Body, s) {
					t.Errorf("body lacks %q:\n%s", s, m.Body)
				}
			}
		}
	}
	if msgs, _ := notify.NewBroadcastPlanner(nil, baseURL).Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: inc}); len(msgs) != 0 {
		t.Errorf("no routes, yet %v", msgKeys(msgs))
	}
}

func TestChangeOf(t *testing.T) {
	inc := reportedInc("INC-1", incident.Serious)
	stage := changedInc(inc, incident.Entry{Kind: incident.EntryStage, From: "receive", To: "confirm"}, func(i *incident.Incident) { i.Stage = incident.Confirm })
	closed := changedInc(stage, incident.Entry{Kind: incident.EntryStage, From: "review", To: "closed"}, func(i *incident.Incident) { i.Stage = incident.Closed })
	level := changedInc(stage, incident.Entry{Kind: incident.EntryLevel, From: "serious", To: "special"}, nil)
	paged := changedInc(stage, incident.Entry{Kind: incident.EntryEscalation}, nil)
	for _, tc := range []struct {
		kind incident.EventKind
		inc  *incident.Incident
		want notify.Change
	}{
		{incident.EventReported, inc, notify.ChangeReported},
		{notify.EventReconcile, inc, notify.ChangeReported},
		{incident.EventStage, stage, notify.ChangeStage},
		{notify.EventReconcile, stage, notify.ChangeStage},
		{incident.EventStage, closed, notify.ChangeClosed},
		{notify.EventReconcile, closed, notify.ChangeClosed},
		{incident.EventLevel, level, notify.ChangeLevel},
		{notify.EventReconcile, level, notify.ChangeLevel},
		{incident.EventRecord, paged, ""},
		{notify.EventReconcile, paged, ""},
		{incident.EventAck, stage, ""},
		{incident.EventOccurrence, stage, ""},
	} {
		got, ok := notify.ChangeOf(incident.Event{Kind: tc.kind, Incident: tc.inc})
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ChangeOf(%s, last entry %s) = %q, %v; want %q", tc.kind, tc.inc.Timeline[len(tc.inc.Timeline)-1].Kind, got, ok, tc.want)
		}
	}
}

// TestTextsFit: a long Chinese title and a long note stay within the
// message limits, cut on a rune boundary.
func TestTextsFit(t *testing.T) {
	inc := reportedInc("INC-2026-000044", incident.Serious)
	inc.Title = strings.Repeat("勒索软件加密了文件服务器", 20)[:incident.MaxTitle*3]
	inc.Drill = true
	inc.Stage = incident.Rejected
	inc.Rejection = incident.Rejection{Reason: incident.FalsePositive, Note: strings.Repeat("说明", 10000)}
	for _, lang := range []string{"en", "zh"} {
		s, b := notify.FeedbackText(inc, notify.FeedbackOutcome, lang, baseURL)
		if len(s) > notify.MaxSubject || len(b) > notify.MaxBody || !validUTF8(s) || !validUTF8(b) {
			t.Errorf("%s: subject %d bytes, body %d bytes", lang, len(s), len(b))
		}
		if !strings.HasPrefix(s, notify.DrillTag) {
			t.Errorf("%s: drill not marked: %q", lang, s)
		}
	}
	s, b := notify.BroadcastText(inc, notify.ChangeClosed, baseURL)
	if len(s) > notify.MaxSubject || len(b) > notify.MaxBody || !validUTF8(s) || !validUTF8(b) || !strings.HasSuffix(s, "…") {
		t.Errorf("broadcast: subject %d bytes (%q), body %d bytes", len(s), s, len(b))
	}
}
