package incident_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// planStage reports an incident and moves it to the plan stage.
func planStage(t *testing.T, svc *incident.Service) *incident.Incident {
	t.Helper()
	ctx := context.Background()
	res, err := svc.Report(ctx, report("ransom note on fs01"), reporter)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := svc.Transition(ctx, res.Incident.Number, incident.TransitionInput{To: incident.Confirm, Version: 1,
		Level: incident.Serious, Category: incident.MaliciousProgram, Scope: incident.Local, AssessmentNote: "confirmed"}, reporter)
	if err != nil {
		t.Fatal(err)
	}
	inc, err = svc.Transition(ctx, inc.Number, incident.TransitionInput{To: incident.Plan, Version: inc.Version}, reporter)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// TestWorkIsVersioned: plan and task changes are versioned updates of the
// stored incident with their timeline entries, a stale version is
// refused, and of concurrent changes made from one version exactly one is
// stored. Observers hear of each stored change with its kind.
func TestWorkIsVersioned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	var kinds []incident.EventKind
	svc := incident.NewService(storetest.New(t).Incidents(), func() time.Time { return time.Now().UTC() },
		incident.ObserverFunc(func(_ context.Context, ev incident.Event) {
			mu.Lock()
			kinds = append(kinds, ev.Kind)
			mu.Unlock()
		}))
	inc := planStage(t, svc)
	use := incident.RunbookUse{ID: "ransomware", Version: 1, Title: "Ransomware",
		Steps: []incident.TaskSpec{{Step: "isolate", Title: "Isolate", Stage: incident.Handle, Required: true}}}

	next, err := svc.Work(ctx, inc, inc.Version, incident.ChooseRunbooks{Runbooks: []incident.RunbookUse{use}}, reporter)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := svc.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Version != inc.Version+1 || len(stored.Tasks) != 1 || stored.Plan.Runbooks[0].Ref() != "ransomware@1" ||
		stored.Timeline[len(stored.Timeline)-1].Kind != incident.EntryRunbook {
		t.Fatalf("stored = v%d, tasks %+v, plan %+v", stored.Version, stored.Tasks, stored.Plan)
	}
	if _, err := svc.Work(ctx, inc, inc.Version, incident.SetMeasures{Measures: "x"}, reporter); !errors.Is(err, incident.ErrConflict) {
		t.Errorf("stale version: %v, want ErrConflict", err)
	}
	if _, err := svc.Work(ctx, next, next.Version-1, incident.SetMeasures{Measures: "x"}, reporter); !errors.Is(err, incident.ErrConflict) {
		t.Errorf("version named by the caller is old: %v, want ErrConflict", err)
	}

	const n = 12
	errs := concurrently(n, func(i int) error {
		_, err := svc.Work(ctx, next, next.Version, incident.AddTask{Spec: incident.TaskSpec{Title: fmt.Sprint("task ", i)}}, reporter)
		return err
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, incident.ErrConflict):
			t.Errorf("a losing change failed with %v", err)
		}
	}
	got, err := svc.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wins != 1 || len(got.Tasks) != 2 || got.Version != next.Version+1 {
		t.Errorf("%d winners, %d tasks, version %d; want 1, 2, %d", wins, len(got.Tasks), got.Version, next.Version+1)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kinds) < 5 || kinds[3] != incident.EventPlan || kinds[4] != incident.EventTask {
		t.Errorf("events = %v; want reported, stage, stage, plan, task", kinds)
	}
}
