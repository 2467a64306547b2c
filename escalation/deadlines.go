package escalation

import "github.com/tocsin-hub/tocsin/incident"

// DeadlinesByLevel gives the deadlines of policies ps per level, in the
// domain's terms (the review and the statistics measure against them). A
// level without a policy in ps takes the built-in one.
func DeadlinesByLevel(ps []Policy) map[incident.Level]incident.Deadlines {
	out := map[incident.Level]incident.Deadlines{}
	for _, p := range append(DefaultPolicies(), ps...) { // ps come later and win
		d := p.Deadlines
		out[p.Level] = incident.Deadlines{Ack: d.Ack.Std(), Confirm: d.Confirm.Std(), Dispatch: d.Dispatch.Std(), Handle: d.Handle.Std()}
	}
	return out
}
