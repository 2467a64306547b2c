package web

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// The roster API's request and response bodies and their converters to and
// from the escalation types. Requests are validated twice: their shape here
// (validate tags, through decodeJSON), the domain's rules by the type's
// Validate when it is saved.

// contactJSON is one way to reach a person.
type contactJSON struct {
	Kind  string `json:"kind" validate:"required,oneof=slack email phone wecom dingtalk feishu"`
	Value string `json:"value" validate:"required,max=200"`
}

// personJSON is a person as the API reads and writes it. The id comes from
// the path; in a body it may be left out or must match.
type personJSON struct {
	ID         string        `json:"id,omitempty" validate:"max=128"`
	Name       string        `json:"name" validate:"required,max=200"`
	Roles      []string      `json:"roles" validate:"max=20,dive,required,max=64"`
	Department string        `json:"department,omitempty" validate:"max=200"`
	TimeZone   string        `json:"time_zone,omitempty" validate:"max=64"`
	Contacts   []contactJSON `json:"contacts" validate:"max=20,dive"`
}

func (r personJSON) person(id string) escalation.Person {
	p := escalation.Person{ID: id, Name: strings.TrimSpace(r.Name), Department: strings.TrimSpace(r.Department),
		TimeZone: strings.TrimSpace(r.TimeZone)}
	for _, role := range r.Roles {
		p.Roles = append(p.Roles, escalation.Role(strings.TrimSpace(role)))
	}
	for _, ct := range r.Contacts {
		p.Contacts = append(p.Contacts, escalation.Contact{Kind: escalation.ContactKind(ct.Kind), Value: strings.TrimSpace(ct.Value)})
	}
	return p
}

func toPersonJSON(p escalation.Person) personJSON {
	out := personJSON{ID: p.ID, Name: p.Name, Department: p.Department, TimeZone: p.TimeZone,
		Roles: []string{}, Contacts: []contactJSON{}}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	for _, ct := range p.Contacts {
		out.Contacts = append(out.Contacts, contactJSON{Kind: string(ct.Kind), Value: ct.Value})
	}
	return out
}

// rotationJSON is a team's on-call rotation. Times are RFC 3339; the
// length of a custom shift is a Go duration ("12h", "72h"); the weekday of
// a weekly hand-off is an English day name in lower case.
type rotationJSON struct {
	Participants   []string `json:"participants" validate:"required,max=500,dive,required,max=128"`
	Interval       string   `json:"interval" validate:"required,oneof=daily weekly custom"`
	Length         string   `json:"length,omitempty" validate:"max=32"`
	HandoffTime    string   `json:"handoff_time,omitempty" validate:"max=5"`
	HandoffWeekday string   `json:"handoff_weekday,omitempty" validate:"omitempty,oneof=sunday monday tuesday wednesday thursday friday saturday"`
	TimeZone       string   `json:"time_zone" validate:"required,max=64"`
	Start          string   `json:"start" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
}

// weekdays are the names of time.Weekday as the API writes them.
var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// rotation converts r; field errors are named under at ("rotation.").
func (r rotationJSON) rotation(l, at string) (escalation.Rotation, error) {
	rot := escalation.Rotation{Participants: trimAll(r.Participants), Interval: escalation.Interval(r.Interval),
		HandoffTime: strings.TrimSpace(r.HandoffTime), TimeZone: strings.TrimSpace(r.TimeZone)}
	bad := fieldErrors{}
	start, err := time.Parse(time.RFC3339, strings.TrimSpace(r.Start))
	if err != nil {
		bad[at+"start"] = msg(l, "write the start as 2026-03-02T09:00:00+08:00", "开始时间格式如 2026-03-02T09:00:00+08:00")
	}
	rot.Start = start
	if rot.Interval == escalation.Custom || r.Length != "" {
		d, err := escalation.ParseDuration(r.Length)
		if err != nil || r.Length == "" {
			bad[at+"length"] = msg(l, "a custom rotation needs the shift length as a Go duration, e.g. 12h or 72h",
				"自定义轮换需要填写班次时长（Go 时长格式），如 12h 或 72h")
		}
		rot.Length = d
	}
	if rot.Interval == escalation.Weekly {
		i := slices.Index(weekdays, strings.ToLower(strings.TrimSpace(r.HandoffWeekday)))
		if i < 0 {
			bad[at+"handoff_weekday"] = msg(l, "a weekly rotation needs the hand-off weekday, e.g. monday", "每周轮换需要填写交接星期，如 monday")
		}
		rot.HandoffWeekday = time.Weekday(max(i, 0))
	}
	if len(bad) > 0 {
		return rot, bad
	}
	return rot, nil
}

func toRotationJSON(r escalation.Rotation) *rotationJSON {
	out := &rotationJSON{Participants: slices.Clone(r.Participants), Interval: string(r.Interval), HandoffTime: r.HandoffTime,
		TimeZone: r.TimeZone, Start: r.Start.UTC().Format(time.RFC3339)}
	if out.Participants == nil {
		out.Participants = []string{}
	}
	if r.Interval == escalation.Custom {
		out.Length = r.Length.String()
	}
	if r.Interval == escalation.Weekly && r.HandoffWeekday >= time.Sunday && r.HandoffWeekday <= time.Saturday {
		out.HandoffWeekday = weekdays[r.HandoffWeekday]
	}
	if loc, err := time.LoadLocation(r.TimeZone); err == nil && r.TimeZone != "Local" {
		out.Start = r.Start.In(loc).Format(time.RFC3339)
	}
	return out
}

// teamJSON is a team with its rotation.
type teamJSON struct {
	ID       string        `json:"id,omitempty" validate:"max=128"`
	Name     string        `json:"name" validate:"required,max=200"`
	Kind     string        `json:"kind" validate:"required,oneof=response_center assessment support management vendor agency"`
	Members  []string      `json:"members" validate:"max=500,dive,required,max=128"`
	Lead     string        `json:"lead,omitempty" validate:"max=128"`
	Critical bool          `json:"critical"`
	Rotation *rotationJSON `json:"rotation,omitempty"`
}

func (r teamJSON) team(id, l string) (escalation.Team, error) {
	t := escalation.Team{ID: id, Name: strings.TrimSpace(r.Name), Kind: escalation.TeamKind(r.Kind),
		Members: trimAll(r.Members), Lead: strings.TrimSpace(r.Lead), Critical: r.Critical}
	if r.Rotation != nil {
		rot, err := r.Rotation.rotation(l, "rotation.")
		if err != nil {
			return t, err
		}
		t.Rotation = &rot
	}
	return t, nil
}

func toTeamJSON(t escalation.Team) teamJSON {
	out := teamJSON{ID: t.ID, Name: t.Name, Kind: string(t.Kind), Members: slices.Clone(t.Members), Lead: t.Lead, Critical: t.Critical}
	if out.Members == nil {
		out.Members = []string{}
	}
	if t.Rotation != nil {
		out.Rotation = toRotationJSON(*t.Rotation)
	}
	return out
}

// departmentJSON is a department and its liaison (a person id).
type departmentJSON struct {
	Name    string `json:"name,omitempty" validate:"max=200"`
	Liaison string `json:"liaison" validate:"required,max=128"`
}

// overrideRequest is the body of POST /api/v1/overrides.
type overrideRequest struct {
	Team     string `json:"team" validate:"required,max=128"`
	Person   string `json:"person" validate:"max=128"`
	Replaces string `json:"replaces" validate:"max=128"`
	Start    string `json:"start" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
	End      string `json:"end" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
	Note     string `json:"note" validate:"max=20000"`
}

func (r overrideRequest) override() escalation.Override {
	o := escalation.Override{Team: strings.TrimSpace(r.Team), Person: strings.TrimSpace(r.Person),
		Replaces: strings.TrimSpace(r.Replaces), Note: strings.TrimSpace(r.Note)}
	o.Start, _ = time.Parse(time.RFC3339, r.Start) // validated by the datetime tag
	o.End, _ = time.Parse(time.RFC3339, r.End)
	return o
}

type overrideJSON struct {
	ID       string    `json:"id"`
	Team     string    `json:"team"`
	Person   string    `json:"person,omitempty"`
	Replaces string    `json:"replaces,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Note     string    `json:"note,omitempty"`
}

func toOverrideJSON(o escalation.Override) overrideJSON {
	return overrideJSON{ID: o.ID, Team: o.Team, Person: o.Person, Replaces: o.Replaces, Start: o.Start.UTC(), End: o.End.UTC(), Note: o.Note}
}

// handoverRequest is the body of POST /api/v1/teams/{id}/handovers. Left
// out, the change of duty is the one nearest the writer (see
// handoverChange) and the people are those on call either side of it.
type handoverRequest struct {
	At       string `json:"at" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Outgoing string `json:"outgoing" validate:"max=128"`
	Incoming string `json:"incoming" validate:"max=128"`
	Note     string `json:"note" validate:"required,max=20000"`
}

type handoverJSON struct {
	ID        string    `json:"id"`
	Team      string    `json:"team"`
	Outgoing  string    `json:"outgoing,omitempty"`
	Incoming  string    `json:"incoming,omitempty"`
	At        time.Time `json:"at"`
	Note      string    `json:"note"`
	WrittenBy string    `json:"written_by"`
}

func toHandoverJSON(h escalation.Handover) handoverJSON {
	return handoverJSON{ID: h.ID, Team: h.Team, Outgoing: h.Outgoing, Incoming: h.Incoming, At: h.At.UTC(), Note: h.Note, WrittenBy: h.WrittenBy}
}

// targetJSON, stepJSON, deadlinesJSON and policyJSON are an escalation
// policy. Delays and deadlines are Go durations ("15m", "4h", "14d").
type targetJSON struct {
	Kind   string `json:"kind" validate:"required,oneof=oncall lead person team role"`
	Team   string `json:"team,omitempty" validate:"max=128"`
	Person string `json:"person,omitempty" validate:"max=128"`
	Role   string `json:"role,omitempty" validate:"max=64"`
}

type stepJSON struct {
	Target targetJSON `json:"target"`
	Delay  string     `json:"delay,omitempty" validate:"max=32"`
	Repeat int        `json:"repeat" validate:"min=0,max=10"`
}

type deadlinesJSON struct {
	Ack      string `json:"ack" validate:"required,max=32"`
	Confirm  string `json:"confirm" validate:"required,max=32"`
	Dispatch string `json:"dispatch" validate:"required,max=32"`
	Handle   string `json:"handle" validate:"required,max=32"`
}

type policyJSON struct {
	Level     string        `json:"level,omitempty" validate:"omitempty,oneof=ordinary serious special"`
	Steps     []stepJSON    `json:"steps" validate:"required,min=1,max=20,dive"`
	Deadlines deadlinesJSON `json:"deadlines"`
}

func (r policyJSON) policy(level incident.Level, l string) (escalation.Policy, error) {
	p := escalation.Policy{Level: level}
	bad := fieldErrors{}
	dur := func(field, v string, optional bool) escalation.Duration {
		if strings.TrimSpace(v) == "" && optional {
			return 0
		}
		d, err := escalation.ParseDuration(v)
		if err != nil {
			bad[field] = msg(l, "write a Go duration such as 15m, 4h or 14d", "请写成 Go 时长，如 15m、4h 或 14d")
		}
		return d
	}
	for i, st := range r.Steps {
		p.Steps = append(p.Steps, escalation.Step{
			Target: escalation.Target{Kind: escalation.TargetKind(st.Target.Kind), Team: strings.TrimSpace(st.Target.Team),
				Person: strings.TrimSpace(st.Target.Person), Role: escalation.Role(strings.TrimSpace(st.Target.Role))},
			Delay:  dur(fmt.Sprintf("steps[%d].delay", i), st.Delay, true),
			Repeat: st.Repeat,
		})
	}
	p.Deadlines = escalation.Deadlines{
		Ack: dur("deadlines.ack", r.Deadlines.Ack, false), Confirm: dur("deadlines.confirm", r.Deadlines.Confirm, false),
		Dispatch: dur("deadlines.dispatch", r.Deadlines.Dispatch, false), Handle: dur("deadlines.handle", r.Deadlines.Handle, false),
	}
	if len(bad) > 0 {
		return p, bad
	}
	return p, nil
}

func toPolicyJSON(p escalation.Policy) policyJSON {
	out := policyJSON{Level: string(p.Level), Steps: []stepJSON{}, Deadlines: deadlinesJSON{
		Ack: p.Deadlines.Ack.String(), Confirm: p.Deadlines.Confirm.String(),
		Dispatch: p.Deadlines.Dispatch.String(), Handle: p.Deadlines.Handle.String()}}
	for _, st := range p.Steps {
		sj := stepJSON{Target: targetJSON{Kind: string(st.Target.Kind), Team: st.Target.Team, Person: st.Target.Person,
			Role: string(st.Target.Role)}, Repeat: st.Repeat}
		if st.Delay != 0 {
			sj.Delay = st.Delay.String()
		}
		out.Steps = append(out.Steps, sj)
	}
	return out
}

// personRefJSON is a person as the on-call answer shows them: enough to
// reach them.
type personRefJSON struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	TimeZone string        `json:"time_zone,omitempty"`
	Contacts []contactJSON `json:"contacts"`
}

// onCallJSON answers GET /api/v1/oncall.
type onCallJSON struct {
	Team         teamRefJSON     `json:"team"`
	At           time.Time       `json:"at"`
	People       []personRefJSON `json:"people"`
	ShiftStart   time.Time       `json:"shift_start"`
	ShiftEnd     time.Time       `json:"shift_end"`
	FromOverride bool            `json:"from_override"`
	Override     *overrideJSON   `json:"override,omitempty"`
	Next         *handoffJSON    `json:"next,omitempty"`
}

type teamRefJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Critical bool   `json:"critical"`
}

type handoffJSON struct {
	At     time.Time       `json:"at"`
	People []personRefJSON `json:"people"`
}

type gapJSON struct {
	Team      string    `json:"team"`
	TeamName  string    `json:"team_name"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Overrides []string  `json:"overrides,omitempty"`
}

func trimAll(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}
