package web_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tocsin-hub/tocsin/audit"
)

// TestShareApplicationCorrectionLoop: a partner applies, a manager
// returns the request for correction, the partner resubmits, the
// incident's owner approves; the partner's shared view is desensitized,
// a grant revealing phone numbers shows them, and the access log and the
// audit trail name the grant.
func TestShareApplicationCorrectionLoop(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.shareCast(t)
	number := e.shareIncident(t, "data sent to a partner's address")

	req := e.application("application", 30, number)
	req["purpose"] = "coordinate"
	g := e.apply(t, sharePartner, req)
	if g["status"] != "pending" || g["kind"] != "application" || str(g["id"]) == "" {
		t.Fatalf("submitted: %v", g)
	}
	id := str(g["id"])

	// Before approval nothing is shared.
	if st, body := e.openShared(t, sharePartner, number); st != http.StatusNotFound {
		t.Fatalf("open before approval: %d %v", st, body)
	}

	// The partner may not decide their own request; the owner's peers
	// who see nothing of it get 404.
	e.decide(t, http.StatusForbidden, sharePartner, g, "approve", "")
	e.decide(t, http.StatusNotFound, shareRep, g, "approve", "")
	// Returning needs a comment (the service's field message, 422).
	out := e.decide(t, http.StatusUnprocessableEntity, shareLeader, g, "return", "")
	if fields, _ := out["fields"].(map[string]any); fields["comment"] == nil {
		t.Fatalf("return without a comment: %v", out)
	}
	g = e.decide(t, http.StatusOK, shareLeader, g, "return", "name the systems you need to protect")
	if g["status"] != "returned" {
		t.Fatalf("returned: %v", g)
	}
	// A stale version is a conflict.
	stale := e.application("application", 30, number)
	stale["version"] = 1
	e.must(t, http.StatusConflict, sharePartner, "PUT", "/api/v1/grants/"+id, stale)

	fixed := e.application("application", 30, number)
	fixed["purpose"] = "coordinate the containment of the mail gateway and the finance systems"
	fixed["version"] = g["version"]
	g = e.must(t, http.StatusOK, sharePartner, "PUT", "/api/v1/grants/"+id, fixed)
	if g["status"] != "pending" || g["corrections"] != float64(1) || g["purpose"] != fixed["purpose"] {
		t.Fatalf("resubmitted: %v", g)
	}
	// Only the requester resubmits.
	e.must(t, http.StatusForbidden, shareLeader, "PUT", "/api/v1/grants/"+id, fixed)

	// The owner (the coordinator who took the incident on) sees the
	// request among those waiting for them and approves it.
	waiting := e.must(t, http.StatusOK, shareOwner, "GET", "/api/v1/grants?view=decide", nil)
	if !slices.ContainsFunc(waiting["items"].([]any), func(v any) bool { return v.(map[string]any)["id"] == id }) {
		t.Fatalf("owner's waiting list: %v", waiting)
	}
	g = e.decide(t, http.StatusOK, shareOwner, g, "approve", "agreed for the containment")
	if g["status"] != "active" || g["owner"].(map[string]any)["username"] != shareOwner {
		t.Fatalf("approved: %v", g)
	}
	hist := g["history"].([]any)
	var acts []string
	for _, h := range hist {
		acts = append(acts, str(h.(map[string]any)["action"]))
	}
	if !slices.Equal(acts, []string{"submit", "return", "resubmit", "approve"}) {
		t.Fatalf("history: %v", acts)
	}

	// The shared view: desensitized.
	view := e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
	if view["basis"] != "application" || view["by"] != id || view["number"] != number {
		t.Fatalf("view: %v", view)
	}
	desc := str(view["description"].(map[string]any)["text"])
	if desc == "" || strings.Contains(desc, sharePhone) || strings.Contains(desc, shareEmail) || strings.Contains(desc, shareInternal) {
		t.Fatalf("description not desensitized: %q", desc)
	}
	if !strings.Contains(desc, "sent the data out") {
		t.Fatalf("description lost its text: %q", desc)
	}
	masked := view["masked"].(map[string]any)
	for _, class := range []string{"phone", "email", "internal_address"} {
		if n, _ := masked[class].(float64); n < 1 {
			t.Errorf("masked %s: %v", class, masked)
		}
	}
	if strings.Contains(jsonText(t, view), sharePhone) {
		t.Fatalf("the phone number appears in the view: %v", view)
	}

	// Another grant revealing phone numbers, ending later, decides next.
	reveal := e.application("application", 60, number)
	reveal["reveal"] = []string{"phone"}
	g2 := e.approved(t, reveal)
	view = e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
	desc = str(view["description"].(map[string]any)["text"])
	if view["by"] != g2["id"] || !strings.Contains(desc, sharePhone) || strings.Contains(desc, shareEmail) {
		t.Fatalf("view under the revealing grant (%s): by %v, %q", g2["id"], view["by"], desc)
	}

	// The access log shows the basis and the grant.
	log := e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/grants/"+id+"/accesses", nil)
	items := log["items"].([]any)
	if len(items) == 0 {
		t.Fatalf("no accesses logged for %s", id)
	}
	first := items[0].(map[string]any)
	if first["basis"] != "application" || first["by"] != id || first["allowed"] != true || first["incident"] != number {
		t.Fatalf("access: %v", first)
	}
	// The whole log, for managers; not for the partner.
	e.must(t, http.StatusForbidden, sharePartner, "GET", "/api/v1/share-access", nil)
	all := e.must(t, http.StatusOK, shareLeader, "GET", "/api/v1/share-access?incident="+number+"&requester="+sharePartner, nil)
	if n := len(all["items"].([]any)); n < 3 {
		t.Fatalf("whole access log: %d entries, want the refused one and two views", n)
	}

	// The audit trail: every change of the grant, and every access.
	gotActs := e.auditActions(t, "grant", id)
	for _, want := range []string{"share.grant.submit", "share.grant.return", "share.grant.resubmit", "share.grant.approve"} {
		if !slices.Contains(gotActs, want) {
			t.Errorf("audit of %s lacks %s: %v", id, want, gotActs)
		}
	}
	trail := e.must(t, http.StatusOK, shareAuditor, "GET", "/api/v1/audit?incident="+number, nil)
	if !strings.Contains(jsonText(t, trail), "share.access") {
		t.Fatalf("the audit trail records no shared access of %s: %v", number, trail)
	}
}

// TestShareEmergency: 14 days at most (refused with a field message in
// both languages one second beyond), approved by a leader only, ended at
// expiry with access refused even before the job runs.
func TestShareEmergency(t *testing.T) {
	t.Parallel()
	clock := newShareClock()
	e := newFullEnv(t, clock.Now)
	e.shareCast(t)
	number := e.shareIncident(t, "ransomware at the port authority")

	from := e.shareNow()
	req := map[string]any{"kind": "emergency", "purpose": "stop the spread to our network", "incidents": []string{number},
		"sections": []string{"description"}, "from": rfc(from), "until": rfc(from.Add(14*24*time.Hour + time.Second))}
	out := e.must(t, http.StatusUnprocessableEntity, sharePartner, "POST", "/api/v1/grants", req)
	fields, _ := out["fields"].(map[string]any)
	if str(fields["until"]) == "" || !strings.Contains(str(fields["until"]), "14") {
		t.Fatalf("14 days + 1 s: %v", out)
	}
	out = e.must(t, http.StatusUnprocessableEntity, sharePartner, "POST", "/api/v1/grants", req, "Accept-Language", "zh-CN")
	fields, _ = out["fields"].(map[string]any)
	if !hasHan(str(fields["until"])) {
		t.Fatalf("14 days + 1 s in Chinese: %v", out)
	}
	// Bad shapes are 400 with field messages.
	bad := map[string]any{"kind": "urgent", "until": "tomorrow"}
	out = e.must(t, http.StatusBadRequest, sharePartner, "POST", "/api/v1/grants", bad)
	if fields, _ := out["fields"].(map[string]any); fields["kind"] == nil || fields["until"] == nil {
		t.Fatalf("bad shape: %v", out)
	}

	req["until"] = rfc(from.Add(14 * 24 * time.Hour))
	g := e.apply(t, sharePartner, req)
	// The incident's owner sees the request but may not approve an
	// emergency: a leader does.
	e.must(t, http.StatusOK, shareOwner, "GET", "/api/v1/grants/"+str(g["id"]), nil)
	e.decide(t, http.StatusForbidden, shareOwner, g, "approve", "")
	g = e.decide(t, http.StatusOK, shareLeader, g, "approve", "go")
	view := e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
	if view["basis"] != "emergency" || view["by"] != g["id"] {
		t.Fatalf("view: %v", view)
	}

	// Past its end: refused at once, then expired by the job.
	clock.Advance(14*24*time.Hour + time.Minute)
	if st, body := e.openShared(t, sharePartner, number); st != http.StatusNotFound {
		t.Fatalf("after the end: %d %v", st, body)
	}
	n, err := e.share.ExpireDue(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("ExpireDue: %d, %v", n, err)
	}
	g = e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/grants/"+str(g["id"]), nil)
	if g["status"] != "expired" {
		t.Fatalf("after expiry: %v", g)
	}
	if n, err := e.share.ExpireDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("ExpireDue again: %d, %v", n, err)
	}
	if acts := e.auditActions(t, "grant", str(g["id"])); !slices.Contains(acts, "share.grant.expire") {
		t.Fatalf("audit: %v", acts)
	}
}

// hasHan reports whether s has a Chinese character.
func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestShareApplicationLimit: an application lasts three years at most,
// to the second.
func TestShareApplicationLimit(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, newShareClock().Now)
	e.shareCast(t)
	number := e.shareIncident(t, "phishing wave")
	from := e.shareNow()
	req := map[string]any{"kind": "application", "purpose": "joint analysis", "incidents": []string{number},
		"from": rfc(from), "until": rfc(from.AddDate(3, 0, 0).Add(time.Second))}
	out := e.must(t, http.StatusUnprocessableEntity, sharePartner, "POST", "/api/v1/grants", req)
	if fields, _ := out["fields"].(map[string]any); str(fields["until"]) == "" {
		t.Fatalf("3 years + 1 s: %v", out)
	}
	req["until"] = rfc(from.AddDate(3, 0, 0))
	g := e.apply(t, sharePartner, req)
	if g["until"] != req["until"] {
		t.Fatalf("3 years: %v", g)
	}
	// An approver may shorten it, never lengthen it.
	longer := rfc(from.AddDate(3, 0, 0).Add(time.Hour))
	e.must(t, http.StatusUnprocessableEntity, shareLeader, "POST", "/api/v1/grants/"+str(g["id"])+"/decision",
		map[string]any{"version": g["version"], "action": "approve", "until": longer})
	shorter := rfc(from.AddDate(1, 0, 0))
	g = e.must(t, http.StatusOK, shareLeader, "POST", "/api/v1/grants/"+str(g["id"])+"/decision",
		map[string]any{"version": g["version"], "action": "approve", "until": shorter})
	if g["until"] != shorter || g["status"] != "active" {
		t.Fatalf("shortened: %v", g)
	}
}

// TestShareDecisionOrder: with an emergency grant, a rule and an
// application all admitting the partner, the emergency decides; once it
// is revoked the rule does; once the rule is disabled the application.
func TestShareDecisionOrder(t *testing.T) {
	t.Parallel()
	clock := newShareClock()
	e := newFullEnv(t, clock.Now)
	e.shareCast(t)
	number := e.shareIncident(t, "outage of the customs gateway")

	app := e.approved(t, e.application("application", 90, number))
	em := e.approved(t, e.application("emergency", 7, number))
	rule := e.must(t, http.StatusCreated, shareAdmin, "POST", "/api/v1/share-rules", map[string]any{
		"name": "partners read serious incidents", "levels": []string{"ordinary", "serious", "special"},
		"roles": []string{"reporter"}, "sections": []string{"description"}})

	basis := func(want string, by any) {
		t.Helper()
		clock.Advance(time.Second) // the log's order is the accesses' times
		view := e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
		if view["basis"] != want || view["by"] != by {
			t.Fatalf("basis %v by %v, want %s by %v", view["basis"], view["by"], want, by)
		}
	}
	basis("emergency", em["id"])

	e.must(t, http.StatusBadRequest, shareLeader, "POST", "/api/v1/grants/"+str(em["id"])+"/revoke",
		map[string]any{"version": em["version"], "reason": ""}) // a reason is required
	em = e.must(t, http.StatusOK, shareLeader, "POST", "/api/v1/grants/"+str(em["id"])+"/revoke",
		map[string]any{"version": em["version"], "reason": "the emergency is over"})
	if em["status"] != "revoked" {
		t.Fatalf("revoked: %v", em)
	}
	basis("rule", rule["id"])

	// Disabling the rule takes its version; a stale one is a conflict.
	off := map[string]any{"version": rule["version"], "name": rule["name"], "enabled": false, "levels": rule["levels"],
		"roles": rule["roles"], "sections": rule["sections"]}
	e.must(t, http.StatusOK, shareAdmin, "PUT", "/api/v1/share-rules/"+str(rule["id"]), off)
	e.must(t, http.StatusConflict, shareAdmin, "PUT", "/api/v1/share-rules/"+str(rule["id"]), off)
	basis("application", app["id"])

	// The access log names what decided each access.
	log := e.must(t, http.StatusOK, shareLeader, "GET", "/api/v1/share-access?incident="+number, nil)
	var bases []string
	for _, a := range log["items"].([]any) {
		bases = append(bases, str(a.(map[string]any)["basis"]))
	}
	slices.Reverse(bases) // newest first
	if !slices.Equal(bases, []string{"emergency", "rule", "application"}) {
		t.Fatalf("access log bases: %v", bases)
	}
	if acts := e.auditActions(t, "rule", str(rule["id"])); len(acts) < 2 {
		t.Fatalf("rule audit: %v", acts)
	}
}

// TestShareSuspension: more accesses in an hour than the grant's rate
// suspend it: that access is refused (423), the owner is alerted; the
// owner reinstates it.
func TestShareSuspension(t *testing.T) {
	t.Parallel()
	clock := newShareClock()
	e := newFullEnv(t, clock.Now)
	e.shareCast(t)
	number := e.shareIncident(t, "credential stuffing")
	req := e.application("application", 30, number)
	req["rate_per_hour"] = 2
	g := e.approved(t, req)
	id := str(g["id"])

	for range 2 {
		e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
	}
	// The access beyond the rate suspends the grant and is refused, with
	// a message in the caller's language; so is the next, while the
	// grant stays suspended.
	out := e.must(t, http.StatusLocked, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil, "Accept-Language", "zh")
	if !hasHan(str(out["error"])) || out["number"] != nil {
		t.Fatalf("suspending access: %v", out)
	}
	e.must(t, http.StatusLocked, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
	g = e.must(t, http.StatusOK, shareLeader, "GET", "/api/v1/grants/"+id, nil)
	if g["status"] != "suspended" || str(g["reason"]) == "" {
		t.Fatalf("after the burst: %v", g)
	}
	e.shareAlerted(t, id, shareLeader)

	// The requester may not reinstate it; its owner does, after an hour.
	e.must(t, http.StatusForbidden, sharePartner, "POST", "/api/v1/grants/"+id+"/reinstate", map[string]any{"version": g["version"]})
	g = e.must(t, http.StatusOK, shareLeader, "POST", "/api/v1/grants/"+id+"/reinstate",
		map[string]any{"version": g["version"], "comment": "the partner's script was fixed"})
	if g["status"] != "active" {
		t.Fatalf("reinstated: %v", g)
	}
	clock.Advance(61 * time.Minute)
	e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/shared/incidents/"+number, nil)
	acts := e.auditActions(t, "grant", id)
	for _, want := range []string{"share.grant.suspend", "share.grant.reinstate"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

// TestShareCopies: a copy is taken and downloaded as an attachment; the
// owner withdraws it and it is gone.
func TestShareCopies(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, newShareClock().Now)
	e.shareCast(t)
	number := e.shareIncident(t, "leaked customer list")

	// Without copies in the grant, none is taken.
	g := e.approved(t, e.application("application", 30, number))
	e.must(t, http.StatusNotFound, sharePartner, "POST", "/api/v1/shared/incidents/"+number+"/copies", map[string]any{"format": "json"})
	e.must(t, http.StatusOK, shareLeader, "POST", "/api/v1/grants/"+str(g["id"])+"/revoke",
		map[string]any{"version": g["version"], "reason": "replaced"})

	req := e.application("application", 30, number)
	req["copies"] = true
	g = e.approved(t, req)
	e.must(t, http.StatusBadRequest, sharePartner, "POST", "/api/v1/shared/incidents/"+number+"/copies", map[string]any{"format": "pdf"})
	cp := e.must(t, http.StatusCreated, sharePartner, "POST", "/api/v1/shared/incidents/"+number+"/copies", map[string]any{"format": "markdown"})
	if cp["incident"] != number || cp["by"] != g["id"] || str(cp["sha256"]) == "" {
		t.Fatalf("copy: %v", cp)
	}
	path := "/api/v1/shared/copies/" + str(cp["id"])

	resp := e.download(t, sharePartner, path)
	if resp.status != http.StatusOK {
		t.Fatalf("download: %d %s", resp.status, resp.body)
	}
	if cd := resp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".md") {
		t.Errorf("Content-Disposition: %q", cd)
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") {
		t.Errorf("Content-Type: %q", ct)
	}
	if resp.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no nosniff")
	}
	if !strings.Contains(resp.body, number) || strings.Contains(resp.body, sharePhone) || strings.Contains(resp.body, shareEmail) {
		t.Fatalf("copy content:\n%s", resp.body)
	}
	// Someone else cannot fetch it.
	if st := e.download(t, shareLeader, path).status; st != http.StatusNotFound {
		t.Fatalf("download by another: %d", st)
	}

	list := e.must(t, http.StatusOK, shareOwner, "GET", "/api/v1/grants/"+str(g["id"])+"/copies", nil)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != cp["id"] {
		t.Fatalf("copies of the grant: %v", list)
	}
	// Withdrawn by the leader who owns the grant; the auditor may not.
	e.must(t, http.StatusForbidden, shareAuditor, "POST", "/api/v1/share-copies/"+str(cp["id"])+"/withdraw", nil)
	e.must(t, http.StatusNotFound, shareRep, "POST", "/api/v1/share-copies/"+str(cp["id"])+"/withdraw", nil)
	w := e.must(t, http.StatusOK, shareLeader, "POST", "/api/v1/share-copies/"+str(cp["id"])+"/withdraw", nil)
	if w["withdrawn"] == nil {
		t.Fatalf("withdrawn: %v", w)
	}
	if st := e.download(t, sharePartner, path).status; st != http.StatusNotFound {
		t.Fatalf("download after withdrawal: %d", st)
	}
	recs := e.records(t, audit.Filter{Incident: number})
	var acts []string
	for _, r := range recs {
		acts = append(acts, string(r.Action))
	}
	for _, want := range []string{"share.copy", "share.download"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit of %s lacks %s: %v", number, want, acts)
		}
	}
	if acts := e.auditActions(t, "copy", str(cp["id"])); !slices.Equal(acts, []string{"share.copy.withdraw"}) {
		t.Errorf("audit of the copy: %v", acts)
	}
	// The access log has the copy and the download under the grant.
	log := e.must(t, http.StatusOK, shareLeader, "GET", "/api/v1/share-access?incident="+number, nil)
	var logged []string
	for _, a := range log["items"].([]any) {
		if a := a.(map[string]any); a["by"] == g["id"] && a["allowed"] == true {
			logged = append(logged, str(a["action"]))
		}
	}
	if !slices.Contains(logged, "copy") || !slices.Contains(logged, "download") {
		t.Errorf("access log under %s: %v", g["id"], logged)
	}
}

// download fetches path as who.
func (e *fullEnv) download(t *testing.T, who, path string) page {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// TestShareBadInput: malformed bodies and queries are refused with field
// messages before anything is done; nothing is stored.
func TestShareBadInput(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, newShareClock().Now)
	e.shareCast(t)
	number := e.shareIncident(t, "scan from abroad")
	g := e.apply(t, sharePartner, e.application("application", 30, number))
	id := str(g["id"])

	cases := []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/api/v1/grants", map[string]any{"kind": "application", "until": rfc(e.shareNow()), "incidents": []string{number}, "colour": "red"}, "colour"},
		{"POST", "/api/v1/grants", map[string]any{"kind": "application", "until": "next week"}, "until"},
		{"POST", "/api/v1/grants", map[string]any{"kind": "application", "until": rfc(e.shareNow()), "copies": "yes"}, "copies"},
		{"POST", "/api/v1/grants/" + id + "/decision", map[string]any{"version": g["version"], "action": "maybe"}, "action"},
		{"POST", "/api/v1/grants/" + id + "/decision", map[string]any{"action": "approve"}, "version"},
		{"POST", "/api/v1/grants/" + id + "/withdraw", map[string]any{}, "version"},
		{"GET", "/api/v1/grants?view=theirs", nil, "view"},
		{"GET", "/api/v1/grants?status=pending,lost", nil, "status"},
		{"GET", "/api/v1/grants?kind=favour", nil, "kind"},
	}
	for _, tc := range cases {
		for _, l := range []string{"en", "zh"} {
			st, out := e.as(t, sharePartner, tc.method, tc.path, tc.body, "Accept-Language", l)
			fields, _ := out["fields"].(map[string]any)
			if st != http.StatusBadRequest || str(fields[tc.field]) == "" || (l == "zh") != hasHan(str(fields[tc.field])) {
				t.Errorf("%s %s (%s): %d %v, want 400 on %s", tc.method, tc.path, l, st, out, tc.field)
			}
		}
	}
	for _, q := range []string{"since=yesterday", "limit=0"} {
		if st, out := e.as(t, shareLeader, "GET", "/api/v1/share-access?"+q, nil); st != http.StatusBadRequest {
			t.Errorf("share-access?%s: %d %v", q, st, out)
		}
	}
	if st, out := e.as(t, sharePartner, "POST", "/api/v1/grants", "not json"); st != http.StatusBadRequest {
		t.Errorf("not JSON: %d %v", st, out)
	}
	// Nothing changed: the one grant is as it was.
	mine := e.must(t, http.StatusOK, sharePartner, "GET", "/api/v1/grants?view=mine", nil)
	if items := mine["items"].([]any); len(items) != 1 || items[0].(map[string]any)["version"] != g["version"] {
		t.Fatalf("after bad input: %v", mine)
	}
	// A browser session must send its CSRF token.
	b := e.login(t, sharePartner)
	csrf := b.get("/incidents?q=none").csrf(t)
	post := func(token string) int {
		t.Helper()
		body := strings.NewReader(jsonText(t, e.application("application", 30, number)))
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/grants", body)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post(""); st != http.StatusForbidden {
		t.Fatalf("session without CSRF token: %d", st)
	}
	if st := post(csrf); st != http.StatusCreated {
		t.Fatalf("session with CSRF token: %d", st)
	}

	// An unknown grant and one the caller may not see answer the same.
	_, unknown := e.call(t, "GET", "/api/v1/grants/SG-000000000000", e.tokens[shareRep], nil)
	_, hidden := e.call(t, "GET", "/api/v1/grants/"+id, e.tokens[shareRep], nil)
	if string(unknown) == "" || !strings.Contains(string(unknown), "no such grant") ||
		strings.ReplaceAll(string(hidden), id, "") != strings.ReplaceAll(string(unknown), "SG-000000000000", "") {
		t.Fatalf("unknown %s, hidden %s", unknown, hidden)
	}
}
