package share_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func request(kind share.Kind, from, until time.Time) share.Request {
	return share.Request{Kind: kind, Purpose: "joint investigation of the phishing wave", Incidents: []string{"INC-2026-000001"},
		Sections: []share.Section{share.Timeline}, From: from, Until: until}
}

// fields returns the field errors of err (nil when err is nil); it fails
// the test for any other error.
func fields(t *testing.T, err error) map[string]incident.Message {
	t.Helper()
	if err == nil {
		return nil
	}
	var inv *incident.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T) is not an *incident.InvalidError", err, err)
	}
	for f, m := range inv.Fields {
		if m.EN == "" || m.ZH == "" {
			t.Errorf("field %q: message missing a language: %+v", f, m)
		}
	}
	return inv.Fields
}

// TestPeriodLimits checks the exact boundaries: 3 years for an
// application, 14 days for an emergency grant.
func TestPeriodLimits(t *testing.T) {
	from := day0.Add(30 * time.Minute)
	tests := []struct {
		name   string
		kind   share.Kind
		until  time.Time
		ok     bool
		enHas  string
		zhHas  string
		period string
	}{
		{name: "application 3 years", kind: share.Application, until: from.AddDate(3, 0, 0), ok: true},
		{name: "application 3 years + 1s", kind: share.Application, until: from.AddDate(3, 0, 0).Add(time.Second), enHas: "3 years", zhHas: "3 年"},
		{name: "emergency 14 days", kind: share.Emergency, until: from.Add(14 * 24 * time.Hour), ok: true},
		{name: "emergency 14 days + 1s", kind: share.Emergency, until: from.Add(14*24*time.Hour + time.Second), enHas: "14 days", zhHas: "14 天"},
		{name: "emergency 3 years", kind: share.Emergency, until: from.AddDate(3, 0, 0), enHas: "14 days", zhHas: "应急授权"},
		{name: "until equals from", kind: share.Application, until: from, enHas: "after the start", zhHas: "晚于开始时间"},
		{name: "until before from", kind: share.Emergency, until: from.Add(-time.Second), enHas: "after the start", zhHas: "晚于开始时间"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fields(t, share.ValidateRequest(request(tt.kind, from, tt.until), day0))
			if tt.ok {
				if f != nil {
					t.Fatalf("refused: %v", f)
				}
				return
			}
			m, ok := f["until"]
			if !ok || len(f) != 1 {
				t.Fatalf("errors %v; want one on until", f)
			}
			if !strings.Contains(m.EN, tt.enHas) || !strings.Contains(m.ZH, tt.zhHas) {
				t.Errorf("until: %+v; want %q and %q in it", m, tt.enHas, tt.zhHas)
			}
		})
	}
}

func TestRequestStartsNoEarlierThanAnHourAgo(t *testing.T) {
	for _, tt := range []struct {
		from time.Time
		ok   bool
	}{
		{day0.Add(-time.Hour), true},
		{day0.Add(-time.Hour - time.Second), false},
		{day0.Add(48 * time.Hour), true},
	} {
		f := fields(t, share.ValidateRequest(request(share.Application, tt.from, tt.from.Add(time.Hour)), day0))
		if _, bad := f["from"]; bad == tt.ok {
			t.Errorf("from %v: errors %v; want ok=%v", tt.from, f, tt.ok)
		}
	}
}

func TestRequestFieldByField(t *testing.T) {
	many := make([]string, share.MaxIncidents+1)
	for i := range many {
		many[i] = incident.FormatNumber(2026, int64(i+1))
	}
	tests := []struct {
		name  string
		edit  func(*share.Request)
		field string
	}{
		{"kind", func(r *share.Request) { r.Kind = "standing" }, "kind"},
		{"purpose empty", func(r *share.Request) { r.Purpose = "  " }, "purpose"},
		{"purpose long", func(r *share.Request) { r.Purpose = strings.Repeat("目", share.MaxPurpose+1) }, "purpose"},
		{"no incidents", func(r *share.Request) { r.Incidents = nil }, "incidents"},
		{"too many incidents", func(r *share.Request) { r.Incidents = many }, "incidents"},
		{"blank incident", func(r *share.Request) { r.Incidents = []string{""} }, "incidents"},
		{"unknown section", func(r *share.Request) { r.Sections = []share.Section{"evidence"} }, "sections"},
		{"unknown class", func(r *share.Request) { r.Reveal = []share.Class{"salary"} }, "reveal"},
		{"no from", func(r *share.Request) { r.From = time.Time{} }, "from"},
		{"no until", func(r *share.Request) { r.Until = time.Time{} }, "until"},
		{"negative rate", func(r *share.Request) { r.RatePerHour = -1 }, "rate_per_hour"},
		{"rate over max", func(r *share.Request) { r.RatePerHour = share.MaxRate + 1 }, "rate_per_hour"},
	}
	if f := fields(t, share.ValidateRequest(request(share.Application, day0, day0.Add(time.Hour)), day0)); f != nil {
		t.Fatalf("the base request is refused: %v", f)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(share.Application, day0, day0.Add(time.Hour))
			r.RatePerHour = share.MaxRate
			tt.edit(&r)
			f := fields(t, share.ValidateRequest(r, day0))
			if _, ok := f[tt.field]; !ok || len(f) != 1 {
				t.Errorf("errors %v; want exactly one on %s", f, tt.field)
			}
		})
	}
}

func validRule() share.Rule {
	return share.Rule{Name: "CERT partners", Enabled: true, Categories: []incident.Category{incident.CyberAttack},
		Levels: []incident.Level{incident.Serious}, Organizations: []string{"City CERT"}, Roles: []string{"responder"},
		Systems: []string{"soc-feed"}, Networks: []string{"10.20.0.0/16", "2001:db8::/32"},
		Sections: []share.Section{share.Timeline}, Reveal: []share.Class{share.Internal}, RatePerHour: share.MaxRate}
}

func TestRuleFieldByField(t *testing.T) {
	if f := fields(t, share.ValidateRule(validRule())); f != nil {
		t.Fatalf("the base rule is refused: %v", f)
	}
	tests := []struct {
		name  string
		edit  func(*share.Rule)
		field string
	}{
		{"no name", func(r *share.Rule) { r.Name = " " }, "name"},
		{"long name", func(r *share.Rule) { r.Name = strings.Repeat("n", share.MaxName+1) }, "name"},
		{"category", func(r *share.Rule) { r.Categories = []incident.Category{"gossip"} }, "categories"},
		{"level", func(r *share.Rule) { r.Levels = []incident.Level{"huge"} }, "levels"},
		{"role", func(r *share.Rule) { r.Roles = []string{"superuser"} }, "roles"},
		{"blank organization", func(r *share.Rule) { r.Organizations = []string{""} }, "organizations"},
		{"blank department", func(r *share.Rule) { r.Departments = []string{" "} }, "departments"},
		{"blank system", func(r *share.Rule) { r.Systems = []string{""} }, "systems"},
		{"network", func(r *share.Rule) { r.Networks = []string{"10.20.0.0/33"} }, "networks"},
		{"network is an address", func(r *share.Rule) { r.Networks = []string{"10.20.0.1"} }, "networks"},
		{"section", func(r *share.Rule) { r.Sections = []share.Section{"evidence"} }, "sections"},
		{"class", func(r *share.Rule) { r.Reveal = []share.Class{"salary"} }, "reveal"},
		{"rate", func(r *share.Rule) { r.RatePerHour = share.MaxRate + 1 }, "rate_per_hour"},
		{"information attributes only", func(r *share.Rule) {
			r.Organizations, r.Roles, r.Systems, r.Networks = nil, nil, nil, nil
		}, "organizations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRule()
			tt.edit(&r)
			f := fields(t, share.ValidateRule(r))
			if _, ok := f[tt.field]; !ok || len(f) != 1 {
				t.Errorf("errors %v; want exactly one on %s", f, tt.field)
			}
		})
	}
	// Each single requester or system attribute is enough.
	for name, edit := range map[string]func(*share.Rule){
		"organization": func(r *share.Rule) { r.Organizations = []string{"City CERT"} },
		"department":   func(r *share.Rule) { r.Departments = []string{"IT"} },
		"role":         func(r *share.Rule) { r.Roles = []string{"manager"} },
		"system":       func(r *share.Rule) { r.Systems = []string{"soc-feed"} },
		"network":      func(r *share.Rule) { r.Networks = []string{"192.0.2.0/24"} },
	} {
		r := share.Rule{Name: "only " + name}
		edit(&r)
		if f := fields(t, share.ValidateRule(r)); f != nil {
			t.Errorf("a rule naming only a %s is refused: %v", name, f)
		}
	}
}
