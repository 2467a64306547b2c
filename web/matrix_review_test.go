package web_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// reviewRows are the rows of the review and report routes. Review
// incidents are work incidents (see matrix_work_test.go) at the review
// stage, with a written report and one corrective action, a1, owned by
// nobody in the cast.
func (e *fullEnv) reviewRows() []matrixRow {
	written := func(inc *incident.Incident) {
		inc.Review.Summary, inc.Review.RootCause, inc.Review.Lessons = "phishing mail", "no MFA on the VPN", "enforce MFA"
		inc.Review.Actions = []incident.CorrectiveAction{{ID: "a1", Title: "MFA on the VPN", Owner: "nobody",
			Due: time.Now().Add(240 * time.Hour).UTC().Truncate(time.Second), Status: "open"}}
	}
	const (
		// writeReview: those who see it and work incidents (CanWriteReview).
		writeNormal = "401 403 404 200 200 200 200 403 200"
		writeRestr  = "401 404 404 200 200 404 200 403 404"
		// signOff: managers only (CanSignOffReview).
		signNormal = "401 403 404 403 403 403 200 403 403"
		signRestr  = "401 404 404 403 403 404 200 403 404"
		// reports: the response center, managers, admins and auditors (CanSeeReports).
		reportsAPI  = "401 403 403 403 403 200 200 200 200"
		reportsPage = "303 403 403 403 403 200 200 200 200"
	)
	var rows []matrixRow
	for _, restricted := range []bool{false, true} {
		variant, view, write, sign := "normal", viewWorkNormal, writeNormal, signNormal
		if restricted {
			variant, view, write, sign = "restricted", viewWorkRestr, writeRestr, signRestr
		}
		on := func(method, path string, body func(*incident.Incident) matrixCall) func(*testing.T, *fullEnv, string) matrixCall {
			return e.onWork(restricted, incident.Review, written, method, path, body)
		}
		const ref, page = "/api/v1/incidents/:ref", "/incidents/:ref"
		batch := []matrixRow{
			{route: "GET " + ref + "/review", want: view, call: on("GET", ref+"/review", nil)},
			{route: "GET " + page + "/review", want: pageView(view), call: on("GET", page+"/review", nil)},
			{route: "GET " + page + "/review.md", want: pageView(view), call: on("GET", page+"/review.md", nil)},
			{route: "PUT " + ref + "/review", want: write, call: on("PUT", ref+"/review",
				api(map[string]any{"summary": "phishing mail", "root_cause": "no MFA on the VPN"}))},
			{route: "POST " + ref + "/review/actions", want: write, call: on("POST", ref+"/review/actions",
				api(map[string]any{"title": "Train the finance team", "owner": "nobody", "due": time.Now().Add(240 * time.Hour).Format(time.DateOnly)}))},
			{route: "PATCH " + ref + "/review/actions/:action", want: write, call: on("PATCH", ref+"/review/actions/a1",
				api(map[string]any{"status": "in_progress", "note": "ordered tokens"}))},
			{route: "POST " + ref + "/review/return", want: sign, call: on("POST", ref+"/review/return",
				api(map[string]any{"comment": "say how the mail got through"}))},
			{route: "POST " + ref + "/review/signoff", want: sign, call: on("POST", ref+"/review/signoff",
				api(map[string]any{"note": "agreed"}))},
			{route: "POST " + page + "/review", want: pageStatuses(write), call: on("POST", page+"/review",
				form(url.Values{"form": {"write"}, "summary": {"phishing mail"}, "root_cause": {"no MFA"}}))},
		}
		for i := range batch {
			batch[i].variant = variant
		}
		rows = append(rows, batch...)
	}
	return append(rows,
		matrixRow{route: "GET /api/v1/stats", want: reportsAPI, call: get("/api/v1/stats")},
		matrixRow{route: "GET /reports", want: reportsPage, call: get("/reports")},
		matrixRow{route: "GET /reports.csv", want: reportsPage, call: get("/reports.csv")},
	)
}

// pageView turns the statuses of an API read into those of the page
// showing the same: anonymous callers are sent to sign in.
func pageView(api string) string {
	if len(api) >= 3 && api[:3] == "401" {
		return "303" + api[3:]
	}
	return api
}
