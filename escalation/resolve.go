package escalation

import (
	"fmt"
	"time"
)

// Directory is what resolving a step needs to look up. The engine builds a
// Roster from the store; anything else that can answer will do.
type Directory interface {
	Team(id string) (Team, bool)
	Person(id string) (Person, bool)
	// Overrides returns the overrides of team; others are ignored anyway.
	Overrides(team string) []Override
}

// Roster is an in-memory snapshot of people, teams and overrides.
type Roster struct {
	people    map[string]Person
	teams     map[string]Team
	overrides map[string][]Override
}

var _ Directory = (*Roster)(nil)

// NewRoster indexes a snapshot; later entries win over earlier ones with
// the same id.
func NewRoster(people []Person, teams []Team, overrides []Override) *Roster {
	r := &Roster{people: map[string]Person{}, teams: map[string]Team{}, overrides: map[string][]Override{}}
	for _, p := range people {
		r.people[p.ID] = p
	}
	for _, t := range teams {
		r.teams[t.ID] = t
	}
	for _, o := range overrides {
		r.overrides[o.Team] = append(r.overrides[o.Team], o)
	}
	return r
}

// Team looks a team up by id.
func (r *Roster) Team(id string) (Team, bool) { t, ok := r.teams[id]; return t, ok }

// Person looks a person up by id.
func (r *Roster) Person(id string) (Person, bool) { p, ok := r.people[id]; return p, ok }

// Overrides returns the overrides of team.
func (r *Roster) Overrides(team string) []Override { return r.overrides[team] }

// Resolve says whom step pages at the moment at. With nobody to page it
// returns no people and the reason, in English for the timeline, so the
// engine can record it and move to the next step at once (see ResolveChain).
// People are returned in roster order without repeats.
func Resolve(step Step, dir Directory, at time.Time) (people []string, reason string) {
	t := step.Target
	if t.Kind == TargetPerson {
		if _, ok := dir.Person(t.Person); !ok {
			return nil, fmt.Sprintf("person %s is not in the roster", t.Person)
		}
		return []string{t.Person}, ""
	}
	team, ok := dir.Team(t.Team)
	if !ok {
		return nil, fmt.Sprintf("team %s does not exist", t.Team)
	}
	switch t.Kind {
	case TargetOnCall:
		if people = OnCallAt(team, dir.Overrides(team.ID), at); len(people) == 0 {
			return nil, fmt.Sprintf("nobody on call for team %s", team.ID)
		}
	case TargetLead:
		if team.Lead == "" {
			return nil, fmt.Sprintf("team %s has no lead", team.ID)
		}
		people = []string{team.Lead}
	case TargetTeam:
		people = uniq(team.Members)
		if len(people) == 0 {
			return nil, fmt.Sprintf("team %s has no members", team.ID)
		}
	case TargetRole:
		for _, id := range uniq(team.Members) {
			if p, ok := dir.Person(id); ok && p.HasRole(t.Role) {
				people = append(people, id)
			}
		}
		if len(people) == 0 {
			return nil, fmt.Sprintf("nobody in team %s has role %s", team.ID, t.Role)
		}
	default:
		return nil, fmt.Sprintf("unknown target kind %q", t.Kind)
	}
	return people, ""
}

// Skip records a step passed over because it had nobody to page.
type Skip struct {
	Step   int // 1-based
	Reason string
}

// ResolveChain resolves p's steps from step from (1-based) onwards and
// returns the first that has someone to page, with its people, and the
// steps passed over on the way. When no step from there on has anyone,
// step is 0 and people is empty; skipped then says why for each.
//
// Page a step reached this way with PageKey(incident, step, 0, person): when
// that step's own first timer falls due later, its pages are then already
// sent and not repeated.
func ResolveChain(p Policy, from int, dir Directory, at time.Time) (step int, people []string, skipped []Skip) {
	for i := max(from, 1); i <= len(p.Steps); i++ {
		ps, why := Resolve(p.Steps[i-1], dir, at)
		if len(ps) > 0 {
			return i, ps, skipped
		}
		skipped = append(skipped, Skip{Step: i, Reason: why})
	}
	return 0, nil, skipped
}

func uniq(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
