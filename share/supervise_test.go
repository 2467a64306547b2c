package share_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/share"
)

// feed is an API token of the SOC feed system calling from 10.20.3.4.
var feed = share.Requester{Party: share.Party{UserID: "u-feed", Username: "soc-feed", Organization: "Water Board"},
	Roles: []string{"reporter"}, System: "soc-feed", Addr: "10.20.3.4"}

// TestRuleOverSystemAndNetwork: a rule naming a system and a network
// admits that system's token from that network, never the web, and
// refuses beyond its rate, telling its author once an hour.
func TestRuleOverSystemAndNetwork(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	e.incident(inc2, true)
	if _, err := e.svc.SaveRule(e.ctx, share.Rule{Name: "feed", Networks: []string{"10.20.0.0/33"}}, admin); fields(t, err)["networks"].EN == "" {
		t.Fatalf("bad network saved: %v", err)
	}
	r, err := e.svc.SaveRule(e.ctx, share.Rule{Name: "SOC feed", Enabled: true, Systems: []string{"soc-feed"},
		Networks: []string{"10.20.0.0/16"}, Sections: []share.Section{share.Timeline}, RatePerHour: 3}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.ID, "SR-") || r.Version != 1 || r.CreatedBy != admin {
		t.Errorf("saved rule %+v", r)
	}
	if _, v, err := e.svc.Open(e.ctx, feed, inc1); err != nil || v.Basis != share.ByRule || v.By != r.ID {
		t.Fatalf("feed: %+v, %v", v, err)
	}
	if _, _, err := e.svc.Open(e.ctx, feed, inc2); !errors.Is(err, share.ErrDenied) {
		t.Errorf("restricted incident opened: %v", err)
	}
	outside := feed
	outside.Addr = "10.21.0.1"
	webFeed := feed
	webFeed.System = ""
	otherSystem := feed
	otherSystem.System = "ticketing"
	for name, req := range map[string]share.Requester{"other network": outside, "web": webFeed, "other system": otherSystem} {
		if _, _, err := e.svc.Open(e.ctx, req, inc1); !errors.Is(err, share.ErrDenied) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Two more make three in the hour; the fourth is over the rate.
	for range 2 {
		if _, _, err := e.svc.Open(e.ctx, feed, inc1); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		_, v, err := e.svc.Open(e.ctx, feed, inc1)
		if !errors.Is(err, share.ErrDenied) || v.Reason != share.ReasonRate {
			t.Errorf("over the rate: %+v, %v", v, err)
		}
	}
	ns := e.notes.of(share.NoticeRuleRate)
	if len(ns) == 0 || ns[0].To != admin || ns[0].Rule.ID != r.ID ||
		ns[0].Key != "share/"+r.ID+"/rule_rate/"+e.clock.Now().UTC().Format("2006010215")+"/"+admin.UserID {
		t.Errorf("rate notices %+v", ns)
	}
	for _, n := range ns {
		if n.Key != ns[0].Key {
			t.Errorf("a second key within the hour: %s", n.Key)
		}
	}
	e.clock.advance(time.Hour + time.Second)
	if _, _, err := e.svc.Open(e.ctx, feed, inc1); err != nil {
		t.Errorf("an hour later: %v", err)
	}
	// Saving checks the version and records what changed.
	stale := *r
	r.Name = "SOC feed (renamed)"
	if r, err = e.svc.SaveRule(e.ctx, *r, admin); err != nil || r.Version != 2 {
		t.Fatalf("rename: %+v, %v", r, err)
	}
	if _, err := e.svc.SaveRule(e.ctx, stale, admin); !errors.Is(err, share.ErrConflict) {
		t.Errorf("stale save: %v", err)
	}
	recs := e.records("share.rule.save")
	if len(recs) != 2 || len(recs[1].Changes) != 1 || recs[1].Changes[0].Before != "SOC feed" || recs[1].Changes[0].After != "SOC feed (renamed)" {
		t.Errorf("rule records %+v", recs)
	}
}

// TestSuspendOnRateAndReinstate: the access beyond a grant's rate
// suspends it and alerts its owner; reinstated later, it admits again.
func TestSuspendOnRateAndReinstate(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	r := e.req(share.Application, 30*24*time.Hour, inc1)
	r.RatePerHour = 3
	g := e.approved(r)
	for i := range 3 {
		if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc1); err != nil {
			t.Fatalf("access %d: %v", i+1, err)
		}
	}
	if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc1); !errors.Is(err, share.ErrSuspended) {
		t.Fatalf("fourth access: %v", err)
	}
	st := e.grant(g.ID)
	if st.Status != share.Suspended || !strings.Contains(st.Reason, "4 accesses") {
		t.Errorf("grant %s: %q", st.Status, st.Reason)
	}
	ns := e.notes.of(share.NoticeSuspended)
	if len(ns) != 2 || ns[0].To.UserID != mgr.UserID || ns[1].To.UserID != alice.UserID || ns[0].Reason != st.Reason {
		t.Errorf("suspension notices %+v", ns)
	}
	if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc1); !errors.Is(err, share.ErrSuspended) {
		t.Errorf("open while suspended: %v, want ErrSuspended (the requester's own grant)", err)
	}
	bound := aliceWeb
	bound.Grant, bound.System = g.ID, "alice-script"
	if _, _, err := e.svc.Open(e.ctx, bound, inc1); !errors.Is(err, share.ErrSuspended) {
		t.Errorf("token bound to the suspended grant: %v", err)
	}
	e.clock.advance(time.Hour + time.Second)
	st, err := e.svc.Reinstate(e.ctx, st.ID, st.Version, "spoke to the requester", mgr)
	if err != nil || st.Status != share.Active {
		t.Fatalf("reinstate: %+v, %v", st, err)
	}
	if n := e.notes.of(share.NoticeReinstated); len(n) != 1 || n[0].To.UserID != alice.UserID {
		t.Errorf("reinstated notices %+v", n)
	}
	if _, v, err := e.svc.Open(e.ctx, bound, inc1); err != nil || v.By != g.ID {
		t.Errorf("after reinstating: %+v, %v", v, err)
	}
	if rs := e.records("share.grant.suspend", "share.grant.reinstate"); len(rs) != 2 || rs[0].Actor.UserID != "system" ||
		rs[0].Changes[0] != (audit.Change{Field: "status", Before: "active", After: "suspended"}) {
		t.Errorf("records %+v", rs)
	}
}

// TestSuspendOnScopeStrikes: attempts on incidents the grant does not
// cover, unknown ones included, count against it; the third suspends it.
func TestSuspendOnScopeStrikes(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	e.incident(inc2, false)
	g := e.approved(e.req(share.Application, 30*24*time.Hour, inc1))
	_, notShared, err1 := e.svc.Open(e.ctx, aliceWeb, inc2)
	_, unknown, err2 := e.svc.Open(e.ctx, aliceWeb, "INC-2026-000404")
	if !errors.Is(err1, share.ErrDenied) || !errors.Is(err2, share.ErrDenied) || err1.Error() != err2.Error() || fmt.Sprint(notShared) != fmt.Sprint(unknown) {
		t.Errorf("not shared %+v %v; unknown %+v %v: want the same answer", notShared, err1, unknown, err2)
	}
	if st := e.grant(g.ID); st.Status != share.Active {
		t.Fatalf("suspended after two strikes: %s", st.Reason)
	}
	if as := e.accesses(share.AccessFilter{By: g.ID}); len(as) != 2 || as[0].Allowed || len(as[0].Grants) != 1 || as[0].Grants[0] != g.ID {
		t.Errorf("refused accesses %+v", as)
	}
	_, _, _ = e.svc.Open(e.ctx, aliceWeb, inc2)
	st := e.grant(g.ID)
	if st.Status != share.Suspended || !strings.Contains(st.Reason, "beyond the grant's scope") {
		t.Fatalf("after three strikes: %s %q", st.Status, st.Reason)
	}
	if ns := e.notes.of(share.NoticeSuspended); len(ns) != 2 || ns[0].To.UserID != mgr.UserID {
		t.Errorf("suspension notices %+v", ns)
	}
	if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc1); !errors.Is(err, share.ErrSuspended) {
		t.Errorf("open after suspension: %v, want ErrSuspended", err)
	}
	if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc2); !errors.Is(err, share.ErrDenied) {
		t.Errorf("open of an incident the suspended grant does not name: %v, want ErrDenied", err)
	}
	// Revoked while suspended, it stays ended: no reinstating.
	st, err := e.svc.Revoke(e.ctx, st.ID, st.Version, "misuse", mgr)
	if err != nil || st.Status != share.Revoked {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := e.svc.Reinstate(e.ctx, st.ID, st.Version, "", mgr); !errors.Is(err, share.ErrNotAllowed) {
		t.Errorf("reinstated a revoked grant: %v", err)
	}
	if n := e.notes.of(share.NoticeRevoked); len(n) != 1 || n[0].To.UserID != alice.UserID || n[0].Reason != "misuse" {
		t.Errorf("revoked notices %+v", n)
	}
}

// TestProbingLearnsNothing: an unknown incident, a garbled number and an
// incident not shared get the same answer.
func TestProbingLearnsNothing(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	var answers []string
	for _, n := range []string{inc1, "INC-2026-000404", strings.Repeat("编号", 300)} {
		_, v, err := e.svc.Open(e.ctx, aliceWeb, n)
		if !errors.Is(err, share.ErrDenied) {
			t.Fatalf("%.20s: %v", n, err)
		}
		answers = append(answers, fmt.Sprint(v, err))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("answers differ:\n%s", strings.Join(answers, "\n"))
	}
	if as := e.accesses(share.AccessFilter{Requester: alice.UserID}); len(as) != 3 || as[2].Allowed {
		t.Errorf("access log %+v", as)
	}
}

// TestExpireDueOnTwoInstances: two instances running the job at once
// end each grant once and tell each side once.
func TestExpireDueOnTwoInstances(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	for range 4 {
		e.approved(e.req(share.Application, time.Hour, inc1))
	}
	e.clock.advance(time.Hour)
	counts := make(chan int, 2)
	for range 2 {
		go func() {
			n, err := e.svc.ExpireDue(e.ctx)
			if err != nil {
				t.Error(err)
			}
			counts <- n
		}()
	}
	if total := <-counts + <-counts; total != 4 {
		t.Errorf("%d grants expired; want 4", total)
	}
	keys := map[string]bool{}
	for _, n := range e.notes.of(share.NoticeExpired) {
		keys[n.Key] = true
	}
	if len(keys) != 8 || len(e.notes.of(share.NoticeExpired)) != 8 {
		t.Errorf("%d notices with %d keys; want 8 (requester and owner of each)", len(e.notes.of(share.NoticeExpired)), len(keys))
	}
}
