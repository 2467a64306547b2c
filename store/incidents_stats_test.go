package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestListForStatsGivesTheSameFigures stores incidents in bulk and checks
// that statistics over the projection equal those over whole incidents.
func TestListForStatsGivesTheSameFigures(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	base := fullIncident("INC-2026-000001")
	var incs []*incident.Incident
	for i, lv := range []incident.Level{incident.Ordinary, incident.Serious, incident.Special, incident.Serious} {
		inc := base.Clone()
		inc.Number = incident.FormatNumber(2026, int64(100+i))
		inc.Level, inc.Drill = lv, i == 3
		if i < 2 {
			inc.Assignees = []incident.Assignee{{Kind: "team", ID: "net", Name: "Network"}}
		}
		inc.IdempotencyKey, inc.DedupKey = "", ""
		inc.CreatedAt = inc.CreatedAt.Add(time.Duration(i) * time.Hour)
		inc.Timeline = append(inc.Timeline, incident.Entry{At: inc.CreatedAt, Actor: incident.System, Kind: incident.EntryEscalation, Note: "paged"})
		incs = append(incs, inc)
	}
	if err := db.Incidents().InsertMany(ctx, incs); err != nil {
		t.Fatal(err)
	}
	for _, inc := range incs {
		if inc.ID == "" {
			t.Fatal("no id set")
		}
		if got, err := db.Incidents().Get(ctx, inc.Number); err != nil || got.ID != inc.ID {
			t.Fatalf("get %s: %v", inc.Number, err)
		}
	}
	full, err := db.Incidents().ListAll(ctx, incident.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	slim, err := db.Incidents().ListForStats(ctx, incident.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(slim.Items) != len(incs) || slim.Items[0].Description != "" {
		t.Fatalf("projection: %d items, description %q", len(slim.Items), slim.Items[0].Description)
	}
	ds := map[incident.Level]incident.Deadlines{incident.Serious: {Ack: time.Minute, Confirm: time.Hour, Dispatch: 2 * time.Hour, Handle: 3 * time.Hour}}
	now := base.CreatedAt.Add(24 * time.Hour)
	for _, team := range []string{"", "net"} {
		f := incident.StatsFilter{Team: team}
		a, b := incident.Compute(full.Items, ds, f, now), incident.Compute(slim.Items, ds, f, now)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("team %q: figures differ\nfull %+v\nslim %+v", team, a, b)
		}
		if a.Real.Escalations == 0 || a.Real.Total == 0 || a.Real.OpenActions+len(a.Real.Durations) == 0 {
			t.Fatalf("the sample proves little: %+v", a.Real)
		}
	}
}
