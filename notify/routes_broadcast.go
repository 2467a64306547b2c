package notify

import (
	"context"
	"strconv"

	"github.com/tocsin-hub/tocsin/incident"
)

// BroadcastPlanner tells the configured destinations of an incident's
// teams, level and category of its changes (Routes.Select). Each message
// goes to one endpoint (Channel its kind, Address its name) under the key
//
//	<number>/broadcast/<destination>/<change>/v<version>
//
// which is the same however often the change is planned, so a retried or
// reconciled change is sent once, and a later change of the same kind is a
// new message.
type BroadcastPlanner struct {
	routes  *Routes
	baseURL string
}

var _ Planner = (*BroadcastPlanner)(nil)

// NewBroadcastPlanner plans broadcasts along routes, with links to the hub
// at baseURL. With nil routes it plans nothing.
func NewBroadcastPlanner(routes *Routes, baseURL string) *BroadcastPlanner {
	return &BroadcastPlanner{routes: routes, baseURL: baseURL}
}

// Plan returns the broadcasts of ev; none for a change that broadcasts are
// not made for (see ChangeOf).
func (p *BroadcastPlanner) Plan(_ context.Context, ev incident.Event) ([]Message, error) {
	ch, ok := ChangeOf(ev)
	if !ok {
		return nil, nil
	}
	inc := ev.Incident
	eps := p.routes.Select(inc, ch)
	if len(eps) == 0 {
		return nil, nil
	}
	subject, body := BroadcastText(inc, ch, p.baseURL)
	msgs := make([]Message, 0, len(eps))
	for _, e := range eps {
		msgs = append(msgs, Message{
			Key:      BroadcastKey(inc, e.Name, ch),
			Kind:     KindBroadcast,
			Incident: inc.Number,
			Channel:  e.Kind,
			Address:  e.Name,
			Subject:  subject,
			Body:     body,
		})
	}
	return msgs, nil
}

// BroadcastKey is the outbox key of the broadcast of change ch of inc (at
// its current version) to destination dest.
func BroadcastKey(inc *incident.Incident, dest string, ch Change) string {
	return inc.Number + "/broadcast/" + dest + "/" + string(ch) + "/v" + strconv.FormatInt(inc.Version, 10)
}
