package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// keyCol is the incident_keys collection of db, for tests that look at the
// keys or damage them the way a crash would.
func keyCol(db *store.DB) *mongo.Collection { return db.Database().Collection("incident_keys") }

// keyOf returns the hex id of the incident that key names, "" when the key
// is absent.
func keyOf(t *testing.T, db *store.DB, key string) string {
	t.Helper()
	var kd struct {
		Incident bson.ObjectID `bson:"incident"`
	}
	err := keyCol(db).FindOne(context.Background(), bson.D{{Key: "_id", Value: key}}).Decode(&kd)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ""
	}
	if err != nil {
		t.Fatalf("read key %s: %v", key, err)
	}
	return kd.Incident.Hex()
}

// putKeyDoc writes key naming id, replacing what was there.
func putKeyDoc(t *testing.T, db *store.DB, key string, id bson.ObjectID) {
	t.Helper()
	ctx := context.Background()
	if _, err := keyCol(db).DeleteOne(ctx, bson.D{{Key: "_id", Value: key}}); err != nil {
		t.Fatal(err)
	}
	if _, err := keyCol(db).InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "incident", Value: id}}); err != nil {
		t.Fatal(err)
	}
}

// dropKeyDoc removes key, as a crash before it was written would leave it.
func dropKeyDoc(t *testing.T, db *store.DB, key string) {
	t.Helper()
	if _, err := keyCol(db).DeleteOne(context.Background(), bson.D{{Key: "_id", Value: key}}); err != nil {
		t.Fatal(err)
	}
}

func oidOf(t *testing.T, hex string) bson.ObjectID {
	t.Helper()
	id, err := bson.ObjectIDFromHex(hex)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func occurrence(note string) incident.Entry {
	return incident.Entry{At: t0, Actor: incident.Actor{ID: "u-ids", Name: "IDS"}, Kind: incident.EntryOccurrence, Note: note}
}

func TestKeysFollowInsertAndUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	inc := newIncident("INC-2026-000001", "keyed")
	inc.IdempotencyKey, inc.DedupKey, inc.OccurrenceKeys = "u1:create", "edr:host-1", []string{"u2:again"}
	mustInsert(t, st, inc)
	for _, key := range []string{"number/INC-2026-000001", "idem/u1:create", "idem/u2:again", "dedup/edr:host-1"} {
		if got := keyOf(t, db, key); got != inc.ID {
			t.Errorf("key %s names %q, want %s", key, got, inc.ID)
		}
	}

	// Closing frees the dedup key; the others stay.
	closed := inc.Clone()
	closed.Version, closed.Stage = 2, incident.Closed
	if err := st.Update(ctx, closed, 1); err != nil {
		t.Fatal(err)
	}
	if got := keyOf(t, db, "dedup/edr:host-1"); got != "" {
		t.Errorf("dedup key of a closed incident names %s, want none", got)
	}
	for _, key := range []string{"number/INC-2026-000001", "idem/u1:create", "idem/u2:again"} {
		if keyOf(t, db, key) != inc.ID {
			t.Errorf("key %s lost on closing", key)
		}
	}
	if got, err := st.FindByIdempotencyKey(ctx, "u2:again"); err != nil || got.ID != inc.ID {
		t.Errorf("a closed incident by an attached report's key: %v, %v", got, err)
	}

	// Reopening takes it back.
	reopened := closed.Clone()
	reopened.Version, reopened.Stage = 3, incident.Review
	if err := st.Update(ctx, reopened, 2); err != nil {
		t.Fatal(err)
	}
	if got, err := st.FindOpenByDedupKey(ctx, "edr:host-1"); err != nil || got.ID != inc.ID {
		t.Errorf("FindOpenByDedupKey after reopening = %v, %v", got, err)
	}
}

// A key that names an incident that is not there (a crash, or a database
// edited by hand) is removed by the first lookup that meets it, and does
// not stand in the way of the incident that rightly takes the key.
func TestStaleKeysAreRemoved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	nowhere := bson.NewObjectID()
	for _, key := range []string{"number/INC-2026-000009", "idem/u1:lost", "dedup/ids:lost", "dedup/ids:taken"} {
		putKeyDoc(t, db, key, nowhere)
	}
	if _, err := st.Get(ctx, "INC-2026-000009"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Get through a stale number key = %v, want ErrNotFound", err)
	}
	if _, err := st.FindByIdempotencyKey(ctx, "u1:lost"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("FindByIdempotencyKey through a stale key = %v, want ErrNotFound", err)
	}
	if _, err := st.FindOpenByDedupKey(ctx, "ids:lost"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("FindOpenByDedupKey through a stale key = %v, want ErrNotFound", err)
	}
	for _, key := range []string{"number/INC-2026-000009", "idem/u1:lost", "dedup/ids:lost"} {
		if got := keyOf(t, db, key); got != "" {
			t.Errorf("stale key %s still names %s", key, got)
		}
	}
	if _, err := st.AddOccurrence(ctx, "ids:taken", "u1:again", occurrence("again")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("AddOccurrence through a stale dedup key = %v, want ErrNotFound", err)
	}
	if got := keyOf(t, db, "idem/u1:again"); got != "" {
		t.Errorf("the claim of an attach that did not happen stayed, naming %s", got)
	}
	if got := keyOf(t, db, "dedup/ids:taken"); got != "" {
		t.Errorf("stale dedup key stayed after AddOccurrence met it, naming %s", got)
	}

	// An insert takes over a stale key that is still there.
	putKeyDoc(t, db, "dedup/ids:taken", nowhere)
	putKeyDoc(t, db, "number/INC-2026-000010", nowhere)
	inc := newIncident("INC-2026-000010", "takes the keys")
	inc.DedupKey = "ids:taken"
	mustInsert(t, st, inc)
	for _, key := range []string{"dedup/ids:taken", "number/INC-2026-000010"} {
		if got := keyOf(t, db, key); got != inc.ID {
			t.Errorf("key %s names %s after the insert, want %s", key, got, inc.ID)
		}
	}
}

// A crash between closing an incident and removing its dedup key leaves the
// key naming a closed incident: lookups ignore and remove it, and a new
// incident may take the key.
func TestDedupKeyOfClosedIncident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	first := newIncident("INC-2026-000001", "first")
	first.DedupKey = "vuln:CVE-1"
	mustInsert(t, st, first)
	closed := first.Clone()
	closed.Version, closed.Stage = 2, incident.Closed
	if err := st.Update(ctx, closed, 1); err != nil {
		t.Fatal(err)
	}
	putKeyDoc(t, db, "dedup/vuln:CVE-1", oidOf(t, first.ID)) // as if the removal had not happened

	if _, err := st.FindOpenByDedupKey(ctx, "vuln:CVE-1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("FindOpenByDedupKey = %v, want ErrNotFound", err)
	}
	if got := keyOf(t, db, "dedup/vuln:CVE-1"); got != "" {
		t.Errorf("the stale key stayed: %s", got)
	}
	putKeyDoc(t, db, "dedup/vuln:CVE-1", oidOf(t, first.ID))
	if _, err := st.AddOccurrence(ctx, "vuln:CVE-1", "", occurrence("again")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("AddOccurrence on a closed incident = %v, want ErrNotFound", err)
	}
	got, err := st.Get(ctx, first.ID)
	if err != nil || got.Occurrences != 1 {
		t.Errorf("the closed incident: %+v, %v; want it untouched", got, err)
	}
	putKeyDoc(t, db, "dedup/vuln:CVE-1", oidOf(t, first.ID))
	second := newIncident("INC-2026-000002", "second")
	second.DedupKey = "vuln:CVE-1"
	mustInsert(t, st, second)
	if found, err := st.FindOpenByDedupKey(ctx, "vuln:CVE-1"); err != nil || found.ID != second.ID {
		t.Errorf("FindOpenByDedupKey = %v, %v; want %s", found, err, second.Number)
	}
}

// A crash between storing an incident and writing its keys (or an incident
// stored before incident_keys existed) leaves the incident without keys. It
// is still found: by number through a scan, and by its idempotency and dedup
// keys when a new report collides with it on the unique indexes; each of
// these writes the missing key.
func TestMissingKeysAreRepaired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	svc := incident.NewService(st, func() time.Time { return time.Now().UTC() })
	in := incident.ReportInput{Title: "beacon", Description: "C2 beacon from host-9", Source: "api",
		DedupKey: "edr:host-9:beacon", IdempotencyKey: "u-edr:evt-1", RequestHash: "h1"}
	first, err := svc.Report(ctx, in, incident.Actor{ID: "u-edr"})
	if err != nil {
		t.Fatal(err)
	}
	inc := first.Incident
	for _, key := range []string{"number/" + inc.Number, "idem/u-edr:evt-1", "dedup/edr:host-9:beacon"} {
		dropKeyDoc(t, db, key)
	}

	got, err := st.Get(ctx, inc.Number)
	if err != nil || got.ID != inc.ID {
		t.Fatalf("Get by number without its key = %v, %v", got, err)
	}
	if keyOf(t, db, "number/"+inc.Number) != inc.ID {
		t.Error("Get did not repair the number key")
	}

	// A retry of the first request: its idempotency key is missing, the
	// unique index refuses the new incident, and the holder is found.
	replay, err := svc.Report(ctx, in, incident.Actor{ID: "u-edr"})
	if err != nil || replay.Outcome != incident.Replayed || replay.Incident.ID != inc.ID {
		t.Fatalf("retry without the idempotency key: %+v, %v; want Replayed %s", replay, err, inc.Number)
	}
	if keyOf(t, db, "idem/u-edr:evt-1") != inc.ID {
		t.Error("the idempotency key was not repaired")
	}

	// Another alert for the same thing: the dedup key is missing, the unique
	// index refuses a second open incident, and the report is attached.
	again := in
	again.IdempotencyKey, again.RequestHash = "u-edr:evt-2", "h2"
	res, err := svc.Report(ctx, again, incident.Actor{ID: "u-edr"})
	if err != nil || res.Outcome != incident.Attached || res.Incident.ID != inc.ID || res.Incident.Occurrences != 2 {
		t.Fatalf("repeat without the dedup key: %+v, %v; want Attached to %s", res, err, inc.Number)
	}
	if keyOf(t, db, "dedup/edr:host-9:beacon") != inc.ID {
		t.Error("the dedup key was not repaired")
	}
	page, err := st.List(ctx, incident.ListFilter{})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("%d incidents stored, want 1 (%v)", len(page.Items), err)
	}
}

// A key that names the wrong incident is not believed.
func TestWrongKeyIsNotBelieved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	a := mustInsert(t, st, newIncident("INC-2026-000001", "a"))
	b := mustInsert(t, st, newIncident("INC-2026-000002", "b"))
	putKeyDoc(t, db, "number/INC-2026-000001", oidOf(t, b.ID))
	got, err := st.Get(ctx, "INC-2026-000001")
	if err != nil || got.ID != a.ID {
		t.Fatalf("Get through a key naming another incident = %v, %v; want %s", got, err, a.Number)
	}
	if keyOf(t, db, "number/INC-2026-000001") != a.ID {
		t.Error("the wrong key was not corrected")
	}
}

// The claim of an attached report's idempotency key comes before the
// occurrence is recorded; a crash in between leaves a claim that names an
// incident not listing the key. Lookups do not believe it, and the retried
// report takes it over and is recorded once.
func TestAttachClaimCutShort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	holder := newIncident("INC-2026-000001", "holder")
	holder.DedupKey = "ids:scan"
	mustInsert(t, st, holder)
	putKeyDoc(t, db, "idem/u-ids:7", oidOf(t, holder.ID))

	if _, err := st.FindByIdempotencyKey(ctx, "u-ids:7"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("FindByIdempotencyKey through an unrecorded claim = %v, want ErrNotFound", err)
	}
	got, err := st.AddOccurrence(ctx, "ids:scan", "u-ids:7", occurrence("retried"))
	if err != nil || got.Occurrences != 2 || !slices.Contains(got.OccurrenceKeys, "u-ids:7") {
		t.Fatalf("AddOccurrence over its own cut-short claim = %+v, %v", got, err)
	}
	if _, err := st.AddOccurrence(ctx, "ids:scan", "u-ids:7", occurrence("retried again")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("the same report again = %v, want ErrNotFound (already recorded)", err)
	}
	if found, err := st.FindByIdempotencyKey(ctx, "u-ids:7"); err != nil || found.ID != holder.ID || found.Occurrences != 2 {
		t.Errorf("FindByIdempotencyKey = %+v, %v", found, err)
	}

	// A claim left on another incident, which never recorded it, is taken
	// over too.
	other := mustInsert(t, st, newIncident("INC-2026-000002", "other"))
	putKeyDoc(t, db, "idem/u-ids:8", oidOf(t, other.ID))
	if got, err := st.AddOccurrence(ctx, "ids:scan", "u-ids:8", occurrence("third")); err != nil || got.Occurrences != 3 {
		t.Fatalf("AddOccurrence over a claim naming another incident = %+v, %v", got, err)
	}
	if keyOf(t, db, "idem/u-ids:8") != holder.ID {
		t.Error("the claim was not taken over")
	}
	// A key that another incident has recorded is not taken over: the
	// report was attached there.
	recorded := newIncident("INC-2026-000003", "recorded")
	recorded.OccurrenceKeys = []string{"u-ids:9"}
	mustInsert(t, st, recorded)
	if _, err := st.AddOccurrence(ctx, "ids:scan", "u-ids:9", occurrence("moved?")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("AddOccurrence of a report recorded elsewhere = %v, want ErrNotFound", err)
	}
	if found, err := st.FindByIdempotencyKey(ctx, "u-ids:9"); err != nil || found.ID != recorded.ID {
		t.Errorf("FindByIdempotencyKey = %v, %v; want %s", found, err, recorded.Number)
	}
}

// Concurrent reports of one open incident: distinct requests are all
// recorded, copies of one request once.
func TestConcurrentAttaches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	holder := newIncident("INC-2026-000001", "flood")
	holder.DedupKey = "edr:flood"
	mustInsert(t, st, holder)

	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = st.AddOccurrence(ctx, "edr:flood", fmt.Sprintf("u-edr:%d", i), occurrence(fmt.Sprint("report ", i)))
		})
		wg.Go(func() { // n copies of one request
			_, errs[n+i] = st.AddOccurrence(ctx, "edr:flood", "u-edr:same", occurrence("copy"))
		})
	}
	wg.Wait()
	copies := 0
	for i, err := range errs {
		switch {
		case err == nil && i >= n:
			copies++
		case err != nil && (i < n || !errors.Is(err, incident.ErrNotFound)):
			t.Errorf("attach %d: %v", i, err)
		}
	}
	if copies != 1 {
		t.Errorf("%d copies of one request were recorded, want 1", copies)
	}
	got, err := st.Get(ctx, holder.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Occurrences != n+2 || got.Version != int64(n+2) || len(got.Timeline) != n+1 || len(got.OccurrenceKeys) != n+1 {
		t.Errorf("after the burst: %d occurrences, version %d, %d entries, %d keys; want %d, %d, %d, %d",
			got.Occurrences, got.Version, len(got.Timeline), len(got.OccurrenceKeys), n+2, n+2, n+1, n+1)
	}
	for i := range n {
		if found, err := st.FindByIdempotencyKey(ctx, fmt.Sprintf("u-edr:%d", i)); err != nil || found.ID != holder.ID {
			t.Errorf("report %d not found by its key: %v", i, err)
		}
	}
}

// Attaches, appends and updates of one incident do not lose one another.
func TestConcurrentWritesOfOneIncident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	inc := newIncident("INC-2026-000001", "busy")
	inc.DedupKey = "siem:busy"
	mustInsert(t, st, inc)
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	updates := 0
	for i := range n {
		wg.Go(func() {
			if _, err := st.AddOccurrence(ctx, "siem:busy", "", occurrence("again")); err != nil {
				t.Errorf("attach: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := st.AppendEntry(ctx, inc.ID, incident.Entry{At: t0, Actor: incident.System, Kind: incident.EntryEscalation}, nil); err != nil {
				t.Errorf("append: %v", err)
			}
		})
		wg.Go(func() {
			for {
				cur, err := st.Get(ctx, inc.ID)
				if err != nil {
					t.Error(err)
					return
				}
				next := cur.Clone()
				next.Version++
				next.AssessmentNote += fmt.Sprint(i, ";")
				next.Timeline = append(next.Timeline, incident.Entry{At: t0, Actor: incident.System, Kind: incident.EntryStage, Note: fmt.Sprint(i)})
				err = st.Update(ctx, next, cur.Version)
				if errors.Is(err, incident.ErrConflict) {
					continue
				}
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				updates++
				mu.Unlock()
				return
			}
		})
	}
	wg.Wait()
	got, err := st.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[incident.EntryKind]int{}
	for _, e := range got.Timeline {
		kinds[e.Kind]++
	}
	if got.Occurrences != n+1 || kinds[incident.EntryOccurrence] != n || kinds[incident.EntryEscalation] != n ||
		kinds[incident.EntryStage] != n || got.Version != int64(1+3*n) {
		t.Errorf("after %d of each write: %d occurrences, entries %v, version %d; want %d, %d each, %d",
			n, got.Occurrences, kinds, got.Version, n+1, n, 1+3*n)
	}
}

func TestBackfillKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	a := newIncident("INC-2026-000001", "old a")
	a.IdempotencyKey, a.OccurrenceKeys, a.DedupKey = "u1:a", []string{"u2:a2"}, "old:a"
	mustInsert(t, st, a)
	b := newIncident("INC-2026-000002", "old b")
	b.Stage, b.DedupKey = incident.Closed, "old:b"
	mustInsert(t, st, b)
	// As a database from before incident_keys: no keys at all.
	if err := keyCol(db).Drop(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := st.BackfillKeys(ctx)
	if err != nil || n != 5 {
		t.Fatalf("BackfillKeys = %d, %v; want 5 keys", n, err)
	}
	for key, want := range map[string]string{"number/INC-2026-000001": a.ID, "idem/u1:a": a.ID, "idem/u2:a2": a.ID,
		"dedup/old:a": a.ID, "number/INC-2026-000002": b.ID, "dedup/old:b": ""} {
		if got := keyOf(t, db, key); got != want {
			t.Errorf("key %s names %q, want %q", key, got, want)
		}
	}
	dropKeyDoc(t, db, "idem/u2:a2")
	if n, err := st.BackfillKeys(ctx); err != nil || n != 0 {
		t.Errorf("second BackfillKeys = %d, %v; want 0 (done once)", n, err)
	}
}

// The code path for MongoDB (conditions in the filters) run against the
// embedded server through a client of its own, which the store does not take
// for the embedded one.
func TestKeysThroughAnotherClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.NewClients(t, 1)[0]
	if db.Embedded() {
		t.Fatal("NewClients gave an embedded store")
	}
	st := db.Incidents()
	inc := newIncident("INC-2026-000001", "remote")
	inc.DedupKey = "r:1"
	mustInsert(t, st, inc)
	if got, err := st.AddOccurrence(ctx, "r:1", "u:1", occurrence("again")); err != nil || got.Occurrences != 2 {
		t.Fatalf("AddOccurrence = %+v, %v", got, err)
	}
	if _, err := st.AddOccurrence(ctx, "r:1", "u:1", occurrence("again")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("AddOccurrence again = %v, want ErrNotFound", err)
	}
	cur, err := st.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	closed := cur.Clone()
	closed.Version++
	closed.Stage = incident.Closed
	if err := st.Update(ctx, closed, cur.Version); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, closed, cur.Version); !errors.Is(err, incident.ErrConflict) {
		t.Errorf("stale Update = %v, want ErrConflict", err)
	}
	if keyOf(t, db, "dedup/r:1") != "" {
		t.Error("closing kept the dedup key")
	}
	if got, err := st.FindByIdempotencyKey(ctx, "u:1"); err != nil || got.ID != inc.ID {
		t.Errorf("FindByIdempotencyKey = %v, %v", got, err)
	}
	putKeyDoc(t, db, "dedup/r:1", oidOf(t, inc.ID))
	if _, err := st.FindOpenByDedupKey(ctx, "r:1"); !errors.Is(err, incident.ErrNotFound) || keyOf(t, db, "dedup/r:1") != "" {
		t.Errorf("stale dedup key: %v, key %q", err, keyOf(t, db, "dedup/r:1"))
	}
}

// The keys of concurrent inserts are written in shared batches; every
// incident gets its own.
func TestConcurrentInsertsGetTheirKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	st := db.Incidents()
	const n = 60
	incs := make([]*incident.Incident, n)
	var wg sync.WaitGroup
	for i := range n {
		incs[i] = newIncident(fmt.Sprintf("INC-2026-%06d", i+1), fmt.Sprint("burst ", i))
		incs[i].IdempotencyKey = fmt.Sprint("u:", i)
		if i%2 == 0 {
			incs[i].DedupKey = fmt.Sprint("d:", i)
		}
		if i == n-1 { // one key to take over amid the batch
			putKeyDoc(t, db, "number/"+incs[i].Number, bson.NewObjectID())
		}
		wg.Go(func() {
			if err := st.Insert(ctx, incs[i]); err != nil {
				t.Errorf("insert %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i, inc := range incs {
		keys := []string{"number/" + inc.Number, "idem/" + inc.IdempotencyKey}
		if i%2 == 0 {
			keys = append(keys, "dedup/"+inc.DedupKey)
		}
		for _, key := range keys {
			if got := keyOf(t, db, key); got != inc.ID {
				t.Errorf("key %s names %q, want %s", key, got, inc.ID)
			}
		}
	}
}
