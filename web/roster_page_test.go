package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// section is the part of page p about team id, up to the next team.
func section(t testing.TB, p page, id string) string {
	t.Helper()
	i := strings.Index(p.body, `id="team-`+id+`"`)
	if i < 0 {
		t.Fatalf("no section for team %s:\n%s", id, p.body)
	}
	rest := p.body[i:]
	if j := strings.Index(rest[1:], `<section class="panel team`); j >= 0 {
		rest = rest[:j+1]
	}
	return rest
}

func TestRosterPage(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	env.user(t, "zhangwei", access.Responder)
	env.user(t, "someone")
	b := env.login(t, "zhangwei")
	p := b.get("/roster")
	if p.status != http.StatusOK {
		t.Fatalf("roster: %d\n%s", p.status, p.body)
	}
	// The viewer's own zone: zhangwei is in Shanghai.
	mustContain(t, p, "Asia/Shanghai (UTC&#43;08:00)", "Now: 2026-03-04 10:00")
	a := section(t, p, "assessment")
	for _, want := range []string{
		"On duty now", "张伟", `href="tel:&#43;8613800000002"`, `href="mailto:zhangwei@example.cn"`, "until 2026-03-05 00:00",
		"Next", "from 2026-03-05 00:00", "Nobody on duty", // the removal is the next change
		"Coverage gaps in the next 14 days", "2026-03-05 00:00 – 2026-03-05 06:00",
		`<time datetime="2026-03-04">03-04 Wed</time>`, `<time datetime="2026-03-18">03-18 Wed</time>`, // today and 14 days on
		`class="seg seg-gap seg-warn"><span class="seg-time">00:00–06:00</span>`,
		`<span class="seg-time">12:00–18:00</span> <span class="seg-who">Priya &lt;b&gt;Nair&lt;/b&gt;</span>`,
		`<span class="seg-time">09:00–24:00</span> <span class="seg-who">Priya &lt;b&gt;Nair&lt;/b&gt;</span>`, // 9 March
		"Write a handover note", "For the change of duty at 2026-03-05 00:00: 张伟 → —.",
	} {
		if !strings.Contains(a, want) {
			t.Errorf("assessment section lacks %q:\n%s", want, a)
		}
	}
	if strings.Contains(p.body, "<b>Nair</b>") {
		t.Fatalf("a name was not escaped:\n%s", p.body)
	}
	if got := strings.Count(a, `<th scope="row">`); got != 15 {
		t.Errorf("schedule rows: %d, want 15 (today and 14 days)", got)
	}
	mustContain(t, p, "1 coverage gap(s)", "External vendors and agencies", "Acme duty desk", `href="tel:&#43;864000000000"`,
		"Departments and liaisons", "IT", "Security", "王磊")
	if strings.Contains(p.body, "/roster/edit") {
		t.Errorf("a responder is offered the edit page:\n%s", p.body)
	}

	// Another zone on request; an unknown one is said so.
	p = b.get("/roster?tz=UTC")
	mustContain(t, p, "Times in UTC&#43;00:00", "2026-03-04 16:00 – 2026-03-04 22:00")
	p = b.get("/roster?tz=Mars%2FOlympus")
	mustContain(t, p, "Unknown time zone", "Asia/Shanghai (UTC&#43;08:00)")

	// The handover note, written from the page, is shown on it.
	p = b.get("/roster")
	res := b.post("/roster/teams/assessment/handovers", url.Values{"csrf_token": {p.csrf(t)},
		"at": {"2026-03-04T16:00:00Z"}, "note": {"VPN <flapping>; INC-2026-000007 open"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/roster#team-assessment" {
		t.Fatalf("handover post: %d %s\n%s", res.status, res.header.Get("Location"), res.body)
	}
	p = b.get("/roster")
	mustContain(t, p, "VPN &lt;flapping&gt;; INC-2026-000007 open", "张伟 → —", "written by 张伟")
	// An empty note is refused next to its field.
	res = b.post("/roster/teams/assessment/handovers", url.Values{"csrf_token": {p.csrf(t)}, "at": {"2026-03-04T16:00:00Z"}, "note": {" "}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="handover-assessment-note-error"`) {
		t.Fatalf("empty handover note: %d\n%s", res.status, res.body)
	}

	if p := env.login(t, "someone").get("/roster"); p.status != http.StatusForbidden {
		t.Fatalf("reporter: %d", p.status)
	}
}

func TestRosterPageChinese(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	env.user(t, "wanglei", access.Coordinator)
	b := env.login(t, "wanglei")
	b.lang = "zh-CN"
	p := b.get("/roster?lang=zh")
	mustContain(t, p, "值班表", "当前值班", "未来 14 天", "值班空缺", "03-04 周三", "编辑名册", "部门与联络人员")
}

func TestRosterEditPage(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	env.user(t, "wanglei", access.Coordinator)
	env.user(t, "lina", access.Responder)
	if p := env.login(t, "lina").get("/roster/edit"); p.status != http.StatusForbidden {
		t.Fatalf("responder edit page: %d", p.status)
	}
	b := env.login(t, "wanglei")
	p := b.get("/roster/edit?person=zhangwei")
	if p.status != http.StatusOK {
		t.Fatalf("edit page: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, `name="id" value="zhangwei"`, `value="&#43;86 138 0000 0002"`, "Add or change a team", "Add an override",
		"Priya &lt;b&gt;Nair&lt;/b&gt;")
	if n := strings.Count(p.body, `name="csrf_token"`); n < 4+6 { // four forms, the delete buttons, sign-out
		t.Errorf("only %d CSRF fields on the edit page", n)
	}
	tok := p.csrf(t)

	// Refused: messages next to the fields, values kept.
	res := b.post("/roster/people", url.Values{"csrf_token": {tok}, "id": {"zhao min"}, "name": {"Zhao <Min>"},
		"time_zone": {"Mars/Olympus"}, "contact_email": {"zhao"}, "contact_phone": {"+86 139 0000 0003"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("bad person: %d\n%s", res.status, res.body)
	}
	for _, id := range []string{"person-id-error", "person-time-zone-error", "person-contact-email-error"} {
		if !strings.Contains(res.body, `id="`+id+`"`) {
			t.Errorf("no %s:\n%s", id, res.body)
		}
	}
	if strings.Contains(res.body, `id="person-contact-phone-error"`) || !strings.Contains(res.body, `value="Zhao &lt;Min&gt;"`) {
		t.Errorf("refused person form:\n%s", res.body)
	}
	res = b.post("/roster/people", url.Values{"csrf_token": {tok}, "id": {"zhaomin"}, "name": {"Zhao Min"}, "roles": {"network_engineer, coordinator"},
		"department": {"IT"}, "time_zone": {"Asia/Shanghai"}, "contact_email": {"zhaomin@example.cn"}, "contact_dingtalk": {"zm01"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save person: %d\n%s", res.status, res.body)
	}
	people, _ := r.People(context.Background())
	var zm escalation.Person
	for _, p := range people {
		if p.ID == "zhaomin" {
			zm = p
		}
	}
	if zm.Name != "Zhao Min" || len(zm.Roles) != 2 || len(zm.Contacts) != 2 || zm.Contacts[1].Kind != escalation.ContactDingTalk {
		t.Fatalf("saved person: %+v", zm)
	}

	// A team with a daily rotation, its start in the rotation's zone.
	res = b.post("/roster/teams", url.Values{"csrf_token": {tok}, "id": {"netops"}, "name": {"Network on-call"}, "kind": {"support"},
		"members": {"zhaomin lina"}, "lead": {"lina"}, "critical": {"on"}, "rotation_interval": {"weekly"},
		"rotation_participants": {"zhaomin, lina"}, "rotation_handoff_time": {"09:00"}, "rotation_time_zone": {"Asia/Shanghai"},
		"rotation_start": {"2026-03-02T09:00"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="team-rotation-handoff-weekday-error"`) {
		t.Fatalf("weekly rotation without weekday: %d\n%s", res.status, res.body)
	}
	res = b.post("/roster/teams", url.Values{"csrf_token": {tok}, "id": {"netops"}, "name": {"Network on-call"}, "kind": {"support"},
		"members": {"zhaomin lina"}, "lead": {"lina"}, "critical": {"on"}, "rotation_interval": {"daily"},
		"rotation_participants": {"zhaomin, priya"}, "rotation_handoff_time": {"09:00"}, "rotation_time_zone": {"Asia/Shanghai"},
		"rotation_start": {"2026-03-02T09:00"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="team-rotation-participants-error"`) {
		t.Fatalf("participant who is not a member: %d\n%s", res.status, res.body)
	}
	res = b.post("/roster/teams", url.Values{"csrf_token": {tok}, "id": {"netops"}, "name": {"Network on-call"}, "kind": {"support"},
		"members": {"zhaomin lina"}, "lead": {"lina"}, "critical": {"on"}, "rotation_interval": {"daily"},
		"rotation_participants": {"zhaomin, lina"}, "rotation_handoff_time": {"09:00"}, "rotation_time_zone": {"Asia/Shanghai"},
		"rotation_start": {"2026-03-02T09:00"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save team: %d\n%s", res.status, res.body)
	}
	teams, _ := r.Teams(context.Background())
	var netops escalation.Team
	for _, tm := range teams {
		if tm.ID == "netops" {
			netops = tm
		}
	}
	if netops.Rotation == nil || !netops.Rotation.Start.Equal(sh(2026, 3, 2, 9, 0)) || !netops.Critical {
		t.Fatalf("saved team: %+v %+v", netops, netops.Rotation)
	}
	p = b.get("/roster/edit?team=netops")
	mustContain(t, p, `name="rotation_start" value="2026-03-02T09:00"`, `<option value="daily" selected>`)

	// An override from the form, in the zone it names.
	res = b.post("/roster/overrides", url.Values{"csrf_token": {tok}, "team": {"netops"}, "person": {"zhaomin"}, "replaces": {"lina"},
		"start": {"2026-03-05T09:00"}, "end": {"2026-03-04T09:00"}, "time_zone": {"Asia/Shanghai"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="override-end-error"`) {
		t.Fatalf("override ending before it starts: %d\n%s", res.status, res.body)
	}
	res = b.post("/roster/overrides", url.Values{"csrf_token": {tok}, "team": {"netops"}, "person": {"zhaomin"}, "replaces": {"lina"},
		"start": {"2026-03-05T09:00"}, "end": {"2026-03-06T09:00"}, "time_zone": {"Asia/Shanghai"}, "note": {"swap"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save override: %d\n%s", res.status, res.body)
	}
	ovs, _ := r.Overrides(context.Background(), sh(2026, 3, 5, 0, 0), sh(2026, 3, 7, 0, 0))
	found := false
	for _, o := range ovs {
		found = found || (o.Team == "netops" && o.Start.Equal(sh(2026, 3, 5, 9, 0)) && o.End.Equal(sh(2026, 3, 6, 9, 0)))
	}
	if !found {
		t.Fatalf("override not stored as asked: %+v", ovs)
	}

	res = b.post("/roster/departments", url.Values{"csrf_token": {tok}, "name": {"Finance"}, "liaison": {"zhaomin"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save department: %d\n%s", res.status, res.body)
	}
	// A member cannot be deleted: said on the page, nothing deleted.
	res = b.post("/roster/people/zhaomin/delete", url.Values{"csrf_token": {tok}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, "cannot be deleted") {
		t.Fatalf("delete a member: %d\n%s", res.status, res.body)
	}
	if res := b.post("/roster/people/zhaomin/delete", url.Values{}); res.status != http.StatusForbidden {
		t.Fatalf("delete without CSRF token: %d", res.status)
	}
	p = b.get("/roster")
	mustContain(t, p, "Network on-call", "Finance", "Zhao Min", "Edit the roster")
}

func TestPoliciesPage(t *testing.T) {
	t.Parallel()
	env, r := newRosterEnv(t)
	seedRoster(t, r)
	env.user(t, "wanglei", access.Coordinator)
	env.user(t, "root", access.Admin)
	env.user(t, "lina", access.Responder)
	if p := env.login(t, "lina").get("/roster/policies"); p.status != http.StatusForbidden {
		t.Fatalf("responder: %d", p.status)
	}
	p := env.login(t, "wanglei").get("/roster/policies")
	if p.status != http.StatusOK || strings.Contains(p.body, `action="/roster/policies/`) {
		t.Fatalf("coordinator reads, without forms: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "oncall assessment repeat=1", "role management security_manager", "15m", "Only administrators")

	b := env.login(t, "root")
	p = b.get("/roster/policies")
	mustContain(t, p, `action="/roster/policies/serious"`, `name="deadlines_ack" value="15m"`)
	tok := p.csrf(t)
	res := b.post("/roster/policies/serious", url.Values{"csrf_token": {tok}, "steps": {"oncall assessment\nlead ghosts\npager management"},
		"deadlines_ack": {"10m"}, "deadlines_confirm": {"5m"}, "deadlines_dispatch": {"2h"}, "deadlines_handle": {"3d"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "line 3:") || !strings.Contains(res.body, `id="policy-serious-steps-error"`) {
		t.Fatalf("bad steps: %d\n%s", res.status, res.body)
	}
	res = b.post("/roster/policies/serious", url.Values{"csrf_token": {tok}, "steps": {"oncall assessment\nlead ghosts"},
		"deadlines_ack": {"10m"}, "deadlines_confirm": {"5m"}, "deadlines_dispatch": {"2h"}, "deadlines_handle": {"3d"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="policy-serious-deadlines-confirm-error"`) {
		t.Fatalf("deadlines out of order: %d\n%s", res.status, res.body)
	}
	res = b.post("/roster/policies/serious", url.Values{"csrf_token": {tok}, "steps": {"oncall assessment\nlead ghosts"},
		"deadlines_ack": {"10m"}, "deadlines_confirm": {"30m"}, "deadlines_dispatch": {"2h"}, "deadlines_handle": {"3d"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "step 2: no such team") {
		t.Fatalf("unknown team: %d\n%s", res.status, res.body)
	}
	res = b.post("/roster/policies/serious", url.Values{"csrf_token": {tok},
		"steps":         {"oncall assessment repeat=1\nlead assessment\nrole management security_manager delay=10m\nperson chenjing"},
		"deadlines_ack": {"10m"}, "deadlines_confirm": {"30m"}, "deadlines_dispatch": {"2h"}, "deadlines_handle": {"3d"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save policy: %d\n%s", res.status, res.body)
	}
	ps, _ := r.Policies(context.Background())
	pol, _ := escalation.PolicyFor(ps, incident.Serious)
	if len(pol.Steps) != 4 || pol.Steps[2].Delay.String() != "10m" || pol.Deadlines.Handle.String() != "72h" {
		t.Fatalf("saved policy: %+v", pol)
	}
	if res := env.login(t, "wanglei").post("/roster/policies/serious", url.Values{"csrf_token": {tok}}); res.status != http.StatusForbidden {
		t.Fatalf("coordinator posts a policy: %d", res.status)
	}
}

func TestRosterPagesWithoutStore(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "wanglei", access.Coordinator)
	if p := env.login(t, "wanglei").get("/roster"); p.status != http.StatusServiceUnavailable {
		t.Fatalf("no roster store: %d", p.status)
	}
}

var ackFormRE = regexp.MustCompile(`<form method="post" action="/incidents/(INC-\d{4}-\d{6})/ack">`)

func TestAckButtonOnIncidentPage(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	num := env.login(t, "alice").fileReport("Phishing mail to finance")

	// The reporter may not take it on: no button, and the route refuses.
	alice := env.login(t, "alice")
	p := alice.get("/incidents/" + num)
	if ackFormRE.MatchString(p.body) {
		t.Fatalf("reporter sees the ack button:\n%s", p.body)
	}
	if res := alice.post("/incidents/"+num+"/ack", url.Values{"csrf_token": {p.csrf(t)}}); res.status != http.StatusForbidden {
		t.Fatalf("reporter acks: %d", res.status)
	}

	b := env.login(t, "coord")
	p = b.get("/incidents/" + num)
	if m := ackFormRE.FindStringSubmatch(p.body); m == nil || m[1] != num {
		t.Fatalf("no ack button:\n%s", p.body)
	}
	if res := b.post("/incidents/"+num+"/ack", url.Values{}); res.status != http.StatusForbidden {
		t.Fatalf("ack without CSRF token: %d", res.status)
	}
	res := b.post("/incidents/"+num+"/ack", url.Values{"csrf_token": {p.csrf(t)}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/incidents/"+num {
		t.Fatalf("ack: %d %s\n%s", res.status, res.header.Get("Location"), res.body)
	}
	p = b.get("/incidents/" + num)
	mustContain(t, p, "Acknowledged by Coord at ", "Acknowledged</p>") // the block and the timeline entry
	if ackFormRE.MatchString(p.body) {
		t.Fatalf("ack button still offered:\n%s", p.body)
	}
	inc, err := env.incidents.Get(context.Background(), num)
	if err != nil || inc.AckedBy == nil || inc.AckedBy.Name != "Coord" {
		t.Fatalf("ack not recorded: %+v %v", inc, err)
	}
	// Acknowledging again is harmless and returns to the board when asked.
	res = b.post("/incidents/"+num+"/ack", url.Values{"csrf_token": {p.csrf(t)}, "next": {"/board"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/board" {
		t.Fatalf("second ack: %d %s", res.status, res.header.Get("Location"))
	}
	res = b.post("/incidents/"+num+"/ack", url.Values{"csrf_token": {p.csrf(t)}, "next": {"//evil.example/"}})
	if res.header.Get("Location") != "/incidents/"+num {
		t.Fatalf("next is not confined to the hub: %s", res.header.Get("Location"))
	}
}

func TestAckButtonOnBoardCards(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	first := env.login(t, "alice").fileReport("USB stick found in the lobby")
	second := env.login(t, "alice").fileReport("Odd outbound traffic at night")
	b := env.login(t, "coord")
	p := b.get("/board")
	tok := p.csrf(t)
	for _, num := range []string{first, second} {
		want := `<form class="card-ack-form" method="post" action="/incidents/` + num + `/ack"><input type="hidden" name="csrf_token" value="` + tok + `">`
		if !strings.Contains(p.body, want) {
			t.Fatalf("card %s has no ack form with the token:\n%s", num, p.body)
		}
	}
	// The template that board.js clones carries the token too.
	if !strings.Contains(p.body, `action="/incidents//ack"><input type="hidden" name="csrf_token" value="`+tok+`">`) {
		t.Fatalf("card template lacks the ack form:\n%s", p.body)
	}
	res := b.post("/incidents/"+first+"/ack", url.Values{"csrf_token": {tok}, "next": {"/board"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/board" {
		t.Fatalf("ack from the board: %d %s", res.status, res.header.Get("Location"))
	}
	p = b.get("/board")
	if !strings.Contains(p.body, `action="/incidents/`+first+`/ack" hidden>`) || strings.Contains(p.body, `action="/incidents/`+second+`/ack" hidden>`) {
		t.Fatalf("acknowledged card still offers the button, or the other lost it:\n%s", p.body)
	}
}
