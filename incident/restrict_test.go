package incident_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

func TestRestrictAndLift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	res, err := svc.Report(ctx, report("Payroll copied to a USB stick"), reporter)
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	coord := incident.Actor{ID: "u-coord", Name: "Coordinator"}

	// Refusals: no reason, nothing to lift, a stale version, bad names.
	_, err = svc.SetRestrictedLoaded(ctx, inc, incident.RestrictInput{Restricted: false, Version: inc.Version, Reason: " "}, coord)
	var invalid *incident.InvalidError
	if !errors.As(err, &invalid) || invalid.Fields["reason"].ZH == "" || invalid.Fields["restricted"].EN != "the incident is not restricted" {
		t.Fatalf("lifting nothing without a reason: %v", err)
	}
	_, err = svc.SetRestrictedLoaded(ctx, inc, incident.RestrictInput{Restricted: true, Version: inc.Version, Reason: "x",
		Name: []string{"two words"}}, coord)
	if !errors.As(err, &invalid) || invalid.Fields["participants"].EN == "" {
		t.Fatalf("a name with a space: %v", err)
	}
	if _, err := svc.SetRestrictedLoaded(ctx, inc, incident.RestrictInput{Restricted: true, Version: inc.Version + 1, Reason: "x"}, coord); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}

	next, err := svc.SetRestrictedLoaded(ctx, inc, incident.RestrictInput{Restricted: true, Version: inc.Version,
		Reason: "insider case", Name: []string{"li.na", " li.na ", "u-coord"}}, coord)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Restricted || stored.Version != inc.Version+1 || !slices.Equal(stored.Participants, []string{"li.na", "u-coord"}) {
		t.Fatalf("stored %+v", stored)
	}
	last := stored.Timeline[len(stored.Timeline)-1]
	if last.Kind != incident.EntryRestricted || last.From != "false" || last.To != "true" || last.Reason != "insider case" ||
		last.Actor != coord || len(last.Changes) != 2 || last.Changes[1].After != "li.na, u-coord" {
		t.Fatalf("entry %+v", last)
	}
	if _, err := svc.SetRestrictedLoaded(ctx, next, incident.RestrictInput{Restricted: true, Version: next.Version, Reason: "again"}, coord); err == nil ||
		!strings.Contains(err.Error(), "already restricted") {
		t.Fatalf("restricting twice: %v", err)
	}
	lifted, err := svc.SetRestrictedLoaded(ctx, next, incident.RestrictInput{Restricted: false, Version: next.Version, Reason: "cleared"}, coord)
	if err != nil || lifted.Restricted || len(lifted.Participants) != 2 {
		t.Fatalf("lift: %+v %v", lifted, err)
	}
}
