package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

// The rows of the access matrix for the sharing pages. The grants of the
// rows are requested by rep.other (a reporter with nothing to do with the
// incidents) for a fresh normal incident of the cast; nobody has taken the
// incident on, so only managers decide them. Approved grants are owned by
// mgr. Every grant, copy and rule is made fresh for each cell that
// changes it.

// shareParty is a cast member as a side of a grant.
func (e *fullEnv) shareParty(who string) share.Party {
	return access.SharePartyOf(e.users[who].Principal("session"))
}

// shareGrant stores a grant requested by rep.other for a fresh incident,
// brought to status (pending, returned, active or suspended). Copies are
// allowed; a suspended one was used beyond its rate.
func (e *fullEnv) shareGrant(t testing.TB, status share.Status) *share.Grant {
	t.Helper()
	ctx := context.Background()
	svc := e.share
	inc := e.castIncident(t, false, "shared "+uniq("g"))
	now := time.Now()
	req := share.Request{Kind: share.Application, Purpose: "matrix", Incidents: []string{inc.Number},
		Sections: []share.Section{share.Overview, share.Description}, Copies: true, From: now, Until: now.AddDate(0, 1, 0)}
	if status == share.Suspended {
		req.RatePerHour = 1
	}
	g, err := svc.Submit(ctx, req, e.shareParty(castRepOther))
	if err != nil {
		t.Fatal(err)
	}
	switch status {
	case share.Returned:
		g, err = svc.Decide(ctx, g.ID, g.Version, share.Decision{Action: share.ActReturn, Comment: "say more"}, e.shareParty(castManager))
	case share.Active, share.Suspended:
		g, err = svc.Decide(ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove}, e.shareParty(castManager))
	}
	if err != nil {
		t.Fatal(err)
	}
	if status == share.Suspended {
		req := access.ShareRequester(e.users[castRepOther].Principal("session"), "127.0.0.1")
		for range 3 {
			_, _, _ = svc.Open(ctx, req, inc.Number)
		}
		if g, err = svc.Grant(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if g.Status != share.Suspended {
			t.Fatalf("grant %s is %s after use beyond its rate", g.ID, g.Status)
		}
	}
	return g
}

// shareCopy stores a copy taken by rep.other under a fresh active grant.
func (e *fullEnv) shareCopy(t testing.TB) (*share.Grant, *share.Copy) {
	t.Helper()
	g := e.shareGrant(t, share.Active)
	req := access.ShareRequester(e.users[castRepOther].Principal("session"), "127.0.0.1")
	cp, err := e.share.TakeCopy(context.Background(), req, g.Scope.Incidents[0], "markdown")
	if err != nil {
		t.Fatal(err)
	}
	return g, cp
}

// shareRule stores an enabled rule that admits nobody of the cast.
func (e *fullEnv) shareRule(t testing.TB) *share.Rule {
	t.Helper()
	r, err := e.share.SaveRule(context.Background(), share.Rule{Name: uniq("rule"), Enabled: true,
		Organizations: []string{"Nobody's organization"}, Sections: []share.Section{share.Overview}}, e.shareParty(castAdmin))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *fullEnv) sharePageRows(t *testing.T) []matrixRow {
	const (
		signedIn = "303 200 200 200 200 200 200 200 200"
		// request: anyone signed in but auditors (CanRequestShare).
		requestPage = "303 200 200 200 200 200 200 403 200"
		requestPost = "303 303 303 303 303 303 303 403 303"
		// seeGrant: its requester (rep.other), managers, admins, auditors.
		seeGrant = "303 404 200 404 404 404 200 200 200"
		// requester: rep.other alone corrects and withdraws (managers,
		// admins and auditors see the grant: forbidden; auditors are
		// stopped before, as they may not request at all).
		editPage = "303 404 200 404 404 404 403 403 403"
		editPost = "303 404 303 404 404 404 403 403 403"
		withdraw = "303 404 303 404 404 404 403 403 403"
		// decide and end: managers.
		decide = "303 404 403 404 404 404 303 403 403"
		// copies: their requester, managers and admins withdraw them.
		copyWithdraw = "303 404 303 404 404 404 303 403 303"
		// rules: managers, admins and auditors read; admins write.
		rulesRead  = "303 403 403 403 403 403 200 200 200"
		rulesWrite = "303 403 403 403 403 403 403 403 200"
		rulesPost  = "303 403 403 403 403 403 403 403 303"
		// the shared view: only rep.other holds a grant; auditors may not
		// use shared views at all.
		sharedView = "303 404 200 404 404 404 404 403 404"
		sharedPost = "303 404 303 404 404 404 404 403 404"
	)
	var viewGrant *share.Grant
	viewed := func(t *testing.T) *share.Grant {
		if viewGrant == nil {
			viewGrant = e.shareGrant(t, share.Active)
		}
		return viewGrant
	}
	onGrant := func(status share.Status, method, suffix string, body func(g *share.Grant) url.Values) func(*testing.T, *fullEnv, string) matrixCall {
		return func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			g := e.shareGrant(t, status)
			c := matrixCall{method: method, path: "/sharing/grants/" + g.ID + suffix}
			if body != nil {
				c.form = body(g)
			}
			return c
		}
	}
	version := func(g *share.Grant) string { return strconv.FormatInt(g.Version, 10) }
	return []matrixRow{
		{route: "GET /sharing", want: signedIn, call: get("/sharing?status=active")},
		{route: "GET /sharing/apply", want: requestPage, call: get("/sharing/apply?incident=INC-2026-000001")},
		{route: "POST /sharing/apply", want: requestPost, call: func(t *testing.T, _ *fullEnv, who string) matrixCall {
			inc := e.castIncident(t, false, "apply "+who)
			return matrixCall{method: http.MethodPost, path: "/sharing/apply", form: url.Values{"kind": {"application"},
				"purpose": {"matrix"}, "incidents": {inc.Number}, "sections": {"description"},
				"until": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}}}
		}},
		{route: "GET /sharing/grants/:id", want: seeGrant, call: onGrant(share.Pending, http.MethodGet, "", nil)},
		{route: "GET /sharing/grants/:id/edit", want: editPage, call: onGrant(share.Returned, http.MethodGet, "/edit", nil)},
		{route: "POST /sharing/grants/:id/edit", want: editPost, call: onGrant(share.Returned, http.MethodPost, "/edit", func(g *share.Grant) url.Values {
			return url.Values{"version": {version(g)}, "kind": {"application"}, "purpose": {"matrix, corrected"},
				"incidents": {g.Scope.Incidents[0]}, "sections": {"description"}, "until": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}}
		})},
		{route: "POST /sharing/grants/:id/decision", want: decide, call: onGrant(share.Pending, http.MethodPost, "/decision", func(g *share.Grant) url.Values {
			return url.Values{"version": {version(g)}, "action": {"approve"}}
		})},
		{route: "POST /sharing/grants/:id/withdraw", want: withdraw, call: onGrant(share.Pending, http.MethodPost, "/withdraw", func(g *share.Grant) url.Values {
			return url.Values{"version": {version(g)}}
		})},
		{route: "POST /sharing/grants/:id/revoke", want: decide, call: onGrant(share.Active, http.MethodPost, "/revoke", func(g *share.Grant) url.Values {
			return url.Values{"version": {version(g)}, "reason": {"done"}}
		})},
		{route: "POST /sharing/grants/:id/reinstate", want: decide, call: onGrant(share.Suspended, http.MethodPost, "/reinstate", func(g *share.Grant) url.Values {
			return url.Values{"version": {version(g)}, "comment": {"explained"}}
		})},
		{route: "POST /sharing/copies/:id/withdraw", want: copyWithdraw, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			g, cp := e.shareCopy(t)
			return matrixCall{method: http.MethodPost, path: "/sharing/copies/" + cp.ID + "/withdraw", form: url.Values{"by": {g.ID}}}
		}},
		{route: "GET /sharing/rules", want: rulesRead, call: get("/sharing/rules")},
		{route: "GET /sharing/rules/new", want: rulesWrite, call: get("/sharing/rules/new")},
		{route: "POST /sharing/rules/new", want: rulesPost, call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: http.MethodPost, path: "/sharing/rules/new", form: url.Values{"name": {uniq("rule")}, "enabled": {"on"},
				"organizations": {"Nobody's organization"}}}
		}},
		{route: "GET /sharing/rules/:id/edit", want: rulesRead, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: http.MethodGet, path: "/sharing/rules/" + e.shareRule(t).ID + "/edit"}
		}},
		{route: "POST /sharing/rules/:id/edit", want: rulesPost, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			r := e.shareRule(t)
			return matrixCall{method: http.MethodPost, path: "/sharing/rules/" + r.ID + "/edit", form: url.Values{"name": {r.Name + " changed"},
				"version": {strconv.FormatInt(r.Version, 10)}, "organizations": {"Nobody's organization"}}}
		}},
		{route: "GET /shared/incidents/:ref", want: sharedView, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: http.MethodGet, path: "/shared/incidents/" + viewed(t).Scope.Incidents[0]}
		}},
		{route: "POST /shared/incidents/:ref/copies", want: sharedPost, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: http.MethodPost, path: "/shared/incidents/" + viewed(t).Scope.Incidents[0] + "/copies",
				form: url.Values{"format": {"json"}}}
		}},
		{route: "GET /shared/copies/:id", want: sharedView, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			_, cp := e.shareCopy(t)
			return matrixCall{method: http.MethodGet, path: "/shared/copies/" + cp.ID}
		}},
	}
}
