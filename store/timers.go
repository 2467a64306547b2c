package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// Collections of the timer engine.
const (
	colTimers      = "timers"
	colTimerClaims = "timer_claims"
	colTimerEvents = "timer_events"
	colTimerLeases = "timer_leases"
)

// Timers keeps the escalation engine's timers (timers), their attempt
// records (timer_claims), the events that tell the leader what others
// scheduled (timer_events) and the leader's leases (timer_leases). It
// implements escalation.TimerStore.
//
// Every document is inserted once and never updated. On FerretDB v1.24 a
// query scans its table even when it names an _id (the SQL it pushes down
// compares an expression the _id index does not cover), and an update or a
// delete by _id does the same: about half a second with 100,000 timers.
// An insert is checked by the unique _id index at constant cost, and is
// atomic across connections. So claims, results, events and leases are all
// inserts into a slot named by their _id, the engine keeps what it needs
// to know in memory, and only the retention job deletes, in bulk.
type Timers struct {
	timers *mongo.Collection
	claims *mongo.Collection
	events *mongo.Collection
	leases *mongo.Collection
}

var _ escalation.TimerStore = (*Timers)(nil)

// Timers is the timer engine's store.
func (db *DB) Timers() *Timers {
	return &Timers{
		timers: db.db.Collection(colTimers),
		claims: db.db.Collection(colTimerClaims),
		events: db.db.Collection(colTimerEvents),
		leases: db.db.Collection(colTimerLeases),
	}
}

// EmbeddedURI is the address of the embedded server, "" against MongoDB.
// Tests use it to connect several clients, as several instances would.
func (db *DB) EmbeddedURI() string {
	if db.server == nil {
		return ""
	}
	return db.server.uri
}

// timerDoc is a timer as stored in timers; _id is its key.
type timerDoc struct {
	Key       string    `bson:"_id"`
	Incident  string    `bson:"incident"`
	Level     string    `bson:"level"`
	Kind      string    `bson:"kind"`
	DueAt     time.Time `bson:"due_at"`
	Step      int       `bson:"step"`
	Repeat    int       `bson:"repeat"`
	Deadline  string    `bson:"deadline,omitempty"`
	Stage     string    `bson:"stage,omitempty"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
}

func timerToDoc(t escalation.Timer, now time.Time) timerDoc {
	return timerDoc{
		Key: t.Key, Incident: t.Incident, Level: string(t.Level), Kind: string(t.Kind),
		DueAt: t.DueAt.UTC(), Step: t.Step, Repeat: t.Repeat,
		Deadline: string(t.Deadline), Stage: string(t.Stage), CreatedAt: now.UTC(),
	}
}

func timerFromDoc(d *timerDoc) escalation.Timer {
	return escalation.Timer{
		Key: d.Key, Incident: d.Incident, Level: incident.Level(d.Level), Kind: escalation.TimerKind(d.Kind),
		DueAt: d.DueAt.UTC(), Step: d.Step, Repeat: d.Repeat,
		Deadline: escalation.DeadlineName(d.Deadline), Stage: incident.Stage(d.Stage),
	}
}

// attemptDoc is an attempt record in timer_claims; _id is "<key>#<slot>".
type attemptDoc struct {
	ID      string    `bson:"_id"`
	Key     string    `bson:"key"`
	Slot    int       `bson:"slot"`
	Kind    string    `bson:"kind"`
	Outcome string    `bson:"outcome,omitempty"`
	Owner   string    `bson:"owner"`
	At      time.Time `bson:"at"`
	Until   time.Time `bson:"until,omitempty"`
	Runs    int       `bson:"runs"`
	Error   string    `bson:"error,omitempty"`
	DueAt   time.Time `bson:"due_at"`
	FiredAt time.Time `bson:"fired_at,omitempty"`
}

func attemptID(key string, slot int) string { return key + "#" + strconv.Itoa(slot) }

func attemptToDoc(a escalation.Attempt) attemptDoc {
	return attemptDoc{
		ID: attemptID(a.Key, a.Slot), Key: a.Key, Slot: a.Slot, Kind: string(a.Kind), Outcome: string(a.Outcome),
		Owner: a.Owner, At: a.At.UTC(), Until: utcOrZero(a.Until), Runs: a.Runs, Error: a.Error,
		DueAt: a.DueAt.UTC(), FiredAt: utcOrZero(a.FiredAt),
	}
}

func attemptFromDoc(d *attemptDoc) escalation.Attempt {
	return escalation.Attempt{
		Key: d.Key, Slot: d.Slot, Kind: escalation.AttemptKind(d.Kind), Outcome: escalation.TimerState(d.Outcome),
		Owner: d.Owner, At: d.At.UTC(), Until: utcOrZero(d.Until), Runs: d.Runs, Error: d.Error,
		DueAt: d.DueAt.UTC(), FiredAt: utcOrZero(d.FiredAt),
	}
}

// eventDoc is an event in timer_events; _id is its number in decimal. The
// timers and keys it carries are one JSON string: FerretDB finds even an
// _id by reading through every row of the table, at a cost that grows with
// the size of each document's structure, and the engine looks for the next
// event every second.
type eventDoc struct {
	ID      string    `bson:"_id"`
	Seq     int64     `bson:"seq"`
	Owner   string    `bson:"owner"`
	At      time.Time `bson:"at"`
	Payload string    `bson:"payload"`
}

type eventPayload struct {
	Scheduled []eventTimer `json:"s,omitempty"`
	Cancelled []string     `json:"c,omitempty"`
	Finished  []string     `json:"f,omitempty"`
}

type eventTimer struct {
	Key      string    `json:"k"`
	Incident string    `json:"i"`
	Level    string    `json:"l,omitempty"`
	Kind     string    `json:"t"`
	DueAt    time.Time `json:"d"`
	Step     int       `json:"n,omitempty"`
	Repeat   int       `json:"r,omitempty"`
	Deadline string    `json:"dl,omitempty"`
	Stage    string    `json:"st,omitempty"`
}

// leaseDoc is a lease in timer_leases; _id is its epoch in decimal.
type leaseDoc struct {
	ID    string    `bson:"_id"`
	Epoch int64     `bson:"epoch"`
	Owner string    `bson:"owner"`
	At    time.Time `bson:"at"`
	Until time.Time `bson:"until"`
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// insertBatch is how many documents one insert command carries. FerretDB
// inserts a batch in one SQLite transaction (and falls back to one by one
// when a key is taken); MongoDB's limit is far higher.
const insertBatch = 500

// insertAbsent inserts docs unordered, in batches, and reports which were
// stored: a duplicate key leaves that document out, any other error stops.
func insertAbsent[D any](ctx context.Context, col *mongo.Collection, docs []D) ([]bool, error) {
	stored := make([]bool, len(docs))
	for start := 0; start < len(docs); start += insertBatch {
		end := min(start+insertBatch, len(docs))
		batch := make([]any, 0, end-start)
		for i := start; i < end; i++ {
			batch = append(batch, docs[i])
		}
		for i := start; i < end; i++ {
			stored[i] = true
		}
		_, err := col.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false))
		if err == nil {
			continue
		}
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
			for i := start; i < end; i++ {
				stored[i] = false
			}
			return stored, err
		}
		var other error
		for _, we := range bwe.WriteErrors {
			stored[start+we.Index] = false
			if !isDuplicate(mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}) && other == nil {
				other = we
			}
		}
		if other != nil {
			return stored, other
		}
	}
	return stored, nil
}

// InsertTimers implements escalation.TimerStore.
func (s *Timers) InsertTimers(ctx context.Context, ts []escalation.Timer, now time.Time) ([]string, error) {
	docs := make([]timerDoc, len(ts))
	for i, t := range ts {
		docs[i] = timerToDoc(t, now)
	}
	stored, err := insertAbsent(ctx, s.timers, docs)
	var keys []string
	for i, ok := range stored {
		if ok {
			keys = append(keys, ts[i].Key)
		}
	}
	if err != nil {
		return keys, fmt.Errorf("insert timers: %w", err)
	}
	return keys, nil
}

// Timer implements escalation.TimerStore.
func (s *Timers) Timer(ctx context.Context, key string) (escalation.Timer, error) {
	var d timerDoc
	if err := s.timers.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d); err != nil {
		return escalation.Timer{}, fmt.Errorf("get timer %s: %w", key, noRecord(err))
	}
	return timerFromDoc(&d), nil
}

// Timers implements escalation.TimerStore. It scans the collection on
// FerretDB.
func (s *Timers) Timers(ctx context.Context, inc string) ([]escalation.Timer, error) {
	filter := bson.D{}
	if inc != "" {
		filter = bson.D{{Key: "incident", Value: inc}}
	}
	cur, err := s.timers.Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	defer cur.Close(ctx)
	var out []escalation.Timer
	for cur.Next(ctx) {
		var d timerDoc
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("list timers: %w", err)
		}
		out = append(out, timerFromDoc(&d))
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	slices.SortFunc(out, func(a, b escalation.Timer) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), strings.Compare(a.Key, b.Key))
	})
	return out, nil
}

// InsertAttempts implements escalation.TimerStore.
func (s *Timers) InsertAttempts(ctx context.Context, as []escalation.Attempt) ([]bool, error) {
	docs := make([]attemptDoc, len(as))
	for i, a := range as {
		docs[i] = attemptToDoc(a)
	}
	stored, err := insertAbsent(ctx, s.claims, docs)
	if err != nil {
		return stored, fmt.Errorf("insert timer attempts: %w", err)
	}
	return stored, nil
}

// Attempt implements escalation.TimerStore.
func (s *Timers) Attempt(ctx context.Context, key string, slot int) (escalation.Attempt, error) {
	var d attemptDoc
	if err := s.claims.FindOne(ctx, bson.D{{Key: "_id", Value: attemptID(key, slot)}}).Decode(&d); err != nil {
		return escalation.Attempt{}, fmt.Errorf("get timer attempt %s: %w", attemptID(key, slot), noRecord(err))
	}
	return attemptFromDoc(&d), nil
}

// Attempts implements escalation.TimerStore. It scans the collection on
// FerretDB.
func (s *Timers) Attempts(ctx context.Context, keys []string) ([]escalation.Attempt, error) {
	filter := bson.D{}
	if keys != nil {
		if len(keys) == 0 {
			return nil, nil
		}
		filter = bson.D{{Key: "key", Value: bson.D{{Key: "$in", Value: keys}}}}
	}
	var docs []attemptDoc
	cur, err := s.claims.Find(ctx, filter)
	if err == nil {
		err = cur.All(ctx, &docs)
	}
	if err != nil {
		return nil, fmt.Errorf("list timer attempts: %w", err)
	}
	out := make([]escalation.Attempt, len(docs))
	for i := range docs {
		out[i] = attemptFromDoc(&docs[i])
	}
	slices.SortFunc(out, func(a, b escalation.Attempt) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), cmp.Compare(a.Slot, b.Slot))
	})
	return out, nil
}

// InsertEvent implements escalation.TimerStore.
func (s *Timers) InsertEvent(ctx context.Context, ev escalation.TimerEvent) (bool, error) {
	p := eventPayload{Cancelled: ev.Cancelled, Finished: ev.Finished}
	for _, t := range ev.Scheduled {
		p.Scheduled = append(p.Scheduled, eventTimer{
			Key: t.Key, Incident: t.Incident, Level: string(t.Level), Kind: string(t.Kind), DueAt: t.DueAt.UTC(),
			Step: t.Step, Repeat: t.Repeat, Deadline: string(t.Deadline), Stage: string(t.Stage),
		})
	}
	b, err := json.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("insert timer event %d: %w", ev.Seq, err)
	}
	ok, err := insertOne(ctx, s.events, eventDoc{ID: strconv.FormatInt(ev.Seq, 10), Seq: ev.Seq, Owner: ev.Owner, At: ev.At.UTC(), Payload: string(b)})
	if err != nil {
		return false, fmt.Errorf("insert timer event %d: %w", ev.Seq, err)
	}
	return ok, nil
}

// Event implements escalation.TimerStore.
func (s *Timers) Event(ctx context.Context, seq int64) (escalation.TimerEvent, error) {
	var d eventDoc
	if err := s.events.FindOne(ctx, bson.D{{Key: "_id", Value: strconv.FormatInt(seq, 10)}}).Decode(&d); err != nil {
		return escalation.TimerEvent{}, fmt.Errorf("get timer event %d: %w", seq, noRecord(err))
	}
	var p eventPayload
	if err := json.Unmarshal([]byte(d.Payload), &p); err != nil {
		return escalation.TimerEvent{}, fmt.Errorf("get timer event %d: %w", seq, err)
	}
	ev := escalation.TimerEvent{Seq: d.Seq, Owner: d.Owner, At: d.At.UTC(), Cancelled: p.Cancelled, Finished: p.Finished}
	for _, t := range p.Scheduled {
		ev.Scheduled = append(ev.Scheduled, escalation.Timer{
			Key: t.Key, Incident: t.Incident, Level: incident.Level(t.Level), Kind: escalation.TimerKind(t.Kind), DueAt: t.DueAt.UTC(),
			Step: t.Step, Repeat: t.Repeat, Deadline: escalation.DeadlineName(t.Deadline), Stage: incident.Stage(t.Stage),
		})
	}
	return ev, nil
}

// LastEvent implements escalation.TimerStore. The retention job keeps the
// collection small, and keeps its last event.
func (s *Timers) LastEvent(ctx context.Context) (int64, error) {
	n, err := lastNumber(ctx, s.events, "seq")
	if err != nil {
		return 0, fmt.Errorf("last timer event: %w", err)
	}
	return n, nil
}

// InsertLease implements escalation.TimerStore.
func (s *Timers) InsertLease(ctx context.Context, l escalation.Lease) (bool, error) {
	ok, err := insertOne(ctx, s.leases, leaseDoc{ID: strconv.FormatInt(l.Epoch, 10), Epoch: l.Epoch, Owner: l.Owner, At: l.At.UTC(), Until: l.Until.UTC()})
	if err != nil {
		return false, fmt.Errorf("insert timer lease %d: %w", l.Epoch, err)
	}
	return ok, nil
}

// Lease implements escalation.TimerStore.
func (s *Timers) Lease(ctx context.Context, epoch int64) (escalation.Lease, error) {
	var d leaseDoc
	if err := s.leases.FindOne(ctx, bson.D{{Key: "_id", Value: strconv.FormatInt(epoch, 10)}}).Decode(&d); err != nil {
		return escalation.Lease{}, fmt.Errorf("get timer lease %d: %w", epoch, noRecord(err))
	}
	return leaseFromDoc(&d), nil
}

// LastLease implements escalation.TimerStore.
func (s *Timers) LastLease(ctx context.Context) (escalation.Lease, error) {
	n, err := lastNumber(ctx, s.leases, "epoch")
	if err != nil {
		return escalation.Lease{}, fmt.Errorf("last timer lease: %w", err)
	}
	if n == 0 {
		return escalation.Lease{}, fmt.Errorf("last timer lease: %w", escalation.ErrNoRecord)
	}
	return s.Lease(ctx, n)
}

func leaseFromDoc(d *leaseDoc) escalation.Lease {
	return escalation.Lease{Epoch: d.Epoch, Owner: d.Owner, At: d.At.UTC(), Until: d.Until.UTC()}
}

// PurgeTimers implements escalation.TimerStore: two deletes, each a scan
// of its collection on FerretDB.
func (s *Timers) PurgeTimers(ctx context.Context, from, to time.Time, keep []string) (int64, error) {
	span := bson.D{{Key: "$lt", Value: to.UTC()}}
	if !from.IsZero() {
		span = append(span, bson.E{Key: "$gte", Value: from.UTC()})
	}
	if keep == nil {
		keep = []string{} // $nin wants an array
	}
	// Timers first: records left without their timer (a crash in between)
	// are never read, while a timer left without its records would count
	// as pending and fire again.
	res, err := s.timers.DeleteMany(ctx, bson.D{{Key: "due_at", Value: span}, {Key: "_id", Value: bson.D{{Key: "$nin", Value: keep}}}})
	if err != nil {
		return 0, fmt.Errorf("purge timers: %w", tooLarge(err))
	}
	if _, err := s.claims.DeleteMany(ctx, bson.D{{Key: "due_at", Value: span}, {Key: "key", Value: bson.D{{Key: "$nin", Value: keep}}}}); err != nil {
		return res.DeletedCount, fmt.Errorf("purge timer attempts: %w", tooLarge(err))
	}
	return res.DeletedCount, nil
}

// tooLarge marks FerretDB's refusal to delete more documents in one
// statement than SQLite takes parameters.
func tooLarge(err error) error {
	if strings.Contains(err.Error(), "too many SQL variables") {
		return fmt.Errorf("%w: %v", escalation.ErrPurgeTooLarge, err)
	}
	return err
}

// PurgeLog implements escalation.TimerStore.
func (s *Timers) PurgeLog(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, c := range []struct {
		col   *mongo.Collection
		field string
	}{{s.events, "seq"}, {s.leases, "epoch"}} {
		last, err := lastNumber(ctx, c.col, c.field)
		if err != nil {
			return n, fmt.Errorf("purge %s: %w", c.col.Name(), err)
		}
		res, err := c.col.DeleteMany(ctx, bson.D{
			{Key: "at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}},
			{Key: c.field, Value: bson.D{{Key: "$lt", Value: last}}},
		})
		if err != nil {
			return n, fmt.Errorf("purge %s: %w", c.col.Name(), err)
		}
		n += res.DeletedCount
	}
	return n, nil
}

// lastNumber returns the highest value of the integer field, 0 in an
// empty collection.
func lastNumber(ctx context.Context, col *mongo.Collection, field string) (int64, error) {
	var d bson.M
	err := col.FindOne(ctx, bson.D{}, options.FindOne().
		SetSort(bson.D{{Key: field, Value: -1}}).
		SetProjection(bson.D{{Key: field, Value: 1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	switch v := d[field].(type) {
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	}
	return 0, fmt.Errorf("%s.%s is %T", col.Name(), field, d[field])
}

// insertOne inserts d and reports false when its _id is taken.
func insertOne(ctx context.Context, col *mongo.Collection, d any) (bool, error) {
	_, err := col.InsertOne(ctx, d)
	if isDuplicate(err) {
		return false, nil
	}
	return err == nil, err
}

// noRecord maps mongo.ErrNoDocuments to escalation.ErrNoRecord.
func noRecord(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return escalation.ErrNoRecord
	}
	return err
}
