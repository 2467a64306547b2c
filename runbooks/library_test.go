package runbooks_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

var editor = incident.Actor{ID: "u-zm", Name: "Zhou Min", Username: "zhou.min"}

func newLibrary(t *testing.T) *runbooks.Library {
	t.Helper()
	lib, err := runbooks.NewLibrary(storetest.New(t).Runbooks(), func() time.Time { return time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// TestLibraryVersions: editing a built-in makes version 2, then 3; each
// version stays readable as it was; saving over an old version is refused;
// the id cannot change.
func TestLibraryVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lib := newLibrary(t)

	v1, err := lib.Get(ctx, "ransomware", 0)
	if err != nil || v1.Version != 1 || !v1.Builtin || v1.Edited != nil {
		t.Fatalf("current ransomware = %+v, %v", v1, err)
	}
	edited := strings.Replace(v1.Source, "Disconnect affected hosts from the network (keep them powered on)",
		"Disconnect affected hosts and their backup agents (keep them powered on)", 1)
	if edited == v1.Source {
		t.Fatal("test edit did not apply")
	}
	v2, err := lib.Save(ctx, "ransomware", 1, edited, "backup agents spread it too", editor)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || !v2.Builtin || v2.Edited == nil || v2.Edited.By != editor || v2.Edited.Note != "backup agents spread it too" {
		t.Fatalf("v2 = %+v", v2)
	}
	// The old version is unchanged, the current one is v2.
	old, err := lib.Get(ctx, "ransomware", 1)
	if err != nil || old.Source != v1.Source {
		t.Errorf("v1 after the edit changed: %v", err)
	}
	cur, err := lib.Get(ctx, "ransomware", 0)
	if err != nil || cur.Version != 2 || !strings.Contains(cur.StepsOf(incident.Handle)[0].Title.EN, "backup agents") {
		t.Errorf("current = %+v, %v", cur, err)
	}
	// Saving from v1 again is stale.
	if _, err := lib.Save(ctx, "ransomware", 1, edited, "", editor); !errors.Is(err, runbooks.ErrStale) {
		t.Errorf("save over v1: %v, want ErrStale", err)
	}
	// The id is the runbook's.
	if _, err := lib.Save(ctx, "ransomware", 2, strings.Replace(edited, "id: ransomware", "id: ransomware-2", 1), "", editor); !errors.Is(err, runbooks.ErrInvalid) {
		t.Errorf("changed id: %v", err)
	}
	// An invalid edit is refused with its problems and stores nothing.
	if _, err := lib.Save(ctx, "ransomware", 2, strings.Replace(edited, "duration: 30m", "duration: soon", 1), "", editor); !errors.Is(err, runbooks.ErrInvalid) {
		t.Errorf("invalid edit: %v", err)
	}
	if _, err := lib.Get(ctx, "ransomware", 3); !errors.Is(err, runbooks.ErrNotFound) {
		t.Errorf("v3 exists after refused edits: %v", err)
	}
	h, err := lib.History(ctx, "ransomware")
	if err != nil || len(h) != 2 || h[0].Version != 2 || h[1].Version != 1 || !h[1].Builtin {
		t.Errorf("history = %+v, %v", h, err)
	}
	if _, err := lib.Get(ctx, "nonesuch", 0); !errors.Is(err, runbooks.ErrNotFound) {
		t.Errorf("unknown runbook: %v", err)
	}
}

// TestLibraryConcurrentSaves: of edits saved at once from one version,
// exactly one becomes the next version.
func TestLibraryConcurrentSaves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lib := newLibrary(t)
	v1, err := lib.Get(ctx, "ddos", 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = lib.Save(ctx, "ddos", 1, v1.Source+"\n# edit "+string(rune('a'+i))+"\n", "", editor)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, runbooks.ErrStale):
			t.Errorf("a losing save failed with %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d saves won, want 1", wins)
	}
}

func TestLibraryCreateListSuggest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lib := newLibrary(t)
	if _, err := lib.Create(ctx, valid, "ours", editor); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Create(ctx, valid, "", editor); !errors.Is(err, runbooks.ErrExists) {
		t.Errorf("create twice: %v", err)
	}
	builtin, _ := lib.Get(ctx, "phishing", 0)
	if _, err := lib.Create(ctx, builtin.Source, "", editor); !errors.Is(err, runbooks.ErrExists) {
		t.Errorf("create over a built-in: %v", err)
	}
	all, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, rb := range all {
		ids[rb.ID] = rb.Version
	}
	if ids["test-book"] != 1 || ids["ransomware"] != 1 || len(all) < 14 {
		t.Errorf("list = %v", ids)
	}

	// A serious cyber attack: the runbooks meant for serious come first,
	// the test book (cyber_attack, data_security; serious) after the
	// narrower ones; phishing (all levels) fits too.
	sug, err := lib.Suggest(ctx, incident.CyberAttack, incident.Serious)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sug {
		got = append(got, s.Runbook.ID)
		if !s.Fits {
			t.Errorf("%s suggested as not fitting a serious incident", s.Runbook.ID)
		}
	}
	if len(got) != 4 || got[3] != "test-book" {
		t.Errorf("suggested for a serious cyber attack: %v", got)
	}
	// An ordinary one: the runbooks for serious and special come after
	// those for every level, marked as not fitting.
	sug, _ = lib.Suggest(ctx, incident.CyberAttack, incident.Ordinary)
	if len(sug) != 4 || sug[0].Runbook.ID != "phishing" || !sug[0].Fits || sug[1].Fits {
		t.Errorf("suggested for an ordinary cyber attack: %+v", sug)
	}
	if sug, _ := lib.Suggest(ctx, "", incident.Serious); len(sug) != 0 {
		t.Errorf("suggested without a category: %d", len(sug))
	}
}
