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

const (
	inc1 = "INC-2026-000001"
	inc2 = "INC-2026-000002"
)

// TestApplicationWithCorrectionLoop: an application is returned twice,
// corrected each time, approved with a shorter period, and then admits
// its requester; every step is in the history, the notices and the
// audit trail.
func TestApplicationWithCorrectionLoop(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	g, err := e.svc.Submit(e.ctx, e.req(share.Application, 365*24*time.Hour, inc1, inc1), alice)
	if err != nil {
		t.Fatal(err)
	}
	if g.Status != share.Pending || g.Version != 1 || len(g.Scope.Incidents) != 1 || !strings.HasPrefix(g.ID, "SG-") {
		t.Fatalf("submitted %+v", g)
	}
	if _, err := e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove}, alice); !errors.Is(err, share.ErrForbidden) {
		t.Errorf("the requester approved their own application: %v", err)
	}
	if _, err := e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: share.ActReturn}, mgr); fields(t, err)["comment"].EN == "" {
		t.Errorf("returned without a comment: %v", err)
	}
	for i := range 2 {
		g, err = e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: share.ActReturn, Comment: fmt.Sprintf("correction %d", i+1)}, mgr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Resubmit(e.ctx, g.ID, g.Version-1, e.req(share.Application, time.Hour, inc1), alice); !errors.Is(err, share.ErrConflict) {
			t.Errorf("resubmitted a stale version: %v", err)
		}
		if _, err := e.svc.Resubmit(e.ctx, g.ID, g.Version, e.req(share.Application, time.Hour, inc1), mgr); !errors.Is(err, share.ErrForbidden) {
			t.Errorf("someone else resubmitted: %v", err)
		}
		r := e.req(share.Application, 180*24*time.Hour, inc1)
		r.Purpose = fmt.Sprintf("purpose, corrected %d", i+1)
		g, err = e.svc.Resubmit(e.ctx, g.ID, g.Version, r, alice)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.advance(time.Minute)
	}
	shorter := e.clock.Now().Add(30 * 24 * time.Hour)
	g, err = e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove, Comment: "approved for a month", Until: &shorter}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	stored := e.grant(g.ID)
	if stored.Status != share.Active || stored.Owner.UserID != mgr.UserID || !stored.Until.Equal(shorter) ||
		stored.Returns() != 2 || len(stored.History) != 6 || stored.Purpose != "purpose, corrected 2" {
		t.Errorf("stored grant %+v", stored)
	}

	view, v, err := e.svc.Open(e.ctx, aliceWeb, inc1)
	if err != nil || v.Basis != share.ByApplication || v.By != g.ID {
		t.Fatalf("open: %+v, %v", v, err)
	}
	// The shared view is desensitized: the reporter's phone and e-mail
	// and the internal address are masked.
	if view.Number != inc1 || view.By != g.ID || view.Description == nil ||
		strings.Contains(view.Description.Text, "13812345678") || strings.Contains(view.Description.Text, "zhang.wei@example.cn") ||
		strings.Contains(view.Description.Text, "10.1.2.3") || view.Masked[share.Phones] == 0 || view.Masked[share.Emails] == 0 {
		t.Errorf("shared view %+v (description %+v)", view, view.Description)
	}

	if n := len(e.notes.of(share.NoticeSubmitted)); n != 3 {
		t.Errorf("%d submitted notices; want 3 (submit and two resubmissions)", n)
	}
	for _, n := range e.notes.of(share.NoticeSubmitted) {
		if n.To.UserID != "" || !strings.HasSuffix(n.Key, "/deciders") {
			t.Errorf("submitted notice %q to %+v; want the deciders", n.Key, n.To)
		}
	}
	if rs := e.notes.of(share.NoticeReturned); len(rs) != 2 || rs[1].To.UserID != alice.UserID || rs[1].Reason != "correction 2" {
		t.Errorf("returned notices %+v", rs)
	}
	if as := e.notes.of(share.NoticeApproved); len(as) != 1 || as[0].Key != fmt.Sprintf("share/%s/approved/6/%s", g.ID, alice.UserID) {
		t.Errorf("approved notices %+v", as)
	}

	var acts []string
	for _, r := range e.records() {
		if r.Target.Kind == "grant" {
			acts = append(acts, string(r.Action)+":"+r.Changes[0].Before+">"+r.Changes[0].After)
		}
	}
	want := "share.grant.submit:>pending share.grant.return:pending>returned share.grant.resubmit:returned>pending " +
		"share.grant.return:pending>returned share.grant.resubmit:returned>pending share.grant.approve:pending>active"
	if got := strings.Join(acts, " "); got != want {
		t.Errorf("audit\n got %s\nwant %s", got, want)
	}
	approve := e.records("share.grant.approve")[0]
	if approve.Actor.UserID != mgr.UserID || len(approve.Changes) != 2 || approve.Changes[1].Field != "until" ||
		approve.Changes[1].After != shorter.Format(time.RFC3339) {
		t.Errorf("approve record %+v", approve)
	}
}

// TestSubmitChecks: incidents must exist; the limits hold through the
// service at their exact boundaries.
func TestSubmitChecks(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	_, err := e.svc.Submit(e.ctx, e.req(share.Application, time.Hour, inc1, "INC-2026-000404"), alice)
	if m := fields(t, err)["incidents"]; !strings.Contains(m.EN, "INC-2026-000404") || !strings.Contains(m.ZH, "INC-2026-000404") {
		t.Errorf("unknown incident: %v", err)
	}
	from := e.clock.Now()
	for _, tt := range []struct {
		kind  share.Kind
		until time.Time
		ok    bool
	}{
		{share.Application, from.AddDate(3, 0, 0), true},
		{share.Application, from.AddDate(3, 0, 0).Add(time.Second), false},
		{share.Emergency, from.Add(14 * 24 * time.Hour), true},
		{share.Emergency, from.Add(14*24*time.Hour + time.Second), false},
	} {
		r := e.req(tt.kind, 0, inc1)
		r.Until = tt.until
		g, err := e.svc.Submit(e.ctx, r, alice)
		if tt.ok != (err == nil) {
			t.Errorf("%s until %v: %v", tt.kind, tt.until, err)
			continue
		}
		if !tt.ok {
			if _, ok := fields(t, err)["until"]; !ok {
				t.Errorf("%s until %v: %v; want an error on until", tt.kind, tt.until, err)
			}
			continue
		}
		if !e.grant(g.ID).Until.Equal(tt.until) {
			t.Errorf("stored until %v; want %v", e.grant(g.ID).Until, tt.until)
		}
	}
	gs, _ := e.svc.Grants(e.ctx, share.GrantFilter{Requester: alice.UserID})
	if len(gs) != 2 {
		t.Errorf("%d grants stored; want 2 (nothing of the refused ones)", len(gs))
	}
}

// TestEmergencyExpiry: an emergency grant admits until its end; after it,
// accesses are refused before the job runs; the job ends it once and
// tells both sides that further use needs an application.
func TestEmergencyExpiry(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	g := e.approved(e.req(share.Emergency, 14*24*time.Hour, inc1))
	if _, v, err := e.svc.Open(e.ctx, aliceWeb, inc1); err != nil || v.Basis != share.ByEmergency || v.By != g.ID {
		t.Fatalf("open: %+v, %v", v, err)
	}
	e.clock.advance(14*24*time.Hour - time.Second)
	if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc1); err != nil {
		t.Fatalf("open a second before the end: %v", err)
	}
	if n, err := e.svc.ExpireDue(e.ctx); n != 0 || err != nil {
		t.Fatalf("expired %d before the end: %v", n, err)
	}
	e.clock.advance(time.Second)
	if _, v, err := e.svc.Open(e.ctx, aliceWeb, inc1); !errors.Is(err, share.ErrDenied) || v.Allowed {
		t.Fatalf("open at the end, before the job: %+v, %v", v, err)
	}
	if n, err := e.svc.ExpireDue(e.ctx); n != 1 || err != nil {
		t.Fatalf("expired %d: %v", n, err)
	}
	if n, err := e.svc.ExpireDue(e.ctx); n != 0 || err != nil {
		t.Fatalf("expired %d again: %v", n, err)
	}
	st := e.grant(g.ID)
	last := st.History[len(st.History)-1]
	if st.Status != share.Expired || last.Action != share.ActExpire || last.By != share.SystemParty {
		t.Errorf("expired grant %s, last step %+v", st.Status, last)
	}
	ns := e.notes.of(share.NoticeExpired)
	if len(ns) != 2 || ns[0].To.UserID != alice.UserID || ns[1].To.UserID != mgr.UserID {
		t.Fatalf("expiry notices %+v", ns)
	}
	for _, n := range ns {
		if !strings.Contains(n.Reason, "further use needs an application") {
			t.Errorf("notice to %s: %q", n.To.UserID, n.Reason)
		}
	}
	if rs := e.records("share.grant.expire"); len(rs) != 1 || rs[0].Actor.Via != "system" {
		t.Errorf("expiry records %+v", rs)
	}
}

// TestDecisionOrderEndToEnd: with an emergency grant, a rule and an
// application all admitting alice, the emergency decides; revoked, the
// rule; disabled, the application; revoked too, nothing. The log says
// which decided each time.
func TestDecisionOrderEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	app := e.approved(e.req(share.Application, 90*24*time.Hour, inc1))
	em := e.approved(e.req(share.Emergency, 7*24*time.Hour, inc1))
	rule, err := e.svc.SaveRule(e.ctx, share.Rule{Name: "City CERT", Enabled: true, Organizations: []string{"City CERT"},
		Sections: []share.Section{share.Assets}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	open := func() share.Verdict {
		t.Helper()
		e.clock.advance(time.Minute)
		_, v, err := e.svc.Open(e.ctx, aliceWeb, inc1)
		if v.Allowed != (err == nil) {
			t.Fatalf("verdict %+v with error %v", v, err)
		}
		return v
	}
	if v := open(); v.Basis != share.ByEmergency || v.By != em.ID {
		t.Errorf("all three: %+v", v)
	}
	if _, err := e.svc.Revoke(e.ctx, em.ID, em.Version, "emergency over", mgr); err != nil {
		t.Fatal(err)
	}
	if v := open(); v.Basis != share.ByRule || v.By != rule.ID {
		t.Errorf("rule and application: %+v", v)
	}
	rule.Enabled = false
	if _, err := e.svc.SaveRule(e.ctx, *rule, admin); err != nil {
		t.Fatal(err)
	}
	if v := open(); v.Basis != share.ByApplication || v.By != app.ID {
		t.Errorf("application: %+v", v)
	}
	if _, err := e.svc.Revoke(e.ctx, app.ID, app.Version, "done", mgr); err != nil {
		t.Fatal(err)
	}
	if v := open(); v.Allowed || v.Reason != share.ReasonNotShared {
		t.Errorf("none: %+v", v)
	}
	var got []string
	for _, a := range e.accesses(share.AccessFilter{Requester: alice.UserID}) {
		got = append(got, fmt.Sprintf("%v/%s/%s", a.Allowed, a.Basis, a.By))
	}
	want := []string{"true/emergency/" + em.ID, "true/rule/" + rule.ID, "true/application/" + app.ID, "false//"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("access log\n got %v\nwant %v", got, want)
	}
	var notes []string
	for _, r := range e.records("share.access") {
		notes = append(notes, r.Note)
		if r.Target != (audit.Target{Kind: "incident", ID: inc1}) || r.Actor.UserID != alice.UserID || r.Source.IP != aliceWeb.Addr {
			t.Errorf("access record %+v", r)
		}
	}
	wantNotes := []string{"emergency " + em.ID, "rule " + rule.ID, "application " + app.ID, share.ReasonNotShared}
	if strings.Join(notes, "|") != strings.Join(wantNotes, "|") {
		t.Errorf("audit notes %q; want %q", notes, wantNotes)
	}
}

var admin = share.Party{UserID: "u-admin", Username: "admin", Name: "Admin"}

// TestRejectAndWithdraw: a rejected request is final and its requester
// told why; a pending one its requester alone may withdraw.
func TestRejectAndWithdraw(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	g, err := e.svc.Submit(e.ctx, e.req(share.Emergency, 24*time.Hour, inc1), alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: "defer", Comment: "later"}, mgr); fields(t, err)["action"].EN == "" {
		t.Errorf("unknown decision: %v", err)
	}
	g, err = e.svc.Decide(e.ctx, g.ID, g.Version, share.Decision{Action: share.ActReject, Comment: "no emergency declared"}, mgr)
	if err != nil || g.Status != share.Rejected || g.Reason != "no emergency declared" {
		t.Fatalf("reject: %+v, %v", g, err)
	}
	if _, err := e.svc.Withdraw(e.ctx, g.ID, g.Version, alice); !errors.Is(err, share.ErrNotAllowed) {
		t.Errorf("withdrew a rejected request: %v", err)
	}
	if n := e.notes.of(share.NoticeRejected); len(n) != 1 || n[0].To.UserID != alice.UserID || n[0].Reason != "no emergency declared" {
		t.Errorf("rejected notices %+v", n)
	}

	g, err = e.svc.Submit(e.ctx, e.req(share.Application, 24*time.Hour, inc1), alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Withdraw(e.ctx, g.ID, g.Version, mgr); !errors.Is(err, share.ErrForbidden) {
		t.Errorf("someone else withdrew the request: %v", err)
	}
	if g, err = e.svc.Withdraw(e.ctx, g.ID, g.Version, alice); err != nil || g.Status != share.Withdrawn {
		t.Fatalf("withdraw: %+v, %v", g, err)
	}
	if _, _, err := e.svc.Open(e.ctx, aliceWeb, inc1); !errors.Is(err, share.ErrDenied) {
		t.Errorf("opened through a withdrawn request: %v", err)
	}
	if rs := e.records("share.grant.reject", "share.grant.withdraw"); len(rs) != 2 || rs[1].Changes[0].Before != "pending" || rs[1].Changes[0].After != "withdrawn" {
		t.Errorf("records %+v", rs)
	}
}
