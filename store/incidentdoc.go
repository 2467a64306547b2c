package store

import (
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tocsin-hub/tocsin/incident"
)

// incidentDoc is an incident as stored in the incidents collection.
type incidentDoc struct {
	ID      bson.ObjectID `bson:"_id"`
	Number  string        `bson:"number"`
	Version int64         `bson:"version"`

	Title          string     `bson:"title"`
	Description    string     `bson:"description,omitempty"`
	Category       string     `bson:"category,omitempty"`
	SuggestedLevel string     `bson:"suggested_level,omitempty"`
	Level          string     `bson:"level"`
	LevelConfirmed bool       `bson:"level_confirmed"`
	Scope          string     `bson:"scope,omitempty"`
	Nature         string     `bson:"nature,omitempty"`
	AffectedAssets []string   `bson:"affected_assets,omitempty"`
	OccurredAt     *time.Time `bson:"occurred_at,omitempty"`
	Drill          bool       `bson:"drill"`
	Restricted     bool       `bson:"restricted,omitempty"`
	Source         string     `bson:"source,omitempty"`

	Reporter     actorDoc `bson:"reporter"`
	Participants []string `bson:"participants,omitempty"`
	// Named and Teams are derived on every write, for lists narrowed to an
	// audience (audienceFilter): the people the incident names (its
	// participants, person assignees and task assignees) and its assigned
	// teams. FerretDB cannot match fields inside array elements
	// ($elemMatch on documents), so the query matches these instead.
	Named []string `bson:"named,omitempty"`
	Teams []string `bson:"teams,omitempty"`

	Stage string `bson:"stage"`
	// StageEnteredAt is keyed by stage name (plain words, safe as keys).
	StageEnteredAt map[string]time.Time `bson:"stage_entered_at,omitempty"`
	AckedAt        *time.Time           `bson:"acked_at,omitempty"`
	AckedBy        *actorDoc            `bson:"acked_by,omitempty"`
	CreatedAt      time.Time            `bson:"created_at"`
	UpdatedAt      time.Time            `bson:"updated_at"`

	DedupKey string `bson:"dedup_key,omitempty"`
	// OpenDedupKey is DedupKey while the incident is open and absent
	// otherwise; its unique index allows one open incident per key, and
	// closing or rejecting the incident frees the key.
	OpenDedupKey   string   `bson:"open_dedup_key,omitempty"`
	Occurrences    int      `bson:"occurrences"`
	IdempotencyKey string   `bson:"idempotency_key,omitempty"` // absent when empty: uniquely indexed
	RequestHash    string   `bson:"request_hash,omitempty"`
	OccurrenceKeys []string `bson:"occurrence_keys,omitempty"`

	AssessmentNote string        `bson:"assessment_note,omitempty"`
	Plan           planDoc       `bson:"plan"`
	Assignees      []assigneeDoc `bson:"assignees,omitempty"`
	Tasks          []taskDoc     `bson:"tasks,omitempty"`
	TaskSeq        int           `bson:"task_seq,omitempty"`
	Review         reviewDoc     `bson:"review"`
	Rejection      rejectionDoc  `bson:"rejection"`

	Timeline []entryDoc `bson:"timeline,omitempty"`
}

type actorDoc struct {
	ID       string `bson:"id"`
	Name     string `bson:"name"`
	Username string `bson:"username,omitempty"`
}

type assigneeDoc struct {
	Kind    string `bson:"kind"`
	Name    string `bson:"name"`
	ID      string `bson:"id,omitempty"`
	Contact string `bson:"contact,omitempty"`
}

type rejectionDoc struct {
	Reason      string `bson:"reason,omitempty"`
	Note        string `bson:"note,omitempty"`
	DuplicateOf string `bson:"duplicate_of,omitempty"`
}

type entryDoc struct {
	At      time.Time        `bson:"at"`
	Actor   actorDoc         `bson:"actor"`
	Kind    string           `bson:"kind"`
	From    string           `bson:"from,omitempty"`
	To      string           `bson:"to,omitempty"`
	Reason  string           `bson:"reason,omitempty"`
	Note    string           `bson:"note,omitempty"`
	Changes []fieldChangeDoc `bson:"changes,omitempty"`
	Task    string           `bson:"task,omitempty"`
}

type fieldChangeDoc struct {
	Field  string `bson:"field"`
	Before string `bson:"before"`
	After  string `bson:"after"`
}

// incidentToDoc converts inc to its stored form. An empty inc.ID gets a new
// ObjectID; any other id must be one this store gave out.
func incidentToDoc(inc *incident.Incident) (*incidentDoc, error) {
	id := bson.NewObjectID()
	if inc.ID != "" {
		var err error
		if id, err = bson.ObjectIDFromHex(inc.ID); err != nil {
			return nil, fmt.Errorf("incident id %q: %w", inc.ID, incident.ErrNotFound)
		}
	}
	d := &incidentDoc{
		ID:             id,
		Number:         inc.Number,
		Version:        inc.Version,
		Title:          inc.Title,
		Description:    inc.Description,
		Category:       string(inc.Category),
		SuggestedLevel: string(inc.SuggestedLevel),
		Level:          string(inc.Level),
		LevelConfirmed: inc.LevelConfirmed,
		Scope:          string(inc.Scope),
		Nature:         string(inc.Nature),
		AffectedAssets: inc.AffectedAssets,
		OccurredAt:     utcPtr(inc.OccurredAt),
		AckedAt:        utcPtr(inc.AckedAt),
		AckedBy:        actorPtrToDoc(inc.AckedBy),
		Drill:          inc.Drill,
		Restricted:     inc.Restricted,
		Source:         inc.Source,
		Reporter:       actorToDoc(inc.Reporter),
		Participants:   inc.Participants,
		Stage:          string(inc.Stage),
		CreatedAt:      inc.CreatedAt.UTC(),
		UpdatedAt:      inc.UpdatedAt.UTC(),
		DedupKey:       inc.DedupKey,
		Occurrences:    inc.Occurrences,
		IdempotencyKey: inc.IdempotencyKey,
		RequestHash:    inc.RequestHash,
		OccurrenceKeys: inc.OccurrenceKeys,
		AssessmentNote: inc.AssessmentNote,
		Plan:           planToDoc(inc.Plan),
		TaskSeq:        inc.TaskSeq,
		Review:         reviewToDoc(inc.Review),
		Rejection: rejectionDoc{
			Reason:      string(inc.Rejection.Reason),
			Note:        inc.Rejection.Note,
			DuplicateOf: inc.Rejection.DuplicateOf,
		},
	}
	if inc.Stage.Open() {
		d.OpenDedupKey = inc.DedupKey
	}
	d.Named, d.Teams = audienceKeys(inc)
	if len(inc.StageEnteredAt) > 0 {
		d.StageEnteredAt = make(map[string]time.Time, len(inc.StageEnteredAt))
		for s, t := range inc.StageEnteredAt {
			d.StageEnteredAt[string(s)] = t.UTC()
		}
	}
	for _, a := range inc.Assignees {
		d.Assignees = append(d.Assignees, assigneeDoc(a))
	}
	for _, t := range inc.Tasks {
		d.Tasks = append(d.Tasks, taskToDoc(t))
	}
	for _, e := range inc.Timeline {
		d.Timeline = append(d.Timeline, entryToDoc(e))
	}
	return d, nil
}

// entryToDoc converts one timeline entry.
func entryToDoc(e incident.Entry) entryDoc {
	ed := entryDoc{At: e.At.UTC(), Actor: actorToDoc(e.Actor), Kind: string(e.Kind),
		From: e.From, To: e.To, Reason: e.Reason, Note: e.Note, Task: e.Task}
	for _, c := range e.Changes {
		ed.Changes = append(ed.Changes, fieldChangeDoc(c))
	}
	return ed
}

// incidentFromDoc converts a stored incident to the domain type.
func incidentFromDoc(d *incidentDoc) *incident.Incident {
	inc := &incident.Incident{
		ID:             d.ID.Hex(),
		Number:         d.Number,
		Version:        d.Version,
		Title:          d.Title,
		Description:    d.Description,
		Category:       incident.Category(d.Category),
		SuggestedLevel: incident.Level(d.SuggestedLevel),
		Level:          incident.Level(d.Level),
		LevelConfirmed: d.LevelConfirmed,
		Scope:          incident.Scope(d.Scope),
		Nature:         incident.Nature(d.Nature),
		AffectedAssets: d.AffectedAssets,
		OccurredAt:     utcPtr(d.OccurredAt),
		AckedAt:        utcPtr(d.AckedAt),
		AckedBy:        actorPtrFromDoc(d.AckedBy),
		Drill:          d.Drill,
		Restricted:     d.Restricted,
		Source:         d.Source,
		Reporter:       actorFromDoc(d.Reporter),
		Participants:   d.Participants,
		Stage:          incident.Stage(d.Stage),
		StageEnteredAt: make(map[incident.Stage]time.Time, len(d.StageEnteredAt)),
		CreatedAt:      d.CreatedAt.UTC(),
		UpdatedAt:      d.UpdatedAt.UTC(),
		DedupKey:       d.DedupKey,
		Occurrences:    d.Occurrences,
		IdempotencyKey: d.IdempotencyKey,
		RequestHash:    d.RequestHash,
		OccurrenceKeys: d.OccurrenceKeys,
		AssessmentNote: d.AssessmentNote,
		Plan:           planFromDoc(d.Plan),
		TaskSeq:        d.TaskSeq,
		Review:         reviewFromDoc(d.Review),
		Rejection: incident.Rejection{
			Reason:      incident.RejectReason(d.Rejection.Reason),
			Note:        d.Rejection.Note,
			DuplicateOf: d.Rejection.DuplicateOf,
		},
	}
	for s, t := range d.StageEnteredAt {
		inc.StageEnteredAt[incident.Stage(s)] = t.UTC()
	}
	for _, a := range d.Assignees {
		inc.Assignees = append(inc.Assignees, incident.Assignee(a))
	}
	for _, t := range d.Tasks {
		inc.Tasks = append(inc.Tasks, taskFromDoc(t))
	}
	for _, ed := range d.Timeline {
		e := incident.Entry{At: ed.At.UTC(), Actor: actorFromDoc(ed.Actor), Kind: incident.EntryKind(ed.Kind),
			From: ed.From, To: ed.To, Reason: ed.Reason, Note: ed.Note, Task: ed.Task}
		for _, c := range ed.Changes {
			e.Changes = append(e.Changes, incident.FieldChange(c))
		}
		inc.Timeline = append(inc.Timeline, e)
	}
	return inc
}

// audienceKeys are the people inc names and the teams assigned to it, as
// access.Admits reads them.
func audienceKeys(inc *incident.Incident) (named, teams []string) {
	add := func(list []string, v string) []string {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
		return list
	}
	for _, p := range inc.Participants {
		named = add(named, p)
	}
	for _, a := range inc.Assignees {
		switch a.Kind {
		case incident.AssigneePerson:
			named = add(named, a.Name)
		case incident.AssigneeTeam:
			teams = add(teams, a.Name)
		}
	}
	for _, t := range inc.Tasks {
		if t.AssigneeKind == incident.AssignPerson {
			named = add(named, t.Assignee)
		}
	}
	return named, teams
}

func actorToDoc(a incident.Actor) actorDoc { return actorDoc(a) }

func actorFromDoc(d actorDoc) incident.Actor { return incident.Actor(d) }

func actorPtrToDoc(a *incident.Actor) *actorDoc {
	if a == nil {
		return nil
	}
	d := actorToDoc(*a)
	return &d
}

func actorPtrFromDoc(d *actorDoc) *incident.Actor {
	if d == nil {
		return nil
	}
	a := actorFromDoc(*d)
	return &a
}

// utcPtr returns a copy of *t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
