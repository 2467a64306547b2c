package share

import (
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// View is the desensitized shared view of an incident: the overview and
// the sections the deciding grant or rule covers, every text masked but
// for the classes it reveals.
type View struct {
	Number     string
	Title      string
	Level      incident.Level
	Category   incident.Category
	Stage      incident.Stage
	Drill      bool
	ReportedAt time.Time
	ClosedAt   *time.Time
	Sections   []Section // shown, in order
	Basis      Basis
	By         string

	Description *ViewDescription
	Assets      []string
	Timeline    []ViewEntry
	Measures    []ViewTask
	Review      *ViewReview
	Contacts    []ViewContact
	// Masked counts the masked values by class.
	Masked map[Class]int
}

// ViewDescription is the Description section.
type ViewDescription struct {
	Text       string
	Scope      incident.Scope
	Nature     incident.Nature
	OccurredAt *time.Time
}

// ViewEntry is one timeline line.
type ViewEntry struct {
	At    time.Time
	Actor string // masked
	Kind  incident.EntryKind
	From  string
	To    string
	Text  string // reason and note, masked
}

// ViewTask is one response measure.
type ViewTask struct {
	Title    string
	Stage    string
	Status   string
	Assignee string // masked
	Result   string
}

// ViewReview is the review section.
type ViewReview struct {
	Summary   string
	RootCause string
	Lessons   string
	Actions   []string
}

// ViewContact is one person involved, by role.
type ViewContact struct {
	Role string // reporter, participant, assignee
	Name string // masked unless Names is revealed
}

// BuildView renders inc for verdict v through m.
func BuildView(inc *incident.Incident, v Verdict, m *Masker) View { panic("not built") }

// Markdown renders the view as a Markdown document (a copy's format).
func (v View) Markdown(lang string) []byte { panic("not built") }
