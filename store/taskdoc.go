package store

import (
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// The stored form of an incident's response plan and tasks (part of
// incidentDoc). Durations are nanoseconds, as elsewhere in the store.

type planDoc struct {
	Measures    string          `bson:"measures,omitempty"`
	ApprovedBy  *actorDoc       `bson:"approved_by,omitempty"`
	ApprovedAt  *time.Time      `bson:"approved_at,omitempty"`
	Runbooks    []runbookUseDoc `bson:"runbooks,omitempty"`
	Approval    string          `bson:"approval,omitempty"`
	Round       int             `bson:"round,omitempty"`
	SubmittedBy *actorDoc       `bson:"submitted_by,omitempty"`
	SubmittedAt *time.Time      `bson:"submitted_at,omitempty"`
	DecidedBy   *actorDoc       `bson:"decided_by,omitempty"`
	DecidedAt   *time.Time      `bson:"decided_at,omitempty"`
	Comment     string          `bson:"comment,omitempty"`
}

type runbookUseDoc struct {
	ID       string           `bson:"id"`
	Version  int              `bson:"version"`
	Title    string           `bson:"title"`
	TitleZH  string           `bson:"title_zh,omitempty"`
	By       actorDoc         `bson:"by"`
	At       time.Time        `bson:"at"`
	Steps    []taskSpecDoc    `bson:"steps,omitempty"`
	Contacts []planContactDoc `bson:"contacts,omitempty"`
	Rules    []planRuleDoc    `bson:"rules,omitempty"`
}

type taskSpecDoc struct {
	Step           string `bson:"step,omitempty"`
	Title          string `bson:"title"`
	TitleZH        string `bson:"title_zh,omitempty"`
	Detail         string `bson:"detail,omitempty"`
	DetailZH       string `bson:"detail_zh,omitempty"`
	Stage          string `bson:"stage,omitempty"`
	Phase          string `bson:"phase,omitempty"`
	Role           string `bson:"role,omitempty"`
	Team           string `bson:"team,omitempty"`
	Required       bool   `bson:"required"`
	ExpectedNS     int64  `bson:"expected_ns,omitempty"`
	EvidenceHint   string `bson:"evidence_hint,omitempty"`
	EvidenceHintZH string `bson:"evidence_hint_zh,omitempty"`
}

type planContactDoc struct {
	Name   string `bson:"name"`
	NameZH string `bson:"name_zh,omitempty"`
	Kind   string `bson:"kind,omitempty"`
	Phone  string `bson:"phone,omitempty"`
	Email  string `bson:"email,omitempty"`
	When   string `bson:"when,omitempty"`
	WhenZH string `bson:"when_zh,omitempty"`
}

type planRuleDoc struct {
	Audience   string `bson:"audience"`
	AudienceZH string `bson:"audience_zh,omitempty"`
	When       string `bson:"when,omitempty"`
	WhenZH     string `bson:"when_zh,omitempty"`
	WithinNS   int64  `bson:"within_ns,omitempty"`
	Owner      string `bson:"owner,omitempty"`
	Required   bool   `bson:"required"`
}

type taskDoc struct {
	ID      string      `bson:"id"`
	Spec    taskSpecDoc `bson:",inline"`
	Runbook string      `bson:"runbook,omitempty"`
	Status  string      `bson:"status"`

	Assignee     string      `bson:"assignee,omitempty"`
	AssigneeKind string      `bson:"assignee_kind,omitempty"`
	AssigneeName string      `bson:"assignee_name,omitempty"`
	Contact      string      `bson:"contact,omitempty"`
	AssignedBy   *actorDoc   `bson:"assigned_by,omitempty"`
	AssignedAt   *time.Time  `bson:"assigned_at,omitempty"`
	DueAt        *time.Time  `bson:"due_at,omitempty"`
	Round        int         `bson:"round,omitempty"`
	Response     string      `bson:"response,omitempty"`
	RespondedAt  *time.Time  `bson:"responded_at,omitempty"`
	Declined     *declineDoc `bson:"declined,omitempty"`

	StartedAt  *time.Time    `bson:"started_at,omitempty"`
	FinishedAt *time.Time    `bson:"finished_at,omitempty"`
	Result     string        `bson:"result,omitempty"`
	Reason     string        `bson:"reason,omitempty"`
	Evidence   []evidenceRef `bson:"evidence,omitempty"`
}

type declineDoc struct {
	By     actorDoc  `bson:"by"`
	Reason string    `bson:"reason"`
	At     time.Time `bson:"at"`
}

// evidenceRef is a task's reference to a file in the evidence collection.
type evidenceRef struct {
	ID          string    `bson:"id"`
	Name        string    `bson:"name"`
	ContentType string    `bson:"content_type"`
	Size        int64     `bson:"size"`
	SHA256      string    `bson:"sha256"`
	By          actorDoc  `bson:"by"`
	At          time.Time `bson:"at"`
}

func planToDoc(p incident.ResponsePlan) planDoc {
	d := planDoc{
		Measures: p.Measures, ApprovedBy: actorPtrToDoc(p.ApprovedBy), ApprovedAt: utcPtr(p.ApprovedAt),
		Approval: string(p.Approval), Round: p.Round,
		SubmittedBy: actorPtrToDoc(p.SubmittedBy), SubmittedAt: utcPtr(p.SubmittedAt),
		DecidedBy: actorPtrToDoc(p.DecidedBy), DecidedAt: utcPtr(p.DecidedAt), Comment: p.Comment,
	}
	for _, u := range p.Runbooks {
		ud := runbookUseDoc{ID: u.ID, Version: u.Version, Title: u.Title, TitleZH: u.TitleZH, By: actorToDoc(u.By), At: u.At.UTC()}
		for _, s := range u.Steps {
			ud.Steps = append(ud.Steps, specToDoc(s))
		}
		for _, c := range u.Contacts {
			ud.Contacts = append(ud.Contacts, planContactDoc(c))
		}
		for _, r := range u.Rules {
			ud.Rules = append(ud.Rules, planRuleDoc{Audience: r.Audience, AudienceZH: r.AudienceZH, When: r.When, WhenZH: r.WhenZH,
				WithinNS: int64(r.Within), Owner: r.Owner, Required: r.Required})
		}
		d.Runbooks = append(d.Runbooks, ud)
	}
	return d
}

func planFromDoc(d planDoc) incident.ResponsePlan {
	p := incident.ResponsePlan{
		Measures: d.Measures, ApprovedBy: actorPtrFromDoc(d.ApprovedBy), ApprovedAt: utcPtr(d.ApprovedAt),
		Approval: incident.Approval(d.Approval), Round: d.Round,
		SubmittedBy: actorPtrFromDoc(d.SubmittedBy), SubmittedAt: utcPtr(d.SubmittedAt),
		DecidedBy: actorPtrFromDoc(d.DecidedBy), DecidedAt: utcPtr(d.DecidedAt), Comment: d.Comment,
	}
	for _, ud := range d.Runbooks {
		u := incident.RunbookUse{ID: ud.ID, Version: ud.Version, Title: ud.Title, TitleZH: ud.TitleZH, By: actorFromDoc(ud.By), At: ud.At.UTC()}
		for _, s := range ud.Steps {
			u.Steps = append(u.Steps, specFromDoc(s))
		}
		for _, c := range ud.Contacts {
			u.Contacts = append(u.Contacts, incident.PlanContact(c))
		}
		for _, r := range ud.Rules {
			u.Rules = append(u.Rules, incident.PlanRule{Audience: r.Audience, AudienceZH: r.AudienceZH, When: r.When, WhenZH: r.WhenZH,
				Within: time.Duration(r.WithinNS), Owner: r.Owner, Required: r.Required})
		}
		p.Runbooks = append(p.Runbooks, u)
	}
	return p
}

func specToDoc(s incident.TaskSpec) taskSpecDoc {
	return taskSpecDoc{Step: s.Step, Title: s.Title, TitleZH: s.TitleZH, Detail: s.Detail, DetailZH: s.DetailZH,
		Stage: string(s.Stage), Phase: string(s.Phase), Role: s.Role, Team: s.Team, Required: s.Required,
		ExpectedNS: int64(s.Expected), EvidenceHint: s.EvidenceHint, EvidenceHintZH: s.EvidenceHintZH}
}

func specFromDoc(d taskSpecDoc) incident.TaskSpec {
	return incident.TaskSpec{Step: d.Step, Title: d.Title, TitleZH: d.TitleZH, Detail: d.Detail, DetailZH: d.DetailZH,
		Stage: incident.Stage(d.Stage), Phase: incident.Phase(d.Phase), Role: d.Role, Team: d.Team, Required: d.Required,
		Expected: time.Duration(d.ExpectedNS), EvidenceHint: d.EvidenceHint, EvidenceHintZH: d.EvidenceHintZH}
}

func taskToDoc(t incident.Task) taskDoc {
	d := taskDoc{
		ID: t.ID, Spec: specToDoc(t.TaskSpec), Runbook: t.Runbook, Status: string(t.Status),
		Assignee: t.Assignee, AssigneeKind: string(t.AssigneeKind), AssigneeName: t.AssigneeName, Contact: t.Contact,
		AssignedBy: actorPtrToDoc(t.AssignedBy), AssignedAt: utcPtr(t.AssignedAt), DueAt: utcPtr(t.DueAt),
		Round: t.Round, Response: string(t.Response), RespondedAt: utcPtr(t.RespondedAt),
		StartedAt: utcPtr(t.StartedAt), FinishedAt: utcPtr(t.FinishedAt), Result: t.Result, Reason: t.Reason,
	}
	if t.Declined != nil {
		d.Declined = &declineDoc{By: actorToDoc(t.Declined.By), Reason: t.Declined.Reason, At: t.Declined.At.UTC()}
	}
	for _, e := range t.Evidence {
		d.Evidence = append(d.Evidence, evidenceRef{ID: e.ID, Name: e.Name, ContentType: e.ContentType, Size: e.Size,
			SHA256: e.SHA256, By: actorToDoc(e.By), At: e.At.UTC()})
	}
	return d
}

func taskFromDoc(d taskDoc) incident.Task {
	t := incident.Task{
		ID: d.ID, TaskSpec: specFromDoc(d.Spec), Runbook: d.Runbook, Status: incident.TaskStatus(d.Status),
		Assignee: d.Assignee, AssigneeKind: incident.AssigneeKind(d.AssigneeKind), AssigneeName: d.AssigneeName, Contact: d.Contact,
		AssignedBy: actorPtrFromDoc(d.AssignedBy), AssignedAt: utcPtr(d.AssignedAt), DueAt: utcPtr(d.DueAt),
		Round: d.Round, Response: incident.Response(d.Response), RespondedAt: utcPtr(d.RespondedAt),
		StartedAt: utcPtr(d.StartedAt), FinishedAt: utcPtr(d.FinishedAt), Result: d.Result, Reason: d.Reason,
	}
	if d.Declined != nil {
		t.Declined = &incident.Decline{By: actorFromDoc(d.Declined.By), Reason: d.Declined.Reason, At: d.Declined.At.UTC()}
	}
	for _, e := range d.Evidence {
		t.Evidence = append(t.Evidence, incident.Evidence{ID: e.ID, Name: e.Name, ContentType: e.ContentType, Size: e.Size,
			SHA256: e.SHA256, By: actorFromDoc(e.By), At: e.At.UTC()})
	}
	return t
}
