package store

import (
	"context"
	"fmt"
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
type Outbox struct {
	col *mongo.Collection
}

var _ notify.Store = (*Outbox)(nil)

// Outbox is the notifications outbox.
func (db *DB) Outbox() *Outbox { return &Outbox{col: db.db.Collection(colOutbox)} }

// messageDoc is a notify.Message as stored in outbox.
type messageDoc struct {
	Key       string    `bson:"_id"`
	Kind      string    `bson:"kind"`
	Incident  string    `bson:"incident,omitempty"`
	Recipient string    `bson:"recipient"`
	Channel   string    `bson:"channel"`
	Subject   string    `bson:"subject"`
	Body      string    `bson:"body"`
	CreatedAt time.Time `bson:"created_at"`
	Status    string    `bson:"status"`
}

func messageToDoc(m notify.Message) messageDoc {
	return messageDoc{Key: m.Key, Kind: string(m.Kind), Incident: m.Incident, Recipient: m.Recipient,
		Channel: string(m.Channel), Subject: m.Subject, Body: m.Body, CreatedAt: m.CreatedAt.UTC(), Status: string(m.Status)}
}

func messageFromDoc(d messageDoc) notify.Message {
	return notify.Message{Key: d.Key, Kind: notify.Kind(d.Kind), Incident: d.Incident, Recipient: d.Recipient,
		Channel: notify.Channel(d.Channel), Subject: d.Subject, Body: d.Body, CreatedAt: d.CreatedAt.UTC(), Status: notify.Status(d.Status)}
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

// List returns up to limit messages in status (all for ""), oldest first.
func (o *Outbox) List(ctx context.Context, status notify.Status, limit int) ([]notify.Message, error) {
	switch {
	case limit <= 0:
		limit = defaultOutboxList
	case limit > maxOutboxList:
		limit = maxOutboxList
	}
	filter := bson.D{}
	if status != "" {
		filter = bson.D{{Key: "status", Value: string(status)}}
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit))
	cur, err := o.col.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	var docs []messageDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	out := make([]notify.Message, len(docs))
	for i, d := range docs {
		out[i] = messageFromDoc(d)
	}
	return out, nil
}
