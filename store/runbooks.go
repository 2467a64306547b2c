package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// colRunbooks holds the saved versions of runbooks, one document per
// version keyed "id@version". Documents are only ever inserted: a version
// is never changed, so an incident that names one can always find it, and
// two people saving the same version at once are told apart by the unique
// _id (the second insert fails).
const colRunbooks = "runbooks"

// Runbooks keeps edited runbooks. It implements runbooks.Store.
type Runbooks struct {
	col *mongo.Collection
}

var _ runbooks.Store = (*Runbooks)(nil)

// Runbooks is the store of runbook versions.
func (db *DB) Runbooks() *Runbooks { return &Runbooks{col: db.db.Collection(colRunbooks)} }

type runbookDoc struct {
	Key     string    `bson:"_id"` // id@version
	ID      string    `bson:"runbook"`
	Version int       `bson:"version"`
	Source  string    `bson:"source"`
	By      actorDoc  `bson:"by"`
	At      time.Time `bson:"at"`
	Note    string    `bson:"note,omitempty"`
}

func runbookFromDoc(d runbookDoc) runbooks.Stored {
	return runbooks.Stored{ID: d.ID, Version: d.Version, Source: d.Source,
		Edit: runbooks.Edit{By: actorFromDoc(d.By), At: d.At.UTC(), Note: d.Note}}
}

// Insert stores a new version, or returns runbooks.ErrStale when the
// version is taken.
func (r *Runbooks) Insert(ctx context.Context, s runbooks.Stored) error {
	_, err := r.col.InsertOne(ctx, runbookDoc{Key: incident.RunbookRef(s.ID, s.Version), ID: s.ID, Version: s.Version,
		Source: s.Source, By: actorToDoc(s.Edit.By), At: s.Edit.At.UTC(), Note: s.Edit.Note})
	switch {
	case isDuplicate(err):
		return fmt.Errorf("%s: %w", incident.RunbookRef(s.ID, s.Version), runbooks.ErrStale)
	case err != nil:
		return fmt.Errorf("insert runbook %s: %w", incident.RunbookRef(s.ID, s.Version), err)
	}
	return nil
}

// Version finds one version by its _id (a point lookup even on the
// embedded server).
func (r *Runbooks) Version(ctx context.Context, id string, version int) (runbooks.Stored, error) {
	var d runbookDoc
	err := r.col.FindOne(ctx, bson.D{{Key: "_id", Value: incident.RunbookRef(id, version)}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return runbooks.Stored{}, runbooks.ErrNotFound
	case err != nil:
		return runbooks.Stored{}, fmt.Errorf("read runbook %s: %w", incident.RunbookRef(id, version), err)
	}
	return runbookFromDoc(d), nil
}

// Versions returns every stored version of id, oldest first.
func (r *Runbooks) Versions(ctx context.Context, id string) ([]runbooks.Stored, error) {
	return r.find(ctx, bson.D{{Key: "runbook", Value: id}})
}

// Latest returns the highest stored version of each runbook. The
// collection holds a few hundred small documents at most, so it is read
// whole and reduced here (FerretDB's $group knows only $sum and $count).
func (r *Runbooks) Latest(ctx context.Context) ([]runbooks.Stored, error) {
	all, err := r.find(ctx, bson.D{})
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	var out []runbooks.Stored
	for _, s := range all {
		if i, ok := idx[s.ID]; ok {
			out[i] = s // all is sorted by version within each id
			continue
		}
		idx[s.ID] = len(out)
		out = append(out, s)
	}
	return out, nil
}

func (r *Runbooks) find(ctx context.Context, filter bson.D) ([]runbooks.Stored, error) {
	cur, err := r.col.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "runbook", Value: 1}, {Key: "version", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	var docs []runbookDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	out := make([]runbooks.Stored, len(docs))
	for i, d := range docs {
		out[i] = runbookFromDoc(d)
	}
	return out, nil
}
