package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/audit"
)

// colAudit holds the audit trail, one document per record under its
// sequence number as _id. Records are only ever inserted: the insert of a
// taken number fails, on MongoDB and FerretDB alike, which is what orders
// the writers of several instances (audit.Trail).
//
// The _id is the number in decimal, zero-padded to 20 digits, so that it
// sorts as the number does: the embedded FerretDB looks up string _ids
// through an index (sqliteindex.go) but scans its table for a numeric one
// (finding the end of 20,000 records took 33 s with numeric _ids, 15 ms
// with these; BenchmarkAuditTail). The number itself is in seq too.
const colAudit = "audit"

// auditID is the _id of record seq.
func auditID(seq int64) string { return fmt.Sprintf("%020d", seq) }

// Audit is the store of the audit trail. It implements audit.Store.
type Audit struct {
	col *mongo.Collection
}

var _ audit.Store = (*Audit)(nil)

// Audit is the audit trail store.
func (db *DB) Audit() *Audit { return &Audit{col: db.db.Collection(colAudit)} }

// Collection is the underlying collection, for tests that tamper with it.
func (s *Audit) Collection() *mongo.Collection { return s.col }

type auditDoc struct {
	ID      string           `bson:"_id"` // auditID(Seq)
	Seq     int64            `bson:"seq"`
	At      time.Time        `bson:"at"`
	Actor   auditActorDoc    `bson:"actor"`
	Action  string           `bson:"action"`
	Target  auditTargetDoc   `bson:"target"`
	Source  auditSourceDoc   `bson:"source"`
	Changes []auditChangeDoc `bson:"changes,omitempty"`
	Note    string           `bson:"note,omitempty"`
	Prev    string           `bson:"prev"`
	Hash    string           `bson:"hash"`
}

type auditActorDoc struct {
	UserID   string `bson:"user_id,omitempty"`
	Username string `bson:"username,omitempty"`
	Name     string `bson:"name,omitempty"`
	Via      string `bson:"via,omitempty"`
}

type auditTargetDoc struct {
	Kind string `bson:"kind"`
	ID   string `bson:"id,omitempty"`
}

type auditSourceDoc struct {
	IP        string `bson:"ip,omitempty"`
	UserAgent string `bson:"user_agent,omitempty"`
}

type auditChangeDoc struct {
	Field  string `bson:"field"`
	Before string `bson:"before"`
	After  string `bson:"after"`
}

func auditToDoc(r audit.Record) auditDoc {
	d := auditDoc{ID: auditID(r.Seq), Seq: r.Seq, At: r.At.UTC(), Actor: auditActorDoc(r.Actor), Action: string(r.Action),
		Target: auditTargetDoc(r.Target), Source: auditSourceDoc(r.Source), Note: r.Note, Prev: r.Prev, Hash: r.Hash}
	for _, c := range r.Changes {
		d.Changes = append(d.Changes, auditChangeDoc(c))
	}
	return d
}

func auditFromDoc(d *auditDoc) audit.Record {
	r := audit.Record{Seq: d.Seq, At: d.At.UTC(), Actor: audit.Actor(d.Actor), Action: audit.Action(d.Action),
		Target: audit.Target(d.Target), Source: audit.Source(d.Source), Note: d.Note, Prev: d.Prev, Hash: d.Hash}
	for _, c := range d.Changes {
		r.Changes = append(r.Changes, audit.Change(c))
	}
	return r
}

// Insert implements audit.Store.
func (s *Audit) Insert(ctx context.Context, r audit.Record) (bool, error) {
	ok, err := insertOne(ctx, s.col, auditToDoc(r))
	if err != nil {
		return false, fmt.Errorf("insert audit record %d: %w", r.Seq, err)
	}
	return ok, nil
}

// Get implements audit.Store: a point read by _id, indexed on the
// embedded store too.
func (s *Audit) Get(ctx context.Context, seq int64) (audit.Record, error) {
	var d auditDoc
	err := s.col.FindOne(ctx, bson.D{{Key: "_id", Value: auditID(seq)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return audit.Record{}, fmt.Errorf("get audit record %d: %w", seq, audit.ErrNoRecord)
	}
	if err != nil {
		return audit.Record{}, fmt.Errorf("get audit record %d: %w", seq, err)
	}
	return auditFromDoc(&d), nil
}

// Scan implements audit.Store with one sorted read (on the embedded store a
// scan and an in-memory sort; verification is rare).
func (s *Audit) Scan(ctx context.Context, from int64, fn func(audit.Record) error) error {
	cur, err := s.col.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: auditID(from)}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("scan the audit trail: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d auditDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("scan the audit trail: %w", err)
		}
		if err := fn(auditFromDoc(&d)); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("scan the audit trail: %w", err)
	}
	return nil
}

// Audit page sizes.
const (
	defaultAuditPage = 50
	maxAuditPage     = 1000
)

// List implements audit.Store.
func (s *Audit) List(ctx context.Context, f audit.Filter) (audit.Page, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = defaultAuditPage
	case limit > maxAuditPage:
		limit = maxAuditPage
	}
	filter := bson.D{}
	if f.Before > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: auditID(f.Before)}}})
	}
	if f.Incident != "" {
		filter = append(filter, bson.E{Key: "target.kind", Value: "incident"}, bson.E{Key: "target.id", Value: f.Incident})
	}
	if f.Actor != "" {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "actor.user_id", Value: f.Actor}},
			bson.D{{Key: "actor.username", Value: f.Actor}},
		}})
	}
	at := bson.D{}
	if !f.From.IsZero() {
		at = append(at, bson.E{Key: "$gte", Value: f.From.UTC()})
	}
	if !f.To.IsZero() {
		at = append(at, bson.E{Key: "$lt", Value: f.To.UTC()})
	}
	if len(at) > 0 {
		filter = append(filter, bson.E{Key: "at", Value: at})
	}
	cur, err := s.col.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit+1)))
	if err != nil {
		return audit.Page{}, fmt.Errorf("list the audit trail: %w", err)
	}
	var docs []auditDoc
	if err := cur.All(ctx, &docs); err != nil {
		return audit.Page{}, fmt.Errorf("list the audit trail: %w", err)
	}
	var page audit.Page
	if len(docs) > limit {
		docs = docs[:limit]
		page.Next = docs[limit-1].Seq
	}
	page.Items = make([]audit.Record, len(docs))
	for i := range docs {
		page.Items[i] = auditFromDoc(&docs[i])
	}
	return page, nil
}
