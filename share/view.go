package share

import (
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// View is the desensitized shared view of an incident: the overview and
// the sections the deciding grant or rule covers, every text masked but
// for the classes it reveals. It carries nothing internal: no store ids,
// versions, dedup or idempotency keys, evidence files or contact details
// of vendors.
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
	// At is when the view was made; the caller sets it (BuildView has no
	// clock), and Markdown shows its date.
	At time.Time

	Description *ViewDescription
	Assets      []string
	Timeline    []ViewEntry
	// Plan is the response plan's extra measures (Measures section).
	Plan     string
	Measures []ViewTask
	Review   *ViewReview
	Contacts []ViewContact
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
	TitleZH  string // the Chinese title, when the task has one
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

// Contact roles.
const (
	RoleReporter    = "reporter"
	RoleParticipant = "participant"
	RoleAssignee    = "assignee"
)

// BuildView renders inc for verdict v through m: the overview always, the
// sections v covers in display order, every text masked with v.Reveal and
// the incident's own people's names.
func BuildView(inc *incident.Incident, v Verdict, m *Masker) View {
	b := &viewBuilder{m: m, reveal: v.Reveal, names: PeopleNames(inc), masked: map[Class]int{}}
	view := View{
		Number:     inc.Number,
		Title:      b.text(inc.Title),
		Level:      inc.Level,
		Category:   inc.Category,
		Stage:      inc.Stage,
		Drill:      inc.Drill,
		ReportedAt: inc.CreatedAt,
		Basis:      v.Basis,
		By:         v.By,
	}
	if inc.Stage == incident.Closed {
		if t, ok := inc.StageEnteredAt[incident.Closed]; ok {
			view.ClosedAt = &t
		}
	}
	for _, s := range Sections() {
		if s != Overview && !slices.Contains(v.Sections, s) {
			continue
		}
		view.Sections = append(view.Sections, s)
		switch s {
		case Description:
			d := &ViewDescription{Text: b.text(inc.Description), Scope: inc.Scope, Nature: inc.Nature}
			if inc.OccurredAt != nil {
				t := *inc.OccurredAt
				d.OccurredAt = &t
			}
			view.Description = d
		case Assets:
			view.Assets = []string{}
			for _, a := range inc.AffectedAssets {
				view.Assets = append(view.Assets, b.text(a))
			}
		case Timeline:
			view.Timeline = []ViewEntry{}
			for _, e := range inc.Timeline {
				view.Timeline = append(view.Timeline, ViewEntry{
					At: e.At, Actor: b.text(actorName(e.Actor)), Kind: e.Kind,
					From: b.text(e.From), To: b.text(e.To),
					Text: b.text(joinNonEmpty(" — ", e.Reason, e.Note)),
				})
			}
		case Measures:
			view.Plan = b.text(inc.Plan.Measures)
			view.Measures = []ViewTask{}
			for _, t := range inc.Tasks {
				view.Measures = append(view.Measures, ViewTask{
					Title: b.text(t.Title), TitleZH: b.text(t.TitleZH),
					Stage: string(t.Stage), Status: string(t.Status),
					Assignee: b.text(t.AssigneeName), Result: b.text(t.Result),
				})
			}
		case ReviewPart:
			r := inc.Review
			vr := &ViewReview{Summary: b.text(r.Summary), RootCause: b.text(r.RootCause), Lessons: b.text(r.Lessons), Actions: []string{}}
			for _, a := range r.Actions {
				vr.Actions = append(vr.Actions, b.text(a.Title)+" ["+string(a.Status)+"]")
			}
			view.Review = vr
		case Contacts:
			view.Contacts = b.contacts(inc)
		}
	}
	view.Masked = b.masked
	return view
}

// viewBuilder masks every text of one view and sums the counts.
type viewBuilder struct {
	m      *Masker
	reveal []Class
	names  []string
	masked map[Class]int
}

func (b *viewBuilder) text(s string) string {
	out, n := b.m.Mask(s, b.reveal, b.names)
	for c, k := range n {
		b.masked[c] += k
	}
	return out
}

// person shows a person's name: masked as a name unless names are
// revealed, then masked for the other classes (a name may be an address).
func (b *viewBuilder) person(name string) string {
	if slices.Contains(b.reveal, Names) {
		return b.text(name)
	}
	b.masked[Names]++
	return maskPersonName(name)
}

// contacts lists the reporter, the participants and the assignees, each
// once per role. Participants are known by id; only those whose name the
// incident records are listed (an id is internal). Teams and vendors are
// not people: their names are masked only for the other classes.
func (b *viewBuilder) contacts(inc *incident.Incident) []ViewContact {
	out := []ViewContact{}
	seen := map[string]bool{}
	add := func(role, name string, person bool) {
		name = strings.TrimSpace(name)
		if name == "" || seen[role+"\x00"+name] {
			return
		}
		seen[role+"\x00"+name] = true
		var shown string
		if person {
			shown = b.person(name)
		} else {
			shown = b.text(name)
		}
		out = append(out, ViewContact{Role: role, Name: shown})
	}
	if inc.Reporter.ID != incident.System.ID {
		add(RoleReporter, actorName(inc.Reporter), true)
	}
	known := map[string]string{} // id or username → name
	note := func(a *incident.Actor) {
		if a == nil || a.ID == incident.System.ID || a.Name == "" {
			return
		}
		known[a.ID] = a.Name
		if a.Username != "" {
			known[a.Username] = a.Name
		}
	}
	note(&inc.Reporter)
	note(inc.AckedBy)
	for i := range inc.Timeline {
		note(&inc.Timeline[i].Actor)
	}
	for _, a := range inc.Assignees {
		if a.Kind == string(incident.AssignPerson) && a.ID != "" {
			known[a.ID] = a.Name
		}
	}
	for _, t := range inc.Tasks {
		if t.AssigneeKind == incident.AssignPerson && t.Assignee != "" && t.AssigneeName != "" {
			known[t.Assignee] = t.AssigneeName
		}
	}
	for _, id := range inc.Participants {
		if n, ok := known[id]; ok {
			add(RoleParticipant, n, true)
		}
	}
	for _, a := range inc.Assignees {
		add(RoleAssignee, a.Name, a.Kind == string(incident.AssignPerson))
	}
	for _, t := range inc.Tasks {
		if t.Assignee != "" {
			add(RoleAssignee, firstNonEmpty(t.AssigneeName, t.Assignee), t.AssigneeKind == incident.AssignPerson)
		}
	}
	return out
}

// PeopleNames lists the names (and usernames) of the incident's people,
// which Mask hides wherever they appear in its texts: the reporter, who
// acknowledged it, timeline actors, participants, assignees, task
// assignees and whoever assigned or declined them, plan and review
// deciders and corrective action owners. Tocsin itself is not a person.
func PeopleNames(inc *incident.Incident) []string {
	var out []string
	add := func(ss ...string) {
		for _, s := range ss {
			s = strings.TrimSpace(s)
			if s != "" && s != incident.System.Name && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	actor := func(a *incident.Actor) {
		if a != nil && a.ID != incident.System.ID {
			add(a.Name, a.Username)
		}
	}
	actor(&inc.Reporter)
	actor(inc.AckedBy)
	for i := range inc.Timeline {
		actor(&inc.Timeline[i].Actor)
	}
	add(inc.Participants...)
	for _, a := range inc.Assignees {
		if a.Kind == string(incident.AssignPerson) {
			add(a.Name, a.ID)
		}
	}
	for _, t := range inc.Tasks {
		if t.AssigneeKind == incident.AssignPerson {
			add(t.AssigneeName, t.Assignee)
		}
		actor(t.AssignedBy)
		if t.Declined != nil {
			actor(&t.Declined.By)
		}
	}
	actor(inc.Plan.ApprovedBy)
	actor(inc.Plan.SubmittedBy)
	actor(inc.Plan.DecidedBy)
	actor(inc.Review.SignedOffBy)
	for _, a := range inc.Review.Actions {
		add(a.Owner)
	}
	return out
}

func actorName(a incident.Actor) string { return firstNonEmpty(a.Name, a.Username) }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func joinNonEmpty(sep string, ss ...string) string {
	var keep []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			keep = append(keep, s)
		}
	}
	return strings.Join(keep, sep)
}
