package web

import (
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// The shapes of the sharing API. Requests are checked for shape here
// (validator tags, 400); the rules of the domain — limits, known
// incidents, states — are the share.Service's (422 field messages).

// rfc3339 is the validator tag for an RFC 3339 time.
const rfc3339 = time.RFC3339

// grantRequest is the body of POST /api/v1/grants and, with a version,
// of PUT /api/v1/grants/{id}.
type grantRequest struct {
	Kind        string   `json:"kind" validate:"required,oneof=application emergency"`
	Purpose     string   `json:"purpose" validate:"max=8000"`
	Incidents   []string `json:"incidents" validate:"max=200,dive,max=64"`
	Sections    []string `json:"sections" validate:"max=20,dive,max=32"`
	Reveal      []string `json:"reveal" validate:"max=20,dive,max=32"`
	Copies      bool     `json:"copies"`
	From        string   `json:"from" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Until       string   `json:"until" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
	RatePerHour int      `json:"rate_per_hour" validate:"min=0,max=1000000"`
}

// resubmitRequest is the body of PUT /api/v1/grants/{id}: the corrected
// request and the version it corrects.
type resubmitRequest struct {
	Version int64 `json:"version" validate:"required,min=1"`
	grantRequest
}

// request turns r into the service's Request; from defaults to now.
func (r grantRequest) request(now time.Time) share.Request {
	out := share.Request{Kind: share.Kind(r.Kind), Purpose: r.Purpose, Incidents: r.Incidents, Copies: r.Copies,
		RatePerHour: r.RatePerHour, From: now}
	for _, sec := range r.Sections {
		out.Sections = append(out.Sections, share.Section(sec))
	}
	for _, cl := range r.Reveal {
		out.Reveal = append(out.Reveal, share.Class(cl))
	}
	if r.From != "" {
		out.From, _ = time.Parse(rfc3339, r.From) // checked by the tag
	}
	out.Until, _ = time.Parse(rfc3339, r.Until)
	return out
}

// decisionRequest is the body of POST /api/v1/grants/{id}/decision.
type decisionRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Action  string `json:"action" validate:"required,oneof=approve reject return"`
	Comment string `json:"comment" validate:"max=8000"`
	Until   string `json:"until" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
}

// revokeRequest is the body of POST /api/v1/grants/{id}/revoke.
type revokeRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Reason  string `json:"reason" validate:"required,max=8000"`
}

// reinstateRequest is the body of POST /api/v1/grants/{id}/reinstate.
type reinstateRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Comment string `json:"comment" validate:"max=8000"`
}

// ruleRequest is the body of POST /api/v1/share-rules and, with a
// version, of PUT /api/v1/share-rules/{id}. Enabled defaults to true.
type ruleRequest struct {
	Version           int64    `json:"version" validate:"min=0"`
	Name              string   `json:"name" validate:"required,max=200"`
	Enabled           *bool    `json:"enabled"`
	Categories        []string `json:"categories" validate:"max=50,dive,max=64"`
	Levels            []string `json:"levels" validate:"max=10,dive,max=32"`
	IncludeRestricted bool     `json:"include_restricted"`
	Organizations     []string `json:"organizations" validate:"max=100,dive,max=200"`
	Departments       []string `json:"departments" validate:"max=100,dive,max=200"`
	Roles             []string `json:"roles" validate:"max=10,dive,max=32"`
	Systems           []string `json:"systems" validate:"max=100,dive,max=100"`
	Networks          []string `json:"networks" validate:"max=100,dive,max=64"`
	Sections          []string `json:"sections" validate:"max=20,dive,max=32"`
	Reveal            []string `json:"reveal" validate:"max=20,dive,max=32"`
	Copies            bool     `json:"copies"`
	RatePerHour       int      `json:"rate_per_hour" validate:"min=0,max=1000000"`
	Until             string   `json:"until" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
}

// rule turns r into the rule to save under id.
func (r ruleRequest) rule(id string) share.Rule {
	out := share.Rule{ID: id, Name: r.Name, Enabled: r.Enabled == nil || *r.Enabled, Version: r.Version,
		IncludeRestricted: r.IncludeRestricted, Organizations: r.Organizations, Departments: r.Departments,
		Roles: r.Roles, Systems: r.Systems, Networks: r.Networks, Copies: r.Copies, RatePerHour: r.RatePerHour}
	for _, c := range r.Categories {
		out.Categories = append(out.Categories, incident.Category(c))
	}
	for _, l := range r.Levels {
		out.Levels = append(out.Levels, incident.Level(l))
	}
	for _, sec := range r.Sections {
		out.Sections = append(out.Sections, share.Section(sec))
	}
	for _, cl := range r.Reveal {
		out.Reveal = append(out.Reveal, share.Class(cl))
	}
	if r.Until != "" {
		out.Until, _ = time.Parse(rfc3339, r.Until)
	}
	return out
}

// copyRequest is the body of POST /api/v1/shared/incidents/{ref}/copies.
type copyRequest struct {
	Format string `json:"format" validate:"required,oneof=json markdown"`
}

// partyJSON is a person on one side of a grant.
type partyJSON struct {
	ID           string `json:"id"`
	Username     string `json:"username,omitempty"`
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Department   string `json:"department,omitempty"`
}

func toPartyJSON(p share.Party) partyJSON {
	return partyJSON{ID: p.UserID, Username: p.Username, Name: p.Name, Organization: p.Organization, Department: p.Department}
}

// grantStepJSON is one decision in a grant's history.
type grantStepJSON struct {
	At      time.Time `json:"at"`
	By      partyJSON `json:"by"`
	Action  string    `json:"action"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to"`
	Comment string    `json:"comment,omitempty"`
}

func toGrantStepJSON(s share.Step) grantStepJSON {
	return grantStepJSON{At: s.At, By: toPartyJSON(s.By), Action: s.Action, From: string(s.From), To: string(s.To), Comment: s.Comment}
}

// grantJSON is a grant with its history.
type grantJSON struct {
	ID          string          `json:"id"`
	Kind        share.Kind      `json:"kind"`
	Status      share.Status    `json:"status"`
	Version     int64           `json:"version"`
	Requester   partyJSON       `json:"requester"`
	Purpose     string          `json:"purpose"`
	Incidents   []string        `json:"incidents"`
	Sections    []share.Section `json:"sections"`
	Reveal      []share.Class   `json:"reveal"`
	Copies      bool            `json:"copies"`
	From        time.Time       `json:"from"`
	Until       time.Time       `json:"until"`
	RatePerHour int             `json:"rate_per_hour"`
	Owner       *partyJSON      `json:"owner,omitempty"`
	History     []grantStepJSON `json:"history"`
	// Corrections counts the times the request was returned for
	// correction.
	Corrections int       `json:"corrections"`
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toGrantJSON(g *share.Grant) grantJSON {
	out := grantJSON{ID: g.ID, Kind: g.Kind, Status: g.Status, Version: g.Version, Requester: toPartyJSON(g.Requester),
		Purpose: g.Purpose, Incidents: nonNil(g.Scope.Incidents), Sections: nonNil(g.Scope.Sections), Reveal: nonNil(g.Scope.Reveal),
		Copies: g.Scope.Copies, From: g.From, Until: g.Until, RatePerHour: g.RatePerHour, History: []grantStepJSON{},
		Reason: g.Reason, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
	if out.RatePerHour == 0 {
		out.RatePerHour = share.DefaultRate
	}
	if g.Owner.UserID != "" {
		o := toPartyJSON(g.Owner)
		out.Owner = &o
	}
	for _, s := range g.History {
		out.History = append(out.History, toGrantStepJSON(s))
		if s.Action == share.ActReturn {
			out.Corrections++
		}
	}
	return out
}

// ruleJSON is an attribute rule.
type ruleJSON struct {
	ID                string              `json:"id"`
	Name              string              `json:"name"`
	Enabled           bool                `json:"enabled"`
	Version           int64               `json:"version"`
	Categories        []incident.Category `json:"categories"`
	Levels            []incident.Level    `json:"levels"`
	IncludeRestricted bool                `json:"include_restricted"`
	Organizations     []string            `json:"organizations"`
	Departments       []string            `json:"departments"`
	Roles             []string            `json:"roles"`
	Systems           []string            `json:"systems"`
	Networks          []string            `json:"networks"`
	Sections          []share.Section     `json:"sections"`
	Reveal            []share.Class       `json:"reveal"`
	Copies            bool                `json:"copies"`
	RatePerHour       int                 `json:"rate_per_hour"`
	Until             *time.Time          `json:"until,omitempty"`
	CreatedBy         partyJSON           `json:"created_by"`
	CreatedAt         time.Time           `json:"created_at"`
	UpdatedAt         time.Time           `json:"updated_at"`
}

func toRuleJSON(r *share.Rule) ruleJSON {
	out := ruleJSON{ID: r.ID, Name: r.Name, Enabled: r.Enabled, Version: r.Version, Categories: nonNil(r.Categories),
		Levels: nonNil(r.Levels), IncludeRestricted: r.IncludeRestricted, Organizations: nonNil(r.Organizations),
		Departments: nonNil(r.Departments), Roles: nonNil(r.Roles), Systems: nonNil(r.Systems), Networks: nonNil(r.Networks),
		Sections: nonNil(r.Sections), Reveal: nonNil(r.Reveal), Copies: r.Copies, RatePerHour: r.RatePerHour,
		CreatedBy: toPartyJSON(r.CreatedBy), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if out.RatePerHour == 0 {
		out.RatePerHour = share.DefaultRate
	}
	if !r.Until.IsZero() {
		u := r.Until
		out.Until = &u
	}
	return out
}

// accessJSON is one line of the access log.
type accessJSON struct {
	ID        string          `json:"id"`
	At        time.Time       `json:"at"`
	Requester partyJSON       `json:"requester"`
	System    string          `json:"system,omitempty"`
	Addr      string          `json:"addr,omitempty"`
	Incident  string          `json:"incident"`
	Sections  []share.Section `json:"sections,omitempty"`
	Action    string          `json:"action"`
	Allowed   bool            `json:"allowed"`
	Basis     share.Basis     `json:"basis,omitempty"`
	By        string          `json:"by,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	Grants    []string        `json:"grants,omitempty"`
}

func toAccessJSON(a share.Access) accessJSON {
	return accessJSON{ID: a.ID, At: a.At, Requester: toPartyJSON(a.Requester), System: a.System, Addr: a.Addr,
		Incident: a.Incident, Sections: a.Sections, Action: a.Action, Allowed: a.Allowed, Basis: a.Basis, By: a.By,
		Reason: a.Reason, Grants: a.Grants}
}

// copyJSON is a copy's metadata (never its content).
type copyJSON struct {
	ID        string         `json:"id"`
	Incident  string         `json:"incident"`
	Requester partyJSON      `json:"requester"`
	Basis     share.Basis    `json:"basis"`
	By        string         `json:"by"`
	Format    string         `json:"format"`
	Size      int            `json:"size,omitempty"`
	SHA256    string         `json:"sha256"`
	CreatedAt time.Time      `json:"created_at"`
	Withdrawn *grantStepJSON `json:"withdrawn,omitempty"`
	// Download is where its requester fetches it while it is live.
	Download string `json:"download,omitempty"`
}

func toCopyJSON(c share.Copy) copyJSON {
	out := copyJSON{ID: c.ID, Incident: c.Incident, Requester: toPartyJSON(c.Requester), Basis: c.Basis, By: c.By,
		Format: c.Format, Size: len(c.Content), SHA256: c.SHA256, CreatedAt: c.CreatedAt}
	if c.Withdrawn != nil {
		w := toGrantStepJSON(*c.Withdrawn)
		out.Withdrawn = &w
	} else {
		out.Download = "/api/v1/shared/copies/" + c.ID
	}
	return out
}

// sharedViewJSON is the desensitized shared view of an incident, with
// what admitted the caller (basis, by).
type sharedViewJSON struct {
	Number      string               `json:"number"`
	Title       string               `json:"title"`
	Level       incident.Level       `json:"level"`
	Category    incident.Category    `json:"category,omitempty"`
	Stage       incident.Stage       `json:"stage"`
	Drill       bool                 `json:"drill"`
	ReportedAt  time.Time            `json:"reported_at"`
	ClosedAt    *time.Time           `json:"closed_at,omitempty"`
	Sections    []share.Section      `json:"sections"`
	Basis       share.Basis          `json:"basis"`
	By          string               `json:"by"`
	Description *viewDescriptionJSON `json:"description,omitempty"`
	Assets      []string             `json:"assets,omitempty"`
	Timeline    []viewEntryJSON      `json:"timeline,omitempty"`
	Plan        string               `json:"plan,omitempty"`
	Measures    []viewTaskJSON       `json:"measures,omitempty"`
	Review      *viewReviewJSON      `json:"review,omitempty"`
	Contacts    []viewContactJSON    `json:"contacts,omitempty"`
	Masked      map[share.Class]int  `json:"masked"`
	// At is when the view was made.
	At time.Time `json:"at"`
}

type viewDescriptionJSON struct {
	Text       string         `json:"text"`
	Scope      incident.Scope `json:"scope,omitempty"`
	Nature     string         `json:"nature,omitempty"`
	OccurredAt *time.Time     `json:"occurred_at,omitempty"`
}

type viewEntryJSON struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Kind  string    `json:"kind"`
	From  string    `json:"from,omitempty"`
	To    string    `json:"to,omitempty"`
	Text  string    `json:"text,omitempty"`
}

type viewTaskJSON struct {
	Title    string `json:"title"`
	TitleZH  string `json:"title_zh,omitempty"`
	Stage    string `json:"stage,omitempty"`
	Status   string `json:"status,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Result   string `json:"result,omitempty"`
}

type viewReviewJSON struct {
	Summary   string   `json:"summary,omitempty"`
	RootCause string   `json:"root_cause,omitempty"`
	Lessons   string   `json:"lessons,omitempty"`
	Actions   []string `json:"actions,omitempty"`
}

type viewContactJSON struct {
	Role string `json:"role"`
	Name string `json:"name"`
}

func toSharedViewJSON(v share.View, verdict share.Verdict) sharedViewJSON {
	out := sharedViewJSON{Number: v.Number, Title: v.Title, Level: v.Level, Category: v.Category, Stage: v.Stage, Drill: v.Drill,
		ReportedAt: v.ReportedAt, ClosedAt: v.ClosedAt, Sections: nonNil(v.Sections), Basis: v.Basis, By: v.By,
		Assets: v.Assets, Plan: v.Plan, Masked: v.Masked, At: v.At}
	if out.Basis == "" {
		out.Basis, out.By = verdict.Basis, verdict.By
	}
	if out.Masked == nil {
		out.Masked = map[share.Class]int{}
	}
	if d := v.Description; d != nil {
		out.Description = &viewDescriptionJSON{Text: d.Text, Scope: d.Scope, Nature: string(d.Nature), OccurredAt: d.OccurredAt}
	}
	for _, e := range v.Timeline {
		out.Timeline = append(out.Timeline, viewEntryJSON{At: e.At, Actor: e.Actor, Kind: string(e.Kind), From: e.From, To: e.To, Text: e.Text})
	}
	for _, t := range v.Measures {
		out.Measures = append(out.Measures, viewTaskJSON(t))
	}
	if r := v.Review; r != nil {
		out.Review = &viewReviewJSON{Summary: r.Summary, RootCause: r.RootCause, Lessons: r.Lessons, Actions: r.Actions}
	}
	for _, c := range v.Contacts {
		out.Contacts = append(out.Contacts, viewContactJSON(c))
	}
	return out
}

// nonNil is s, or an empty slice, so that lists encode as [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
