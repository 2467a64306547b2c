package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/notify"
)

// colOutbox holds notify.Messages, keyed by their idempotency key.
const colOutbox = "outbox"

// Outbox keeps the notifications outbox. It implements notify.Store. The
// message key is the _id, so "enqueue once" is the database's unique
// primary key: an insert that collides means "already enqueued", on
// MongoDB and FerretDB alike and at any connection pool size.
//
// Every change of a message's delivery state (claim, finish, requeue) is
// conditional on the state it expects: on MongoDB one FindOneAndUpdate
// whose filter names the _id and that state, which MongoDB applies
// atomically. FerretDB v1.24 evaluates such a filter by decoding every
// document of the collection (the outbox keeps a month of sent messages),
// and reads by exactly {_id} through SQL; so on the embedded store a
// change reads the message by _id, checks the state in Go and writes by
// _id, holding the message's lock, as the incident store does (keys.go).
// That is atomic because every state change takes the lock and the
// embedded store belongs to this one process (ADR 0002). Updates by _id
// still scan on FerretDB v1.24, so the worker calls these once or twice
// per message and never polls them (ADR 0004).
type Outbox struct {
	col    *mongo.Collection
	locked bool // the embedded store: changes by _id under a lock
}

var (
	_ notify.Store = (*Outbox)(nil)
	_ notify.Refs  = (*Outbox)(nil)
)

// Outbox is the notifications outbox.
func (db *DB) Outbox() *Outbox { return &Outbox{col: db.db.Collection(colOutbox), locked: db.embedded} }

// messageDoc is a notify.Message as stored in outbox.
type messageDoc struct {
	Key        string    `bson:"_id"`
	Kind       string    `bson:"kind"`
	Incident   string    `bson:"incident,omitempty"`
	Recipient  string    `bson:"recipient"`
	Channel    string    `bson:"channel"`
	Address    string    `bson:"address,omitempty"`
	Subject    string    `bson:"subject"`
	Body       string    `bson:"body"`
	CreatedAt  time.Time `bson:"created_at"`
	Restricted bool      `bson:"restricted,omitempty"`
	Status     string    `bson:"status"`
	Attempts   int       `bson:"attempts"`
	NextAt     time.Time `bson:"next_at"`
	Owner      string    `bson:"owner,omitempty"`
	LastError  string    `bson:"last_error,omitempty"`
	SentAt     time.Time `bson:"sent_at,omitempty"`
	UpdatedAt  time.Time `bson:"updated_at,omitempty"`
	Ref        string    `bson:"ref,omitempty"`
}

func messageToDoc(m notify.Message) messageDoc {
	return messageDoc{
		Key: m.Key, Kind: string(m.Kind), Incident: m.Incident, Recipient: m.Recipient,
		Channel: string(m.Channel), Address: m.Address, Subject: m.Subject, Body: m.Body,
		CreatedAt: m.CreatedAt.UTC(), Restricted: m.Restricted, Status: string(m.Status),
		Attempts: m.Attempts, NextAt: utcOrZero(m.NextAt), Owner: m.Owner, LastError: m.LastError,
		SentAt: utcOrZero(m.SentAt), UpdatedAt: utcOrZero(m.UpdatedAt), Ref: m.Ref,
	}
}

func messageFromDoc(d *messageDoc) notify.Message {
	return notify.Message{
		Key: d.Key, Kind: notify.Kind(d.Kind), Incident: d.Incident, Recipient: d.Recipient,
		Channel: notify.Channel(d.Channel), Address: d.Address, Subject: d.Subject, Body: d.Body,
		CreatedAt: d.CreatedAt.UTC(), Restricted: d.Restricted, Status: notify.Status(d.Status),
		Attempts: d.Attempts, NextAt: utcOrZero(d.NextAt), Owner: d.Owner, LastError: d.LastError,
		SentAt: utcOrZero(d.SentAt), UpdatedAt: utcOrZero(d.UpdatedAt), Ref: d.Ref,
	}
}

// Insert adds the messages whose keys are new, one insert each, so that
// which ones were added is known exactly; batches are a few messages.
func (o *Outbox) Insert(ctx context.Context, msgs []notify.Message) ([]notify.Message, error) {
	var added []notify.Message
	for _, m := range msgs {
		_, err := o.col.InsertOne(ctx, messageToDoc(m))
		switch {
		case isDuplicate(err):
			continue
		case err != nil:
			return added, fmt.Errorf("insert message %s: %w", m.Key, err)
		}
		added = append(added, m)
	}
	return added, nil
}

// Outbox list sizes.
const (
	defaultOutboxList = 100
	maxOutboxList     = 1000
)

// oldestFirst is the order of every listing: creation time, then key.
func oldestFirst() bson.D {
	return bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}
}

// List returns the messages f selects, oldest first.
func (o *Outbox) List(ctx context.Context, f notify.Filter) ([]notify.Message, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = defaultOutboxList
	case limit > maxOutboxList:
		limit = maxOutboxList
	}
	filter := bson.D{}
	if len(f.Statuses) > 0 {
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: statusStrings(f.Statuses)}}})
	}
	if f.Incident != "" {
		filter = append(filter, bson.E{Key: "incident", Value: f.Incident})
	}
	if f.Channel != "" {
		filter = append(filter, bson.E{Key: "channel", Value: string(f.Channel)})
	}
	msgs, err := o.find(ctx, filter, options.Find().SetSort(oldestFirst()).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, nil
}

func statusStrings(ss []notify.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func (o *Outbox) find(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]notify.Message, error) {
	cur, err := o.col.Find(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	var docs []messageDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]notify.Message, len(docs))
	for i := range docs {
		out[i] = messageFromDoc(&docs[i])
	}
	return out, nil
}

// Get implements notify.Store.
func (o *Outbox) Get(ctx context.Context, key string) (notify.Message, error) {
	var d messageDoc
	if err := o.col.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			err = notify.ErrNotFound
		}
		return notify.Message{}, fmt.Errorf("get message %s: %w", key, err)
	}
	return messageFromDoc(&d), nil
}

// Ref implements notify.Refs.
func (o *Outbox) Ref(ctx context.Context, key string) (string, error) {
	m, err := o.Get(ctx, key)
	switch {
	case errors.Is(err, notify.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case m.Status != notify.StatusSent:
		return "", nil
	}
	return m.Ref, nil
}

// due lists the states in which a worker may claim a message at now:
// pending, a retry whose time has come, a claim that expired.
func due(now time.Time) bson.A {
	now = now.UTC()
	return bson.A{
		bson.D{{Key: "status", Value: string(notify.StatusPending)}},
		bson.D{{Key: "status", Value: string(notify.StatusRetry)}, {Key: "next_at", Value: bson.D{{Key: "$lte", Value: now}}}},
		bson.D{{Key: "status", Value: string(notify.StatusSending)}, {Key: "next_at", Value: bson.D{{Key: "$lt", Value: now}}}},
	}
}

// Due implements notify.Store.
func (o *Outbox) Due(ctx context.Context, now time.Time, limit int) ([]notify.Message, error) {
	if limit <= 0 {
		limit = maxOutboxList
	}
	msgs, err := o.find(ctx, bson.D{{Key: "$or", Value: due(now)}}, options.Find().SetSort(oldestFirst()).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	return msgs, nil
}

// Claim implements notify.Store.
func (o *Outbox) Claim(ctx context.Context, key, owner string, now, until time.Time) (notify.Message, bool, error) {
	now = now.UTC()
	own := bson.D{{Key: "status", Value: string(notify.StatusSending)}, {Key: "owner", Value: owner}}
	cond := bson.D{{Key: "$or", Value: append(due(now), own)}}
	claimable := func(d *messageDoc) bool {
		switch notify.Status(d.Status) {
		case notify.StatusPending:
			return true
		case notify.StatusRetry:
			return !d.NextAt.After(now)
		case notify.StatusSending:
			return d.NextAt.Before(now) || d.Owner == owner
		}
		return false
	}
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "status", Value: string(notify.StatusSending)},
			{Key: "owner", Value: owner},
			{Key: "next_at", Value: until.UTC()},
			{Key: "updated_at", Value: now},
		}},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	}
	before, ok, err := o.change(ctx, key, cond, claimable, update)
	switch {
	case errors.Is(err, notify.ErrNotFound):
		return notify.Message{}, false, nil // purged
	case err != nil:
		return notify.Message{}, false, fmt.Errorf("claim message %s: %w", key, err)
	case !ok:
		return notify.Message{}, false, nil
	}
	return messageFromDoc(before), true, nil
}

// Finish implements notify.Store: a change fenced by the claim's owner
// and attempt number.
func (o *Outbox) Finish(ctx context.Context, key, owner string, attempts int, r notify.Result) error {
	switch r.Status {
	case notify.StatusSent, notify.StatusRetry, notify.StatusDead, notify.StatusUnknown, notify.StatusSending:
	default:
		return fmt.Errorf("finish message %s: %q is not a result", key, r.Status)
	}
	set := bson.D{
		{Key: "status", Value: string(r.Status)},
		{Key: "last_error", Value: r.LastError},
		{Key: "updated_at", Value: r.At.UTC()},
	}
	switch r.Status {
	case notify.StatusSent:
		set = append(set, bson.E{Key: "ref", Value: r.Ref}, bson.E{Key: "sent_at", Value: r.SentAt.UTC()})
	case notify.StatusRetry, notify.StatusSending:
		set = append(set, bson.E{Key: "next_at", Value: r.NextAt.UTC()})
	}
	if r.Status == notify.StatusSending {
		// Unsettled: free for whoever comes at NextAt, this instance included.
		set = append(set, bson.E{Key: "owner", Value: ""})
	}
	cond := bson.D{
		{Key: "status", Value: string(notify.StatusSending)},
		{Key: "owner", Value: owner},
		{Key: "attempts", Value: attempts},
	}
	held := func(d *messageDoc) bool {
		return d.Status == string(notify.StatusSending) && d.Owner == owner && d.Attempts == attempts
	}
	_, ok, err := o.change(ctx, key, cond, held, bson.D{{Key: "$set", Value: set}})
	switch {
	case err != nil && !errors.Is(err, notify.ErrNotFound):
		return fmt.Errorf("finish message %s: %w", key, err)
	case !ok: // in another state, or deleted
		return fmt.Errorf("finish message %s (owner %s, attempt %d): %w", key, owner, attempts, notify.ErrClaimLost)
	}
	return nil
}

// Requeue implements notify.Store.
func (o *Outbox) Requeue(ctx context.Context, key string, now time.Time) (notify.Message, error) {
	now = now.UTC()
	cond := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{string(notify.StatusDead), string(notify.StatusUnknown)}}}}}
	failed := func(d *messageDoc) bool {
		return d.Status == string(notify.StatusDead) || d.Status == string(notify.StatusUnknown)
	}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: string(notify.StatusPending)},
		{Key: "attempts", Value: 0},
		{Key: "next_at", Value: now},
		{Key: "owner", Value: ""},
		{Key: "updated_at", Value: now},
	}}}
	before, ok, err := o.change(ctx, key, cond, failed, update)
	switch {
	case err != nil:
		return notify.Message{}, fmt.Errorf("requeue message %s: %w", key, err)
	case !ok:
		return notify.Message{}, fmt.Errorf("requeue message %s: it is %s: %w", key, before.Status, notify.ErrNotFailed)
	}
	m := messageFromDoc(before)
	m.Status, m.Attempts, m.NextAt, m.Owner, m.UpdatedAt = notify.StatusPending, 0, now, "", now
	return m, nil
}

// change applies update ($set, and $inc of attempts) to message key if
// it is in a state that cond (as a filter) and accepts (the same condition
// in Go) select, and returns the message as it was. ok is false, with no
// error, when the message is in another state (before then holds it), and
// the error wraps notify.ErrNotFound when there is no such message.
//
// On the embedded store the message is read by _id, checked, and replaced
// by _id with the update applied in Go: FerretDB serves both from SQL by
// the _id (an update, even by _id, decodes the whole collection).
func (o *Outbox) change(ctx context.Context, key string, cond bson.D, accepts func(*messageDoc) bool, update bson.D) (before *messageDoc, ok bool, err error) {
	byID := bson.D{{Key: "_id", Value: key}}
	if o.locked {
		defer lockStripe("outbox", o.col.Database().Name(), key)()
		raw, err := o.col.FindOne(ctx, byID).Raw()
		if err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				err = notify.ErrNotFound
			}
			return nil, false, err
		}
		var d messageDoc
		if err := bson.Unmarshal(raw, &d); err != nil {
			return nil, false, err
		}
		if !accepts(&d) {
			return &d, false, nil
		}
		var doc bson.D
		if err := bson.Unmarshal(raw, &doc); err != nil {
			return nil, false, err
		}
		if _, err := o.col.ReplaceOne(ctx, byID, applyUpdate(doc, update, d.Attempts)); err != nil {
			return nil, false, err
		}
		return &d, true, nil
	}
	var d messageDoc
	err = o.col.FindOneAndUpdate(ctx, append(byID, cond...), update, options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&d)
	if err == nil {
		return &d, true, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, false, err
	}
	if err := o.col.FindOne(ctx, byID).Decode(&d); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			err = notify.ErrNotFound
		}
		return nil, false, err
	}
	return &d, false, nil
}

// applyUpdate applies update to doc as MongoDB would: each $set field
// replaces or joins doc's, and an $inc of attempts adds to attempts (which
// is the only field the outbox increments).
func applyUpdate(doc, update bson.D, attempts int) bson.D {
	set := func(k string, v any) {
		for i := range doc {
			if doc[i].Key == k {
				doc[i].Value = v
				return
			}
		}
		doc = append(doc, bson.E{Key: k, Value: v})
	}
	for _, op := range update {
		fields, _ := op.Value.(bson.D)
		for _, f := range fields {
			switch op.Key {
			case "$set":
				set(f.Key, f.Value)
			case "$inc":
				set(f.Key, attempts+f.Value.(int))
			}
		}
	}
	return doc
}

// Failures implements notify.Store.
func (o *Outbox) Failures(ctx context.Context) (map[string]int, error) {
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{string(notify.StatusDead), string(notify.StatusUnknown)}}}}}
	cur, err := o.col.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "incident", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("count failed messages: %w", err)
	}
	var docs []struct {
		Incident string `bson:"incident"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("count failed messages: %w", err)
	}
	out := map[string]int{}
	for _, d := range docs {
		if d.Incident != "" {
			out[d.Incident]++
		}
	}
	return out, nil
}

// PurgeSent implements notify.Store.
func (o *Outbox) PurgeSent(ctx context.Context, before time.Time) (int64, error) {
	res, err := o.col.DeleteMany(ctx, bson.D{
		{Key: "status", Value: string(notify.StatusSent)},
		{Key: "sent_at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}},
	})
	if err != nil {
		return 0, fmt.Errorf("purge sent messages: %w", err)
	}
	return res.DeletedCount, nil
}

// lockStripe takes the embedded store's lock of id of kind in database db
// (the stripes of keys.go, which no caller holds two of at once) and
// returns its unlock.
func lockStripe(kind, db, id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(db + "\x00" + kind + "\x00" + id))
	m := &stripes[h.Sum32()%uint32(len(stripes))]
	m.Lock()
	return m.Unlock
}
