package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

// shareRows are the rows of the sharing API. Every grant of a cell is
// fresh, asked for by rep.other about a fresh normal incident (reported by
// rep.own, taken on by nobody) and decided by mgr, so the columns are:
// nobody, a stranger to the grant, its requester, strangers, strangers,
// a coordinator who does not own the incident, a manager (decides any
// request; the owner once approved), an auditor (sees every grant, may
// change nothing) and an admin (sees every grant, writes rules, decides
// nothing).
func (e *fullEnv) shareRows(t *testing.T) []matrixRow {
	ctx := context.Background()
	party := func(who string) share.Party { return access.SharePartyOf(e.users[who].Principal("token")) }
	requester := func(who string) share.Requester {
		return access.ShareRequester(e.users[who].Principal("token"), "127.0.0.1")
	}
	grant := func(t *testing.T, status share.Status, copies bool) (*share.Grant, string) {
		t.Helper()
		inc := e.castIncident(t, false, "shared")
		now := time.Now().UTC().Truncate(time.Second)
		g, err := e.share.Submit(ctx, share.Request{Kind: share.Application, Purpose: "joint response", Incidents: []string{inc.Number},
			Sections: []share.Section{share.Description}, Copies: copies, From: now, Until: now.Add(30 * 24 * time.Hour)}, party(castRepOther))
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case share.Returned:
			g, err = e.share.Decide(ctx, g.ID, g.Version, share.Decision{Action: share.ActReturn, Comment: "say more"}, party(castManager))
		case share.Active, share.Suspended:
			g, err = e.share.Decide(ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove}, party(castManager))
		}
		if err != nil {
			t.Fatal(err)
		}
		if status == share.Suspended {
			// Suspension comes from abnormal use; the fixture sets it as the
			// service would have.
			g.Status, g.Version, g.Reason = share.Suspended, g.Version+1, "rate"
			if err := e.db.Shares().UpdateGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		return g, inc.Number
	}
	onGrant := func(status share.Status, method, suffix string, body func(g *share.Grant) any) func(*testing.T, *fullEnv, string) matrixCall {
		return func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			g, _ := grant(t, status, false)
			c := matrixCall{method: method, path: "/api/v1/grants/" + g.ID + suffix}
			if body != nil {
				c.json = body(g)
			}
			return c
		}
	}
	version := func(extra map[string]any) func(*share.Grant) any {
		return func(g *share.Grant) any {
			out := map[string]any{"version": g.Version}
			for k, v := range extra {
				out[k] = v
			}
			return out
		}
	}
	request := func() map[string]any {
		now := time.Now().UTC().Truncate(time.Second)
		return map[string]any{"kind": "application", "purpose": "joint response", "sections": []string{"description"},
			"from": now.Format(time.RFC3339), "until": now.Add(24 * time.Hour).Format(time.RFC3339)}
	}
	rule := func(t *testing.T) *share.Rule {
		t.Helper()
		r, err := e.share.SaveRule(ctx, share.Rule{Name: uniq("rule"), Enabled: true, Organizations: []string{"Partner Agency"},
			Sections: []share.Section{share.Description}}, party(castAdmin))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	copyOf := func(t *testing.T) *share.Copy {
		t.Helper()
		_, number := grant(t, share.Active, true)
		cp, err := e.share.TakeCopy(ctx, requester(castRepOther), number, "json")
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	// once makes a read row's fixture once for every column: reading
	// changes nothing another column sees, but shared reads are logged and
	// count against the grant's rate, which is far above nine.
	once := func(call func(*testing.T, *fullEnv, string) matrixCall) func(*testing.T, *fullEnv, string) matrixCall {
		var made *matrixCall
		return func(t *testing.T, e *fullEnv, who string) matrixCall {
			if made == nil {
				c := call(t, e, who)
				made = &c
			}
			return *made
		}
	}
	const (
		signedSelf = "401 200 200 200 200 200 200 200 200"
		// seeGrant: its requester, managers, auditors, admins (CanSeeGrant).
		seeGrant = "401 404 200 404 404 404 200 200 200"
		// requesterOnly: its requester; others who see it are refused.
		requesterOnly = "401 404 200 404 404 404 403 403 403"
		// decider: a manager; others who see it are refused.
		decider   = "401 404 403 404 404 404 200 403 403"
		rulesRead = "401 403 403 403 403 403 200 200 200"
		// shared: only the requester the grant admits; auditors read
		// incidents directly.
		shared = "401 404 200 404 404 404 404 403 404"
	)
	rows := []matrixRow{
		{route: "POST /api/v1/grants", want: "401 201 201 201 201 201 201 403 201", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			req := request()
			req["incidents"] = []string{e.castIncident(t, false, "asked about").Number}
			return matrixCall{method: "POST", path: "/api/v1/grants", json: req}
		}},
		{route: "GET /api/v1/grants", want: signedSelf, call: get("/api/v1/grants?view=all")},
		{route: "GET /api/v1/grants/:id", want: seeGrant, call: once(onGrant(share.Pending, "GET", "", nil))},
		{route: "PUT /api/v1/grants/:id", want: requesterOnly, call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			g, number := grant(t, share.Returned, false)
			req := request()
			req["incidents"], req["version"] = []string{number}, g.Version
			return matrixCall{method: "PUT", path: "/api/v1/grants/" + g.ID, json: req}
		}},
		{route: "POST /api/v1/grants/:id/decision", want: decider, call: onGrant(share.Pending, "POST", "/decision",
			version(map[string]any{"action": "approve", "comment": "agreed"}))},
		{route: "POST /api/v1/grants/:id/withdraw", want: requesterOnly, call: onGrant(share.Pending, "POST", "/withdraw", version(nil))},
		{route: "POST /api/v1/grants/:id/revoke", want: decider, call: onGrant(share.Active, "POST", "/revoke",
			version(map[string]any{"reason": "no longer needed"}))},
		{route: "POST /api/v1/grants/:id/reinstate", want: decider, call: onGrant(share.Suspended, "POST", "/reinstate",
			version(map[string]any{"comment": "checked"}))},
		{route: "GET /api/v1/grants/:id/accesses", want: seeGrant, call: once(onGrant(share.Active, "GET", "/accesses", nil))},
		{route: "GET /api/v1/grants/:id/copies", want: seeGrant, call: once(onGrant(share.Active, "GET", "/copies", nil))},
		{route: "GET /api/v1/share-rules", want: rulesRead, call: get("/api/v1/share-rules")},
		{route: "POST /api/v1/share-rules", want: "401 403 403 403 403 403 403 403 201", call: func(*testing.T, *fullEnv, string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/share-rules", json: map[string]any{"name": uniq("rule"),
				"departments": []string{"Customs"}, "sections": []string{"description"}}}
		}},
		{route: "PUT /api/v1/share-rules/:id", want: "401 403 403 403 403 403 403 403 200", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			r := rule(t)
			return matrixCall{method: "PUT", path: "/api/v1/share-rules/" + r.ID, json: map[string]any{"version": r.Version, "name": r.Name,
				"enabled": false, "organizations": r.Organizations, "sections": []string{"description"}}}
		}},
		{route: "GET /api/v1/share-access", want: rulesRead, call: get("/api/v1/share-access?limit=10")},
		{route: "GET /api/v1/shared/incidents/:ref", want: shared, call: once(func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			_, number := grant(t, share.Active, false)
			return matrixCall{method: "GET", path: "/api/v1/shared/incidents/" + number}
		})},
		{route: "POST /api/v1/shared/incidents/:ref/copies", want: "401 404 201 404 404 404 404 403 404", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			_, number := grant(t, share.Active, true)
			return matrixCall{method: "POST", path: "/api/v1/shared/incidents/" + number + "/copies", json: map[string]any{"format": "markdown"}}
		}},
		{route: "GET /api/v1/shared/copies/:id", want: shared, call: once(func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "GET", path: "/api/v1/shared/copies/" + copyOf(t).ID}
		})},
		// Its requester, managers and admins withdraw a copy; the auditor
		// sees it (the whole access log) but changes nothing.
		{route: "POST /api/v1/share-copies/:id/withdraw", want: "401 404 200 404 404 404 200 403 200", call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
			return matrixCall{method: "POST", path: "/api/v1/share-copies/" + copyOf(t).ID + "/withdraw"}
		}},
	}
	for _, row := range shareMoreRows {
		rows = append(rows, row(func(t *testing.T) *share.Grant { g, _ := grant(t, share.Active, false); return g }))
	}
	return rows
}

// shareMoreRows are rows of sharing routes built with a dependency that
// may be missing (see share_token_test.go); each gets a maker of active
// grants.
var shareMoreRows []func(active func(*testing.T) *share.Grant) matrixRow
