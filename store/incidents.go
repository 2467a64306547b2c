package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/incident"
)

// Incidents keeps incidents in the incidents collection and their yearly
// number sequences in counters. It implements incident.Store.
type Incidents struct {
	col      *mongo.Collection
	counters *mongo.Collection
	embedded bool
	log      *slog.Logger
}

var _ incident.Store = (*Incidents)(nil)

// List page sizes.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// NextNumber atomically allocates the next sequence number of year, starting
// at 1. The counter lives in counters as {_id: "incident-<year>", seq}.
func (s *Incidents) NextNumber(ctx context.Context, year int) (int64, error) {
	id := fmt.Sprintf("incident-%d", year)
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var c struct {
		Seq int64 `bson:"seq"`
	}
	var err error
	// Two upserts racing on a key that does not exist yet can both try to
	// insert it; MongoDB then fails one with a duplicate key, and a second
	// try finds the document.
	for range 2 {
		err = s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}}, opts).Decode(&c)
		if !isDuplicate(err) {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("next incident number of %d: %w", year, err)
	}
	return c.Seq, nil
}

// Insert adds inc with a new id and sets inc.ID. It returns
// incident.ErrDuplicateKey (wrapped) when inc's idempotency key, or its dedup
// key while open, is already taken.
func (s *Incidents) Insert(ctx context.Context, inc *incident.Incident) error {
	d, err := incidentToDoc(inc)
	if err != nil {
		return fmt.Errorf("insert incident %s: %w", inc.Number, err)
	}
	d.ID = bson.NewObjectID()
	_, err = s.col.InsertOne(ctx, d)
	if isDuplicate(err) {
		// The number comes from NextNumber and is never reused; a clash on
		// it is a bug (a reset counter), not a race for the service to retry.
		if s.col.FindOne(ctx, bson.D{{Key: "number", Value: d.Number}}).Err() == nil {
			return fmt.Errorf("insert incident %s: the number is already taken: %v", inc.Number, err)
		}
		return fmt.Errorf("insert incident %s: %w", inc.Number, incident.ErrDuplicateKey)
	}
	if err != nil {
		return fmt.Errorf("insert incident %s: %w", inc.Number, err)
	}
	inc.ID = d.ID.Hex()
	return nil
}

// Get finds an incident by id (24 hex digits) or else by number.
func (s *Incidents) Get(ctx context.Context, ref string) (*incident.Incident, error) {
	filter := bson.D{{Key: "number", Value: ref}}
	if id, err := bson.ObjectIDFromHex(ref); err == nil {
		filter = bson.D{{Key: "_id", Value: id}}
	}
	inc, err := s.findOne(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("get incident %s: %w", ref, err)
	}
	return inc, nil
}

// FindByIdempotencyKey finds the incident that a request with key created or
// was attached to.
func (s *Incidents) FindByIdempotencyKey(ctx context.Context, key string) (*incident.Incident, error) {
	inc, err := s.findOne(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "idempotency_key", Value: key}},
		bson.D{{Key: "occurrence_keys", Value: key}},
	}}})
	if err != nil {
		return nil, fmt.Errorf("find incident by idempotency key: %w", err)
	}
	return inc, nil
}

// FindOpenByDedupKey finds the open incident with dedup key.
func (s *Incidents) FindOpenByDedupKey(ctx context.Context, key string) (*incident.Incident, error) {
	inc, err := s.findOne(ctx, bson.D{{Key: "open_dedup_key", Value: key}})
	if err != nil {
		return nil, fmt.Errorf("find open incident by dedup key: %w", err)
	}
	return inc, nil
}

// AddOccurrence records one more report on the open incident holding
// dedupKey in a single conditional update, so concurrent reports never
// conflict: occurrences and version go up by one, entry joins the timeline
// and idemKey (when set) the occurrence keys. A key already recorded matches
// nothing, which makes a retried request change nothing.
func (s *Incidents) AddOccurrence(ctx context.Context, dedupKey, idemKey string, entry incident.Entry) (*incident.Incident, error) {
	filter := bson.D{{Key: "open_dedup_key", Value: dedupKey}}
	push := bson.D{{Key: "timeline", Value: entryToDoc(entry)}}
	if idemKey != "" {
		filter = append(filter, bson.E{Key: "occurrence_keys", Value: bson.D{{Key: "$ne", Value: idemKey}}})
		push = append(push, bson.E{Key: "occurrence_keys", Value: idemKey})
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "occurrences", Value: 1}, {Key: "version", Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: "updated_at", Value: entry.At.UTC()}}},
		{Key: "$push", Value: push},
	}
	var d incidentDoc
	err := s.col.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, fmt.Errorf("add occurrence: %w", incident.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("add occurrence: %w", err)
	}
	return incidentFromDoc(&d), nil
}

// AppendEntry appends e to incident id's timeline and bumps its version in
// one update.
func (s *Incidents) AppendEntry(ctx context.Context, id string, e incident.Entry) (*incident.Incident, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return nil, fmt.Errorf("append to incident %s: %w", id, incident.ErrNotFound)
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: "updated_at", Value: e.At.UTC()}}},
		{Key: "$push", Value: bson.D{{Key: "timeline", Value: entryToDoc(e)}}},
	}
	var d incidentDoc
	err = s.col.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: oid}}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, fmt.Errorf("append to incident %s: %w", id, incident.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("append to incident %s: %w", id, err)
	}
	return incidentFromDoc(&d), nil
}

// findOne returns the incident matching filter, or incident.ErrNotFound.
func (s *Incidents) findOne(ctx context.Context, filter bson.D) (*incident.Incident, error) {
	var d incidentDoc
	err := s.col.FindOne(ctx, filter).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, incident.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return incidentFromDoc(&d), nil
}

// Update replaces the stored incident inc.ID if it is still at version (inc
// carries the next version). It returns incident.ErrConflict when the
// incident has moved on, incident.ErrNotFound when it is gone, and
// incident.ErrDuplicateKey when reopening it would give two open incidents
// the same dedup key.
func (s *Incidents) Update(ctx context.Context, inc *incident.Incident, version int64) error {
	d, err := incidentToDoc(inc)
	if err == nil && inc.ID == "" {
		err = incident.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update incident %s: %w", inc.Number, err)
	}
	res, err := s.col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: version}}, d)
	switch {
	case isDuplicate(err):
		return fmt.Errorf("update incident %s: %w", inc.Number, incident.ErrDuplicateKey)
	case err != nil:
		return fmt.Errorf("update incident %s: %w", inc.Number, err)
	case res.MatchedCount > 0:
		return nil
	}
	err = s.col.FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		err = incident.ErrNotFound
	case err == nil:
		err = fmt.Errorf("not at version %d: %w", version, incident.ErrConflict)
	}
	return fmt.Errorf("update incident %s: %w", inc.Number, err)
}

// List returns one page of the incidents matching f, newest first (by id).
// Page.Next is the id of the page's last incident; the next page has the
// incidents with smaller ids. A cursor that is not an id gives ErrBadCursor.
func (s *Incidents) List(ctx context.Context, f incident.ListFilter) (incident.Page, error) {
	filter, err := listFilter(f)
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents: %w", err)
	}
	limit := pageSize(f.Limit)
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit + 1))
	if f.Brief {
		opts.SetProjection(bson.D{{Key: "description", Value: 0}, {Key: "timeline", Value: 0}})
	}
	cur, err := s.col.Find(ctx, filter, opts)
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents: %w", err)
	}
	var docs []incidentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return incident.Page{}, fmt.Errorf("list incidents: %w", err)
	}
	var page incident.Page
	if len(docs) > limit {
		docs = docs[:limit]
		page.Next = docs[limit-1].ID.Hex()
	}
	page.Items = make([]*incident.Incident, len(docs))
	for i := range docs {
		page.Items[i] = incidentFromDoc(&docs[i])
	}
	return page, nil
}

// pageSize is the number of incidents a page holds for a requested limit.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return defaultPageSize
	case limit > maxPageSize:
		return maxPageSize
	}
	return limit
}

// listFilter is the query document for f.
func listFilter(f incident.ListFilter) (bson.D, error) {
	filter := bson.D{}
	if f.After != "" {
		id, err := bson.ObjectIDFromHex(f.After)
		if err != nil {
			return nil, fmt.Errorf("%w %q", ErrBadCursor, f.After)
		}
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: id}}})
	}
	if len(f.Stages) > 0 {
		stages := make(bson.A, len(f.Stages))
		for i, st := range f.Stages {
			stages[i] = string(st)
		}
		filter = append(filter, bson.E{Key: "stage", Value: bson.D{{Key: "$in", Value: stages}}})
	}
	if f.Level != "" {
		filter = append(filter, bson.E{Key: "level", Value: string(f.Level)})
	}
	if f.Category != "" {
		filter = append(filter, bson.E{Key: "category", Value: string(f.Category)})
	}
	if f.Drill != nil {
		filter = append(filter, bson.E{Key: "drill", Value: *f.Drill})
	}
	// Both text search and visibility are alternatives; they are combined
	// with $and because a document can have only one $or.
	var and bson.A
	if f.Query != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(f.Query), Options: "i"}
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "title", Value: re}},
			bson.D{{Key: "description", Value: re}},
		}}})
	}
	if f.VisibleTo != "" {
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "reporter.id", Value: f.VisibleTo}},
			bson.D{{Key: "participants", Value: f.VisibleTo}},
		}}})
	}
	if len(and) > 0 {
		filter = append(filter, bson.E{Key: "$and", Value: and})
	}
	return filter, nil
}
