package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// The roster's collections. People, teams and departments are keyed by
// their own ids (a department by its name), policies by level; overrides
// and handovers get ObjectIDs, whose hex form grows with creation time as
// escalation.Override's tie-break expects.
const (
	colPeople      = "people"
	colTeams       = "teams"
	colDepartments = "departments"
	colOverrides   = "overrides"
	colHandovers   = "handovers"
	colPolicies    = "escalation_policies"
)

// Rosters keeps the contact roster and the escalation policies. It
// implements escalation.RosterStore.
//
// References between documents (members, leads, liaisons, policy targets)
// are checked when saving and deleting, by reading before writing: without
// transactions a concurrent change can still leave one dangling, which
// escalation.Resolve turns into a skipped step with its reason on the
// timeline rather than a lost page.
type Rosters struct {
	people      *mongo.Collection
	teams       *mongo.Collection
	departments *mongo.Collection
	overrides   *mongo.Collection
	handovers   *mongo.Collection
	policies    *mongo.Collection
}

var _ escalation.RosterStore = (*Rosters)(nil)

// Rosters is the roster store.
func (db *DB) Rosters() *Rosters {
	return &Rosters{
		people:      db.db.Collection(colPeople),
		teams:       db.db.Collection(colTeams),
		departments: db.db.Collection(colDepartments),
		overrides:   db.db.Collection(colOverrides),
		handovers:   db.db.Collection(colHandovers),
		policies:    db.db.Collection(colPolicies),
	}
}

// --- documents and converters ---

type contactDoc struct {
	Kind  string `bson:"kind"`
	Value string `bson:"value"`
}

type personDoc struct {
	ID         string       `bson:"_id"`
	Name       string       `bson:"name"`
	Roles      []string     `bson:"roles,omitempty"`
	Department string       `bson:"department,omitempty"`
	TimeZone   string       `bson:"time_zone,omitempty"`
	Contacts   []contactDoc `bson:"contacts,omitempty"`
}

type rotationDoc struct {
	Participants   []string  `bson:"participants"`
	Interval       string    `bson:"interval"`
	LengthNS       int64     `bson:"length_ns,omitempty"`
	HandoffTime    string    `bson:"handoff_time,omitempty"`
	HandoffWeekday int       `bson:"handoff_weekday"`
	TimeZone       string    `bson:"time_zone"`
	Start          time.Time `bson:"start"`
}

type teamDoc struct {
	ID       string       `bson:"_id"`
	Name     string       `bson:"name"`
	Kind     string       `bson:"kind"`
	Members  []string     `bson:"members,omitempty"`
	Lead     string       `bson:"lead,omitempty"`
	Critical bool         `bson:"critical"`
	Rotation *rotationDoc `bson:"rotation,omitempty"`
}

type departmentDoc struct {
	Name    string `bson:"_id"`
	Liaison string `bson:"liaison"`
}

type overrideDoc struct {
	ID       bson.ObjectID `bson:"_id"`
	Team     string        `bson:"team"`
	Person   string        `bson:"person,omitempty"`
	Replaces string        `bson:"replaces,omitempty"`
	Start    time.Time     `bson:"start"`
	End      time.Time     `bson:"end"`
	Note     string        `bson:"note,omitempty"`
}

type handoverDoc struct {
	ID        bson.ObjectID `bson:"_id"`
	Team      string        `bson:"team"`
	Outgoing  string        `bson:"outgoing,omitempty"`
	Incoming  string        `bson:"incoming,omitempty"`
	At        time.Time     `bson:"at"`
	Note      string        `bson:"note"`
	WrittenBy string        `bson:"written_by"`
}

type targetDoc struct {
	Kind   string `bson:"kind"`
	Team   string `bson:"team,omitempty"`
	Person string `bson:"person,omitempty"`
	Role   string `bson:"role,omitempty"`
}

type stepDoc struct {
	Target  targetDoc `bson:"target"`
	DelayNS int64     `bson:"delay_ns"`
	Repeat  int       `bson:"repeat"`
}

type deadlinesDoc struct {
	AckNS      int64 `bson:"ack_ns"`
	ConfirmNS  int64 `bson:"confirm_ns"`
	DispatchNS int64 `bson:"dispatch_ns"`
	HandleNS   int64 `bson:"handle_ns"`
}

type policyDoc struct {
	Level     string       `bson:"_id"`
	Steps     []stepDoc    `bson:"steps"`
	Deadlines deadlinesDoc `bson:"deadlines"`
}

func personToDoc(p escalation.Person) personDoc {
	d := personDoc{ID: p.ID, Name: p.Name, Department: p.Department, TimeZone: p.TimeZone}
	for _, r := range p.Roles {
		d.Roles = append(d.Roles, string(r))
	}
	for _, c := range p.Contacts {
		d.Contacts = append(d.Contacts, contactDoc{Kind: string(c.Kind), Value: c.Value})
	}
	return d
}

func personFromDoc(d personDoc) escalation.Person {
	p := escalation.Person{ID: d.ID, Name: d.Name, Department: d.Department, TimeZone: d.TimeZone}
	for _, r := range d.Roles {
		p.Roles = append(p.Roles, escalation.Role(r))
	}
	for _, c := range d.Contacts {
		p.Contacts = append(p.Contacts, escalation.Contact{Kind: escalation.ContactKind(c.Kind), Value: c.Value})
	}
	return p
}

func teamToDoc(t escalation.Team) teamDoc {
	d := teamDoc{ID: t.ID, Name: t.Name, Kind: string(t.Kind), Members: t.Members, Lead: t.Lead, Critical: t.Critical}
	if r := t.Rotation; r != nil {
		d.Rotation = &rotationDoc{Participants: r.Participants, Interval: string(r.Interval), LengthNS: int64(r.Length),
			HandoffTime: r.HandoffTime, HandoffWeekday: int(r.HandoffWeekday), TimeZone: r.TimeZone, Start: r.Start.UTC()}
	}
	return d
}

func teamFromDoc(d teamDoc) escalation.Team {
	t := escalation.Team{ID: d.ID, Name: d.Name, Kind: escalation.TeamKind(d.Kind), Members: d.Members, Lead: d.Lead, Critical: d.Critical}
	if r := d.Rotation; r != nil {
		t.Rotation = &escalation.Rotation{Participants: r.Participants, Interval: escalation.Interval(r.Interval),
			Length: escalation.Duration(r.LengthNS), HandoffTime: r.HandoffTime, HandoffWeekday: time.Weekday(r.HandoffWeekday),
			TimeZone: r.TimeZone, Start: r.Start.UTC()}
	}
	return t
}

func overrideToDoc(o escalation.Override, id bson.ObjectID) overrideDoc {
	return overrideDoc{ID: id, Team: o.Team, Person: o.Person, Replaces: o.Replaces, Start: o.Start.UTC(), End: o.End.UTC(), Note: o.Note}
}

func overrideFromDoc(d overrideDoc) escalation.Override {
	return escalation.Override{ID: d.ID.Hex(), Team: d.Team, Person: d.Person, Replaces: d.Replaces,
		Start: d.Start.UTC(), End: d.End.UTC(), Note: d.Note}
}

func handoverToDoc(h escalation.Handover, id bson.ObjectID) handoverDoc {
	return handoverDoc{ID: id, Team: h.Team, Outgoing: h.Outgoing, Incoming: h.Incoming, At: h.At.UTC(), Note: h.Note, WrittenBy: h.WrittenBy}
}

func handoverFromDoc(d handoverDoc) escalation.Handover {
	return escalation.Handover{ID: d.ID.Hex(), Team: d.Team, Outgoing: d.Outgoing, Incoming: d.Incoming,
		At: d.At.UTC(), Note: d.Note, WrittenBy: d.WrittenBy}
}

func policyToDoc(p escalation.Policy) policyDoc {
	d := policyDoc{Level: string(p.Level), Steps: make([]stepDoc, len(p.Steps)), Deadlines: deadlinesDoc{
		AckNS: int64(p.Deadlines.Ack), ConfirmNS: int64(p.Deadlines.Confirm),
		DispatchNS: int64(p.Deadlines.Dispatch), HandleNS: int64(p.Deadlines.Handle)}}
	for i, s := range p.Steps {
		d.Steps[i] = stepDoc{Target: targetDoc{Kind: string(s.Target.Kind), Team: s.Target.Team, Person: s.Target.Person,
			Role: string(s.Target.Role)}, DelayNS: int64(s.Delay), Repeat: s.Repeat}
	}
	return d
}

func policyFromDoc(d policyDoc) escalation.Policy {
	p := escalation.Policy{Level: incident.Level(d.Level), Steps: make([]escalation.Step, len(d.Steps)), Deadlines: escalation.Deadlines{
		Ack: escalation.Duration(d.Deadlines.AckNS), Confirm: escalation.Duration(d.Deadlines.ConfirmNS),
		Dispatch: escalation.Duration(d.Deadlines.DispatchNS), Handle: escalation.Duration(d.Deadlines.HandleNS)}}
	for i, s := range d.Steps {
		p.Steps[i] = escalation.Step{Target: escalation.Target{Kind: escalation.TargetKind(s.Target.Kind), Team: s.Target.Team,
			Person: s.Target.Person, Role: escalation.Role(s.Target.Role)}, Delay: escalation.Duration(s.DelayNS), Repeat: s.Repeat}
	}
	return p
}

// --- people ---

// SavePerson creates or replaces the person with p.ID. Its department is
// not checked: a department needs a liaison who exists, so people come
// first (escalation.ValidateRoster reports a department that never came).
func (r *Rosters) SavePerson(ctx context.Context, p escalation.Person) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := replace(ctx, r.people, p.ID, personToDoc(p)); err != nil {
		return fmt.Errorf("save person %s: %w", p.ID, err)
	}
	return nil
}

// DeletePerson removes a person who is neither a team member, a
// department's liaison nor a policy's target.
func (r *Rosters) DeletePerson(ctx context.Context, id string) error {
	teams, err := r.Teams(ctx)
	if err != nil {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	for _, t := range teams {
		if t.HasMember(id) {
			return fmt.Errorf("delete person %s: a member of team %s: %w", id, t.ID, escalation.ErrInUse)
		}
	}
	depts, err := r.Departments(ctx)
	if err != nil {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	for _, d := range depts {
		if d.Liaison == id {
			return fmt.Errorf("delete person %s: liaison of %s: %w", id, d.Name, escalation.ErrInUse)
		}
	}
	ps, err := r.Policies(ctx)
	if err != nil {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	for _, p := range ps {
		for i, s := range p.Steps {
			if s.Target.Kind == escalation.TargetPerson && s.Target.Person == id {
				return fmt.Errorf("delete person %s: paged by step %d of the %s policy: %w", id, i+1, p.Level, escalation.ErrInUse)
			}
		}
	}
	if err := deleteByID(ctx, r.people, id); err != nil {
		return fmt.Errorf("delete person %s: %w", id, err)
	}
	return nil
}

// People returns every person, by id.
func (r *Rosters) People(ctx context.Context) ([]escalation.Person, error) {
	var docs []personDoc
	if err := findSorted(ctx, r.people, bson.D{}, bson.D{{Key: "_id", Value: 1}}, 0, &docs); err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	out := make([]escalation.Person, len(docs))
	for i, d := range docs {
		out[i] = personFromDoc(d)
	}
	return out, nil
}

// --- teams ---

// SaveTeam creates or replaces the team with t.ID after checking that its
// members exist.
func (r *Rosters) SaveTeam(ctx context.Context, t escalation.Team) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if len(t.Members) > 0 {
		cur, err := r.people.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: t.Members}}}},
			options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return fmt.Errorf("save team %s: %w", t.ID, err)
		}
		var found []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &found); err != nil {
			return fmt.Errorf("save team %s: %w", t.ID, err)
		}
		known := map[string]bool{}
		for _, f := range found {
			known[f.ID] = true
		}
		var e *incident.InvalidError
		for i, m := range t.Members {
			if !known[m] {
				if e == nil {
					e = &incident.InvalidError{Fields: map[string]incident.Message{}}
				}
				e.Fields[fmt.Sprintf("members[%d]", i)] = incident.Message{EN: "no such person", ZH: "人员不存在"}
			}
		}
		if e != nil {
			return e
		}
	}
	if err := replace(ctx, r.teams, t.ID, teamToDoc(t)); err != nil {
		return fmt.Errorf("save team %s: %w", t.ID, err)
	}
	return nil
}

// DeleteTeam removes a team that no escalation policy (stored or default)
// pages. Its overrides and handovers stay, as history.
func (r *Rosters) DeleteTeam(ctx context.Context, id string) error {
	ps, err := r.Policies(ctx)
	if err != nil {
		return fmt.Errorf("delete team %s: %w", id, err)
	}
	for _, p := range ps {
		for i, s := range p.Steps {
			if s.Target.Kind != escalation.TargetPerson && s.Target.Team == id {
				return fmt.Errorf("delete team %s: paged by step %d of the %s policy: %w", id, i+1, p.Level, escalation.ErrInUse)
			}
		}
	}
	if err := deleteByID(ctx, r.teams, id); err != nil {
		return fmt.Errorf("delete team %s: %w", id, err)
	}
	return nil
}

// Teams returns every team, by id.
func (r *Rosters) Teams(ctx context.Context) ([]escalation.Team, error) {
	var docs []teamDoc
	if err := findSorted(ctx, r.teams, bson.D{}, bson.D{{Key: "_id", Value: 1}}, 0, &docs); err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	out := make([]escalation.Team, len(docs))
	for i, d := range docs {
		out[i] = teamFromDoc(d)
	}
	return out, nil
}

// --- departments ---

// SaveDepartment creates or replaces the department named d.Name after
// checking that its liaison exists.
func (r *Rosters) SaveDepartment(ctx context.Context, d escalation.Department) error {
	if err := d.Validate(); err != nil {
		return err
	}
	err := r.people.FindOne(ctx, bson.D{{Key: "_id", Value: d.Liaison}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return &incident.InvalidError{Fields: map[string]incident.Message{"liaison": {EN: "no such person", ZH: "人员不存在"}}}
	}
	if err != nil {
		return fmt.Errorf("save department %s: %w", d.Name, err)
	}
	if err := replace(ctx, r.departments, d.Name, departmentDoc(d)); err != nil {
		return fmt.Errorf("save department %s: %w", d.Name, err)
	}
	return nil
}

// DeleteDepartment removes the department named name, which no person may
// still belong to (escalation.ErrInUse); escalation.ErrNotFound when there
// is none.
func (r *Rosters) DeleteDepartment(ctx context.Context, name string) error {
	people, err := r.People(ctx)
	if err != nil {
		return fmt.Errorf("delete department %s: %w", name, err)
	}
	for _, p := range people {
		if p.Department == name {
			return fmt.Errorf("delete department %s: %s belongs to it: %w", name, p.ID, escalation.ErrInUse)
		}
	}
	if err := deleteByID(ctx, r.departments, name); err != nil {
		return fmt.Errorf("delete department %s: %w", name, err)
	}
	return nil
}

// Departments returns every department, by name.
func (r *Rosters) Departments(ctx context.Context) ([]escalation.Department, error) {
	var docs []departmentDoc
	if err := findSorted(ctx, r.departments, bson.D{}, bson.D{{Key: "_id", Value: 1}}, 0, &docs); err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	out := make([]escalation.Department, len(docs))
	for i, d := range docs {
		out[i] = escalation.Department(d)
	}
	return out, nil
}

// --- overrides ---

// SaveOverride stores o under a new id when o.ID is empty, and replaces the
// override o.ID otherwise (escalation.ErrNotFound for an id this store did
// not give out).
func (r *Rosters) SaveOverride(ctx context.Context, o escalation.Override) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	id := bson.NewObjectID()
	if o.ID != "" {
		var err error
		if id, err = bson.ObjectIDFromHex(o.ID); err != nil {
			return "", fmt.Errorf("save override %s: %w", o.ID, escalation.ErrNotFound)
		}
	}
	if err := replace(ctx, r.overrides, id, overrideToDoc(o, id)); err != nil {
		return "", fmt.Errorf("save override of %s: %w", o.Team, err)
	}
	return id.Hex(), nil
}

// DeleteOverride removes an override.
func (r *Rosters) DeleteOverride(ctx context.Context, id string) error {
	oid, err := bson.ObjectIDFromHex(id)
	if err == nil {
		err = deleteByID(ctx, r.overrides, oid)
	} else {
		err = escalation.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete override %s: %w", id, err)
	}
	return nil
}

// Overrides returns the overrides of every team that overlap [from, to),
// by start.
func (r *Rosters) Overrides(ctx context.Context, from, to time.Time) ([]escalation.Override, error) {
	filter := bson.D{
		{Key: "start", Value: bson.D{{Key: "$lt", Value: to.UTC()}}},
		{Key: "end", Value: bson.D{{Key: "$gt", Value: from.UTC()}}},
	}
	return r.findOverrides(ctx, filter)
}

func (r *Rosters) findOverrides(ctx context.Context, filter bson.D) ([]escalation.Override, error) {
	var docs []overrideDoc
	if err := findSorted(ctx, r.overrides, filter, bson.D{{Key: "start", Value: 1}, {Key: "_id", Value: 1}}, 0, &docs); err != nil {
		return nil, fmt.Errorf("list overrides: %w", err)
	}
	out := make([]escalation.Override, len(docs))
	for i, d := range docs {
		out[i] = overrideFromDoc(d)
	}
	return out, nil
}

// --- handovers ---

// SaveHandover stores a new handover note and returns its id.
func (r *Rosters) SaveHandover(ctx context.Context, h escalation.Handover) (string, error) {
	if err := h.Validate(); err != nil {
		return "", err
	}
	id := bson.NewObjectID()
	if _, err := r.handovers.InsertOne(ctx, handoverToDoc(h, id)); err != nil {
		return "", fmt.Errorf("save handover of %s: %w", h.Team, err)
	}
	return id.Hex(), nil
}

// Handover list sizes.
const (
	defaultHandovers = 20
	maxHandovers     = 500
)

// Handovers returns the latest limit handovers of team, newest first.
func (r *Rosters) Handovers(ctx context.Context, team string, limit int) ([]escalation.Handover, error) {
	switch {
	case limit <= 0:
		limit = defaultHandovers
	case limit > maxHandovers:
		limit = maxHandovers
	}
	var docs []handoverDoc
	if err := findSorted(ctx, r.handovers, bson.D{{Key: "team", Value: team}},
		bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}, limit, &docs); err != nil {
		return nil, fmt.Errorf("list handovers of %s: %w", team, err)
	}
	out := make([]escalation.Handover, len(docs))
	for i, d := range docs {
		out[i] = handoverFromDoc(d)
	}
	return out, nil
}

// --- policies ---

// SavePolicy replaces the policy of p.Level.
func (r *Rosters) SavePolicy(ctx context.Context, p escalation.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := replace(ctx, r.policies, string(p.Level), policyToDoc(p)); err != nil {
		return fmt.Errorf("save %s policy: %w", p.Level, err)
	}
	return nil
}

// Policies returns one policy per level, from the least grave: the stored
// one, or the level's default. A stored policy that no longer validates
// (edited by hand) is an error rather than a silent default.
func (r *Rosters) Policies(ctx context.Context) ([]escalation.Policy, error) {
	var docs []policyDoc
	if err := findSorted(ctx, r.policies, bson.D{}, bson.D{{Key: "_id", Value: 1}}, 0, &docs); err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	stored := map[incident.Level]escalation.Policy{}
	for _, d := range docs {
		p := policyFromDoc(d)
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("stored %s policy: %w", p.Level, err)
		}
		stored[p.Level] = p
	}
	out := escalation.DefaultPolicies()
	for i, p := range out {
		if s, ok := stored[p.Level]; ok {
			out[i] = s
		}
	}
	return out, nil
}

// --- the whole roster ---

// Load returns the roster as of at (every person and team, the overrides
// not ended by at) and the policies, in four reads.
func (r *Rosters) Load(ctx context.Context, at time.Time) (*escalation.Roster, []escalation.Policy, error) {
	people, err := r.People(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load roster: %w", err)
	}
	teams, err := r.Teams(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load roster: %w", err)
	}
	ovs, err := r.findOverrides(ctx, bson.D{{Key: "end", Value: bson.D{{Key: "$gt", Value: at.UTC()}}}})
	if err != nil {
		return nil, nil, fmt.Errorf("load roster: %w", err)
	}
	ps, err := r.Policies(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load roster: %w", err)
	}
	return escalation.NewRoster(people, teams, ovs), ps, nil
}

// --- helpers ---

// replace upserts doc under id.
func replace(ctx context.Context, col *mongo.Collection, id, doc any) error {
	_, err := col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true))
	return err
}

// deleteByID removes the document id, or returns escalation.ErrNotFound.
func deleteByID(ctx context.Context, col *mongo.Collection, id any) error {
	res, err := col.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return escalation.ErrNotFound
	}
	return nil
}

// findSorted decodes the documents of col matching filter, in sort order,
// at most limit of them (all for 0), into docs.
func findSorted(ctx context.Context, col *mongo.Collection, filter, sort bson.D, limit int, docs any) error {
	opts := options.Find().SetSort(sort)
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := col.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, docs)
}
