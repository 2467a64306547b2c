package escalation

import (
	"fmt"
	"time"
)

// Pick is the person a task goes to by default, and why.
type Pick struct {
	Person   string // person id (the account's username)
	Name     string
	Team     string // the team the person was found through; "" when by role alone
	TeamName string
	Why      string // for the coordinator: "on call for Network", "lead of Desk", ...
}

// PickAssignee chooses, at the moment at, who a task that names team
// and/or role goes to by default (DOMAIN.md: dispatch to the on-call
// person of a team):
//
//   - with a team: the person on call for it, else its lead;
//   - with a role alone: the first person on call, in team order, who holds
//     the role; else the first team lead who holds it; else the first
//     member of any team who holds it.
//
// With nobody to pick it returns false and the reason, and the coordinator
// chooses.
func PickAssignee(teams []Team, people []Person, overrides []Override, team string, role Role, at time.Time) (Pick, bool, string) {
	dir := NewRoster(people, teams, overrides)
	pick := func(t Team, id, why string) (Pick, bool, string) {
		p, _ := dir.Person(id)
		name := p.Name
		if name == "" {
			name = id
		}
		return Pick{Person: id, Name: name, Team: t.ID, TeamName: t.Name, Why: why}, true, ""
	}
	if team != "" {
		t, ok := dir.Team(team)
		if !ok {
			return Pick{}, false, fmt.Sprintf("team %s is not in the roster", team)
		}
		if on := OnCallAt(t, dir.Overrides(t.ID), at); len(on) > 0 {
			return pick(t, on[0], "on call for "+t.Name)
		}
		if t.Lead != "" {
			return pick(t, t.Lead, "lead of "+t.Name+" (nobody on call)")
		}
		return Pick{}, false, fmt.Sprintf("nobody is on call for team %s and it has no lead", t.Name)
	}
	if role == "" {
		return Pick{}, false, "the task names no team or role"
	}
	has := func(id string) bool { p, ok := dir.Person(id); return ok && p.HasRole(role) }
	for _, t := range teams {
		for _, id := range OnCallAt(t, dir.Overrides(t.ID), at) {
			if has(id) {
				return pick(t, id, fmt.Sprintf("on call for %s, holds role %s", t.Name, role))
			}
		}
	}
	for _, t := range teams {
		if t.Lead != "" && has(t.Lead) {
			return pick(t, t.Lead, fmt.Sprintf("lead of %s, holds role %s", t.Name, role))
		}
	}
	for _, t := range teams {
		for _, id := range t.Members {
			if has(id) {
				return pick(t, id, fmt.Sprintf("member of %s, holds role %s", t.Name, role))
			}
		}
	}
	return Pick{}, false, fmt.Sprintf("nobody in the roster holds role %s", role)
}
