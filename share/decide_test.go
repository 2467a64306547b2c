package share_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

const num = "INC-2026-000001"

func inc() *incident.Incident {
	return &incident.Incident{Number: num, Category: incident.CyberAttack, Level: incident.Serious}
}

func grant(id string, kind share.Kind, until time.Time, sections ...share.Section) *share.Grant {
	return &share.Grant{ID: id, Kind: kind, Status: share.Active, Requester: alice,
		Scope: share.Scope{Incidents: []string{"INC-2026-000009", num}, Sections: sections},
		From:  day0.Add(-time.Hour), Until: until}
}

func rule(id string) *share.Rule {
	return &share.Rule{ID: id, Name: id, Enabled: true, Organizations: []string{"city cert"}, Sections: []share.Section{share.Assets, share.Overview}}
}

var web = share.Requester{Party: alice, Roles: []string{"reporter"}, Addr: "10.20.3.4"}

// TestDecisionOrder: emergency grants, then rules, then applications.
func TestDecisionOrder(t *testing.T) {
	now := day0
	em := grant("SG-e", share.Emergency, now.Add(24*time.Hour), share.Timeline)
	app := grant("SG-a", share.Application, now.AddDate(1, 0, 0), share.Measures, share.Description)
	r := rule("SR-1")
	tests := []struct {
		name   string
		grants []*share.Grant
		rules  []*share.Rule
		basis  share.Basis
		by     string
		sects  []share.Section
	}{
		{"all three", []*share.Grant{app, em}, []*share.Rule{r}, share.ByEmergency, "SG-e", []share.Section{share.Overview, share.Timeline}},
		{"rule and application", []*share.Grant{app}, []*share.Rule{r}, share.ByRule, "SR-1", []share.Section{share.Overview, share.Assets}},
		{"application", []*share.Grant{app}, nil, share.ByApplication, "SG-a", []share.Section{share.Overview, share.Description, share.Measures}},
		{"none", nil, nil, "", "", nil},
	}
	for _, tt := range tests {
		v := share.Decide(web, inc(), tt.grants, tt.rules, now)
		if v.Allowed != (tt.by != "") || v.Basis != tt.basis || v.By != tt.by || !slices.Equal(v.Sections, tt.sects) {
			t.Errorf("%s: %+v", tt.name, v)
		}
		if !v.Allowed && v.Reason != share.ReasonNotShared {
			t.Errorf("%s: reason %q", tt.name, v.Reason)
		}
	}
	// A token bound to the application is admitted by it alone.
	bound := web
	bound.Grant, bound.System = "SG-a", "soc-feed"
	if v := share.Decide(bound, inc(), []*share.Grant{app, em}, []*share.Rule{r}, now); v.By != "SG-a" {
		t.Errorf("bound token decided by %+v", v)
	}
}

func TestLatestEndingGrantDecides(t *testing.T) {
	a := grant("SG-b", share.Application, day0.AddDate(1, 0, 0))
	b := grant("SG-c", share.Application, day0.AddDate(2, 0, 0))
	c := grant("SG-a", share.Application, day0.AddDate(2, 0, 0))
	for _, order := range [][]*share.Grant{{a, b, c}, {c, b, a}, {b, a, c}} {
		if v := share.Decide(web, inc(), order, nil, day0); v.By != "SG-a" {
			t.Errorf("order %v: decided by %s; want the one ending last, smaller id on a tie", order, v.By)
		}
	}
	endless, ending := rule("SR-z"), rule("SR-a")
	ending.Until = day0.AddDate(50, 0, 0)
	if v := share.Decide(web, inc(), nil, []*share.Rule{ending, endless}, day0); v.By != "SR-z" {
		t.Errorf("rule decided: %s; want the one without an end", v.By)
	}
}

func TestGrantsThatDoNotAdmit(t *testing.T) {
	now := day0
	for name, edit := range map[string]func(*share.Grant){
		"pending":          func(g *share.Grant) { g.Status = share.Pending },
		"suspended":        func(g *share.Grant) { g.Status = share.Suspended },
		"revoked":          func(g *share.Grant) { g.Status = share.Revoked },
		"not yet":          func(g *share.Grant) { g.From = now.Add(time.Second) },
		"at its end":       func(g *share.Grant) { g.Until = now },
		"other incident":   func(g *share.Grant) { g.Scope.Incidents = []string{"INC-2026-000002"} },
		"someone else's":   func(g *share.Grant) { g.Requester = mgr },
		"another bound to": func(g *share.Grant) { g.ID = "SG-other" },
	} {
		g := grant("SG-x", share.Application, now.Add(time.Hour))
		edit(g)
		req := web
		if name == "another bound to" {
			req.Grant = "SG-x"
		}
		if v := share.Decide(req, inc(), []*share.Grant{g}, nil, now); v.Allowed {
			t.Errorf("%s: admitted %+v", name, v)
		}
	}
	g := grant("SG-x", share.Application, now.Add(time.Hour))
	g.From = now
	if v := share.Decide(web, inc(), []*share.Grant{g}, nil, now); !v.Allowed {
		t.Error("a grant starting now does not admit")
	}
	if v := share.Decide(web, nil, []*share.Grant{g}, nil, now); v.Allowed || v.Reason != share.ReasonNotShared {
		t.Errorf("unknown incident: %+v", v)
	}
}

func TestVerdictCarriesScope(t *testing.T) {
	g := grant("SG-x", share.Emergency, day0.Add(time.Hour), share.Contacts, share.Timeline, share.Timeline)
	g.Scope.Reveal = []share.Class{share.Internal, share.Names}
	g.Scope.Copies = true
	v := share.Decide(web, inc(), []*share.Grant{g}, nil, day0)
	if !slices.Equal(v.Sections, []share.Section{share.Overview, share.Timeline, share.Contacts}) ||
		!slices.Equal(v.Reveal, []share.Class{share.Names, share.Internal}) || !v.Copies {
		t.Errorf("verdict %+v", v)
	}
}

// TestRuleMatching walks each attribute a rule can name.
func TestRuleMatching(t *testing.T) {
	api := share.Requester{Party: share.Party{UserID: "u-feed", Organization: "City CERT", Department: "SOC"},
		Roles: []string{"reporter", "responder"}, System: "soc-feed", Addr: "10.20.3.4"}
	restricted := inc()
	restricted.Restricted = true
	ordinary := inc()
	ordinary.Level = incident.Ordinary
	tests := []struct {
		name string
		rule func(*share.Rule)
		req  share.Requester
		inc  *incident.Incident
		want bool
	}{
		{"organization", func(r *share.Rule) {}, web, inc(), true},
		{"other organization", func(r *share.Rule) { r.Organizations = []string{"Water Board"} }, web, inc(), false},
		{"disabled", func(r *share.Rule) { r.Enabled = false }, web, inc(), false},
		{"ended", func(r *share.Rule) { r.Until = day0 }, web, inc(), false},
		{"ends later", func(r *share.Rule) { r.Until = day0.Add(time.Second) }, web, inc(), true},
		{"category", func(r *share.Rule) { r.Categories = []incident.Category{incident.CyberAttack} }, web, inc(), true},
		{"other category", func(r *share.Rule) { r.Categories = []incident.Category{incident.DataSecurity} }, web, inc(), false},
		{"level", func(r *share.Rule) { r.Levels = []incident.Level{incident.Serious, incident.Special} }, web, inc(), true},
		{"other level", func(r *share.Rule) { r.Levels = []incident.Level{incident.Serious} }, web, ordinary, false},
		{"restricted excluded", func(r *share.Rule) {}, web, restricted, false},
		{"restricted included", func(r *share.Rule) { r.IncludeRestricted = true }, web, restricted, true},
		{"department", func(r *share.Rule) { r.Organizations, r.Departments = nil, []string{"soc"} }, api, inc(), true},
		{"no department", func(r *share.Rule) { r.Organizations, r.Departments = nil, []string{"soc"} }, web, inc(), false},
		{"role", func(r *share.Rule) { r.Roles = []string{"manager", "reporter"} }, web, inc(), true},
		{"other role", func(r *share.Rule) { r.Roles = []string{"manager"} }, web, inc(), false},
		{"no requester or system attribute", func(r *share.Rule) { r.Organizations = nil }, web, inc(), false},
		{"system", func(r *share.Rule) { r.Systems = []string{"SOC-feed"} }, api, inc(), true},
		{"other system", func(r *share.Rule) { r.Systems = []string{"ticketing"} }, api, inc(), false},
		{"system, through the web", func(r *share.Rule) { r.Systems = []string{"soc-feed"} }, web, inc(), false},
		{"network", func(r *share.Rule) { r.Networks = []string{"192.0.2.0/24", "10.20.0.0/16"} }, api, inc(), true},
		{"other network", func(r *share.Rule) { r.Networks = []string{"10.21.0.0/16"} }, api, inc(), false},
		{"network, through the web", func(r *share.Rule) { r.Networks = []string{"10.20.0.0/16"} }, web, inc(), false},
		{"network, mapped IPv4", func(r *share.Rule) { r.Networks = []string{"10.20.0.0/16"} },
			func() share.Requester { q := api; q.Addr = "::ffff:10.20.9.9"; return q }(), inc(), true},
		{"network, bad address", func(r *share.Rule) { r.Networks = []string{"10.20.0.0/16"} },
			func() share.Requester { q := api; q.Addr = ""; return q }(), inc(), false},
		{"system and network", func(r *share.Rule) {
			r.Organizations, r.Systems, r.Networks = nil, []string{"soc-feed"}, []string{"10.20.0.0/16"}
		}, api, inc(), true},
		{"system but not network", func(r *share.Rule) {
			r.Organizations, r.Systems, r.Networks = nil, []string{"soc-feed"}, []string{"10.99.0.0/16"}
		}, api, inc(), false},
	}
	for _, tt := range tests {
		r := rule("SR-1")
		tt.rule(r)
		if got := share.RuleMatches(r, tt.req, tt.inc, day0); got != tt.want {
			t.Errorf("%s: matches %v; want %v", tt.name, got, tt.want)
		}
	}
}
