package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// Helpers of the sharing page tests: a partner from another organization,
// incidents with sensitive text, and forms posted as a browser does.

// Sensitive values in the incidents of the sharing tests, which shared
// views must mask.
const (
	secretPhone = "13812345678"
	secretEmail = "zhang.san@example.com"
	secretIP    = "10.20.30.40"
	secretName  = "Zhang San"
)

// partnerAccount stores a person of another organization (no role but
// reporter) who signs in with testPassword.
func (e *fullEnv) partnerAccount(t testing.TB, username, org, dept string) *access.User {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u := &access.User{ID: "u-" + username, Username: username, Name: strings.ToUpper(username[:1]) + username[1:],
		Roles: []access.Role{access.Reporter}, Organization: org, Department: dept, PasswordHash: string(hash),
		CreatedAt: time.Now().UTC()}
	if err := e.db.Accounts().CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	e.users[username] = u
	return u
}

// sensitiveIncident stores an incident reported by rep.own whose text
// holds a script, a phone number, an e-mail address, an internal address
// and a person's name.
func (e *fullEnv) sensitiveIncident(t testing.TB, title string) *incident.Incident {
	t.Helper()
	ctx := context.Background()
	st := e.db.Incidents()
	now := time.Now().UTC().Truncate(time.Millisecond)
	seq, err := st.NextNumber(ctx, now.Year())
	if err != nil {
		t.Fatal(err)
	}
	rep := e.users[castRepOwn]
	reporter := incident.Actor{ID: rep.ID, Name: secretName, Username: rep.Username}
	inc := &incident.Incident{Number: incident.FormatNumber(now.Year(), seq), Version: 1, Title: title,
		Description: "<script>alert('x')</script> Call " + secretName + " on " + secretPhone + " or write to " + secretEmail +
			"; the beacon came from " + secretIP + ".",
		Level: incident.Serious, Category: incident.CyberAttack, Stage: incident.Receive,
		StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: now}, CreatedAt: now, UpdatedAt: now, Occurrences: 1,
		Source: "web", Reporter: reporter, AffectedAssets: []string{"db-01 (" + secretIP + ")"},
		Assignees: []incident.Assignee{{Kind: incident.AssigneeTeam, Name: castTeam}},
		Timeline:  []incident.Entry{{At: now, Actor: reporter, Kind: incident.EntryReported, To: "receive"}}}
	if err := st.Insert(ctx, inc); err != nil {
		t.Fatal(err)
	}
	return inc
}

// send posts form to path with b's CSRF token, read once from a page.
func send(t testing.TB, b *browser, path string, form url.Values) page {
	t.Helper()
	if b.csrfToken == "" {
		b.csrfToken = b.get("/sharing").csrf(t)
	}
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("csrf_token", b.csrfToken)
	return b.post(path, out)
}

var grantLocRE = regexp.MustCompile(`^/sharing/grants/(SG-[0-9a-f]+)$`)

// applyFor applies through the form and returns the new grant's id.
func applyFor(t testing.TB, b *browser, form url.Values) string {
	t.Helper()
	res := send(t, b, "/sharing/apply", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("apply: %d\n%s", res.status, res.body)
	}
	m := grantLocRE.FindStringSubmatch(res.header.Get("Location"))
	if m == nil {
		t.Fatalf("apply redirected to %q", res.header.Get("Location"))
	}
	return m[1]
}

// application is a valid application form for incident number.
func application(number string, extra url.Values) url.Values {
	f := url.Values{"kind": {"application"}, "purpose": {"Correlate the beacon with our sensors"},
		"incidents": {number}, "sections": {"description", "assets", "timeline", "contacts"},
		"until": {time.Now().AddDate(0, 2, 0).Format(time.DateOnly)}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// versionOf reads the version hidden in the form id on a grant page.
func versionOf(t testing.TB, p page, form string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<section[^>]*id="` + form + `".*?name="version" value="(\d+)"`)
	m := re.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no %s form with a version on the page (status %d):\n%s", form, p.status, p.body)
	}
	return m[1]
}

// fieldError is the message shown under field id of a form, "" if none.
func fieldError(p page, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `-error"><span aria-hidden="true">⚠ </span>([^<]*)</p>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func newSharePagesEnv(t *testing.T) *fullEnv {
	t.Helper()
	e := newFullEnv(t, nil)
	e.seedCast(t)
	e.partnerAccount(t, "partner", "Provincial CERT", "Analysis")
	return e
}

// TestSharePagesApplyFieldErrors: a refused application comes back with
// each message next to its field, in the caller's language, and with what
// was typed kept.
func TestSharePagesApplyFieldErrors(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Beacon from the lab")
	b := e.login(t, "partner")

	form := b.get("/sharing/apply?incident=" + inc.Number)
	if form.status != http.StatusOK {
		t.Fatalf("apply form: %d", form.status)
	}
	mustContain(t, form, `name="incidents"`, ">"+inc.Number+"</textarea>", "at most 3 years", "at most 14 days",
		"shown as it is, not masked")

	for _, tc := range []struct {
		lang                                string
		purposeMsg, untilMsg, incidentsText string
	}{
		{"en", "say what the information is needed for", "must be a date like 2026-03-31", "INC-1999-999999, typed"},
		{"zh", "请说明使用目的", "必须是日期，如 2026-03-31", "INC-1999-999999，已填"},
	} {
		b.lang = tc.lang
		res := send(t, b, "/sharing/apply?lang="+tc.lang, url.Values{"kind": {"application"}, "purpose": {"  "},
			"incidents": {tc.incidentsText}, "sections": {"timeline"}, "until": {"31/12/2026"}, "rate_per_hour": {"many"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("%s: status %d\n%s", tc.lang, res.status, res.body)
		}
		if got := fieldError(res, "apply-purpose"); got != tc.purposeMsg {
			t.Errorf("%s: purpose error %q, want %q", tc.lang, got, tc.purposeMsg)
		}
		if got := fieldError(res, "apply-until"); got != tc.untilMsg {
			t.Errorf("%s: until error %q, want %q", tc.lang, got, tc.untilMsg)
		}
		if fieldError(res, "apply-rate-per-hour") == "" {
			t.Errorf("%s: no error next to the rate", tc.lang)
		}
		// What was typed is kept: the incidents, the ticked section.
		mustContain(t, res, ">"+tc.incidentsText+"</textarea>", `value="timeline" checked`, `value="31/12/2026"`)
	}

	// The service's own checks come back the same way: an emergency
	// request beyond 14 days, in Chinese.
	b.lang = "zh"
	res := send(t, b, "/sharing/apply?lang=zh", application(inc.Number, url.Values{"kind": {"emergency"},
		"until": {time.Now().AddDate(0, 0, 30).Format(time.DateOnly)}}))
	if res.status != http.StatusBadRequest {
		t.Fatalf("emergency beyond 14 days: %d\n%s", res.status, res.body)
	}
	msg := fieldError(res, "apply-until")
	if msg == "" || !regexp.MustCompile(`\p{Han}`).MatchString(msg) {
		t.Errorf("the 14-day limit in Chinese next to the date: %q\n%s", msg, res.body)
	}
	mustContain(t, res, "Correlate the beacon with our sensors</textarea>")

	// Nothing was stored by the refused forms.
	if mine := b.get("/sharing?lang=en"); strings.Contains(mine.body, `data-grant="SG-`) {
		t.Errorf("a refused application was stored:\n%s", mine.body)
	}
}

// TestSharePagesCorrectionLoop: a partner applies, a manager returns the
// request with a comment, the partner corrects and resubmits it, the
// manager approves it; the grant page shows each step with its comment.
func TestSharePagesCorrectionLoop(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Beacon from the lab")
	partner := e.login(t, "partner")
	mgr := e.login(t, castManager)
	other := e.login(t, castRepOther)

	id := applyFor(t, partner, application(inc.Number, nil))
	gp := partner.get("/sharing/grants/" + id)
	mustContain(t, gp, `id="grant-status">pending<`, "Provincial CERT", "Analysis", "Correlate the beacon with our sensors")

	// The manager sees it waiting; someone unrelated does not see it at all.
	home := mgr.get("/sharing")
	if w := regexp.MustCompile(`(?s)id="grants-waiting">.*?</table>`).FindString(home.body); !strings.Contains(w, `data-grant="`+id+`"`) {
		t.Errorf("the request is not waiting for the manager:\n%s", home.body)
	}
	if p := other.get("/sharing/grants/" + id); p.status != http.StatusNotFound {
		t.Errorf("an unrelated person reads the grant: %d", p.status)
	}
	if p := send(t, other, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"}, "version": {"1"}}); p.status != http.StatusNotFound {
		t.Errorf("an unrelated person decides: %d", p.status)
	}
	// The requester cannot decide their own request.
	if p := send(t, partner, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"}, "version": {"1"}}); p.status != http.StatusForbidden {
		t.Errorf("the requester decides: %d", p.status)
	}

	// Returning needs a comment: the form says so next to the field.
	page := mgr.get("/sharing/grants/" + id)
	v := versionOf(t, page, "decide")
	res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"return"}, "version": {v}})
	if res.status != http.StatusBadRequest || fieldError(res, "decide-comment") == "" {
		t.Fatalf("return without a comment: %d\n%s", res.status, res.body)
	}
	mustContain(t, res, `value="return" checked`)
	const why = "Say which sensors, and drop the contacts section: you do not need names."
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"return"}, "comment": {why}, "version": {v}}); res.status != http.StatusSeeOther {
		t.Fatalf("return: %d\n%s", res.status, res.body)
	}

	// The partner sees why, and corrects.
	gp = partner.get("/sharing/grants/" + id)
	mustContain(t, gp, "returned for correction", why, `href="/sharing/grants/`+id+`/edit"`)
	edit := partner.get("/sharing/grants/" + id + "/edit")
	mustContain(t, edit, why, "Correlate the beacon with our sensors</textarea>", `value="description" checked`)
	ev := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(edit.body)
	if ev == nil {
		t.Fatalf("no version on the correction form:\n%s", edit.body)
	}
	// A stale version is refused and the form is drawn again.
	corrected := application(inc.Number, url.Values{"purpose": {"Correlate the beacon with our IDS sensors S1 and S2"},
		"sections": {"description", "assets", "timeline"}, "version": {"1"}})
	if res := send(t, partner, "/sharing/grants/"+id+"/edit", corrected); res.status != http.StatusConflict {
		t.Errorf("resubmit at a stale version: %d\n%s", res.status, res.body)
	}
	corrected.Set("version", ev[1])
	if res := send(t, partner, "/sharing/grants/"+id+"/edit", corrected); res.status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d\n%s", res.status, res.body)
	}

	page = mgr.get("/sharing/grants/" + id)
	mustContain(t, page, `id="grant-status">pending<`, "IDS sensors S1 and S2")
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"}, "comment": {"agreed"},
		"version": {versionOf(t, page, "decide")}}); res.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", res.status, res.body)
	}

	gp = partner.get("/sharing/grants/" + id)
	mustContain(t, gp, `id="grant-status">active<`, why, "agreed", `href="/shared/incidents/`+inc.Number+`"`)
	steps := regexp.MustCompile(`data-action="([a-z]+)"`).FindAllStringSubmatch(gp.body, -1)
	var got []string
	for _, s := range steps {
		got = append(got, s[1])
	}
	if strings.Join(got, " ") != "submit return resubmit approve" {
		t.Errorf("history %v, want submit return resubmit approve", got)
	}
	if strings.Contains(gp.body, `/edit"`) {
		t.Errorf("an active grant still offers the correction form")
	}

	// The same history in Chinese.
	partner.lang = "zh"
	mustContain(t, partner.get("/sharing/grants/"+id+"?lang=zh"), "退回补正", "补正后重新提交", "有效")
}

// TestSharedViewDesensitized: the shared view escapes what the incident's
// text holds, masks the phone number, e-mail address, internal address
// and name, says what admitted the caller, logs the access on the grant,
// and answers an incident not shared exactly as one that does not exist.
func TestSharedViewDesensitized(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Beacon from <b>the lab</b>")
	notShared := e.sensitiveIncident(t, "Another incident")
	partner := e.login(t, "partner")
	mgr := e.login(t, castManager)

	id := applyFor(t, partner, application(inc.Number, url.Values{"copies": {"on"}}))
	page := mgr.get("/sharing/grants/" + id)
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"},
		"version": {versionOf(t, page, "decide")}}); res.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", res.status, res.body)
	}

	view := partner.get("/shared/incidents/" + inc.Number)
	if view.status != http.StatusOK {
		t.Fatalf("shared view: %d\n%s", view.status, view.body)
	}
	mustContain(t, view, "Shared view — desensitized", `id="shared-by">`+id+`<`, "Application",
		"&lt;script&gt;", "Beacon from &lt;b&gt;the lab&lt;/b&gt;", `id="shared-masked">Masked values:`)
	for _, leak := range []string{"<script>alert", secretPhone, secretEmail, secretIP, secretName} {
		if strings.Contains(view.body, leak) {
			t.Errorf("the shared view shows %q:\n%s", leak, view.body)
		}
	}
	partner.lang = "zh"
	mustContain(t, partner.get("/shared/incidents/"+inc.Number+"?lang=zh"), "共享视图（已脱敏）")
	partner.lang = ""

	// Not shared and unknown answer alike.
	a, b := partner.get("/shared/incidents/"+notShared.Number), partner.get("/shared/incidents/INC-1999-000001")
	if a.status != http.StatusNotFound || b.status != http.StatusNotFound {
		t.Fatalf("not shared %d, unknown %d", a.status, b.status)
	}
	strip := regexp.MustCompile(`[0-9a-f]{16,}|INC-\d{4}-\d{6}`)
	if strip.ReplaceAllString(a.body, "") != strip.ReplaceAllString(b.body, "") {
		t.Errorf("a non-shared incident answers differently from an unknown one")
	}

	// The accesses are on the grant's log, allowed and with the address.
	gp := mgr.get("/sharing/grants/" + id)
	mustContain(t, gp, `<tr class="allowed">`, "127.0.0.1")

	// A copy: taken, downloaded (masked), listed, withdrawn, gone.
	res := send(t, partner, "/shared/incidents/"+inc.Number+"/copies", url.Values{"format": {"markdown"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/shared/copies/SC-") {
		t.Fatalf("take a copy: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	loc := res.header.Get("Location")
	dl := partner.get(loc)
	if dl.status != http.StatusOK || !strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q", dl.status, dl.header.Get("Content-Disposition"))
	}
	for _, leak := range []string{secretPhone, secretEmail, secretIP} {
		if strings.Contains(dl.body, leak) {
			t.Errorf("the copy holds %q", leak)
		}
	}
	copyID := strings.TrimPrefix(loc, "/shared/copies/")
	gp = mgr.get("/sharing/grants/" + id)
	mustContain(t, gp, `data-copy="`+copyID+`"`, `action="/sharing/copies/`+copyID+`/withdraw"`)
	if res := send(t, mgr, "/sharing/copies/"+copyID+"/withdraw", url.Values{"by": {id}}); res.status != http.StatusSeeOther {
		t.Fatalf("withdraw the copy: %d\n%s", res.status, res.body)
	}
	if dl := partner.get(loc); dl.status != http.StatusNotFound {
		t.Errorf("a withdrawn copy downloads: %d", dl.status)
	}
	mustContain(t, mgr.get("/sharing/grants/"+id), "Withdrawn by Mgr")
}

// TestSharePagesSuspendReinstateRevoke: use beyond a grant's rate
// suspends it and the shared view says so plainly; its owner reinstates
// it, then revokes it with a reason.
func TestSharePagesSuspendReinstateRevoke(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Beacon from the lab")
	partner := e.login(t, "partner")
	mgr := e.login(t, castManager)
	id := applyFor(t, partner, application(inc.Number, url.Values{"rate_per_hour": {"2"}}))
	gp := mgr.get("/sharing/grants/" + id)
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"},
		"version": {versionOf(t, gp, "decide")}}); res.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", res.status, res.body)
	}
	var last page
	for range 4 {
		last = partner.get("/shared/incidents/" + inc.Number)
	}
	if last.status != http.StatusForbidden {
		t.Fatalf("beyond the rate: %d\n%s", last.status, last.body)
	}
	mustContain(t, last, "Shared access suspended", "unusual use")
	if strings.Contains(last.body, secretName) || strings.Contains(last.body, "Beacon from the lab") {
		t.Errorf("the suspended page shows the incident")
	}

	gp = mgr.get("/sharing/grants/" + id)
	mustContain(t, gp, `id="grant-status">suspended<`, `id="reinstate"`, `id="revoke"`)
	if res := send(t, mgr, "/sharing/grants/"+id+"/reinstate", url.Values{"comment": {"the partner's crawler, fixed"},
		"version": {versionOf(t, gp, "reinstate")}}); res.status != http.StatusSeeOther {
		t.Fatalf("reinstate: %d\n%s", res.status, res.body)
	}
	gp = mgr.get("/sharing/grants/" + id)
	mustContain(t, gp, `id="grant-status">active<`, "the partner&#39;s crawler, fixed")

	// Revoking needs a reason; the partner may not revoke.
	v := versionOf(t, gp, "revoke")
	if res := send(t, mgr, "/sharing/grants/"+id+"/revoke", url.Values{"version": {v}}); res.status != http.StatusBadRequest ||
		fieldError(res, "revoke-reason") == "" {
		t.Fatalf("revoke without a reason: %d\n%s", res.status, res.body)
	}
	if res := send(t, partner, "/sharing/grants/"+id+"/revoke", url.Values{"version": {v}, "reason": {"mine"}}); res.status != http.StatusForbidden {
		t.Errorf("the requester revokes: %d", res.status)
	}
	if res := send(t, mgr, "/sharing/grants/"+id+"/revoke", url.Values{"version": {v}, "reason": {"the investigation ended"}}); res.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", res.status, res.body)
	}
	mustContain(t, partner.get("/sharing/grants/"+id), `id="grant-status">revoked<`, "the investigation ended")
	if p := partner.get("/shared/incidents/" + inc.Number); p.status != http.StatusNotFound {
		t.Errorf("a revoked grant still admits: %d", p.status)
	}
}

// TestSharePagesRules: admins write attribute rules (field errors in both
// languages), managers and auditors read them, a matching rule admits
// without an application.
func TestSharePagesRules(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Beacon from the lab")
	adm := e.login(t, castAdmin)
	mgr := e.login(t, castManager)
	partner := e.login(t, "partner")

	for lang, want := range map[string]string{"en": "name the rule", "zh": "请填写规则名称"} {
		adm.lang = lang
		res := send(t, adm, "/sharing/rules/new?lang="+lang, url.Values{"name": {""}, "organizations": {"Provincial CERT"},
			"categories": {"cyber_attack"}, "sections": {"description"}})
		if res.status != http.StatusBadRequest || fieldError(res, "rule-name") != want {
			t.Fatalf("%s: rule without a name: %d %q\n%s", lang, res.status, fieldError(res, "rule-name"), res.body)
		}
		mustContain(t, res, "Provincial CERT</textarea>", `value="cyber_attack" checked`)
	}
	adm.lang = ""
	res := send(t, adm, "/sharing/rules/new", url.Values{"name": {"Provincial CERT reads cyber attacks"}, "enabled": {"on"},
		"organizations": {"Provincial CERT"}, "categories": {"cyber_attack"}, "sections": {"description"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("create the rule: %d\n%s", res.status, res.body)
	}
	list := mgr.get("/sharing/rules")
	mustContain(t, list, "Provincial CERT reads cyber attacks")
	if strings.Contains(list.body, `href="/sharing/rules/new"`) {
		t.Errorf("a manager is offered to write rules")
	}
	ruleURL := regexp.MustCompile(`href="(/sharing/rules/SR-[0-9a-f]+/edit)"`).FindStringSubmatch(list.body)
	if ruleURL == nil {
		t.Fatalf("no link to the rule:\n%s", list.body)
	}
	ro := mgr.get(ruleURL[1])
	mustContain(t, ro, "<fieldset disabled", "Provincial CERT</textarea>")
	if res := send(t, mgr, ruleURL[1], url.Values{"name": {"mine now"}}); res.status != http.StatusForbidden {
		t.Errorf("a manager changes a rule: %d", res.status)
	}

	// The rule admits the partner without an application, and says so.
	view := partner.get("/shared/incidents/" + inc.Number)
	if view.status != http.StatusOK {
		t.Fatalf("shared view through the rule: %d\n%s", view.status, view.body)
	}
	mustContain(t, view, `id="shared-basis">Attribute rule<`, `id="shared-by">SR-`)
	if strings.Contains(view.body, secretPhone) {
		t.Errorf("the view through the rule shows the phone number")
	}
}

// TestTicketShareLink: the ticket page offers "Share" to those who may
// request shared access, not to auditors.
func TestTicketShareLink(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.castIncident(t, false, "linked")
	link := `href="/sharing/apply?incident=` + inc.Number + `"`
	mustContain(t, e.login(t, castCoord).get("/incidents/"+inc.Number), link, `href="/sharing"`)
	if p := e.login(t, castAuditor).get("/incidents/" + inc.Number); strings.Contains(p.body, link) {
		t.Errorf("an auditor is offered to request shared access")
	}
	zh := e.login(t, castCoord)
	zh.lang = "zh"
	mustContain(t, zh.get("/incidents/"+inc.Number+"?lang=zh"), ">共享</a>", ">信息共享</a>")
}

// TestSharePagesEmergencyWithdrawShorten: an emergency request, approved
// for a shorter period than asked, offers its requester to continue with
// an application (the form prefilled from it); a stale decision is
// refused with the page drawn again; a request can be withdrawn.
func TestSharePagesEmergencyWithdrawShorten(t *testing.T) {
	t.Parallel()
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Ransomware at the partner's site")
	partner := e.login(t, "partner")
	mgr := e.login(t, castManager)

	asked := time.Now().AddDate(0, 0, 10)
	id := applyFor(t, partner, application(inc.Number, url.Values{"kind": {"emergency"}, "purpose": {"Contain the outbreak"},
		"until": {asked.Format(time.DateOnly)}}))
	page := mgr.get("/sharing/grants/" + id)
	mustContain(t, page, "Emergency access", asked.Format(time.DateOnly))
	v := versionOf(t, page, "decide")
	shorter := time.Now().AddDate(0, 0, 5).Format(time.DateOnly)
	longer := time.Now().AddDate(0, 0, 12).Format(time.DateOnly)
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"}, "until": {longer}, "version": {v}}); res.status != http.StatusBadRequest ||
		fieldError(res, "decide-until") == "" {
		t.Errorf("approving for longer than asked: %d\n%s", res.status, res.body)
	}
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"approve"}, "until": {shorter}, "version": {v}}); res.status != http.StatusSeeOther {
		t.Fatalf("approve shorter: %d\n%s", res.status, res.body)
	}
	// The same form again, at the version seen before: someone else
	// decided meanwhile.
	if res := send(t, mgr, "/sharing/grants/"+id+"/decision", url.Values{"action": {"reject"}, "comment": {"no"}, "version": {v}}); res.status != http.StatusConflict {
		t.Errorf("a stale decision: %d, want 409", res.status)
	} else {
		mustContain(t, res, "changed by someone else", `id="grant-status">active<`)
	}

	gp := partner.get("/sharing/grants/" + id)
	mustContain(t, gp, `id="grant-status">active<`, shorter, `href="/sharing/apply?from=`+id+`"`)
	cont := partner.get("/sharing/apply?from=" + id)
	mustContain(t, cont, "Continuing emergency grant "+id, "Contain the outbreak</textarea>", ">"+inc.Number+"</textarea>",
		`value="application" checked`)

	// A request is withdrawn by its requester, and is then final.
	other := applyFor(t, partner, application(inc.Number, nil))
	op := partner.get("/sharing/grants/" + other)
	if res := send(t, partner, "/sharing/grants/"+other+"/withdraw", url.Values{"version": {versionOf(t, op, "withdraw")}}); res.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d\n%s", res.status, res.body)
	}
	op = partner.get("/sharing/grants/" + other)
	mustContain(t, op, `id="grant-status">withdrawn<`, `data-action="withdraw"`)
	if strings.Contains(op.body, `id="withdraw"`) {
		t.Errorf("a withdrawn request still offers to withdraw it")
	}
}
