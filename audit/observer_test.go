package audit_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
)

func TestIncidentRecord(t *testing.T) {
	li := incident.Actor{ID: "u1", Name: "李娜"}
	inc := &incident.Incident{Number: "INC-2026-000007", Title: "Secret title", Timeline: []incident.Entry{
		{At: t0, Actor: li, Kind: incident.EntryReported, To: "receive", Note: "reported via web"},
		{At: t0.Add(1e9), Actor: li, Kind: incident.EntryStage, From: "receive", To: "confirm", Reason: "looked at it",
			Changes: []incident.FieldChange{{Field: "level", Before: "serious", After: "special"}}},
	}}
	ctx := audit.WithActor(context.Background(), audit.Actor{UserID: "u1", Username: "li.na", Name: "李娜", Via: "session"})
	ctx = audit.WithSource(ctx, audit.Source{IP: "10.1.2.3", UserAgent: "UA"})
	got := audit.IncidentRecord(ctx, incident.Event{Kind: incident.EventStage, Incident: inc})
	want := audit.Record{At: t0.Add(1e9), Action: "incident.stage", Target: audit.Target{Kind: "incident", ID: "INC-2026-000007"},
		Actor:  audit.Actor{UserID: "u1", Username: "li.na", Name: "李娜", Via: "session"},
		Source: audit.Source{IP: "10.1.2.3", UserAgent: "UA"},
		Changes: []audit.Change{{Field: "stage", Before: "receive", After: "confirm"},
			{Field: "level", Before: "serious", After: "special"}},
		Note: "reason: looked at it"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("record\n%+v\nwant\n%+v", got, want)
	}

	// A system entry, with nobody in the context: the system did it. An
	// occurrence's note quotes the title and is left out.
	inc.Timeline = append(inc.Timeline, incident.Entry{At: t0, Actor: incident.System, Kind: incident.EntryOccurrence,
		Note: "reported again via api: Secret title"})
	got = audit.IncidentRecord(context.Background(), incident.Event{Kind: incident.EventOccurrence, Incident: inc})
	if got.Actor.Via != "system" || got.Actor.UserID != "system" || got.Note != "" || got.Action != "incident.occurrence" {
		t.Fatalf("system record %+v", got)
	}
}
