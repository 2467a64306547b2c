package web

import (
	"context"
	"slices"
	"sync"
	"time"
)

// teamCacheTTL is how long the teams of each person are remembered. A
// change to a team made through this hub forgets them at once.
const teamCacheTTL = 15 * time.Second

// teamCache remembers which teams each person (by roster id, which is the
// username) belongs to, so that a responder's requests do not each read
// the roster.
type teamCache struct {
	mu       sync.Mutex
	at       time.Time
	byPerson map[string][]string // ids and names of the person's teams
}

// teamsOf returns the ids and names of username's teams, for access's
// visibility rules: a responder sees what their teams are assigned to.
func (s *Server) teamsOf(ctx context.Context, username string) []string {
	if s.rosters == nil || username == "" {
		return nil
	}
	tc := &s.teams
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.byPerson == nil || time.Since(tc.at) > teamCacheTTL {
		teams, err := s.rosters.Teams(ctx)
		if err != nil {
			s.log.Warn("read the teams for visibility; using what is known", "err", err)
			return slices.Clone(tc.byPerson[username])
		}
		m := map[string][]string{}
		for _, t := range teams {
			for _, member := range t.Members {
				m[member] = append(m[member], t.ID, t.Name)
			}
		}
		tc.byPerson, tc.at = m, time.Now()
	}
	return slices.Clone(tc.byPerson[username])
}

// forgetTeams drops the cache after a change to the teams.
func (s *Server) forgetTeams() {
	s.teams.mu.Lock()
	s.teams.byPerson = nil
	s.teams.mu.Unlock()
}
