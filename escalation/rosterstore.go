package escalation

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Sentinel errors of roster storage; callers test them with errors.Is.
var (
	// ErrNotFound is returned for a person, team, override or policy that
	// does not exist.
	ErrNotFound = errors.New("not in the roster")
	// ErrInUse is returned when deleting something the roster still refers
	// to (a person who is a team member or a department's liaison, a team
	// an escalation policy pages).
	ErrInUse = errors.New("still referred to in the roster")
)

// Handover is the note an outgoing on-call person leaves the incoming one
// at a change of duty (DOMAIN.md: "a recorded handover at each change of
// duty").
type Handover struct {
	ID        string // store-assigned
	Team      string // team id
	Outgoing  string // person id; "" when nobody was on call before
	Incoming  string // person id; "" when the duty is left uncovered
	At        time.Time
	Note      string
	WrittenBy string // person or user id of the writer
}

// Validate checks a handover on its own.
func (h Handover) Validate() error {
	var e *incident.InvalidError
	checkID(&e, "team", h.Team)
	if h.Outgoing != "" {
		checkID(&e, "outgoing", h.Outgoing)
	}
	if h.Incoming != "" {
		checkID(&e, "incoming", h.Incoming)
	}
	if h.Outgoing == "" && h.Incoming == "" {
		invalid(&e, "incoming", "a handover names the outgoing or the incoming person", "交接需注明交班人或接班人")
	}
	if h.At.IsZero() {
		invalid(&e, "at", "a handover needs the time of the change of duty", "交接需要注明换班时间")
	}
	if n := strings.TrimSpace(h.Note); n == "" || len(n) > incident.MaxNote {
		invalid(&e, "note", "the handover note is required and at most 20000 bytes", "交接说明必填，最多 20000 字节")
	}
	if strings.TrimSpace(h.WrittenBy) == "" {
		invalid(&e, "written_by", "a handover needs its writer", "交接需要注明填写人")
	}
	return asError(e)
}

// RosterReader is what the escalator reads of the roster at fire time and
// for its cron jobs.
type RosterReader interface {
	// Load returns the roster as of at: every person and team, and the
	// overrides that have not ended by at (those in force then and those
	// still to come). It is the Directory that steps are resolved with.
	// The policies are one per level: the stored one, or the level's
	// default from DefaultPolicies.
	Load(ctx context.Context, at time.Time) (*Roster, []Policy, error)
	// Teams and People list the roster, by id.
	Teams(ctx context.Context) ([]Team, error)
	People(ctx context.Context) ([]Person, error)
	// Overrides returns the overrides overlapping [from, to), of every team.
	Overrides(ctx context.Context, from, to time.Time) ([]Override, error)
	// Policies returns one policy per level, as Load does.
	Policies(ctx context.Context) ([]Policy, error)
}

// RosterStore keeps the roster: people, teams with their rotations,
// departments with their liaisons, overrides, handover notes and the
// escalation policy of each level. Every Save validates with the type's
// Validate and checks the references it can (a team's members exist, a
// department's liaison exists); references are not enforced by the
// database, so Resolve copes with a dangling one by skipping the step with
// a reason. The one implementation is store.Rosters.
type RosterStore interface {
	RosterReader

	// SavePerson creates or replaces the person with p.ID.
	SavePerson(ctx context.Context, p Person) error
	// DeletePerson removes a person; ErrInUse while a team or department
	// names them, ErrNotFound when there is none.
	DeletePerson(ctx context.Context, id string) error

	// SaveTeam creates or replaces the team with t.ID, rotation included.
	SaveTeam(ctx context.Context, t Team) error
	// DeleteTeam removes a team; ErrInUse while a policy pages it.
	DeleteTeam(ctx context.Context, id string) error

	// SaveDepartment creates or replaces the department named d.Name.
	SaveDepartment(ctx context.Context, d Department) error
	Departments(ctx context.Context) ([]Department, error)

	// SaveOverride stores o, giving it a new id when o.ID is empty (ids
	// grow with creation time, which breaks ties between overrides), and
	// returns the id.
	SaveOverride(ctx context.Context, o Override) (string, error)
	DeleteOverride(ctx context.Context, id string) error

	// SaveHandover stores a new handover note and returns its id.
	SaveHandover(ctx context.Context, h Handover) (string, error)
	// Handovers returns the latest limit handovers of team, newest first.
	Handovers(ctx context.Context, team string, limit int) ([]Handover, error)

	// SavePolicy replaces the policy of p.Level.
	SavePolicy(ctx context.Context, p Policy) error
}
