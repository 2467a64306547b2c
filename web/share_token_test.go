package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

func init() {
	shareMoreRows = append(shareMoreRows, func(active func(*testing.T) *share.Grant) matrixRow {
		return matrixRow{route: "POST /api/v1/grants/:id/tokens", want: "401 404 201 404 404 404 403 403 403",
			call: func(t *testing.T, _ *fullEnv, _ string) matrixCall {
				return matrixCall{method: "POST", path: "/api/v1/grants/" + active(t).ID + "/tokens",
					json: map[string]any{"name": "partner portal", "system": "soc-portal"}}
			}}
	})
}

// TestShareRuleSystemNetwork: an attribute rule naming an organization,
// a system and a network admits an API token of that system used from
// inside the network, not from outside it (a forged X-Forwarded-For from
// an untrusted peer changes nothing), nor a token of another system, nor
// the same person's web session.
func TestShareRuleSystemNetwork(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, newShareClock().Now)
	e.shareCast(t)
	number := e.shareIncident(t, "botnet traffic towards the port")
	ctx := context.Background()
	u, err := e.access.CreateUser(ctx, access.NewUser{Username: "port.soc", Name: "Port SOC", Password: testPassword,
		Organization: "Port Authority"})
	if err != nil {
		t.Fatal(err)
	}
	portal, _, err := e.access.CreateScopedToken(ctx, u, access.TokenSpec{Name: "portal", System: "soc-portal"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := e.access.CreateScopedToken(ctx, u, access.TokenSpec{Name: "script", System: "siem"})
	if err != nil {
		t.Fatal(err)
	}

	rule := map[string]any{"name": "port authority portal", "organizations": []string{"Port Authority"},
		"systems": []string{"soc-portal"}, "networks": []string{"203.0.113.0/24"}, "sections": []string{"description"}}
	// Bad networks are field errors (the service's, 422).
	badRule := map[string]any{"name": "bad", "organizations": []string{"Port Authority"}, "networks": []string{"203.0.113.0/33"}}
	out := e.must(t, http.StatusUnprocessableEntity, shareAdmin, "POST", "/api/v1/share-rules", badRule)
	if fields, _ := out["fields"].(map[string]any); fields["networks"] == nil {
		t.Fatalf("bad network: %v", out)
	}
	// Only admins write rules.
	e.must(t, http.StatusForbidden, shareLeader, "POST", "/api/v1/share-rules", rule)
	r := e.must(t, http.StatusCreated, shareAdmin, "POST", "/api/v1/share-rules", rule)

	// The test server sees every call from 127.0.0.1: outside the rule's
	// network, whatever X-Forwarded-For says.
	if st, body := e.openShared(t, portal, number, "X-Forwarded-For", "203.0.113.7"); st != http.StatusNotFound {
		t.Fatalf("from outside the network: %d %v", st, body)
	}
	// With the caller's network in the rule, the portal gets in.
	rule["version"], rule["networks"] = r["version"], []string{"127.0.0.0/8"}
	r = e.must(t, http.StatusOK, shareAdmin, "PUT", "/api/v1/share-rules/"+str(r["id"]), rule)
	view := e.must(t, http.StatusOK, portal, "GET", "/api/v1/shared/incidents/"+number, nil)
	if view["basis"] != "rule" || view["by"] != r["id"] {
		t.Fatalf("portal view: %v", view)
	}
	if d := str(view["description"].(map[string]any)["text"]); strings.Contains(d, sharePhone) {
		t.Fatalf("not desensitized: %q", d)
	}
	// Another system of the same person, and their web session, are not
	// admitted by a rule that names a system.
	if st, body := e.openShared(t, other, number); st != http.StatusNotFound {
		t.Fatalf("another system: %d %v", st, body)
	}
	b := e.login(t, "port.soc")
	if p := b.get("/api/v1/shared/incidents/" + number); p.status != http.StatusNotFound {
		t.Fatalf("web session: %d %s", p.status, p.body)
	}
	// An unknown incident answers exactly like one not shared.
	_, unknown := e.call(t, "GET", "/api/v1/shared/incidents/INC-2020-999999", other, nil)
	_, notShared := e.call(t, "GET", "/api/v1/shared/incidents/"+number, other, nil)
	if string(unknown) != string(notShared) {
		t.Fatalf("unknown %s, not shared %s", unknown, notShared)
	}
}

// TestShareGrantToken: the requester of an active grant issues an API
// token bound to it; the secret is shown once; the token reaches the
// shared views of the grant's incidents only, and nothing else.
func TestShareGrantToken(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, newShareClock().Now)
	e.shareCast(t)
	covered := e.shareIncident(t, "phishing of the finance team")
	elsewhere := e.shareIncident(t, "defaced web site")

	pending := e.apply(t, sharePartner, e.application("application", 30, covered))
	e.must(t, http.StatusUnprocessableEntity, sharePartner, "POST", "/api/v1/grants/"+str(pending["id"])+"/tokens",
		map[string]any{"name": "portal"})
	g := e.decide(t, http.StatusOK, shareLeader, pending, "approve", "ok")
	// The partner may see the other incident through a grant of its own.
	e.approved(t, e.application("application", 30, elsewhere))

	e.must(t, http.StatusBadRequest, sharePartner, "POST", "/api/v1/grants/"+str(g["id"])+"/tokens",
		map[string]any{"name": "portal", "networks": []string{"not a network"}})
	e.must(t, http.StatusForbidden, shareLeader, "POST", "/api/v1/grants/"+str(g["id"])+"/tokens", map[string]any{"name": "portal"})
	tok := e.must(t, http.StatusCreated, sharePartner, "POST", "/api/v1/grants/"+str(g["id"])+"/tokens",
		map[string]any{"name": "portal", "system": "soc-portal", "networks": []string{"127.0.0.0/8"}})
	secret := str(tok["token"])
	if !strings.HasPrefix(secret, access.TokenPrefix) || tok["grant"] != g["id"] || tok["expires"] != g["until"] {
		t.Fatalf("token: %v", tok)
	}
	// The secret is not shown again.
	_, list := e.call(t, "GET", "/api/v1/tokens", e.tokens[shareAdmin], nil)
	_, again := e.call(t, "GET", "/api/v1/grants/"+str(g["id"]), e.tokens[sharePartner], nil)
	if strings.Contains(string(list), secret) || strings.Contains(string(again), secret) {
		t.Fatal("the token's secret is shown again")
	}

	view := e.must(t, http.StatusOK, secret, "GET", "/api/v1/shared/incidents/"+covered, nil)
	if view["by"] != g["id"] {
		t.Fatalf("bound view: %v", view)
	}
	// The partner's own token sees the other incident; the bound one not.
	e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+elsewhere, nil)
	e.must(t, http.StatusNotFound, secret, "GET", "/api/v1/shared/incidents/"+elsewhere, nil)
	for _, path := range []string{"/api/v1/incidents", "/api/v1/incidents/" + covered, "/api/v1/grants", "/api/v1/me"} {
		if st, _ := e.as(t, secret, "GET", path, nil); st != http.StatusForbidden {
			t.Errorf("bound token on %s: %d, want 403", path, st)
		}
	}
	// Revoked, the grant admits its token no more.
	e.must(t, http.StatusOK, shareLeader, "POST", "/api/v1/grants/"+str(g["id"])+"/revoke",
		map[string]any{"version": g["version"], "reason": "the partner's contract ended"})
	e.must(t, http.StatusNotFound, secret, "GET", "/api/v1/shared/incidents/"+covered, nil)

	recs := e.auditActions(t, "token", str(tok["prefix"]))
	if len(recs) != 1 || recs[0] != "token.create" {
		t.Fatalf("token audit: %v", recs)
	}
}
