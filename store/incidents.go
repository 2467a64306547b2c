package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/incident"
)

// Incidents keeps incidents in the incidents collection, their yearly
// number sequences in counters and their lookup keys in incident_keys
// (keys.go). It implements incident.Store.
type Incidents struct {
	col      *mongo.Collection
	counters *mongo.Collection
	embedded bool
	log      *slog.Logger
	batch    keyBatch // the key writes of concurrent inserts (keys.go)
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
//
// The incident is written first and its keys (incident_keys) after it, so a
// crash in between leaves a stored incident with missing keys, which
// lookups repair, and never a key for an incident that was not stored.
// Once the incident is stored Insert succeeds, whatever happens to the keys:
// failing would make the caller report again and store a second incident.
func (s *Incidents) Insert(ctx context.Context, inc *incident.Incident) error {
	d, err := incidentToDoc(inc)
	if err != nil {
		return fmt.Errorf("insert incident %s: %w", inc.Number, err)
	}
	d.ID = bson.NewObjectID()
	_, err = s.col.InsertOne(ctx, d)
	if isDuplicate(err) {
		return s.insertConflict(ctx, d, err)
	}
	if err != nil {
		return fmt.Errorf("insert incident %s: %w", inc.Number, err)
	}
	inc.ID = d.ID.Hex()
	s.writeKeys(ctx, d, nil)
	return nil
}

// conflictRetries are the pauses before Insert's conflict path asks the
// keys again. An incident that won an insert race writes its keys just
// after, so a loser usually finds the winner's key at the first or second
// try; only a key that is really missing costs a scan.
var conflictRetries = []time.Duration{0, 5 * time.Millisecond, 25 * time.Millisecond}

// insertConflict finds out which unique key refused d. When another
// incident holds d's idempotency key or open dedup key it returns
// incident.ErrDuplicateKey, after making sure that the holder's key is in
// incident_keys (it may be missing after a crash, for incidents stored
// before incident_keys, or for a racing insert that has not written its keys
// yet), so that the caller's next lookup finds it without a scan. A clash
// on the number is a bug, not a race, and a plain error.
func (s *Incidents) insertConflict(ctx context.Context, d *incidentDoc, dupErr error) error {
	var ks []incidentKey
	if d.IdempotencyKey != "" {
		ks = append(ks, idemKey(d.IdempotencyKey))
	}
	if d.OpenDedupKey != "" {
		ks = append(ks, dedupKey(d.OpenDedupKey))
	}
	dup := fmt.Errorf("insert incident %s: %w", d.Number, incident.ErrDuplicateKey)
	if len(ks) > 0 {
		for _, pause := range conflictRetries {
			if err := sleep(ctx, pause); err != nil {
				return fmt.Errorf("insert incident %s: %w", d.Number, err)
			}
			for _, k := range ks {
				_, err := s.resolve(ctx, k)
				if err == nil {
					return dup
				}
				if !errors.Is(err, incident.ErrNotFound) {
					return fmt.Errorf("insert incident %s: %w", d.Number, err)
				}
			}
		}
		// The holder has no key: scan for it, once, and write its key.
		found := false
		for _, k := range ks {
			field := "idempotency_key"
			if k.kind == kindDedup {
				field = "open_dedup_key"
			}
			var h incidentDoc
			err := s.col.FindOne(ctx, bson.D{{Key: field, Value: k.value}},
				options.FindOne().SetProjection(bson.D{{Key: "number", Value: 1}})).Decode(&h)
			switch {
			case err == nil:
				s.heal(ctx, k, h.ID)
				found = true
			case !errors.Is(err, mongo.ErrNoDocuments):
				return fmt.Errorf("insert incident %s: %w", d.Number, err)
			}
		}
		if found {
			return dup
		}
	}
	// The number comes from NextNumber and is never reused; a clash on it is
	// a bug (a reset counter), not a race for the service to retry.
	if _, err := s.byNumber(ctx, d.Number); err == nil {
		return fmt.Errorf("insert incident %s: the number is already taken: %v", d.Number, dupErr)
	}
	// The holder of a key has left it meanwhile (closed): try again.
	return dup
}

// sleep waits for d or for ctx to end.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Get finds an incident by id (24 hex digits) or else by number.
func (s *Incidents) Get(ctx context.Context, ref string) (*incident.Incident, error) {
	var d *incidentDoc
	var err error
	if id, e := bson.ObjectIDFromHex(ref); e == nil {
		d, err = s.docByID(ctx, id)
	} else {
		d, err = s.byNumber(ctx, ref)
	}
	if err != nil {
		return nil, fmt.Errorf("get incident %s: %w", ref, err)
	}
	return incidentFromDoc(d), nil
}

// byNumber finds an incident by number through its key. Without a key (an
// incident stored before incident_keys, or a crash between an insert and its
// keys; or no such incident) it scans by number and repairs the key.
func (s *Incidents) byNumber(ctx context.Context, number string) (*incidentDoc, error) {
	k := numberKey(number)
	d, err := s.resolve(ctx, k)
	if !errors.Is(err, incident.ErrNotFound) {
		return d, err
	}
	var found incidentDoc
	err = s.col.FindOne(ctx, bson.D{{Key: "number", Value: number}}).Decode(&found)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, incident.ErrNotFound
	case err != nil:
		return nil, err
	}
	s.heal(ctx, k, found.ID)
	return &found, nil
}

// FindByIdempotencyKey finds the incident that a request with key created or
// was attached to, through the key's entry in incident_keys (no scan).
func (s *Incidents) FindByIdempotencyKey(ctx context.Context, key string) (*incident.Incident, error) {
	d, err := s.resolve(ctx, idemKey(key))
	if err != nil {
		return nil, fmt.Errorf("find incident by idempotency key: %w", err)
	}
	return incidentFromDoc(d), nil
}

// FindOpenByDedupKey finds the open incident with dedup key, through the
// key's entry in incident_keys (no scan).
func (s *Incidents) FindOpenByDedupKey(ctx context.Context, key string) (*incident.Incident, error) {
	d, err := s.resolve(ctx, dedupKey(key))
	if err != nil {
		return nil, fmt.Errorf("find open incident by dedup key: %w", err)
	}
	return incidentFromDoc(d), nil
}

// Reasons an attach did not happen.
var (
	errNotHolder = errors.New("the incident is missing, closed or holds another dedup key")
	errRecorded  = errors.New("the report is already recorded")
)

// AddOccurrence records one more report on the open incident holding
// dedupKey: occurrences and version go up by one, entry joins the timeline
// and idemKey (when set) the occurrence keys. It returns
// incident.ErrNotFound when no open incident holds dedupKey (according to
// incident_keys: a holder whose key is missing is found by Insert's
// conflict path) or when idemKey is recorded already (here or on another
// incident): the service then looks the request up by idemKey.
//
// With idemKey, the key is claimed in incident_keys (naming the holder)
// before the occurrence is recorded: a claim that collides with a key naming
// an incident that lists idemKey means the request was attached already; a
// claim naming the same holder is a concurrent copy of this request (or an
// attach cut short by a crash), and the conditional update below lets
// exactly one of them record it. A claim whose attach does not happen is
// removed again; one left by a crash names an incident that does not list
// the key, which lookups ignore and the next claim takes over.
func (s *Incidents) AddOccurrence(ctx context.Context, dedupKeyValue, idemKeyValue string, entry incident.Entry) (*incident.Incident, error) {
	dk := dedupKey(dedupKeyValue)
	oid, err := s.keyTarget(ctx, dk)
	if err != nil {
		return nil, fmt.Errorf("add occurrence: %w", err)
	}
	var ik incidentKey
	if idemKeyValue != "" {
		ik = idemKey(idemKeyValue)
		err := s.putKey(ctx, ik, oid)
		switch {
		case errors.Is(err, errKeyTaken):
			return nil, fmt.Errorf("add occurrence: %w: %w", incident.ErrNotFound, err)
		case err != nil:
			return nil, fmt.Errorf("add occurrence: %w", err)
		}
	}
	d, err := s.attach(ctx, oid, dedupKeyValue, idemKeyValue, entry)
	switch {
	case err == nil:
		return incidentFromDoc(d), nil
	case errors.Is(err, errRecorded):
		return nil, fmt.Errorf("add occurrence: %w: %w", incident.ErrNotFound, err)
	case errors.Is(err, errNotHolder):
		// The dedup key was stale (its incident was closed, and a crash
		// kept the key), and the claim of idemKey is void.
		if idemKeyValue != "" {
			if _, err := s.dropStale(ctx, ik, oid); err != nil && !errors.Is(err, incident.ErrNotFound) {
				return nil, fmt.Errorf("add occurrence: %w", err)
			}
		}
		if _, err := s.dropStale(ctx, dk, oid); err != nil && !errors.Is(err, incident.ErrNotFound) {
			return nil, fmt.Errorf("add occurrence: %w", err)
		}
		return nil, fmt.Errorf("add occurrence: %w: %w", incident.ErrNotFound, errNotHolder)
	}
	return nil, fmt.Errorf("add occurrence: %w", err)
}

// attach records the occurrence on incident oid if it is open with dedup
// key and has not recorded idem yet; otherwise it returns errNotHolder or
// errRecorded.
func (s *Incidents) attach(ctx context.Context, oid bson.ObjectID, dedup, idem string, entry incident.Entry) (*incidentDoc, error) {
	push := bson.D{{Key: "timeline", Value: entryToDoc(entry)}}
	if idem != "" {
		push = append(push, bson.E{Key: "occurrence_keys", Value: idem})
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "occurrences", Value: 1}, {Key: "version", Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: "updated_at", Value: entry.At.UTC()}}},
		{Key: "$push", Value: push},
	}
	why := func(cur *incidentDoc) error {
		switch {
		case cur == nil:
			return errNotHolder
		case idem != "" && slices.Contains(cur.OccurrenceKeys, idem):
			return errRecorded
		case cur.OpenDedupKey != dedup:
			return errNotHolder
		}
		return nil
	}
	after := options.FindOneAndUpdate().SetReturnDocument(options.After)
	var d incidentDoc
	if s.embedded {
		defer s.lock("incident", oid.Hex())()
		cur, err := s.docByID(ctx, oid)
		if err != nil && !errors.Is(err, incident.ErrNotFound) {
			return nil, err
		}
		if err := why(cur); err != nil {
			return nil, err
		}
		if err := s.col.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: oid}}, update, after).Decode(&d); err != nil {
			return nil, err
		}
		return &d, nil
	}
	filter := bson.D{{Key: "_id", Value: oid}, {Key: "open_dedup_key", Value: dedup}}
	if idem != "" {
		filter = append(filter, bson.E{Key: "occurrence_keys", Value: bson.D{{Key: "$ne", Value: idem}}})
	}
	err := s.col.FindOneAndUpdate(ctx, filter, update, after).Decode(&d)
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return &d, err
	}
	cur, err := s.docByID(ctx, oid)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		return nil, err
	}
	if err := why(cur); err != nil {
		return nil, err
	}
	return nil, errNotHolder // it changed between the two reads: let the caller look again
}

// AppendEntry appends e to incident id's timeline and bumps its version in
// one update.
func (s *Incidents) AppendEntry(ctx context.Context, id string, e incident.Entry, join []string) (*incident.Incident, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return nil, fmt.Errorf("append to incident %s: %w", id, incident.ErrNotFound)
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: "updated_at", Value: e.At.UTC()}}},
		{Key: "$push", Value: bson.D{{Key: "timeline", Value: entryToDoc(e)}}},
	}
	if len(join) > 0 {
		// Participants, and the names lists are narrowed by (incidentdoc.go).
		each := bson.D{{Key: "$each", Value: join}}
		update = append(update, bson.E{Key: "$addToSet", Value: bson.D{{Key: "participants", Value: each}, {Key: "named", Value: each}}})
	}
	if s.embedded {
		// Not to slip between another write's read and write (see lock).
		defer s.lock("incident", oid.Hex())()
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

// Update replaces the stored incident inc.ID if it is still at version (inc
// carries the next version). It returns incident.ErrConflict when the
// incident has moved on, incident.ErrNotFound when it is gone, and
// incident.ErrDuplicateKey when reopening it would give two open incidents
// the same dedup key. After the replacement it brings the incident's keys
// up to date: a dedup key is removed when the incident leaves the open
// stages and written when it is reopened (a crash in between leaves a stale
// key, which lookups remove, or a missing one, which Insert's conflict path
// restores).
func (s *Incidents) Update(ctx context.Context, inc *incident.Incident, version int64) error {
	d, err := incidentToDoc(inc)
	if err == nil && inc.ID == "" {
		err = incident.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update incident %s: %w", inc.Number, err)
	}
	old, err := s.replace(ctx, d, version)
	if err != nil {
		return fmt.Errorf("update incident %s: %w", inc.Number, err)
	}
	s.writeKeys(ctx, d, old)
	return nil
}

// replace replaces incident d.ID by d if it is at version, and returns the
// incident as it was.
func (s *Incidents) replace(ctx context.Context, d *incidentDoc, version int64) (*incidentDoc, error) {
	if s.embedded {
		defer s.lock("incident", d.ID.Hex())()
		old, err := s.docByID(ctx, d.ID)
		switch {
		case err != nil:
			return nil, err
		case old.Version != version:
			return nil, fmt.Errorf("not at version %d: %w", version, incident.ErrConflict)
		}
		_, err = s.col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d)
		if isDuplicate(err) {
			return nil, incident.ErrDuplicateKey
		}
		return old, err
	}
	var old incidentDoc
	err := s.col.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: version}}, d,
		options.FindOneAndReplace().SetReturnDocument(options.Before)).Decode(&old)
	switch {
	case isDuplicate(err):
		return nil, incident.ErrDuplicateKey
	case err == nil:
		return &old, nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return nil, err
	}
	err = s.col.FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, incident.ErrNotFound
	}
	if err == nil {
		err = fmt.Errorf("not at version %d: %w", version, incident.ErrConflict)
	}
	return nil, err
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

// ListAll returns every incident matching f in one page, newest first:
// f.Limit is ignored (and f.After honoured). Paging costs a scan per page on
// the embedded store, where any list reads every incident, so the board
// cache loads the open incidents with it at start-up in one scan.
func (s *Incidents) ListAll(ctx context.Context, f incident.ListFilter) (incident.Page, error) {
	filter, err := listFilter(f)
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents: %w", err)
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}})
	if f.Brief {
		opts.SetProjection(bson.D{{Key: "description", Value: 0}, {Key: "timeline", Value: 0}})
	}
	page, err := s.findAll(ctx, filter, opts)
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents: %w", err)
	}
	return page, nil
}

// findAll returns every incident filter finds, in one page.
func (s *Incidents) findAll(ctx context.Context, filter any, opts *options.FindOptionsBuilder) (incident.Page, error) {
	cur, err := s.col.Find(ctx, filter, opts)
	if err != nil {
		return incident.Page{}, err
	}
	defer cur.Close(ctx)
	var page incident.Page
	for cur.Next(ctx) {
		var d incidentDoc
		if err := cur.Decode(&d); err != nil {
			return incident.Page{}, err
		}
		page.Items = append(page.Items, incidentFromDoc(&d))
	}
	return page, cur.Err()
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
	if f.Audience != nil {
		and = append(and, audienceFilter(*f.Audience))
	}
	if len(and) > 0 {
		filter = append(filter, bson.E{Key: "$and", Value: and})
	}
	return filter, nil
}

// audienceFilter selects what a admits, as access.Admits decides it one
// incident at a time (store tests compare the two).
func audienceFilter(a incident.Audience) bson.D {
	if a.All && a.Restricted {
		return bson.D{}
	}
	open := bson.E{Key: "restricted", Value: bson.D{{Key: "$ne", Value: true}}}
	var alts bson.A
	if len(a.Names) > 0 {
		names := bson.A{}
		for _, n := range a.Names {
			names = append(names, n)
		}
		// participants as well as named: incidents last written before
		// named existed list their participants only.
		alts = append(alts,
			bson.D{{Key: "named", Value: bson.D{{Key: "$in", Value: names}}}},
			bson.D{{Key: "participants", Value: bson.D{{Key: "$in", Value: names}}}},
		)
	}
	if a.Restricted {
		alts = append(alts, bson.D{{Key: "restricted", Value: true}})
	}
	if a.All {
		alts = append(alts, bson.D{open})
	}
	if a.Reporter != "" {
		alts = append(alts, bson.D{open, {Key: "reporter.id", Value: a.Reporter}})
	}
	if len(a.Teams) > 0 {
		teams := bson.A{}
		for _, t := range a.Teams {
			teams = append(teams, t)
		}
		alts = append(alts, bson.D{open, {Key: "teams", Value: bson.D{{Key: "$in", Value: teams}}}})
	}
	if len(alts) == 0 {
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$exists", Value: false}}}} // nothing
	}
	return bson.D{{Key: "$or", Value: alts}}
}
