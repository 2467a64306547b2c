package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/incident"
)

// Point lookups through incident_keys.
//
// FerretDB v1.24's SQLite backend evaluates every filter other than exactly
// {_id: v} in Go, after reading and decoding every document of the
// collection. So the incident store looks incidents up by their other unique
// keys through a side collection whose documents are
//
//	{_id: "<kind>/<value>", incident: <ObjectID>}
//
// for kind number (every incident), idem (the idempotency key of the request
// that created the incident and of every report attached to it) and dedup
// (the dedup key while the incident is open). A lookup is two reads by _id:
// the key, then the incident, which is then checked against the key, so a
// key that names the wrong incident is never believed.
//
// The keys are an index kept by the store, not the source of truth: the
// unique indexes on the incidents collection still decide every race, on
// MongoDB and on FerretDB alike. The rules that keep the keys right across
// crashes and races, with no transactions:
//
//   - Keys are written after the incident write they describe. A crash in
//     between leaves a stored incident without some keys, never a key that
//     names an incident that was not stored (Insert), and the incident is
//     still found: Get falls back to a scan by number when the number key is
//     missing, and a new report that collides with the incident's
//     idempotency or open dedup key on the unique indexes finds the holder
//     by a scan and writes its key (Insert's conflict path). The one
//     exception is the idempotency key of an attached report, which
//     AddOccurrence writes first, as a claim (see there).
//   - A key is removed only where it still names the incident it was found
//     naming (DeleteOne({_id, incident}), or a read and a delete by _id under
//     the key's lock on the embedded store), so nobody removes a key that
//     someone else has just rewritten.
//   - A key that names a missing incident, or an incident that no longer
//     matches it (a closed incident's dedup key, left by a crash between the
//     closing write and the key's removal), is stale: the reader removes it,
//     then reads the incident once more and puts the key back if it matches
//     after all (it was reopened meanwhile). An idempotency key that names an
//     existing incident which does not (yet) list it is left alone: that is an
//     attach in progress, or one cut short, and the next claim of the key
//     takes it over.
//
// The keys themselves only ever hold what the incidents say, so they can be
// rebuilt from the incidents at any time (BackfillKeys).
const colIncidentKeys = "incident_keys"

// keyWriteTimeout bounds the key writes that follow an incident write. They
// run even when the request that caused them has gone: the incident is
// stored, and its keys should be too.
const keyWriteTimeout = 30 * time.Second

// keyKind is what a key holds.
type keyKind string

// Key kinds.
const (
	kindNumber keyKind = "number"
	kindIdem   keyKind = "idem"
	kindDedup  keyKind = "dedup"
)

// incidentKey is one unique key of an incident.
type incidentKey struct {
	kind  keyKind
	value string
}

func numberKey(n string) incidentKey { return incidentKey{kindNumber, n} }
func idemKey(k string) incidentKey   { return incidentKey{kindIdem, k} }
func dedupKey(k string) incidentKey  { return incidentKey{kindDedup, k} }

// id is the key's _id in incident_keys.
func (k incidentKey) id() string { return string(k.kind) + "/" + k.value }

// matches reports whether d is an incident that k rightly names.
func (k incidentKey) matches(d *incidentDoc) bool {
	switch k.kind {
	case kindNumber:
		return d.Number == k.value
	case kindIdem:
		return d.IdempotencyKey == k.value || slices.Contains(d.OccurrenceKeys, k.value)
	case kindDedup:
		return d.OpenDedupKey == k.value // set only while the incident is open
	}
	return false
}

// keysOf lists the keys that should name d.
func keysOf(d *incidentDoc) []incidentKey {
	ks := []incidentKey{numberKey(d.Number)}
	if d.IdempotencyKey != "" {
		ks = append(ks, idemKey(d.IdempotencyKey))
	}
	for _, k := range d.OccurrenceKeys {
		ks = append(ks, idemKey(k))
	}
	if d.OpenDedupKey != "" {
		ks = append(ks, dedupKey(d.OpenDedupKey))
	}
	return ks
}

// keyDoc is a document of incident_keys.
type keyDoc struct {
	ID       string        `bson:"_id"`
	Incident bson.ObjectID `bson:"incident"`
}

// errKeyTaken is returned by putKey when the key names another incident
// that matches it.
var errKeyTaken = errors.New("key names another incident")

// keys is the incident_keys collection.
func (s *Incidents) keys() *mongo.Collection {
	return s.col.Database().Collection(colIncidentKeys)
}

// keyTarget is the id of the incident that k names, or incident.ErrNotFound.
func (s *Incidents) keyTarget(ctx context.Context, k incidentKey) (bson.ObjectID, error) {
	var kd keyDoc
	err := s.keys().FindOne(ctx, bson.D{{Key: "_id", Value: k.id()}}).Decode(&kd)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return bson.ObjectID{}, incident.ErrNotFound
	case err != nil:
		return bson.ObjectID{}, fmt.Errorf("read key %s: %w", k.id(), err)
	}
	return kd.Incident, nil
}

// docByID reads incident oid, or returns incident.ErrNotFound.
func (s *Incidents) docByID(ctx context.Context, oid bson.ObjectID) (*incidentDoc, error) {
	var d incidentDoc
	err := s.col.FindOne(ctx, bson.D{{Key: "_id", Value: oid}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, incident.ErrNotFound
	case err != nil:
		return nil, err
	}
	return &d, nil
}

// resolve returns the incident that k names, if it matches k; otherwise
// incident.ErrNotFound. It does not scan: a missing key is not found.
func (s *Incidents) resolve(ctx context.Context, k incidentKey) (*incidentDoc, error) {
	oid, err := s.keyTarget(ctx, k)
	if err != nil {
		return nil, err
	}
	d, err := s.docByID(ctx, oid)
	switch {
	case err == nil && k.matches(d):
		return d, nil
	case err != nil && !errors.Is(err, incident.ErrNotFound):
		return nil, err
	case err == nil && k.kind == kindIdem:
		// An attach in progress (or cut short) claims the key before it
		// records it on the incident: not this key's incident, not yet.
		return nil, incident.ErrNotFound
	}
	return s.dropStale(ctx, k, oid)
}

// dropStale removes k, which names oid although oid is missing or does not
// match k, then reads oid again: if it matches now (it was reopened, or an
// occurrence recorded, between the two reads), k is put back and the
// incident returned. Otherwise the answer is incident.ErrNotFound.
func (s *Incidents) dropStale(ctx context.Context, k incidentKey, oid bson.ObjectID) (*incidentDoc, error) {
	if err := s.dropKey(ctx, k, oid); err != nil {
		return nil, err
	}
	d, err := s.docByID(ctx, oid)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return nil, incident.ErrNotFound
	case err != nil:
		return nil, err
	case !k.matches(d):
		return nil, incident.ErrNotFound
	}
	s.heal(ctx, k, oid)
	return d, nil
}

// dropKey removes k if it names oid, and does nothing otherwise.
func (s *Incidents) dropKey(ctx context.Context, k incidentKey, oid bson.ObjectID) error {
	if !s.embedded {
		if _, err := s.keys().DeleteOne(ctx, bson.D{{Key: "_id", Value: k.id()}, {Key: "incident", Value: oid}}); err != nil {
			return fmt.Errorf("remove key %s: %w", k.id(), err)
		}
		return nil
	}
	// FerretDB scans the whole collection for {_id, incident}. Every removal
	// of a key holds the key's lock, and a key can be inserted only where
	// none exists, so nothing can replace the key between this read and
	// this delete by _id.
	defer s.lock("key", k.id())()
	held, err := s.keyTarget(ctx, k)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return nil
	case err != nil:
		return err
	case held != oid:
		return nil
	}
	if _, err := s.keys().DeleteOne(ctx, bson.D{{Key: "_id", Value: k.id()}}); err != nil {
		return fmt.Errorf("remove key %s: %w", k.id(), err)
	}
	return nil
}

// putKey makes k name oid. A key that names another incident which does
// not match it is taken over; one that names another incident which does
// match it stays, and putKey returns errKeyTaken.
func (s *Incidents) putKey(ctx context.Context, k incidentKey, oid bson.ObjectID) error {
	for range 3 {
		_, err := s.keys().InsertOne(ctx, keyDoc{ID: k.id(), Incident: oid})
		if !isDuplicate(err) {
			if err != nil {
				return fmt.Errorf("write key %s: %w", k.id(), err)
			}
			return nil
		}
		held, err := s.keyTarget(ctx, k)
		switch {
		case errors.Is(err, incident.ErrNotFound):
			continue // removed meanwhile
		case err != nil:
			return err
		case held == oid:
			return nil
		}
		d, err := s.docByID(ctx, held)
		switch {
		case err == nil && k.matches(d):
			return fmt.Errorf("key %s: %w (%s)", k.id(), errKeyTaken, d.Number)
		case err != nil && !errors.Is(err, incident.ErrNotFound):
			return err
		}
		if err := s.dropKey(ctx, k, held); err != nil {
			return err
		}
	}
	return fmt.Errorf("key %s: %w (it keeps changing)", k.id(), errKeyTaken)
}

// writeKeys writes the keys of d that old (the incident as it was before
// this write, nil for a new one) did not have, and removes old's open dedup
// key when d no longer holds it. It runs after the incident write and only
// logs failures: the incident is stored, and lookups heal missing keys.
func (s *Incidents) writeKeys(ctx context.Context, d, old *incidentDoc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyWriteTimeout)
	defer cancel()
	had := map[string]bool{}
	if old != nil {
		for _, k := range keysOf(old) {
			had[k.id()] = true
		}
	}
	var ks []incidentKey
	var docs []any
	for _, k := range keysOf(d) {
		if !had[k.id()] {
			ks = append(ks, k)
			docs = append(docs, keyDoc{ID: k.id(), Incident: d.ID})
		}
	}
	// Usually none of them exists yet: they join one InsertMany with the
	// keys of concurrent writes (one command, one commit). Otherwise (a key
	// to take over, or one written already) key by key.
	if len(docs) > 0 {
		if err := s.insertKeys(ctx, docs); err != nil {
			for _, k := range ks {
				if err := s.putKey(ctx, k, d.ID); err != nil {
					s.log.Warn("incident key not written; lookups will repair it", "incident", d.Number, "key", k.id(), "err", err)
				}
			}
		}
	}
	if old != nil && old.OpenDedupKey != "" && old.OpenDedupKey != d.OpenDedupKey {
		if err := s.dropKey(ctx, dedupKey(old.OpenDedupKey), d.ID); err != nil {
			s.log.Warn("stale dedup key not removed; lookups will remove it", "incident", d.Number, "err", err)
		}
	}
}

// keyBatch gathers the key documents of concurrent incident writes into one
// InsertMany (group commit): on the embedded store every write command is a
// SQLite commit, and the single connection serves one at a time, so a key
// document of its own would cost each report a second commit. The zero
// value is ready to use.
type keyBatch struct {
	mu      sync.Mutex
	queue   []*keyWrite // waiting for the next InsertMany
	running bool        // a leader is writing a batch
}

// keyWrite is one writer's key documents and where its outcome goes.
type keyWrite struct {
	docs []any
	done chan keyOutcome
}

// keyOutcome ends a writer's wait: the error of the InsertMany that held
// its documents, or lead: the documents are still queued and the writer is
// to write the next batch.
type keyOutcome struct {
	err  error
	lead bool
}

// insertKeys inserts docs into incident_keys in one unordered InsertMany
// with whatever other writers queued meanwhile. The first writer to arrive
// writes a batch (its own documents and any queued before it started) and
// hands over to the first writer queued during its InsertMany, so nobody
// writes for others for long. An error (a duplicate among the batch, say)
// is every writer's of the batch, who then check their keys one by one.
func (s *Incidents) insertKeys(ctx context.Context, docs []any) error {
	b := &s.batch
	w := &keyWrite{docs: docs, done: make(chan keyOutcome, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	if b.running {
		b.mu.Unlock()
		if out := <-w.done; !out.lead {
			return out.err
		}
		b.mu.Lock()
	}
	b.running = true
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()

	var all []any
	for _, bw := range batch {
		all = append(all, bw.docs...)
	}
	_, err := s.keys().InsertMany(ctx, all, options.InsertMany().SetOrdered(false))
	for _, bw := range batch {
		bw.done <- keyOutcome{err: err}
	}

	b.mu.Lock()
	if len(b.queue) > 0 {
		b.queue[0].done <- keyOutcome{lead: true} // running stays true: it leads now
	} else {
		b.running = false
	}
	b.mu.Unlock()
	return (<-w.done).err
}

// heal writes a key found missing; failures are only logged.
func (s *Incidents) heal(ctx context.Context, k incidentKey, oid bson.ObjectID) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyWriteTimeout)
	defer cancel()
	if err := s.putKey(ctx, k, oid); err != nil {
		s.log.Warn("incident key not repaired", "key", k.id(), "err", err)
	}
}

// backfillMarker is the incident_keys document that says BackfillKeys has
// run to the end once.
const backfillMarker = "meta/backfilled"

// BackfillKeys writes the keys of every stored incident that lacks them:
// incidents stored before incident_keys existed. It runs once per database
// (a marker records that it finished; until then it runs again, and every
// run is idempotent) and returns the number of keys written. Lookups work
// without it (a missing number key falls back to a scan, a missing
// idempotency or dedup key is found through the unique indexes), but only
// it restores the keys of reports attached to incidents before the upgrade.
func (s *Incidents) BackfillKeys(ctx context.Context) (int, error) {
	err := s.keys().FindOne(ctx, bson.D{{Key: "_id", Value: backfillMarker}}).Err()
	if err == nil {
		return 0, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, fmt.Errorf("backfill incident keys: %w", err)
	}
	opts := options.Find().SetProjection(bson.D{
		{Key: "number", Value: 1}, {Key: "idempotency_key", Value: 1},
		{Key: "occurrence_keys", Value: 1}, {Key: "open_dedup_key", Value: 1},
	})
	cur, err := s.col.Find(ctx, bson.D{}, opts)
	if err != nil {
		return 0, fmt.Errorf("backfill incident keys: %w", err)
	}
	var docs []incidentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("backfill incident keys: %w", err)
	}
	n := 0
	for i := range docs {
		for _, k := range keysOf(&docs[i]) {
			_, err := s.keys().InsertOne(ctx, keyDoc{ID: k.id(), Incident: docs[i].ID})
			switch {
			case err == nil:
				n++
			case isDuplicate(err):
				// Written already (or naming another incident: putKey's
				// checks decide that on the next lookup or write).
			default:
				return n, fmt.Errorf("backfill incident keys: %w", err)
			}
		}
	}
	if _, err := s.keys().InsertOne(ctx, bson.D{{Key: "_id", Value: backfillMarker}, {Key: "at", Value: time.Now().UTC()}}); err != nil && !isDuplicate(err) {
		return n, fmt.Errorf("backfill incident keys: %w", err)
	}
	return n, nil
}

// Locks of the embedded store.
//
// FerretDB evaluates a conditional write ({_id, version: v}) by scanning
// the collection, so on the embedded store the store writes by _id alone
// and checks the condition itself, between a read and the write, holding
// the incident's lock. That is atomic because every write to an incident
// (Update, AddOccurrence, AppendEntry) takes the lock, and because the
// embedded store belongs to this one process (ADR 0002: the data
// directory's flock). Against MongoDB the conditions stay in the filters,
// which MongoDB applies atomically and serves from indexes.
//
// The locks are striped by a hash of the database and the incident or key;
// nobody holds two at once, so they cannot deadlock.
var stripes [256]sync.Mutex

// lock takes the lock of one incident or key of this store's database and
// returns its unlock.
func (s *Incidents) lock(kind, id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s.col.Database().Name() + "\x00" + kind + "\x00" + id))
	m := &stripes[h.Sum32()%uint32(len(stripes))]
	m.Lock()
	return m.Unlock
}
