package access

import (
	"fmt"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// TestSharePolicy walks the sharing rules: who asks, who decides, who
// ends, who sees, who withdraws, who writes and reads rules.
func TestSharePolicy(t *testing.T) {
	owned := func(n string) *incident.Incident {
		return &incident.Incident{Number: n, Stage: incident.Handle, Reporter: incident.Actor{ID: "u-rep"},
			Participants: []string{"u-own"}, AckedBy: &incident.Actor{ID: "u-own"}}
	}
	one, two := owned("INC-2026-000001"), owned("INC-2026-000002")
	othersInc := owned("INC-2026-000003")
	othersInc.AckedBy = &incident.Actor{ID: "u-else"}
	secret := owned("INC-2026-000004")
	secret.Restricted = true

	app := &share.Grant{ID: "SG-1", Kind: share.Application, Requester: share.Party{UserID: "u-req"}, Owner: share.Party{UserID: "u-appr"}}
	em := &share.Grant{ID: "SG-2", Kind: share.Emergency, Requester: share.Party{UserID: "u-req"}}

	who := map[string]Principal{
		"anonymous":   {},
		"requester":   {UserID: "u-req", Roles: []Role{Reporter}},
		"req. token":  {UserID: "u-req", Roles: []Role{Reporter}, Via: "token", System: "soc-feed", Grant: "SG-1"},
		"owner":       {UserID: "u-own", Roles: []Role{Reporter, Responder}},
		"approver":    {UserID: "u-appr", Roles: []Role{Reporter, Responder}},
		"other":       {UserID: "u-x", Roles: []Role{Reporter, Responder}},
		"manager":     {UserID: "u-m", Roles: []Role{Reporter, Manager}},
		"mgr token":   {UserID: "u-m", Roles: []Role{Reporter, Manager}, Via: "token", Grant: "SG-9"},
		"manager req": {UserID: "u-req", Roles: []Role{Reporter, Manager}},
		"auditor":     {UserID: "u-au", Roles: []Role{Reporter, Auditor}},
		"aud.+mgr":    {UserID: "u-am", Roles: []Role{Manager, Auditor, Admin}},
		"admin":       {UserID: "u-a", Roles: []Role{Admin}},
	}
	incs := []*incident.Incident{one, two}
	mixed := []*incident.Incident{one, othersInc}
	withSecret := []*incident.Incident{one, secret}
	ownCopy := &share.Copy{ID: "SC-1", Requester: share.Party{UserID: "u-req"}}
	otherCopy := &share.Copy{ID: "SC-2", Requester: share.Party{UserID: "u-x"}}
	actions := []struct {
		name string
		do   func(Principal) bool
	}{
		{"request", CanRequestShare},
		{"use", CanUseShared},
		{"decide app", func(p Principal) bool { return CanDecideGrant(p, app, incs) }},
		{"decide app, one not owned", func(p Principal) bool { return CanDecideGrant(p, app, mixed) }},
		{"decide app, restricted", func(p Principal) bool { return CanDecideGrant(p, app, withSecret) }},
		{"decide app, no incidents", func(p Principal) bool { return CanDecideGrant(p, app, nil) }},
		{"decide emergency", func(p Principal) bool { return CanDecideGrant(p, em, incs) }},
		{"end app", func(p Principal) bool { return CanEndGrant(p, app, incs) }},
		{"end app, restricted", func(p Principal) bool { return CanEndGrant(p, app, withSecret) }},
		{"end emergency", func(p Principal) bool { return CanEndGrant(p, em, incs) }},
		{"withdraw request", func(p Principal) bool { return CanWithdrawRequest(p, app) }},
		{"see app", func(p Principal) bool { return CanSeeGrant(p, app, incs) }},
		{"see emergency", func(p Principal) bool { return CanSeeGrant(p, em, mixed) }},
		{"withdraw own copy", func(p Principal) bool { return CanWithdrawCopy(p, ownCopy, app, incs) }},
		{"withdraw other's copy", func(p Principal) bool { return CanWithdrawCopy(p, otherCopy, app, incs) }},
		{"withdraw rule copy", func(p Principal) bool { return CanWithdrawCopy(p, otherCopy, nil, nil) }},
		{"write rules", CanWriteShareRules},
		{"read rules", CanReadShareRules},
	}
	// Each row: the actions allowed, in the order above (1 = allowed).
	//                   req use | decide: app, mixed, secret, none, em | end: app, secret, em | wdr | see app, em | copies: own, other, rule | rules w, r
	want := map[string]string{
		"anonymous":   "00" + "00000" + "000" + "0" + "00" + "000" + "00",
		"requester":   "11" + "00000" + "000" + "1" + "11" + "100" + "00",
		"req. token":  "01" + "00000" + "000" + "0" + "00" + "000" + "00",
		"owner":       "11" + "10000" + "100" + "0" + "10" + "110" + "00",
		"approver":    "11" + "00000" + "110" + "0" + "10" + "110" + "00",
		"other":       "11" + "00000" + "000" + "0" + "00" + "011" + "00",
		"manager":     "11" + "11111" + "111" + "0" + "11" + "111" + "01",
		"mgr token":   "01" + "00000" + "000" + "0" + "00" + "000" + "00",
		"manager req": "11" + "00000" + "000" + "1" + "11" + "111" + "01",
		"auditor":     "00" + "00000" + "000" + "0" + "11" + "000" + "01",
		"aud.+mgr":    "00" + "00000" + "000" + "0" + "11" + "000" + "01",
		"admin":       "11" + "00000" + "000" + "0" + "11" + "111" + "11",
	}
	for name, p := range who {
		row, ok := want[name]
		if !ok || len(row) != len(actions) {
			t.Fatalf("row %q: %d actions, want %d", name, len(row), len(actions))
		}
		for i, a := range actions {
			if got, exp := a.do(p), row[i] == '1'; got != exp {
				t.Errorf("%s may %s: %v; want %v", name, a.name, got, exp)
			}
		}
	}
}

func TestShareRequester(t *testing.T) {
	p := Principal{UserID: "u-1", Username: "feed", Name: "SOC feed", Roles: []Role{Responder, Reporter}, Lang: "zh",
		Organization: "City CERT", Department: "SOC", System: "soc-feed", Networks: []string{"10.0.0.0/8"}, Grant: "SG-1"}
	got := ShareRequester(p, "10.1.2.3")
	want := share.Requester{Party: share.Party{UserID: "u-1", Username: "feed", Name: "SOC feed", Organization: "City CERT", Department: "SOC"},
		Roles: []string{"reporter", "responder"}, System: "soc-feed", Addr: "10.1.2.3", Grant: "SG-1", Lang: "zh"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requester\n got %+v\nwant %+v", got, want)
	}
	if p.Roles[0] != Responder {
		t.Error("ShareRequester reordered the principal's roles")
	}
}

// TestShareRulesKnowEveryRole: the roles share accepts in a rule are
// this package's roles (share cannot import access to ask).
func TestShareRulesKnowEveryRole(t *testing.T) {
	for _, r := range Roles() {
		if err := share.ValidateRule(share.Rule{Name: "by role", Roles: []string{string(r)}}); err != nil {
			t.Errorf("role %s: %v", r, err)
		}
	}
	if err := share.ValidateRule(share.Rule{Name: "by role", Roles: []string{"root"}}); err == nil {
		t.Error("an unknown role was accepted")
	}
}
