package audit

import (
	"context"
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// Incidents records every incident change told to it: register it with
// incident.NewService. Each change appends one timeline entry, which the
// record carries (kind, from and to, the changed fields, reason and note,
// cut to the trail's limits); titles and descriptions are not copied.
type Incidents struct{ t *Trail }

var _ incident.Observer = Incidents{}

// IncidentObserver returns the observer that records incident changes in t.
func IncidentObserver(t *Trail) Incidents { return Incidents{t: t} }

// IncidentChanged implements incident.Observer; it never blocks.
func (o Incidents) IncidentChanged(ctx context.Context, ev incident.Event) {
	if o.t == nil || ev.Incident == nil {
		return
	}
	o.t.Record(ctx, IncidentRecord(ctx, ev))
}

// IncidentRecord is the record of an incident change: ctx names the
// person and place of the request that made it, when there was one.
func IncidentRecord(ctx context.Context, ev incident.Event) Record {
	inc := ev.Incident
	r := Record{Action: IncidentAction(string(ev.Kind)), Target: Target{Kind: "incident", ID: inc.Number},
		Source: SourceFrom(ctx)}
	if n := len(inc.Timeline); n > 0 {
		e := inc.Timeline[n-1]
		r.At = e.At
		r.Actor = Actor{UserID: e.Actor.ID, Name: e.Actor.Name}
		if e.Actor == incident.System {
			r.Actor.Via = "system"
		}
		if from := ActorFrom(ctx); from.UserID != "" && from.UserID == e.Actor.ID {
			r.Actor = from
		}
		if e.From != "" || e.To != "" {
			r.Changes = append(r.Changes, Change{Field: entryField(e.Kind), Before: e.From, After: e.To})
		}
		for _, c := range e.Changes {
			r.Changes = append(r.Changes, Change(c))
		}
		var note []string
		if e.Reason != "" {
			note = append(note, "reason: "+e.Reason)
		}
		if e.Note != "" && e.Kind != incident.EntryOccurrence && e.Kind != incident.EntryMerged {
			note = append(note, e.Note) // those two quote the title
		}
		r.Note = strings.Join(note, "; ")
	}
	return r
}

// entryField names what an entry's From and To are.
func entryField(k incident.EntryKind) string {
	switch k {
	case incident.EntryLevel:
		return "level"
	case incident.EntryRestricted:
		return "restricted"
	}
	return "stage"
}
