package store_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestEnsureIndexesTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t) // New has created them once
	for range 2 {
		if err := db.EnsureIndexes(ctx); err != nil {
			t.Fatalf("EnsureIndexes again: %v", err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOpenEmbedded starts a second embedded server of its own, in a data
// directory that does not exist yet, and checks that data survives a
// restart.
func TestOpenEmbedded(t *testing.T) {
	t.Parallel()
	if os.Getenv(storetest.EnvMongoURI) != "" {
		t.Skip("testing against MongoDB")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	log := slog.New(slog.DiscardHandler)

	db, err := store.Open(ctx, store.Options{DataDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if !db.Embedded() || db.Database().Name() != "tocsin" {
		t.Errorf("Embedded() = %v, database %q", db.Embedded(), db.Database().Name())
	}
	inc := newIncident("INC-2026-000001", "survives a restart")
	if err := db.Incidents().Insert(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}

	db, err = store.Open(ctx, store.Options{DataDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if got, err := db.Incidents().Get(ctx, inc.Number); err != nil || got.ID != inc.ID {
		t.Errorf("after restart: %v, %v", got, err)
	}
}

func TestOpenNeedsLoggerAndDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := store.Open(ctx, store.Options{DataDir: t.TempDir()}); err == nil {
		t.Error("Open without a logger succeeded")
	}
	if _, err := store.Open(ctx, store.Options{Logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Error("Open of the embedded server without a data directory succeeded")
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	st := db.Incidents()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	changed := make(chan *incident.Incident, 10)
	done := make(chan error, 1)
	go func() { done <- st.Watch(ctx, func(inc *incident.Incident) { changed <- inc }) }()

	if db.Embedded() {
		select {
		case err := <-done:
			if !errors.Is(err, store.ErrWatchUnsupported) {
				t.Errorf("Watch on the embedded server = %v, want ErrWatchUnsupported", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Watch on the embedded server did not return at once")
		}
		return
	}
	// A MongoDB replica set: the stream must see another writer's changes.
	// Give the stream a moment to open before writing.
	select {
	case err := <-done:
		if errors.Is(err, store.ErrWatchUnsupported) {
			t.Skip("MongoDB without change streams (not a replica set)")
		}
		t.Fatalf("Watch returned early: %v", err)
	case <-time.After(time.Second):
	}
	inc := mustInsert(t, st, newIncident("INC-2026-000001", "watched"))
	next := inc.Clone()
	next.Version, next.Title = 2, "watched, changed"
	if err := st.Update(ctx, next, 1); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"watched", "watched, changed"} {
		select {
		case got := <-changed:
			if got.ID != inc.ID || got.Title != want {
				t.Errorf("change = %s %q, want %s %q", got.Number, got.Title, inc.Number, want)
			}
		case <-ctx.Done():
			t.Fatalf("no change event for %q", want)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel = %v, want context.Canceled", err)
	}
}
