package web

import (
	"context"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// deadlines are the response deadlines of each level: the escalation
// policies' when the hub has a roster that holds them, else the built-in
// ones, so that the review and the statistics always have a yardstick.
func (s *Server) deadlines(ctx context.Context) (map[incident.Level]incident.Deadlines, error) {
	ps := escalation.DefaultPolicies()
	if s.rosters != nil {
		stored, err := s.rosters.Policies(ctx)
		if err != nil {
			return nil, err
		}
		if len(stored) > 0 {
			ps = stored
		}
	}
	return escalation.DeadlinesByLevel(ps), nil
}
