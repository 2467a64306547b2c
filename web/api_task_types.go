package web

import (
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// --- requests ---

// chooseRunbooksRequest is the body of POST …/plan/runbooks: the runbooks
// whose steps become tasks; a version of 0 means the current one.
type chooseRunbooksRequest struct {
	Version  int64            `json:"version" validate:"required,min=1"`
	Runbooks []runbookRefJSON `json:"runbooks" validate:"required,min=1,max=10,dive"`
}

type runbookRefJSON struct {
	ID      string `json:"id" validate:"required,max=63"`
	Version int    `json:"version" validate:"min=0"`
}

// measuresRequest is the body of PUT …/plan/measures.
type measuresRequest struct {
	Version  int64  `json:"version" validate:"required,min=1"`
	Measures string `json:"measures" validate:"max=20000"`
}

// submitPlanRequest is the body of POST …/plan/submit.
type submitPlanRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Note    string `json:"note" validate:"max=20000"`
}

// decidePlanRequest is the body of POST …/plan/decision.
type decidePlanRequest struct {
	Version  int64  `json:"version" validate:"required,min=1"`
	Decision string `json:"decision" validate:"required,oneof=approve reject return"`
	Comment  string `json:"comment" validate:"max=20000"`
}

// addTaskRequest is the body of POST …/tasks.
type addTaskRequest struct {
	Version  int64  `json:"version" validate:"required,min=1"`
	Title    string `json:"title" validate:"required,max=800"`
	TitleZH  string `json:"title_zh" validate:"max=800"`
	Detail   string `json:"detail" validate:"max=4000"`
	Stage    string `json:"stage" validate:"omitempty,oneof=confirm plan handle"`
	Phase    string `json:"phase" validate:"omitempty,oneof=isolate preserve eradicate recover verify communicate"`
	Role     string `json:"role" validate:"max=64"`
	Team     string `json:"team" validate:"max=128"`
	Required bool   `json:"required"`
	Duration string `json:"duration" validate:"max=20"` // 30m, 2h, 1d
	Evidence string `json:"evidence" validate:"max=4000"`
}

// moveTaskRequest is the body of POST …/tasks/{task}/move.
type moveTaskRequest struct {
	Version  int64 `json:"version" validate:"required,min=1"`
	Position *int  `json:"position" validate:"required,min=0"`
}

// assignRequest is the body of POST …/tasks/{task}/assign: a person (by
// username), a team (its on-call person, else its lead), a person through
// a team, or a vendor with how to reach it.
type assignRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Person  string `json:"person" validate:"max=128"`
	Team    string `json:"team" validate:"max=128"`
	Vendor  string `json:"vendor" validate:"max=200"`
	Contact string `json:"contact" validate:"max=200"`
}

// versionRequest is a body that only names the version seen.
type versionRequest struct {
	Version int64 `json:"version" validate:"required,min=1"`
}

// declineRequest is the body of POST …/tasks/{task}/decline.
type declineRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Reason  string `json:"reason" validate:"required,max=2000"`
}

// statusRequest is the body of POST …/tasks/{task}/status. The note is the
// result when finishing, the reason when blocking, waiving or reopening.
type statusRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Status  string `json:"status" validate:"required,oneof=todo in_progress blocked done waived"`
	Note    string `json:"note" validate:"max=20000"`
}

// noteRequest is the body of POST …/tasks/{task}/notes.
type noteRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Note    string `json:"note" validate:"required,max=20000"`
}

// --- responses ---

// taskJSON is a task as the API shows it.
type taskJSON struct {
	ID             string         `json:"id"`
	Title          string         `json:"title"`
	TitleZH        string         `json:"title_zh,omitempty"`
	Detail         string         `json:"detail,omitempty"`
	DetailZH       string         `json:"detail_zh,omitempty"`
	Stage          string         `json:"stage"`
	Phase          string         `json:"phase,omitempty"`
	Role           string         `json:"role,omitempty"`
	Team           string         `json:"team,omitempty"`
	Required       bool           `json:"required"`
	Expected       string         `json:"expected,omitempty"`
	EvidenceHint   string         `json:"evidence_hint,omitempty"`
	EvidenceHintZH string         `json:"evidence_hint_zh,omitempty"`
	Runbook        string         `json:"runbook,omitempty"`
	Step           string         `json:"step,omitempty"`
	Status         string         `json:"status"`
	Assignee       string         `json:"assignee,omitempty"`
	AssigneeKind   string         `json:"assignee_kind,omitempty"`
	AssigneeName   string         `json:"assignee_name,omitempty"`
	Contact        string         `json:"contact,omitempty"`
	AssignedBy     *actorJSON     `json:"assigned_by,omitempty"`
	AssignedAt     *time.Time     `json:"assigned_at,omitempty"`
	DueAt          *time.Time     `json:"due_at,omitempty"`
	Response       string         `json:"response,omitempty"`
	Declined       *declineJSON   `json:"declined,omitempty"`
	StartedAt      *time.Time     `json:"started_at,omitempty"`
	FinishedAt     *time.Time     `json:"finished_at,omitempty"`
	Result         string         `json:"result,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	Evidence       []evidenceJSON `json:"evidence"`
}

type declineJSON struct {
	By     actorJSON `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type evidenceJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	By          actorJSON `json:"by"`
	At          time.Time `json:"at"`
	URL         string    `json:"url"`
}

// planJSON is the response plan beyond its measures.
type planJSON struct {
	Runbooks    []runbookUseJSON `json:"runbooks"`
	Approval    string           `json:"approval,omitempty"`
	Round       int              `json:"round,omitempty"`
	SubmittedBy *actorJSON       `json:"submitted_by,omitempty"`
	SubmittedAt *time.Time       `json:"submitted_at,omitempty"`
	DecidedBy   *actorJSON       `json:"decided_by,omitempty"`
	DecidedAt   *time.Time       `json:"decided_at,omitempty"`
	Comment     string           `json:"comment,omitempty"`
}

type runbookUseJSON struct {
	ID       string            `json:"id"`
	Version  int               `json:"version"`
	Title    string            `json:"title"`
	TitleZH  string            `json:"title_zh"`
	By       actorJSON         `json:"by"`
	At       time.Time         `json:"at"`
	Steps    []taskJSON        `json:"steps"`
	Contacts []planContactJSON `json:"contacts"`
	Rules    []planRuleJSON    `json:"communication"`
}

type planContactJSON struct {
	Name   string `json:"name"`
	NameZH string `json:"name_zh"`
	Kind   string `json:"kind"`
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
	When   string `json:"when"`
	WhenZH string `json:"when_zh"`
}

type planRuleJSON struct {
	Audience   string `json:"audience"`
	AudienceZH string `json:"audience_zh"`
	When       string `json:"when"`
	WhenZH     string `json:"when_zh"`
	Within     string `json:"within,omitempty"`
	Owner      string `json:"owner"`
	Required   bool   `json:"required"`
}

type progressJSON struct {
	Finished int `json:"finished"`
	Total    int `json:"total"`
}

func actorPtrJSON(a *incident.Actor) *actorJSON {
	if a == nil {
		return nil
	}
	j := toActorJSON(*a)
	return &j
}

func specJSON(s incident.TaskSpec) taskJSON {
	j := taskJSON{Title: s.Title, TitleZH: s.TitleZH, Detail: s.Detail, DetailZH: s.DetailZH, Stage: string(s.Stage),
		Phase: string(s.Phase), Role: s.Role, Team: s.Team, Required: s.Required,
		EvidenceHint: s.EvidenceHint, EvidenceHintZH: s.EvidenceHintZH, Step: s.Step, Evidence: []evidenceJSON{}}
	if s.Expected > 0 {
		j.Expected = runbooks.FormatDuration(s.Expected)
	}
	return j
}

func toTaskJSON(inc *incident.Incident, t incident.Task) taskJSON {
	j := specJSON(t.TaskSpec)
	j.ID, j.Runbook, j.Status = t.ID, t.Runbook, string(t.Status)
	j.Assignee, j.AssigneeKind, j.AssigneeName, j.Contact = t.Assignee, string(t.AssigneeKind), t.AssigneeName, t.Contact
	j.AssignedBy, j.AssignedAt, j.DueAt, j.Response = actorPtrJSON(t.AssignedBy), t.AssignedAt, t.DueAt, string(t.Response)
	j.StartedAt, j.FinishedAt, j.Result, j.Reason = t.StartedAt, t.FinishedAt, t.Result, t.Reason
	if d := t.Declined; d != nil {
		j.Declined = &declineJSON{By: toActorJSON(d.By), Reason: d.Reason, At: d.At}
	}
	for _, e := range t.Evidence {
		j.Evidence = append(j.Evidence, evidenceJSON{ID: e.ID, Name: e.Name, ContentType: e.ContentType, Size: e.Size,
			SHA256: e.SHA256, By: toActorJSON(e.By), At: e.At, URL: evidenceURL(inc, e.ID)})
	}
	return j
}

// evidenceURL is where an evidence file is downloaded.
func evidenceURL(inc *incident.Incident, id string) string {
	return "/api/v1/incidents/" + inc.Number + "/evidence/" + id
}

func toPlanJSON(p incident.ResponsePlan) planJSON {
	j := planJSON{Runbooks: []runbookUseJSON{}, Approval: string(p.Approval), Round: p.Round,
		SubmittedBy: actorPtrJSON(p.SubmittedBy), SubmittedAt: p.SubmittedAt,
		DecidedBy: actorPtrJSON(p.DecidedBy), DecidedAt: p.DecidedAt, Comment: p.Comment}
	for _, u := range p.Runbooks {
		uj := runbookUseJSON{ID: u.ID, Version: u.Version, Title: u.Title, TitleZH: u.TitleZH, By: toActorJSON(u.By), At: u.At,
			Steps: []taskJSON{}, Contacts: []planContactJSON{}, Rules: []planRuleJSON{}}
		for _, s := range u.Steps {
			uj.Steps = append(uj.Steps, specJSON(s))
		}
		for _, c := range u.Contacts {
			uj.Contacts = append(uj.Contacts, planContactJSON(c))
		}
		for _, r := range u.Rules {
			rj := planRuleJSON{Audience: r.Audience, AudienceZH: r.AudienceZH, When: r.When, WhenZH: r.WhenZH, Owner: r.Owner, Required: r.Required}
			if r.Within > 0 {
				rj.Within = runbooks.FormatDuration(r.Within)
			}
			uj.Rules = append(uj.Rules, rj)
		}
		j.Runbooks = append(j.Runbooks, uj)
	}
	return j
}

// workJSON is the answer to a plan or task change: the incident as it is
// now, with its tasks and plan.
type workJSON struct {
	incidentJSON
	Tasks    []taskJSON   `json:"tasks"`
	Progress progressJSON `json:"task_progress"`
	Plan     planJSON     `json:"plan"`
}

func toWorkJSON(inc *incident.Incident, baseURL string) workJSON {
	out := workJSON{incidentJSON: toIncidentJSON(inc, baseURL), Tasks: []taskJSON{}, Plan: toPlanJSON(inc.Plan)}
	for _, t := range inc.Tasks {
		out.Tasks = append(out.Tasks, toTaskJSON(inc, t))
	}
	out.Progress.Finished, out.Progress.Total = incident.TaskProgress(inc.Tasks)
	return out
}
