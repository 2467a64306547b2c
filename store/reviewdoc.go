package store

import (
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// reviewDoc is the stored post-incident review.
type reviewDoc struct {
	Summary     string     `bson:"summary,omitempty"`
	RootCause   string     `bson:"root_cause,omitempty"`
	Lessons     string     `bson:"lessons,omitempty"`
	SignedOffBy *actorDoc  `bson:"signed_off_by,omitempty"`
	SignedOffAt *time.Time `bson:"signed_off_at,omitempty"`

	ImpactSystems  string      `bson:"impact_systems,omitempty"`
	ImpactData     string      `bson:"impact_data,omitempty"`
	ImpactPeople   string      `bson:"impact_people,omitempty"`
	ImpactDuration string      `bson:"impact_duration,omitempty"`
	WentWell       string      `bson:"went_well,omitempty"`
	WentBadly      string      `bson:"went_badly,omitempty"`
	Actions        []actionDoc `bson:"actions,omitempty"`
	ActionSeq      int         `bson:"action_seq,omitempty"`
	Returned       *returnDoc  `bson:"returned,omitempty"`
	Returns        int         `bson:"returns,omitempty"`
	DraftedAt      *time.Time  `bson:"drafted_at,omitempty"`
}

type actionDoc struct {
	ID     string     `bson:"id"`
	Title  string     `bson:"title"`
	Owner  string     `bson:"owner"`
	Due    time.Time  `bson:"due"`
	Status string     `bson:"status"`
	Note   string     `bson:"note,omitempty"`
	DoneAt *time.Time `bson:"done_at,omitempty"`
}

type returnDoc struct {
	By      actorDoc  `bson:"by"`
	At      time.Time `bson:"at"`
	Comment string    `bson:"comment"`
}

func reviewToDoc(r incident.ReviewReport) reviewDoc {
	d := reviewDoc{
		Summary: r.Summary, RootCause: r.RootCause, Lessons: r.Lessons,
		SignedOffBy: actorPtrToDoc(r.SignedOffBy), SignedOffAt: utcPtr(r.SignedOffAt),
		ImpactSystems: r.Impact.Systems, ImpactData: r.Impact.Data, ImpactPeople: r.Impact.People, ImpactDuration: r.Impact.Duration,
		WentWell: r.WentWell, WentBadly: r.WentBadly, ActionSeq: r.ActionSeq, Returns: r.Returns,
		DraftedAt: utcPtr(r.DraftedAt),
	}
	for _, a := range r.Actions {
		d.Actions = append(d.Actions, actionDoc{ID: a.ID, Title: a.Title, Owner: a.Owner, Due: a.Due.UTC(),
			Status: string(a.Status), Note: a.Note, DoneAt: utcPtr(a.DoneAt)})
	}
	if r.Returned != nil {
		d.Returned = &returnDoc{By: actorToDoc(r.Returned.By), At: r.Returned.At.UTC(), Comment: r.Returned.Comment}
	}
	return d
}

func reviewFromDoc(d reviewDoc) incident.ReviewReport {
	r := incident.ReviewReport{
		Summary: d.Summary, RootCause: d.RootCause, Lessons: d.Lessons,
		SignedOffBy: actorPtrFromDoc(d.SignedOffBy), SignedOffAt: utcPtr(d.SignedOffAt),
		Impact:   incident.Impact{Systems: d.ImpactSystems, Data: d.ImpactData, People: d.ImpactPeople, Duration: d.ImpactDuration},
		WentWell: d.WentWell, WentBadly: d.WentBadly, ActionSeq: d.ActionSeq, Returns: d.Returns,
		DraftedAt: utcPtr(d.DraftedAt),
	}
	for _, a := range d.Actions {
		r.Actions = append(r.Actions, incident.CorrectiveAction{ID: a.ID, Title: a.Title, Owner: a.Owner, Due: a.Due.UTC(),
			Status: incident.ActionStatus(a.Status), Note: a.Note, DoneAt: utcPtr(a.DoneAt)})
	}
	if d.Returned != nil {
		r.Returned = &incident.ReviewReturn{By: actorFromDoc(d.Returned.By), At: d.Returned.At.UTC(), Comment: d.Returned.Comment}
	}
	return r
}
