package web

import (
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// reportRequest is the body of POST /api/v1/incidents.
type reportRequest struct {
	Title          string   `json:"title" validate:"required,max=200"`
	Description    string   `json:"description" validate:"required,max=20000"`
	Category       string   `json:"category" validate:"omitempty,oneof=malicious_program cyber_attack data_security information_content equipment_failure rule_violation security_hazard abnormal_behaviour force_majeure other"`
	SuggestedLevel string   `json:"suggested_level" validate:"omitempty,oneof=ordinary serious special"`
	Scope          string   `json:"scope" validate:"omitempty,oneof=local global"`
	AffectedAssets []string `json:"affected_assets" validate:"max=50,dive,max=200"`
	OccurredAt     string   `json:"occurred_at" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	DedupKey       string   `json:"dedup_key" validate:"max=200"`
	Drill          bool     `json:"drill"`
}

// input converts the request to the domain's report.
func (r reportRequest) input(source string) incident.ReportInput {
	in := incident.ReportInput{
		Title: r.Title, Description: r.Description,
		Category: incident.Category(r.Category), SuggestedLevel: incident.Level(r.SuggestedLevel),
		Scope: incident.Scope(r.Scope), AffectedAssets: r.AffectedAssets,
		DedupKey: r.DedupKey, Drill: r.Drill, Source: source,
	}
	if r.OccurredAt != "" {
		if t, err := time.Parse(time.RFC3339, r.OccurredAt); err == nil {
			t = t.UTC()
			in.OccurredAt = &t
		}
	}
	return in
}

// transitionRequest is the body of POST /api/v1/incidents/{ref}/transitions.
type transitionRequest struct {
	To             string         `json:"to" validate:"required,oneof=receive confirm plan dispatch handle review closed rejected"`
	Version        int64          `json:"version" validate:"required,min=1"`
	Reason         string         `json:"reason" validate:"max=2000"`
	Note           string         `json:"note" validate:"max=20000"`
	Level          string         `json:"level" validate:"omitempty,oneof=ordinary serious special"`
	Category       string         `json:"category" validate:"omitempty,max=64"`
	Scope          string         `json:"scope" validate:"omitempty,oneof=local global"`
	Nature         string         `json:"nature" validate:"omitempty,oneof=natural_disaster human_error malicious_attack"`
	AssessmentNote string         `json:"assessment_note" validate:"max=20000"`
	Measures       string         `json:"measures" validate:"max=20000"`
	Assignees      []assigneeJSON `json:"assignees" validate:"max=100,dive"`
	ReviewSummary  string         `json:"review_summary" validate:"max=20000"`
	RootCause      string         `json:"root_cause" validate:"max=20000"`
	Lessons        string         `json:"lessons" validate:"max=20000"`
	RejectReason   string         `json:"reject_reason" validate:"omitempty,oneof=false_positive duplicate"`
	RejectNote     string         `json:"reject_note" validate:"max=20000"`
	DuplicateOf    string         `json:"duplicate_of" validate:"max=64"`
}

type assigneeJSON struct {
	Kind string `json:"kind" validate:"omitempty,oneof=team person vendor"`
	Name string `json:"name" validate:"required,max=200"`
}

func (r transitionRequest) input() incident.TransitionInput {
	in := incident.TransitionInput{
		To: incident.Stage(r.To), Version: r.Version, Reason: r.Reason, Note: r.Note,
		Level: incident.Level(r.Level), Category: incident.Category(r.Category), Scope: incident.Scope(r.Scope),
		Nature: incident.Nature(r.Nature), AssessmentNote: r.AssessmentNote, Measures: r.Measures,
		ReviewSummary: r.ReviewSummary, RootCause: r.RootCause, Lessons: r.Lessons,
		RejectReason: incident.RejectReason(r.RejectReason), RejectNote: r.RejectNote, DuplicateOf: r.DuplicateOf,
	}
	for _, a := range r.Assignees {
		in.Assignees = append(in.Assignees, incident.Assignee{Kind: a.Kind, Name: a.Name})
	}
	return in
}

// levelRequest is the body of POST /api/v1/incidents/{ref}/level.
type levelRequest struct {
	Level   string `json:"level" validate:"required,oneof=ordinary serious special"`
	Version int64  `json:"version" validate:"required,min=1"`
	Reason  string `json:"reason" validate:"required,max=2000"`
}

// incidentJSON is an incident as the API shows it.
type incidentJSON struct {
	ID             string               `json:"id"`
	Number         string               `json:"number"`
	Version        int64                `json:"version"`
	Title          string               `json:"title"`
	Description    string               `json:"description,omitempty"`
	Category       string               `json:"category,omitempty"`
	SuggestedLevel string               `json:"suggested_level,omitempty"`
	Level          string               `json:"level"`
	LevelConfirmed bool                 `json:"level_confirmed"`
	Scope          string               `json:"scope,omitempty"`
	Nature         string               `json:"nature,omitempty"`
	AffectedAssets []string             `json:"affected_assets"`
	OccurredAt     *time.Time           `json:"occurred_at,omitempty"`
	Drill          bool                 `json:"drill"`
	Restricted     bool                 `json:"restricted"`
	Source         string               `json:"source"`
	Reporter       actorJSON            `json:"reporter"`
	Stage          string               `json:"stage"`
	StageEnteredAt map[string]time.Time `json:"stage_entered_at"`
	AckedAt        *time.Time           `json:"acked_at,omitempty"`
	AckedBy        *actorJSON           `json:"acked_by,omitempty"`
	CreatedAt      time.Time            `json:"created_at"`
	UpdatedAt      time.Time            `json:"updated_at"`
	DedupKey       string               `json:"dedup_key,omitempty"`
	Occurrences    int                  `json:"occurrences"`
	AssessmentNote string               `json:"assessment_note,omitempty"`
	Measures       string               `json:"measures,omitempty"`
	PlanApprovedBy *actorJSON           `json:"plan_approved_by,omitempty"`
	Assignees      []assigneeJSON       `json:"assignees"`
	Review         *reviewJSON          `json:"review,omitempty"`
	Rejection      *rejectionJSON       `json:"rejection,omitempty"`
	Timeline       []entryJSON          `json:"timeline,omitempty"`
	URL            string               `json:"url"`
}

type actorJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type reviewJSON struct {
	Summary     string     `json:"summary,omitempty"`
	RootCause   string     `json:"root_cause,omitempty"`
	Lessons     string     `json:"lessons,omitempty"`
	SignedOffBy *actorJSON `json:"signed_off_by,omitempty"`
	SignedOffAt *time.Time `json:"signed_off_at,omitempty"`
}

type rejectionJSON struct {
	Reason      string `json:"reason"`
	Note        string `json:"note,omitempty"`
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

type entryJSON struct {
	At      time.Time    `json:"at"`
	Actor   actorJSON    `json:"actor"`
	Kind    string       `json:"kind"`
	From    string       `json:"from,omitempty"`
	To      string       `json:"to,omitempty"`
	Reason  string       `json:"reason,omitempty"`
	Note    string       `json:"note,omitempty"`
	Changes []changeJSON `json:"changes,omitempty"`
}

type changeJSON struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func toActorJSON(a incident.Actor) actorJSON { return actorJSON{ID: a.ID, Name: a.Name} }

// toIncidentJSON converts an incident for the API; baseURL makes its link
// absolute.
func toIncidentJSON(inc *incident.Incident, baseURL string) incidentJSON {
	out := incidentJSON{
		ID: inc.ID, Number: inc.Number, Version: inc.Version, Title: inc.Title, Description: inc.Description,
		Category: string(inc.Category), SuggestedLevel: string(inc.SuggestedLevel), Level: string(inc.Level),
		LevelConfirmed: inc.LevelConfirmed, Scope: string(inc.Scope), Nature: string(inc.Nature),
		AffectedAssets: append([]string{}, inc.AffectedAssets...), OccurredAt: inc.OccurredAt, Drill: inc.Drill, Restricted: inc.Restricted,
		Source: inc.Source, Reporter: toActorJSON(inc.Reporter), Stage: string(inc.Stage),
		StageEnteredAt: map[string]time.Time{}, CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt,
		DedupKey: inc.DedupKey, Occurrences: inc.Occurrences, AssessmentNote: inc.AssessmentNote,
		Measures: inc.Plan.Measures, Assignees: []assigneeJSON{},
		URL: baseURL + "/incidents/" + inc.Number,
	}
	if inc.AckedBy != nil {
		a := toActorJSON(*inc.AckedBy)
		out.AckedAt, out.AckedBy = inc.AckedAt, &a
	}
	for st, t := range inc.StageEnteredAt {
		out.StageEnteredAt[string(st)] = t
	}
	if a := inc.Plan.ApprovedBy; a != nil {
		aj := toActorJSON(*a)
		out.PlanApprovedBy = &aj
	}
	for _, a := range inc.Assignees {
		out.Assignees = append(out.Assignees, assigneeJSON{Kind: a.Kind, Name: a.Name})
	}
	if r := inc.Review; r.Summary != "" || r.RootCause != "" || r.Lessons != "" || r.SignedOffBy != nil {
		rj := &reviewJSON{Summary: r.Summary, RootCause: r.RootCause, Lessons: r.Lessons, SignedOffAt: r.SignedOffAt}
		if r.SignedOffBy != nil {
			a := toActorJSON(*r.SignedOffBy)
			rj.SignedOffBy = &a
		}
		out.Review = rj
	}
	if inc.Rejection.Reason != "" {
		out.Rejection = &rejectionJSON{Reason: string(inc.Rejection.Reason), Note: inc.Rejection.Note, DuplicateOf: inc.Rejection.DuplicateOf}
	}
	for _, e := range inc.Timeline {
		ej := entryJSON{At: e.At, Actor: toActorJSON(e.Actor), Kind: string(e.Kind), From: e.From, To: e.To, Reason: e.Reason, Note: e.Note}
		for _, ch := range e.Changes {
			ej.Changes = append(ej.Changes, changeJSON{Field: ch.Field, Before: ch.Before, After: ch.After})
		}
		out.Timeline = append(out.Timeline, ej)
	}
	return out
}
