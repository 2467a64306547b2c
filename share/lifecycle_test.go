package share_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/share"
)

var (
	alice = share.Party{UserID: "u-alice", Username: "alice", Name: "Alice", Organization: "City CERT"}
	mgr   = share.Party{UserID: "u-mgr", Username: "mgr", Name: "Manager"}
)

func pending() *share.Grant {
	return share.NewGrant("SG-000000000001", request(share.Application, day0, day0.AddDate(1, 0, 0)), alice, day0)
}

// TestStatusMachine tries every action on a grant in every status.
func TestStatusMachine(t *testing.T) {
	to := map[string]map[share.Status]share.Status{
		share.ActResubmit:  {share.Returned: share.Pending},
		share.ActApprove:   {share.Pending: share.Active},
		share.ActReject:    {share.Pending: share.Rejected},
		share.ActReturn:    {share.Pending: share.Returned},
		share.ActWithdraw:  {share.Pending: share.Withdrawn, share.Returned: share.Withdrawn},
		share.ActRevoke:    {share.Active: share.Revoked, share.Suspended: share.Revoked},
		share.ActSuspend:   {share.Active: share.Suspended},
		share.ActReinstate: {share.Suspended: share.Active},
		share.ActExpire:    {share.Active: share.Expired, share.Suspended: share.Expired},
	}
	statuses := []share.Status{share.Pending, share.Returned, share.Rejected, share.Active, share.Suspended, share.Revoked, share.Expired, share.Withdrawn}
	for act, allowed := range to {
		for _, st := range statuses {
			g := pending()
			g.Status = st
			by, at := mgr, day0.Add(time.Hour)
			switch act {
			case share.ActResubmit, share.ActWithdraw:
				by = alice
			case share.ActSuspend, share.ActExpire:
				by = share.SystemParty
			}
			if act == share.ActExpire {
				at = g.Until
			}
			next, err := share.Apply(g, act, by, "because", at)
			want, ok := allowed[st]
			if !ok {
				var r *share.RefusedError
				if !errors.As(err, &r) || !errors.Is(err, share.ErrNotAllowed) || r.EN == "" || r.ZH == "" {
					t.Errorf("%s on %s: %v; want a RefusedError in en and zh", act, st, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s on %s: %v", act, st, err)
				continue
			}
			last := next.History[len(next.History)-1]
			if next.Status != want || next.Version != g.Version+1 || !next.UpdatedAt.Equal(at) ||
				last != (share.Step{At: at, By: by, Action: act, From: st, To: want, Comment: "because"}) {
				t.Errorf("%s on %s: status %s v%d, step %+v", act, st, next.Status, next.Version, last)
			}
			if g.Status != st || len(g.History) != 1 {
				t.Errorf("%s on %s changed the grant it was given", act, st)
			}
		}
	}
}

func TestRefusalIsBilingual(t *testing.T) {
	g := pending()
	g.Status = share.Rejected
	_, err := share.Apply(g, share.ActApprove, mgr, "", day0)
	var r *share.RefusedError
	if !errors.As(err, &r) || r.EN != "cannot approve a grant that is rejected" || !strings.Contains(r.ZH, "已拒绝") {
		t.Errorf("refusal %+v", r)
	}
}

func TestWhoMayAct(t *testing.T) {
	for _, act := range []string{share.ActApprove, share.ActReject, share.ActReturn} {
		if _, err := share.Apply(pending(), act, alice, "mine", day0); !errors.Is(err, share.ErrForbidden) {
			t.Errorf("the requester may %s their own request: %v", act, err)
		}
	}
	if _, err := share.Approve(pending(), nil, "", alice, day0); !errors.Is(err, share.ErrForbidden) {
		t.Errorf("the requester approved their own request: %v", err)
	}
	if _, err := share.Apply(pending(), share.ActWithdraw, mgr, "", day0); !errors.Is(err, share.ErrForbidden) {
		t.Errorf("someone else withdrew the request: %v", err)
	}
	g := pending()
	g.Status = share.Returned
	if _, err := share.Resubmit(g, request(share.Application, day0, day0.Add(time.Hour)), mgr, day0); !errors.Is(err, share.ErrForbidden) {
		t.Errorf("someone else resubmitted the request: %v", err)
	}
}

func TestCommentsRequired(t *testing.T) {
	for act, field := range map[string]string{share.ActReject: "comment", share.ActReturn: "comment"} {
		_, err := share.Apply(pending(), act, mgr, " ", day0)
		if _, ok := fields(t, err)[field]; !ok {
			t.Errorf("%s without a comment: %v", act, err)
		}
	}
	g := pending()
	g.Status = share.Active
	if _, ok := fields(t, func() error { _, err := share.Apply(g, share.ActRevoke, mgr, "", day0); return err }())["reason"]; !ok {
		t.Error("revoked without a reason")
	}
	if _, ok := fields(t, func() error {
		_, err := share.Apply(pending(), share.ActApprove, mgr, strings.Repeat("x", share.MaxComment+1), day0)
		return err
	}())["comment"]; !ok {
		t.Error("approved with an over-long comment")
	}
}

// TestCorrectionLoop returns a request twice before approving it: the
// history keeps every step and counts the returns.
func TestCorrectionLoop(t *testing.T) {
	g := pending()
	at := day0
	step := func(f func(*share.Grant) (*share.Grant, error)) {
		t.Helper()
		at = at.Add(time.Minute)
		next, err := f(g)
		if err != nil {
			t.Fatal(err)
		}
		g = next
	}
	for i := range 2 {
		step(func(g *share.Grant) (*share.Grant, error) {
			return share.Apply(g, share.ActReturn, mgr, "name the sections you need", at)
		})
		if g.Status != share.Returned || g.Returns() != i+1 {
			t.Fatalf("after return %d: %s, %d returns", i+1, g.Status, g.Returns())
		}
		step(func(g *share.Grant) (*share.Grant, error) {
			r := request(share.Application, at, at.AddDate(0, 6, 0))
			r.Purpose = "corrected purpose"
			return share.Resubmit(g, r, alice, at)
		})
		if g.Status != share.Pending || g.Purpose != "corrected purpose" {
			t.Fatalf("after resubmission %d: %s %q", i+1, g.Status, g.Purpose)
		}
	}
	step(func(g *share.Grant) (*share.Grant, error) { return share.Approve(g, nil, "ok", mgr, at) })
	var acts []string
	for _, s := range g.History {
		acts = append(acts, s.Action)
	}
	if got := strings.Join(acts, " "); got != "submit return resubmit return resubmit approve" {
		t.Errorf("history %s", got)
	}
	if g.Status != share.Active || g.Owner != mgr || g.Version != 6 || g.Returns() != 2 {
		t.Errorf("approved grant: %s owner %v v%d returns %d", g.Status, g.Owner, g.Version, g.Returns())
	}
}

func TestApproverMayOnlyShorten(t *testing.T) {
	g := pending() // day0 .. day0+1y
	shorter, longer := day0.AddDate(0, 1, 0), day0.AddDate(1, 0, 0).Add(time.Second)
	next, err := share.Approve(g, &shorter, "", mgr, day0)
	if err != nil || !next.Until.Equal(shorter) {
		t.Fatalf("shortened: %v, until %v", err, next)
	}
	if _, err := share.Approve(g, &longer, "", mgr, day0); fields(t, err)["until"].EN == "" {
		t.Errorf("lengthened: %v", err)
	}
	past := day0.Add(-time.Minute)
	if _, err := share.Approve(g, &past, "", mgr, day0); fields(t, err)["until"].EN == "" {
		t.Errorf("ended before it starts: %v", err)
	}
	if _, err := share.Approve(g, nil, "", mgr, g.Until); !errors.Is(err, share.ErrNotAllowed) {
		t.Errorf("approved after its period: %v", err)
	}
}

func TestReinstateAndExpireAroundUntil(t *testing.T) {
	g := pending()
	g.Status = share.Suspended
	if _, err := share.Apply(g, share.ActReinstate, mgr, "", g.Until); !errors.Is(err, share.ErrNotAllowed) {
		t.Errorf("reinstated at Until: %v", err)
	}
	if _, err := share.Apply(g, share.ActReinstate, mgr, "", g.Until.Add(-time.Second)); err != nil {
		t.Errorf("reinstate before Until: %v", err)
	}
	if _, err := share.Apply(g, share.ActExpire, share.SystemParty, "", g.Until.Add(-time.Second)); !errors.Is(err, share.ErrNotAllowed) {
		t.Errorf("expired before Until: %v", err)
	}
}
