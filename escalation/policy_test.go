package escalation

import (
	"errors"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// TestDefaultPolicies checks the built-in policies against the durations
// the issue suggests, and that they validate.
func TestDefaultPolicies(t *testing.T) {
	ps := DefaultPolicies()
	if err := ValidatePolicies(ps); err != nil {
		t.Fatal(err)
	}
	h := time.Hour
	want := map[incident.Level][4]time.Duration{
		incident.Special:  {5 * time.Minute, 15 * time.Minute, 30 * time.Minute, 24 * h},
		incident.Serious:  {15 * time.Minute, 30 * time.Minute, 2 * h, 72 * h},
		incident.Ordinary: {4 * h, 24 * h, 72 * h, 14 * 24 * h},
	}
	for level, w := range want {
		p, err := PolicyFor(ps, level)
		if err != nil {
			t.Fatal(err)
		}
		d := p.Deadlines
		if got := [4]time.Duration{d.Ack.Std(), d.Confirm.Std(), d.Dispatch.Std(), d.Handle.Std()}; got != w {
			t.Errorf("%s deadlines = %v, want %v", level, got, w)
		}
		if first := p.Steps[0].Target; first.Kind != TargetOnCall || first.Team != DefaultAssessmentTeam {
			t.Errorf("%s chain starts with %s, want the assessment group's on-call", level, first)
		}
	}
	// Leadership hears sooner the graver the incident.
	leadersAt := func(l incident.Level) time.Duration {
		p, _ := PolicyFor(ps, l)
		for _, pg := range chain(p) {
			if p.Steps[pg.step-1].Target.Role == RoleLeadership {
				return pg.after
			}
		}
		return -1
	}
	if s, r := leadersAt(incident.Special), leadersAt(incident.Serious); s != 15*time.Minute || r != time.Hour {
		t.Errorf("leadership paged after %s (special) and %s (serious), want 15m and 1h", s, r)
	}
	if o := leadersAt(incident.Ordinary); o != -1 {
		t.Errorf("ordinary incidents page leadership after %s", o)
	}
	// Each call returns a fresh copy.
	ps[0].Steps[0].Repeat = 9
	if DefaultPolicies()[0].Steps[0].Repeat == 9 {
		t.Error("DefaultPolicies shares its slices")
	}
}

func TestPolicyValidate(t *testing.T) {
	base := func() Policy {
		p, _ := PolicyFor(DefaultPolicies(), incident.Serious)
		return p
	}
	tests := []struct {
		name  string
		edit  func(*Policy)
		field string
	}{
		{"default", func(*Policy) {}, ""},
		{"unknown level", func(p *Policy) { p.Level = "urgent" }, "level"},
		{"no steps", func(p *Policy) { p.Steps = nil }, "steps"},
		{"unknown target kind", func(p *Policy) { p.Steps[1].Target.Kind = "pager" }, "steps[1].target.kind"},
		{"on-call without team", func(p *Policy) { p.Steps[0].Target.Team = "" }, "steps[0].target.team"},
		{"role without role", func(p *Policy) { p.Steps[2].Target.Role = "" }, "steps[2].target.role"},
		{"person without person", func(p *Policy) { p.Steps[3].Target = Target{Kind: TargetPerson} }, "steps[3].target.person"},
		{"person target", func(p *Policy) { p.Steps[3].Target = Target{Kind: TargetPerson, Person: "ceo"} }, ""},
		{"negative delay", func(p *Policy) { p.Steps[1].Delay = Duration(-time.Minute) }, "steps[1].delay"},
		{"sub-second delay", func(p *Policy) { p.Steps[1].Delay = Duration(500 * time.Millisecond) }, "steps[1].delay"},
		{"delay in seconds", func(p *Policy) { p.Steps[1].Delay = Duration(90 * time.Second) }, ""},
		{"explicit delay", func(p *Policy) { p.Steps[1].Delay = Duration(10 * time.Minute) }, ""},
		{"negative repeat", func(p *Policy) { p.Steps[0].Repeat = -1 }, "steps[0].repeat"},
		{"too many repeats", func(p *Policy) { p.Steps[0].Repeat = MaxRepeat + 1 }, "steps[0].repeat"},
		{"zero ack", func(p *Policy) { p.Deadlines.Ack = 0 }, "deadlines.ack"},
		{"negative handle", func(p *Policy) { p.Deadlines.Handle = Duration(-time.Hour) }, "deadlines.handle"},
		{"confirm before ack", func(p *Policy) { p.Deadlines.Confirm = Duration(10 * time.Minute) }, "deadlines.confirm"},
		{"dispatch before confirm", func(p *Policy) { p.Deadlines.Dispatch = Duration(20 * time.Minute) }, "deadlines.dispatch"},
		{"handle before dispatch", func(p *Policy) { p.Deadlines.Handle = Duration(time.Hour) }, "deadlines.handle"},
		{"equal deadlines are fine", func(p *Policy) { p.Deadlines.Dispatch = p.Deadlines.Confirm }, ""},
		{"over a year", func(p *Policy) { p.Deadlines.Handle = Duration(400 * 24 * time.Hour) }, "deadlines.handle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.edit(&p)
			checkFields(t, p.Validate(), tt.field)
		})
	}
}

func TestValidatePolicies(t *testing.T) {
	ps := DefaultPolicies()
	checkFields(t, ValidatePolicies(ps[:2]), "policies")
	dup := append(DefaultPolicies(), ps[1])
	checkFields(t, ValidatePolicies(dup), "policies[3].level")
	ps[2].Steps = nil
	checkFields(t, ValidatePolicies(ps), "policies[2].steps")

	if _, err := PolicyFor(DefaultPolicies()[:1], incident.Special); !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("PolicyFor missing level: %v", err)
	}
}
