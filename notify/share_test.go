package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/share"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// decidersFunc is a notify.ShareDeciders from a function.
type decidersFunc func(*share.Grant) ([]string, error)

func (f decidersFunc) Deciders(_ context.Context, g *share.Grant) ([]string, error) { return f(g) }

// sharedGrant is a grant whose purpose, title-like text and comments must
// never reach a message.
func sharedGrant(kind share.Kind) *share.Grant {
	from := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	g := &share.Grant{ID: "SG-0123456789ab", Kind: kind, Status: share.Active, Version: 3,
		Requester: share.Party{UserID: "u-req", Username: "liaison", Name: "Zhang Wei", Organization: "Provincial CERT", Department: "协调处"},
		Owner:     share.Party{UserID: "u-own", Username: "li.na", Name: "Li Na"},
		Purpose:   "SECRET-PURPOSE ransomware at finance 10.1.2.3",
		Scope:     share.Scope{Incidents: []string{"INC-2026-000007", "INC-2026-000009"}, Sections: []share.Section{share.Timeline}},
		From:      from, Until: from.Add(14 * 24 * time.Hour),
		History: []share.Step{{Action: share.ActApprove, Comment: "SECRET-COMMENT"}},
		Reason:  "SECRET-REASON-ON-GRANT"}
	if kind == share.Application {
		g.Until = from.AddDate(1, 0, 0)
	}
	return g
}

// TestShareNotifierOnTheOutbox: notices become messages on the real
// outbox, routed by contact, in the reader's language, linking to the
// grant; a submitted request goes to every decider but the requester; a
// replayed notice adds nothing.
func TestShareNotifierOnTheOutbox(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	now := time.Date(2026, 3, 15, 8, 0, 0, 0, time.UTC)
	out := notify.NewOutbox(db.Outbox(), func() time.Time { return now }, slog.New(slog.DiscardHandler))
	contacts := contactsByID{
		"u-req": {Email: "zhang@cert.example", Lang: "en"},
		"u-own": {SlackID: "ULINA", Email: "li@example.cn", Lang: "zh"},
		"u-mgr": {SlackID: "UMGR", Lang: "en"},
	}
	var asked []*share.Grant
	deciders := decidersFunc(func(g *share.Grant) ([]string, error) {
		asked = append(asked, g)
		return []string{"u-mgr", "u-own", "u-req", "u-gone"}, nil
	})
	n := notify.NewShareNotifier(out, contacts, deciders, "https://hub.example/", slog.New(slog.DiscardHandler))

	em := sharedGrant(share.Emergency)
	app := sharedGrant(share.Application)
	app.ID = "SG-aaaaaaaaaaaa"
	notices := []share.Notice{
		{Key: "share/SG-0123456789ab/submitted/1/deciders", Kind: share.NoticeSubmitted, Grant: em},
		{Key: "share/SG-0123456789ab/suspended/3/u-own", Kind: share.NoticeSuspended, Grant: em, To: em.Owner,
			Reason: "abnormal use: 75 accesses in an hour, beyond 60"},
		{Key: "share/SG-0123456789ab/suspended/3/u-req", Kind: share.NoticeSuspended, Grant: em, To: em.Requester,
			Reason: "75 accesses in an hour, beyond 60"},
		{Key: "share/SG-0123456789ab/expired/4/u-own", Kind: share.NoticeExpired, Grant: em, To: em.Owner},
		{Key: "share/SG-0123456789ab/expired/4/u-req", Kind: share.NoticeExpired, Grant: em, To: em.Requester},
		{Key: "share/SG-aaaaaaaaaaaa/returned/2/u-req", Kind: share.NoticeReturned, Grant: app, To: app.Requester, Reason: "SECRET-RETURN-COMMENT"},
		{Key: "share/SG-aaaaaaaaaaaa/expired/9/u-req", Kind: share.NoticeExpired, Grant: app, To: app.Requester},
	}
	for range 2 {
		if err := n.Notify(ctx, notices...); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := out.List(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]notify.Message{}
	for _, m := range msgs {
		by[m.Key] = m
		if m.Kind != notify.KindShare || !m.Restricted || m.Incident != "" {
			t.Errorf("%s: kind %s, restricted %v, incident %q", m.Key, m.Kind, m.Restricted, m.Incident)
		}
		text := m.Subject + "\n" + m.Body
		for _, secret := range []string{"SECRET", "ransomware", "10.1.2.3"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s says %q:\n%s", m.Key, secret, text)
			}
		}
	}
	if len(msgs) != 9 {
		t.Fatalf("%d messages, want 3 deciders + 6 notices: %v", len(msgs), keysOf(msgs))
	}
	if len(asked) != 2 || asked[0] != em {
		t.Errorf("deciders asked %d times, want once per Notify", len(asked))
	}
	if _, ok := by["share/SG-0123456789ab/submitted/1/deciders/u-req"]; ok {
		t.Error("the requester was asked to decide their own request")
	}

	mgr := by["share/SG-0123456789ab/submitted/1/deciders/u-mgr"]
	wantMgr := []string{"Decide: emergency access request SG-0123456789ab", "Zhang Wei (Provincial CERT, 协调处) asks for access to incidents INC-2026-000007, INC-2026-000009",
		"from 2026-03-01 08:00 UTC to 2026-03-15 08:00 UTC", "https://hub.example/sharing/grants/SG-0123456789ab"}
	checkMsg(t, mgr, notify.ChannelSlack, "UMGR", wantMgr)
	checkMsg(t, by["share/SG-0123456789ab/submitted/1/deciders/u-own"], notify.ChannelSlack, "ULINA",
		[]string{"待审批：应急授权申请 SG-0123456789ab", "Zhang Wei（Provincial CERT 协调处） 申请访问事件 INC-2026-000007、INC-2026-000009"})
	if m := by["share/SG-0123456789ab/submitted/1/deciders/u-gone"]; m.Channel != notify.ChannelLog || m.Recipient != "u-gone" {
		t.Errorf("a decider without contact: %+v", m)
	}

	checkMsg(t, by["share/SG-0123456789ab/suspended/3/u-own"], notify.ChannelSlack, "ULINA",
		[]string{"告警：应急授权 SG-0123456789ab 已中止", "因异常使用已中止：75 accesses in an hour, beyond 60；请核查后恢复或撤销：https://hub.example/sharing/grants/SG-0123456789ab"})
	checkMsg(t, by["share/SG-0123456789ab/suspended/3/u-req"], notify.ChannelEmail, "zhang@cert.example",
		[]string{"Suspended: your emergency grant SG-0123456789ab", "suspended on abnormal use: 75 accesses in an hour, beyond 60"})

	apply := "https://hub.example/sharing/apply?from=SG-0123456789ab"
	checkMsg(t, by["share/SG-0123456789ab/expired/4/u-req"], notify.ChannelEmail, "zhang@cert.example",
		[]string{"Expired: emergency grant SG-0123456789ab", "ended at 2026-03-15 08:00 UTC", "Continued use needs an application: " + apply})
	checkMsg(t, by["share/SG-0123456789ab/expired/4/u-own"], notify.ChannelSlack, "ULINA",
		[]string{"已到期：应急授权 SG-0123456789ab", "继续使用需提交申请授权：" + apply})

	checkMsg(t, by["share/SG-aaaaaaaaaaaa/returned/2/u-req"], notify.ChannelEmail, "zhang@cert.example",
		[]string{"Returned for correction: your sharing application SG-aaaaaaaaaaaa", "resubmit: https://hub.example/sharing/grants/SG-aaaaaaaaaaaa"})
	if m := by["share/SG-aaaaaaaaaaaa/expired/9/u-req"]; strings.Contains(m.Body, "apply") || !strings.Contains(m.Body, "withdrawn") {
		t.Errorf("an application's expiry:\n%s", m.Body)
	}
}

func checkMsg(t *testing.T, m notify.Message, ch notify.Channel, addr string, want []string) {
	t.Helper()
	if m.Key == "" {
		t.Errorf("missing message, want one to %s saying %q", addr, want)
		return
	}
	if m.Channel != ch || m.Address != addr {
		t.Errorf("%s: routed to %s %q, want %s %q", m.Key, m.Channel, m.Address, ch, addr)
	}
	for _, w := range want {
		if !strings.Contains(m.Subject+"\n"+m.Body, w) {
			t.Errorf("%s lacks %q:\n%s\n%s", m.Key, w, m.Subject, m.Body)
		}
	}
}

func keysOf(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	return out
}

// TestShareTextEveryKind: every notice kind renders a subject and a body
// with the grant's link in both languages; a rule's rate notice links to
// the rule.
func TestShareTextEveryKind(t *testing.T) {
	g := sharedGrant(share.Application)
	for _, kind := range []string{share.NoticeSubmitted, share.NoticeApproved, share.NoticeRejected, share.NoticeReturned,
		share.NoticeSuspended, share.NoticeReinstated, share.NoticeRevoked, share.NoticeExpired} {
		seen := map[string]bool{}
		for _, lang := range []string{"en", "zh"} {
			subject, body := notify.ShareText(share.Notice{Kind: kind, Grant: g, To: g.Requester}, "u-req", lang, "https://hub")
			if subject == "" || !strings.Contains(subject, g.ID) || !strings.Contains(body, "https://hub/sharing/grants/"+g.ID) {
				t.Errorf("%s/%s: %q\n%s", kind, lang, subject, body)
			}
			if seen[subject] {
				t.Errorf("%s: the same subject in both languages: %q", kind, subject)
			}
			seen[subject] = true
		}
	}
	r := &share.Rule{ID: "SR-0123456789ab", Name: "Partner CERT, serious incidents", RatePerHour: 0}
	subject, body := notify.ShareText(share.Notice{Kind: share.NoticeRuleRate, Rule: r, Reason: "liaison: 61 accesses in an hour"}, "u-admin", "zh", "https://hub")
	if !strings.Contains(subject, "SR-0123456789ab") || !strings.Contains(body, "每小时访问 60 次") || !strings.Contains(body, "https://hub/sharing/rules/SR-0123456789ab/edit") {
		t.Errorf("rule rate notice: %q\n%s", subject, body)
	}
}

// TestShareNotifierErrors: a deciders failure is returned; a notice that
// names nobody is refused, and nothing is enqueued.
func TestShareNotifierErrors(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	out := notify.NewOutbox(db.Outbox(), time.Now, slog.New(slog.DiscardHandler))
	boom := errors.New("accounts unavailable")
	n := notify.NewShareNotifier(out, contactsByID{}, decidersFunc(func(*share.Grant) ([]string, error) { return nil, boom }),
		"https://hub", slog.New(slog.DiscardHandler))
	g := sharedGrant(share.Emergency)
	if err := n.Notify(ctx, share.Notice{Kind: share.NoticeSubmitted, Grant: g}); !errors.Is(err, boom) {
		t.Errorf("deciders failing: %v", err)
	}
	if err := n.Notify(ctx, share.Notice{Kind: share.NoticeApproved, Grant: g, To: g.Requester},
		share.Notice{Kind: share.NoticeRevoked, Grant: g}); err == nil {
		t.Error("a notice to nobody was accepted")
	}
	if msgs, err := out.List(ctx, "", 0); err != nil || len(msgs) != 0 {
		t.Errorf("enqueued %v, %v", keysOf(msgs), err)
	}
}
