package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/share"
)

// The people of the sharing tests.
const (
	sharePartner = "partner"  // a reporter of another organization, who asks for access
	shareOwner   = "owner"    // the coordinator who took the incidents on
	shareLeader  = "leader"   // a manager: decides any request, approves emergencies
	shareAdmin   = "sadmin"   // writes attribute rules
	shareAuditor = "sauditor" // reads the audit trail
	shareRep     = "sreporter"
	// Sensitive values placed in the incidents' descriptions.
	sharePhone    = "13812345678"
	shareEmail    = "liu.wei@example.com"
	shareInternal = "10.20.30.40"
)

// shareCast creates the sharing tests' accounts.
func (e *fullEnv) shareCast(t *testing.T) {
	t.Helper()
	e.account(t, sharePartner)
	e.account(t, shareOwner, access.Coordinator)
	e.account(t, shareLeader, access.Manager)
	e.account(t, shareAdmin, access.Admin)
	e.account(t, shareAuditor, access.Auditor)
	e.account(t, shareRep)
}

// shareIncident reports an incident (through the API, as the reporter)
// whose description holds a phone number, an e-mail address and an
// internal address, and has the owner acknowledge it. It returns the
// incident's number.
func (e *fullEnv) shareIncident(t *testing.T, title string) string {
	t.Helper()
	desc := fmt.Sprintf("Call %s or write to %s; the server %s sent the data out.", sharePhone, shareEmail, shareInternal)
	st, body := e.call(t, "POST", "/api/v1/incidents", e.tokens[shareRep], map[string]any{"title": title, "description": desc})
	if st != http.StatusCreated {
		t.Fatalf("report: %d %s", st, body)
	}
	number := decode(t, body)["number"].(string)
	if st, body := e.call(t, "POST", "/api/v1/incidents/"+number+"/ack", e.tokens[shareOwner], nil); st != http.StatusOK {
		t.Fatalf("ack: %d %s", st, body)
	}
	return number
}

// as sends a JSON call with who's token and decodes the answer (an object).
func (e *fullEnv) as(t *testing.T, who, method, path string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	tok := e.tokens[who]
	if tok == "" {
		tok = who // a raw token secret
	}
	st, out := e.call(t, method, path, tok, body, headers...)
	if len(out) == 0 || out[0] != '{' {
		return st, nil
	}
	return st, decode(t, out)
}

// must is as, failing unless the status is want.
func (e *fullEnv) must(t *testing.T, want int, who, method, path string, body any, headers ...string) map[string]any {
	t.Helper()
	st, out := e.as(t, who, method, path, body, headers...)
	if st != want {
		t.Fatalf("%s %s as %s: %d, want %d: %v", method, path, who, st, want, out)
	}
	return out
}

// rfc formats t for the API.
func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// shareNow is the hub's present, to the second (what the API carries).
func (e *fullEnv) shareNow() time.Time { return e.now().UTC().Truncate(time.Second) }

// apply submits a request as who and returns the grant.
func (e *fullEnv) apply(t *testing.T, who string, req map[string]any) map[string]any {
	t.Helper()
	return e.must(t, http.StatusCreated, who, "POST", "/api/v1/grants", req)
}

// application is a request body for incidents over days from now.
func (e *fullEnv) application(kind string, days int, incidents ...string) map[string]any {
	from := e.shareNow()
	return map[string]any{"kind": kind, "purpose": "coordinate the response with the partner agency",
		"incidents": incidents, "sections": []string{"description", "timeline"},
		"from": rfc(from), "until": rfc(from.Add(time.Duration(days) * 24 * time.Hour))}
}

// decide answers a request as who.
func (e *fullEnv) decide(t *testing.T, want int, who string, g map[string]any, action, comment string) map[string]any {
	t.Helper()
	return e.must(t, want, who, "POST", "/api/v1/grants/"+str(g["id"])+"/decision",
		map[string]any{"version": g["version"], "action": action, "comment": comment})
}

// approved submits req as the partner and has the leader approve it.
func (e *fullEnv) approved(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	g := e.apply(t, sharePartner, req)
	return e.decide(t, http.StatusOK, shareLeader, g, "approve", "agreed")
}

// str is v as a string ("" for nil).
func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// openShared opens the shared view of number as who.
func (e *fullEnv) openShared(t *testing.T, who, number string, headers ...string) (int, map[string]any) {
	t.Helper()
	return e.as(t, who, "GET", "/api/v1/shared/incidents/"+number, nil, headers...)
}

// auditActions lists the actions of the stored audit records about a
// target (kind and id), in order.
func (e *fullEnv) auditActions(t *testing.T, kind, id string) []string {
	t.Helper()
	var out []string
	recs := e.records(t, audit.Filter{})
	for i := len(recs) - 1; i >= 0; i-- { // oldest first
		r := recs[i]
		if r.Target.Kind == kind && r.Target.ID == id {
			out = append(out, string(r.Action))
		}
	}
	return out
}

// jsonText is v marshalled, for searching a whole answer.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shareNotices records what the sharing service tells whom (the
// share.Notifier of the test hub).
type shareNotices struct {
	mu   sync.Mutex
	list []share.Notice
}

// Notify implements share.Notifier.
func (n *shareNotices) Notify(_ context.Context, ns ...share.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, ns...)
	return nil
}

// of lists the notices of kind about grant id.
func (n *shareNotices) of(kind, id string) []share.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []share.Notice
	for _, x := range n.list {
		if x.Kind == kind && x.Grant != nil && x.Grant.ID == id {
			out = append(out, x)
		}
	}
	return out
}

// shareAlerted fails unless the grant's owner, who, was told it was
// suspended, with the reason.
func (e *fullEnv) shareAlerted(t *testing.T, id, who string) {
	t.Helper()
	for _, n := range e.notices.of(share.NoticeSuspended, id) {
		if n.To.Username == who && n.Reason != "" {
			return
		}
	}
	t.Fatalf("%s was not alerted that %s was suspended: %+v", who, id, e.notices.of(share.NoticeSuspended, id))
}

// newShareClock is a clock the sharing tests move forward by hand.
func newShareClock() *testClock { return &testClock{t: time.Now().UTC()} }
