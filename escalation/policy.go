package escalation

import (
	"fmt"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// TargetKind says how a step finds whom to page.
type TargetKind string

// The kinds of target.
const (
	TargetOnCall TargetKind = "oncall" // whoever is on call for Team
	TargetLead   TargetKind = "lead"   // Team's lead
	TargetPerson TargetKind = "person" // Person
	TargetTeam   TargetKind = "team"   // every member of Team
	TargetRole   TargetKind = "role"   // the members of Team holding Role
)

// Target is whom a step pages.
type Target struct {
	Kind   TargetKind
	Team   string // team id, for every kind but person
	Person string // person id, for person
	Role   Role   // for role
}

func (t Target) String() string {
	switch t.Kind {
	case TargetOnCall:
		return "on-call of " + t.Team
	case TargetLead:
		return "lead of " + t.Team
	case TargetPerson:
		return "person " + t.Person
	case TargetTeam:
		return "team " + t.Team
	case TargetRole:
		return string(t.Role) + " of " + t.Team
	}
	return string(t.Kind)
}

// Step is one link of an acknowledgement chain. Its target is paged, then
// paged again Repeat more times, Delay apart, before the chain moves to the
// next step Delay after the last of those pages. A zero Delay means the
// level's acknowledgement deadline (Deadlines.Ack), which is how the Ack
// deadline drives the chain: it is the time each page waits to be
// acknowledged.
type Step struct {
	Target Target
	Delay  Duration
	Repeat int
}

// wait is the step's effective delay under deadlines d.
func (s Step) wait(d Deadlines) time.Duration {
	if s.Delay > 0 {
		return s.Delay.Std()
	}
	return d.Ack.Std()
}

// Deadlines are the times, counted from the report, within which an
// incident of a level must be acknowledged and reach each stage.
type Deadlines struct {
	Ack      Duration // to acknowledge: the wait of each page of the chain (see Step)
	Confirm  Duration // to reach the confirm stage (nature, scope and level established)
	Dispatch Duration // to reach the dispatch stage (resources assigned)
	Handle   Duration // to finish handling: to reach the review stage
}

// Policy is the escalation policy of one level.
type Policy struct {
	Level     incident.Level
	Steps     []Step
	Deadlines Deadlines
}

// The team ids the built-in policies page. An installation that names its
// teams differently edits the policies.
const (
	DefaultAssessmentTeam = "assessment"
	DefaultManagementTeam = "management"
)

// DefaultPolicies returns the built-in policies, one per level, from the
// least grave. The chains wait Deadlines.Ack between pages (zero delays):
//
//	ordinary  on-call of the assessment group (paged twice) → its lead
//	serious   on-call (twice) → lead → security manager → leadership
//	special   on-call → lead → security manager → leadership (paged three
//	          times), 5 minutes apart, so leadership hears within 15 minutes
//	          rather than the hour of serious
func DefaultPolicies() []Policy {
	oncall := Target{Kind: TargetOnCall, Team: DefaultAssessmentTeam}
	lead := Target{Kind: TargetLead, Team: DefaultAssessmentTeam}
	secmgr := Target{Kind: TargetRole, Team: DefaultManagementTeam, Role: RoleSecurityManager}
	leaders := Target{Kind: TargetRole, Team: DefaultManagementTeam, Role: RoleLeadership}
	d := func(s string) Duration {
		v, err := ParseDuration(s)
		if err != nil {
			panic(err)
		}
		return v
	}
	return []Policy{
		{
			Level:     incident.Ordinary,
			Steps:     []Step{{Target: oncall, Repeat: 1}, {Target: lead}},
			Deadlines: Deadlines{Ack: d("4h"), Confirm: d("24h"), Dispatch: d("72h"), Handle: d("14d")},
		},
		{
			Level:     incident.Serious,
			Steps:     []Step{{Target: oncall, Repeat: 1}, {Target: lead}, {Target: secmgr}, {Target: leaders}},
			Deadlines: Deadlines{Ack: d("15m"), Confirm: d("30m"), Dispatch: d("2h"), Handle: d("72h")},
		},
		{
			Level:     incident.Special,
			Steps:     []Step{{Target: oncall}, {Target: lead}, {Target: secmgr}, {Target: leaders, Repeat: 2}},
			Deadlines: Deadlines{Ack: d("5m"), Confirm: d("15m"), Dispatch: d("30m"), Handle: d("24h")},
		},
	}
}

// PolicyFor picks the policy of level l.
func PolicyFor(ps []Policy, l incident.Level) (Policy, error) {
	for _, p := range ps {
		if p.Level == l {
			return p, nil
		}
	}
	return Policy{}, fmt.Errorf("level %q: %w", l, ErrNoPolicy)
}

// Limits on a policy.
const (
	MaxSteps    = 20
	MaxRepeat   = 10
	MaxDeadline = 366 * 24 * time.Hour
)

// Validate checks one policy: a known level; 1 to MaxSteps steps, each with
// a complete target, a delay that is zero (the Ack deadline) or at least a
// minute, and 0 to MaxRepeat repeats; deadlines positive, at most a year,
// and in the order the stages come: ack <= confirm <= dispatch <= handle.
func (p Policy) Validate() error {
	var e *incident.InvalidError
	validatePolicy(&e, "", p)
	return asError(e)
}

func validatePolicy(e **incident.InvalidError, at string, p Policy) {
	if !p.Level.Valid() {
		invalid(e, at+"level", "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
	}
	if len(p.Steps) == 0 || len(p.Steps) > MaxSteps {
		invalid(e, at+"steps", fmt.Sprintf("a policy needs 1 to %d steps", MaxSteps), fmt.Sprintf("策略需要 1 到 %d 个步骤", MaxSteps))
	}
	for i, s := range p.Steps {
		f := fmt.Sprintf("%ssteps[%d].", at, i)
		validateTarget(e, f+"target.", s.Target)
		// Seconds are allowed on purpose: drills and tests run whole chains
		// in seconds ("90s").
		if d := s.Delay.Std(); d != 0 && (d < time.Second || d > MaxDeadline) {
			invalid(e, f+"delay", "a delay is 0 (the acknowledgement deadline) or from 1s to 366 days", "延迟须为 0（即确认时限）或 1 秒到 366 天")
		}
		if s.Repeat < 0 || s.Repeat > MaxRepeat {
			invalid(e, f+"repeat", fmt.Sprintf("repeat must be 0 to %d", MaxRepeat), fmt.Sprintf("重复次数须为 0 到 %d", MaxRepeat))
		}
	}
	ds := p.Deadlines
	named := []struct {
		field string
		d     Duration
	}{{"ack", ds.Ack}, {"confirm", ds.Confirm}, {"dispatch", ds.Dispatch}, {"handle", ds.Handle}}
	for i, n := range named {
		f := at + "deadlines." + n.field
		switch {
		case n.d <= 0 || n.d.Std() > MaxDeadline:
			invalid(e, f, "a deadline is positive and at most 366 days", "时限须为正数且不超过 366 天")
		case i > 0 && n.d < named[i-1].d:
			invalid(e, f, "must not be shorter than the "+named[i-1].field+" deadline", "不得短于前一阶段（"+named[i-1].field+"）的时限")
		}
	}
}

func validateTarget(e **incident.InvalidError, at string, t Target) {
	switch t.Kind {
	case TargetOnCall, TargetLead, TargetTeam, TargetRole:
		if t.Team == "" {
			invalid(e, at+"team", "this target needs a team", "该目标需要指定团队")
		}
		if t.Kind == TargetRole && !rolePattern.MatchString(string(t.Role)) {
			invalid(e, at+"role", "a role target needs a role such as security_manager", "角色目标需要指定角色，如 security_manager")
		}
	case TargetPerson:
		if t.Person == "" {
			invalid(e, at+"person", "this target needs a person", "该目标需要指定人员")
		}
	default:
		invalid(e, at+"kind", "target kind must be oncall, lead, person, team or role", "目标类型须为 oncall、lead、person、team 或 role")
	}
}

// ValidatePolicies checks a full set: each policy valid and exactly one per
// level. Field names are prefixed with "policies[i].".
func ValidatePolicies(ps []Policy) error {
	var e *incident.InvalidError
	seen := map[incident.Level]bool{}
	for i, p := range ps {
		at := fmt.Sprintf("policies[%d].", i)
		validatePolicy(&e, at, p)
		if seen[p.Level] {
			invalid(&e, at+"level", "another policy has this level", "该级别已有策略")
		}
		seen[p.Level] = true
	}
	for _, li := range incident.Levels() {
		if !seen[li.Level] {
			invalid(&e, "policies", "every level needs a policy; missing "+string(li.Level), "每个级别都需要策略；缺少 "+li.NameZH)
		}
	}
	return asError(e)
}
