package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestLookupsByIDUseAnIndex: on the embedded store, SQLite answers
// FerretDB's query for an _id with the index EnsureIndexes made, for every
// collection, instead of scanning the table.
func TestLookupsByIDUseAnIndex(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	for _, col := range []string{"incidents", "incident_keys", "outbox", "users", "sessions", "timers"} {
		plan, err := store.IDQueryPlan(ctx, db, col)
		if err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		if !strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, "_tocsin_id") {
			t.Errorf("%s: plan %q, want the _tocsin_id index", col, plan)
		}
	}
	// Idempotent: a second run (every start-up) changes nothing.
	if err := db.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkFindByID reads one document by _id from a collection of 10,000,
// with the index and without it (FerretDB's own _id index, which its
// queries do not use).
func BenchmarkFindByID(b *testing.B) {
	const n = 10_000
	db := storetest.New(b)
	ctx := context.Background()
	col := db.Database().Collection("incidents")
	docs := make([]any, n)
	for i := range docs {
		// About the size of a reported incident with a short timeline.
		timeline := make(bson.A, 8)
		for j := range timeline {
			timeline[j] = bson.D{{Key: "kind", Value: "stage"}, {Key: "actor", Value: "alice"}, {Key: "note", Value: strings.Repeat("n", 120)}}
		}
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("id-%06d", i)}, {Key: "number", Value: fmt.Sprintf("INC-2026-%06d", i)},
			{Key: "title", Value: strings.Repeat("t", 80)}, {Key: "description", Value: strings.Repeat("d", 1500)},
			{Key: "stage", Value: "receive"}, {Key: "timeline", Value: timeline}}
	}
	for i := 0; i < n; i += 1000 {
		if _, err := col.InsertMany(ctx, docs[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	find := func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			var got bson.M
			if err := col.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("id-%06d", i%n)}}).Decode(&got); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("indexed", find)
	if err := store.DropIDIndex(ctx, db, "incidents"); err != nil {
		b.Fatal(err)
	}
	b.Run("scan", find)
}
