package share_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/share"
)

// TestCopiesAndWithdrawal: copies are taken only where allowed, are
// desensitized, are served to their requester while the grant admits
// them, are counted in the expiry notice and can be withdrawn.
func TestCopiesAndWithdrawal(t *testing.T) {
	e := newEnv(t)
	e.incident(inc1, false)
	e.incident(inc2, false)
	e.approved(e.req(share.Application, 30*24*time.Hour, inc1))
	r := e.req(share.Application, 10*24*time.Hour, inc2)
	r.Copies = true
	g := e.approved(r)

	_, err := e.svc.TakeCopy(e.ctx, aliceWeb, inc1, share.FormatJSON)
	if !errors.Is(err, share.ErrDenied) || !strings.Contains(err.Error(), share.ReasonNoCopies) {
		t.Errorf("copy where copies are not allowed: %v", err)
	}
	if _, err := e.svc.TakeCopy(e.ctx, aliceWeb, inc2, "pdf"); fields(t, err)["format"].EN == "" {
		t.Errorf("copy as pdf: %v", err)
	}
	js, err := e.svc.TakeCopy(e.ctx, aliceWeb, inc2, share.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	zh := aliceWeb
	zh.Lang = "zh"
	md, err := e.svc.TakeCopy(e.ctx, zh, inc2, share.FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*share.Copy{js, md} {
		sum := sha256.Sum256(c.Content)
		if !strings.HasPrefix(c.ID, "SC-") || c.SHA256 != hex.EncodeToString(sum[:]) || c.By != g.ID || c.Basis != share.ByApplication ||
			len(c.Content) == 0 || strings.Contains(string(c.Content), "13812345678") || !strings.Contains(string(c.Content), inc2) {
			t.Errorf("copy %s (%s): %+v\n%s", c.ID, c.Format, c, c.Content)
		}
	}
	var v share.View
	if err := json.Unmarshal(js.Content, &v); err != nil || v.Number != inc2 || v.By != g.ID {
		t.Errorf("json copy: %v %+v", err, v)
	}

	ctx := audit.WithActor(e.ctx, audit.Actor{UserID: alice.UserID, Username: alice.Username, Via: "session"})
	got, err := e.svc.Copy(ctx, aliceWeb, js.ID)
	if err != nil || string(got.Content) != string(js.Content) {
		t.Fatalf("download: %v", err)
	}
	other := feed
	other.System = ""
	if _, err := e.svc.Copy(e.ctx, other, js.ID); !errors.Is(err, share.ErrNotFound) {
		t.Errorf("someone else downloaded the copy: %v", err)
	}
	if err := e.svc.WithdrawCopy(e.ctx, md.ID, mgr); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.WithdrawCopy(e.ctx, md.ID, mgr); err != nil {
		t.Errorf("withdrawing twice: %v", err)
	}
	if _, err := e.svc.Copy(e.ctx, zh, md.ID); !errors.Is(err, share.ErrNotFound) {
		t.Errorf("withdrawn copy downloaded: %v", err)
	}
	live, err := e.svc.Copies(e.ctx, share.CopyFilter{By: g.ID, Live: true})
	if err != nil || len(live) != 1 || live[0].ID != js.ID {
		t.Errorf("live copies %+v, %v", live, err)
	}
	all, _ := e.svc.Copies(e.ctx, share.CopyFilter{By: g.ID})
	for _, c := range all {
		if c.ID == md.ID && (c.Withdrawn == nil || c.Withdrawn.By.UserID != mgr.UserID || c.Withdrawn.Action != share.ActWithdraw) {
			t.Errorf("withdrawn copy %+v", c)
		}
	}

	// The period ends: the copy is no longer served, and the notice says
	// one is still held.
	e.clock.advance(10 * 24 * time.Hour)
	if _, err := e.svc.Copy(e.ctx, aliceWeb, js.ID); !errors.Is(err, share.ErrDenied) {
		t.Errorf("download after the period: %v", err)
	}
	if n, err := e.svc.ExpireDue(e.ctx); n != 1 || err != nil {
		t.Fatalf("expired %d: %v", n, err)
	}
	ns := e.notes.of(share.NoticeExpired)
	if len(ns) != 2 || !strings.Contains(ns[0].Reason, "1 copies") || strings.Contains(ns[0].Reason, "application") {
		t.Errorf("expiry notices %+v", ns)
	}

	if rs := e.records("share.copy"); len(rs) != 3 || rs[0].Note != share.ReasonNoCopies || rs[1].Note != "application "+g.ID {
		t.Errorf("copy records %+v", rs)
	}
	downloads := e.records("share.download")
	if len(downloads) != 2 || downloads[0].Actor.Via != "session" || downloads[0].Target.ID != inc2 || downloads[1].Note != share.ReasonNotShared {
		t.Errorf("download records %+v", downloads)
	}
	if rs := e.records("share.copy.withdraw"); len(rs) != 1 || rs[0].Target.ID != md.ID || rs[0].Actor.UserID != mgr.UserID {
		t.Errorf("withdraw records %+v", rs)
	}
}
