package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// TestGrantBoundTokenAPI: an admin binds a token to an active grant given
// to the account it acts as; it ends with the grant and reaches the
// shared API only. Grants that are unknown, not active or given to
// someone else are refused, naming why.
func TestGrantBoundTokenAPI(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	ctx := context.Background()
	e.account(t, "root", access.Admin)
	boss := e.account(t, "boss", access.Manager)
	partner := e.account(t, "partner")
	e.account(t, "other")
	res, err := e.incidents.Report(ctx, incident.ReportInput{Title: "Phishing", Description: "d", Source: "web"},
		incident.Actor{ID: boss.ID, Username: boss.Username, Name: boss.Name})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	party := func(u *access.User) share.Party {
		return share.Party{UserID: u.ID, Username: u.Username, Name: u.Name}
	}
	g, err := e.share.Submit(ctx, share.Request{Kind: share.Emergency, Purpose: "containment", Incidents: []string{res.Incident.Number},
		Sections: []share.Section{share.Timeline}, From: now, Until: now.Add(7 * 24 * time.Hour)}, party(partner))
	if err != nil {
		t.Fatal(err)
	}
	pending := g.ID
	// Before a decision the grant admits nothing: no token can be bound.
	status, body := e.call(t, "POST", "/api/v1/tokens", e.tokens["root"], map[string]any{"name": "soc", "username": "partner", "grant": pending})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "only to an active grant") {
		t.Fatalf("a pending grant: %d %s", status, body)
	}
	if g, err = e.share.Decide(ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove}, party(boss)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		username, grant, want string
	}{
		{"other", g.ID, "must act as them"},
		{"partner", "SG-ffffffffffff", "no such grant"},
	} {
		status, body := e.call(t, "POST", "/api/v1/tokens", e.tokens["root"], map[string]any{"name": "soc", "username": tc.username, "grant": tc.grant})
		if status != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
			t.Errorf("grant %s for %s: %d %s; want 400 saying %q", tc.grant, tc.username, status, body, tc.want)
		}
	}

	status, body = e.call(t, "POST", "/api/v1/tokens", e.tokens["root"], map[string]any{"name": "soc", "username": "partner",
		"grant": g.ID, "system": "soc-platform", "expires": now.Add(365 * 24 * time.Hour)})
	m := decode(t, body)
	if status != http.StatusCreated || m["grant"] != g.ID || m["expires"] != g.Until.UTC().Format(time.RFC3339) {
		t.Fatalf("bind a token: %d %s; want it bound and ending with the grant (%s)", status, body, g.Until)
	}
	tok, _ := m["token"].(string)
	if status, body := e.call(t, "GET", "/api/v1/incidents/"+res.Incident.Number, tok, nil); status != http.StatusForbidden ||
		!strings.Contains(string(body), "bound to a sharing grant") {
		t.Errorf("the bound token on the incident itself: %d %s", status, body)
	}
	if status, body := e.call(t, "GET", "/api/v1/shared/incidents/"+res.Incident.Number, tok, nil); status == http.StatusUnauthorized ||
		strings.Contains(string(body), "bound to a sharing grant") {
		t.Errorf("the bound token on the shared API: %d %s", status, body)
	}
}
