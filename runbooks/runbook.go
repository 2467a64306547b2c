package runbooks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Text is a text in English and Chinese. Runbooks give both.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// In is the text in language l ("en" or "zh").
func (t Text) In(l string) string {
	if l == "zh" && t.ZH != "" || t.EN == "" {
		return t.ZH
	}
	return t.EN
}

// Runbook is an emergency response plan (应急预案) for one or more
// categories and levels. Its steps are grouped by the stage they serve: a
// confirmation checklist, the plan's preparatory measures, and the
// handling tasks (isolate, preserve, eradicate, recover, verify,
// communicate).
type Runbook struct {
	ID         string
	Version    int // 1 for a built-in not edited since; each edit adds one
	Title      Text
	Summary    Text
	Categories []incident.Category
	Levels     []incident.Level // empty: every level
	Steps      []Step           // confirm steps, then plan, then handle, in file order
	Contacts   []Contact
	Rules      []Rule // communication rules: who must be told, when

	Source  string // the YAML text the runbook was read from
	Builtin bool   // shipped with Tocsin (and not edited, when Version is 1)
	Edited  *Edit  // who saved this version; nil for a built-in
}

// Edit says who saved a version of a runbook, when and why.
type Edit struct {
	By   incident.Actor
	At   time.Time
	Note string
}

// Step is one thing a runbook says to do.
type Step struct {
	ID       string
	Stage    incident.Stage // Confirm, Plan or Handle
	Phase    incident.Phase // handle steps only
	Title    Text
	Detail   Text // how to do it; may be empty
	Role     string
	Team     string // a roster team id; organizations' own runbooks may name one
	Required bool
	Duration time.Duration
	Evidence Text // what the work should leave behind
}

// Contact is an external party to involve.
type Contact struct {
	Name  Text
	Kind  string
	Phone string
	Email string
	When  Text
}

// ContactKinds are the kinds of external contact a runbook may name.
var ContactKinds = []string{"regulator", "police", "cert", "vendor", "agency", "insurer", "legal", "internal", "other"}

// Rule is a communication rule: who must be told, when, and by whom.
type Rule struct {
	Audience Text
	When     Text
	Within   time.Duration // at the latest, after the incident is confirmed; 0 when not fixed
	Owner    string        // the role that tells them
	Required bool
}

// Ref is "id@version".
func (rb *Runbook) Ref() string { return incident.RunbookRef(rb.ID, rb.Version) }

// StepsOf returns the steps of stage s, in order.
func (rb *Runbook) StepsOf(s incident.Stage) []Step {
	var out []Step
	for _, st := range rb.Steps {
		if st.Stage == s {
			out = append(out, st)
		}
	}
	return out
}

// Covers reports whether rb applies to category c.
func (rb *Runbook) Covers(c incident.Category) bool { return slices.Contains(rb.Categories, c) }

// ForLevel reports whether rb applies to level l (a runbook without levels
// applies to all).
func (rb *Runbook) ForLevel(l incident.Level) bool {
	return len(rb.Levels) == 0 || slices.Contains(rb.Levels, l)
}

// Use is what an incident records when rb is chosen for its plan: the
// exact version, its steps as task specs, its contacts and rules.
func (rb *Runbook) Use() incident.RunbookUse {
	u := incident.RunbookUse{ID: rb.ID, Version: rb.Version, Title: rb.Title.EN, TitleZH: rb.Title.ZH}
	for _, s := range rb.Steps {
		u.Steps = append(u.Steps, incident.TaskSpec{
			Step: s.ID, Title: s.Title.EN, TitleZH: s.Title.ZH, Detail: s.Detail.EN, DetailZH: s.Detail.ZH,
			Stage: s.Stage, Phase: s.Phase, Role: s.Role, Team: s.Team, Required: s.Required, Expected: s.Duration,
			EvidenceHint: s.Evidence.EN, EvidenceHintZH: s.Evidence.ZH,
		})
	}
	for _, c := range rb.Contacts {
		u.Contacts = append(u.Contacts, incident.PlanContact{Name: c.Name.EN, NameZH: c.Name.ZH, Kind: c.Kind,
			Phone: c.Phone, Email: c.Email, When: c.When.EN, WhenZH: c.When.ZH})
	}
	for _, r := range rb.Rules {
		u.Rules = append(u.Rules, incident.PlanRule{Audience: r.Audience.EN, AudienceZH: r.Audience.ZH, When: r.When.EN, WhenZH: r.When.ZH,
			Within: r.Within, Owner: r.Owner, Required: r.Required})
	}
	return u
}

// ParseDuration reads a duration as runbooks write it: a Go duration
// ("30m", "2h", "1h30m"), optionally preceded by whole days ("1d",
// "2d12h").
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(in, 'd'); i > 0 {
		n, err := strconv.Atoi(in[:i])
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("%q: the days must be a whole number", s)
		}
		days, in = time.Duration(n)*24*time.Hour, in[i+1:]
		if in == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(in)
	if err != nil || strings.HasPrefix(in, "-") || strings.HasPrefix(in, "+") {
		return 0, fmt.Errorf("%q: write it like 30m, 2h, 1h30m or 1d", s)
	}
	return days + d, nil
}

// FormatDuration writes d the way ParseDuration reads it: "30m", "2h",
// "1h30m", "1d", "2d4h".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0m"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if d > 0 {
		fmt.Fprintf(&b, "%ds", d/time.Second)
	}
	return b.String()
}
