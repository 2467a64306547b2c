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
	return DeadlinesOf(ps), nil
}

// DeadlinesOf converts escalation policies into the domain's deadlines
// per level. A level without a policy takes the built-in one.
func DeadlinesOf(ps []escalation.Policy) map[incident.Level]incident.Deadlines {
	out := map[incident.Level]incident.Deadlines{}
	for _, p := range append(escalation.DefaultPolicies(), ps...) { // stored ones win
		d := p.Deadlines
		out[p.Level] = incident.Deadlines{Ack: d.Ack.Std(), Confirm: d.Confirm.Std(), Dispatch: d.Dispatch.Std(), Handle: d.Handle.Std()}
	}
	return out
}
