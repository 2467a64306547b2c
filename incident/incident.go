package incident

import (
	"fmt"
	"time"
)

// Actor is who did something: a signed-in person, an API token's owner or
// the system itself.
type Actor struct {
	ID   string
	Name string
	// Username is the account's username, which is also the person's id in
	// the contact roster: notifications about the actor's work (a declined
	// task, a plan decision) go to this person. Empty for System and for
	// callers without an account (the bootstrap token).
	Username string
}

// System is the actor of changes Tocsin makes on its own.
var System = Actor{ID: "system", Name: "Tocsin"}

// Incident is one reported security event and everything done about it.
type Incident struct {
	ID      string // store-assigned, opaque
	Number  string // human-friendly, unique: INC-2026-000042
	Version int64  // bumped by every change; updates name the version they saw

	Title          string
	Description    string
	Category       Category
	SuggestedLevel Level // what the reporter thought
	Level          Level // the level in force: suggested until confirmed
	LevelConfirmed bool
	Scope          Scope
	Nature         Nature
	AffectedAssets []string
	OccurredAt     *time.Time
	Drill          bool   // a training run: kept apart in statistics
	Source         string // web, api, chat

	// Restricted limits who sees the incident to the people it names,
	// managers and auditors, and strips its notifications to its number
	// and link (SetRestrictedLoaded).
	Restricted bool

	Reporter     Actor
	Participants []string // ids of people working the incident (they may see it)

	Stage          Stage
	StageEnteredAt map[Stage]time.Time
	AckedAt        *time.Time // when someone took the incident on; stops the acknowledgement chain
	AckedBy        *Actor
	CreatedAt      time.Time
	UpdatedAt      time.Time

	DedupKey       string
	Occurrences    int      // reports attached to this incident, the first included
	IdempotencyKey string   // of the request that created it (scoped by caller)
	RequestHash    string   // fingerprint of that request, to detect key reuse
	OccurrenceKeys []string // idempotency keys of the reports attached later

	AssessmentNote string
	Plan           ResponsePlan
	Assignees      []Assignee
	Tasks          []Task
	TaskSeq        int // tasks numbered so far: ids are never reused, even after a removal
	Review         ReviewReport
	Rejection      Rejection

	Timeline []Entry
}

// Assignee is a resource called in at dispatch: a team or person of the
// organization, or an external vendor or agency (DOMAIN.md, 资源调配).
type Assignee struct {
	Kind    string // team, person, vendor
	Name    string
	ID      string // the roster id of a team or person; a vendor's name
	Contact string // how to reach a vendor
}

// ReviewReport is the post-incident review written at the review stage.
type ReviewReport struct {
	Summary     string
	RootCause   string
	Lessons     string
	SignedOffBy *Actor
	SignedOffAt *time.Time

	Impact    Impact
	WentWell  string // evaluation of the response: what worked
	WentBadly string // and what did not
	Actions   []CorrectiveAction
	ActionSeq int           // actions numbered so far: ids are never reused
	Returned  *ReviewReturn // the last time a manager sent the review back, until sign-off
	DraftedAt *time.Time
	Returns   int // how many times it was sent back
}

// RejectReason says why a report was not taken on.
type RejectReason string

// Rejection reasons.
const (
	FalsePositive RejectReason = "false_positive"
	Duplicate     RejectReason = "duplicate"
)

// Rejection records why and into what a report was rejected.
type Rejection struct {
	Reason      RejectReason
	Note        string
	DuplicateOf string // number of the original incident
}

// EntryKind classifies timeline entries.
type EntryKind string

// Timeline entry kinds.
const (
	EntryReported   EntryKind = "reported"
	EntryOccurrence EntryKind = "occurrence"
	EntryStage      EntryKind = "stage"
	EntryLevel      EntryKind = "level"
	EntryMerged     EntryKind = "merged"
	EntryAck        EntryKind = "acknowledged"
	EntryEscalation EntryKind = "escalation"      // a step of the chain was paged (or skipped, with why)
	EntryDeadline   EntryKind = "deadline_missed" // a stage deadline passed; counts in statistics
)

// Entry is one line of an incident's timeline: who did what, when, and what
// changed from what to what.
type Entry struct {
	At      time.Time
	Actor   Actor
	Kind    EntryKind
	From    string // stage or level before, when the entry moves one
	To      string
	Reason  string
	Note    string
	Changes []FieldChange
	Task    string // the task the entry is about, for task entries
}

// FieldChange is one field's value before and after a change.
type FieldChange struct {
	Field  string
	Before string
	After  string
}

// FormatNumber renders a per-year sequence number as INC-2026-000042.
func FormatNumber(year int, seq int64) string { return fmt.Sprintf("INC-%d-%06d", year, seq) }

// Clone returns a deep copy of inc, so a decision can change it freely.
func (inc *Incident) Clone() *Incident {
	c := *inc
	c.AffectedAssets = append([]string(nil), inc.AffectedAssets...)
	c.Participants = append([]string(nil), inc.Participants...)
	c.OccurrenceKeys = append([]string(nil), inc.OccurrenceKeys...)
	c.Assignees = append([]Assignee(nil), inc.Assignees...)
	c.Tasks = make([]Task, len(inc.Tasks))
	for i, t := range inc.Tasks {
		c.Tasks[i] = t.clone()
	}
	if inc.Tasks == nil {
		c.Tasks = nil
	}
	c.Plan = inc.Plan.clone()
	c.Review = inc.Review.clone()
	c.Timeline = append([]Entry(nil), inc.Timeline...)
	if inc.AckedAt != nil {
		t := *inc.AckedAt
		c.AckedAt = &t
	}
	if inc.AckedBy != nil {
		a := *inc.AckedBy
		c.AckedBy = &a
	}
	c.StageEnteredAt = make(map[Stage]time.Time, len(inc.StageEnteredAt))
	for k, v := range inc.StageEnteredAt {
		c.StageEnteredAt[k] = v
	}
	return &c
}

// Age is how long the incident has been open at now.
func (inc *Incident) Age(now time.Time) time.Duration { return now.Sub(inc.CreatedAt) }
