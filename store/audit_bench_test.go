package store_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// BenchmarkAuditTail measures what an audit writer does at start on a
// trail of 20,000 records: find the end by point reads of _ids.
func BenchmarkAuditTail(b *testing.B) {
	const n = 20_000
	db := storetest.New(b)
	ctx := context.Background()
	col := db.Audit().Collection()
	docs := make([]any, 0, 1000)
	for i := 1; i <= n; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("%020d", i)}, {Key: "seq", Value: int64(i)}, {Key: "at", Value: t0}, {Key: "action", Value: "incident.stage"},
			{Key: "target", Value: bson.D{{Key: "kind", Value: "incident"}, {Key: "id", Value: fmt.Sprintf("INC-2026-%06d", i)}}},
			{Key: "prev", Value: "p"}, {Key: "hash", Value: "h"}})
		if len(docs) == cap(docs) {
			if _, err := col.InsertMany(ctx, docs); err != nil {
				b.Fatal(err)
			}
			docs = docs[:0]
		}
	}
	for b.Loop() {
		last, _, err := audit.Tail(ctx, db.Audit())
		if err != nil || last != n {
			b.Fatalf("Tail = %d, %v", last, err)
		}
	}
}
