package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tocsin-hub/tocsin/incident"
)

// colEvidence holds evidence files, one document per file with its bytes
// (at most incident.MaxEvidenceSize, well under MongoDB's 16 MiB document
// limit). The incident keeps a reference to each (Task.Evidence).
const colEvidence = "evidence"

// Evidence keeps the files attached to incidents' tasks.
//
// A file is stored before the incident update that references it; when
// that update fails the caller deletes the file again. A crash in between
// leaves a file no incident refers to, which nobody can reach (files are
// served only through an incident that lists them).
type Evidence struct {
	col *mongo.Collection
}

// Evidence is the evidence file store.
func (db *DB) Evidence() *Evidence { return &Evidence{col: db.db.Collection(colEvidence)} }

type evidenceDoc struct {
	ID          bson.ObjectID `bson:"_id"`
	Incident    string        `bson:"incident"`
	Task        string        `bson:"task"`
	Name        string        `bson:"name"`
	ContentType string        `bson:"content_type"`
	Size        int64         `bson:"size"`
	SHA256      string        `bson:"sha256"`
	By          actorDoc      `bson:"by"`
	At          time.Time     `bson:"at"`
	Data        []byte        `bson:"data"`
}

// Put stores f with a new id and returns the id.
func (e *Evidence) Put(ctx context.Context, f incident.EvidenceFile) (string, error) {
	if len(f.Data) > incident.MaxEvidenceSize {
		return "", fmt.Errorf("evidence %s: %d bytes is over the limit", f.Name, len(f.Data))
	}
	d := evidenceDoc{ID: bson.NewObjectID(), Incident: f.Incident, Task: f.Task, Name: f.Name, ContentType: f.ContentType,
		Size: int64(len(f.Data)), SHA256: f.SHA256, By: actorToDoc(f.By), At: f.At.UTC(), Data: f.Data}
	if _, err := e.col.InsertOne(ctx, d); err != nil {
		return "", fmt.Errorf("store evidence %s: %w", f.Name, err)
	}
	return d.ID.Hex(), nil
}

// Get returns the file with id, or incident.ErrNotFound.
func (e *Evidence) Get(ctx context.Context, id string) (incident.EvidenceFile, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return incident.EvidenceFile{}, fmt.Errorf("evidence %q: %w", id, incident.ErrNotFound)
	}
	var d evidenceDoc
	err = e.col.FindOne(ctx, bson.D{{Key: "_id", Value: oid}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return incident.EvidenceFile{}, fmt.Errorf("evidence %s: %w", id, incident.ErrNotFound)
	case err != nil:
		return incident.EvidenceFile{}, fmt.Errorf("read evidence %s: %w", id, err)
	}
	return incident.EvidenceFile{
		Evidence: incident.Evidence{ID: d.ID.Hex(), Name: d.Name, ContentType: d.ContentType, Size: d.Size, SHA256: d.SHA256,
			By: actorFromDoc(d.By), At: d.At.UTC()},
		Incident: d.Incident, Task: d.Task, Data: d.Data,
	}, nil
}

// Delete removes the file with id; a missing file is not an error.
func (e *Evidence) Delete(ctx context.Context, id string) error {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return nil
	}
	if _, err := e.col.DeleteOne(ctx, bson.D{{Key: "_id", Value: oid}}); err != nil {
		return fmt.Errorf("delete evidence %s: %w", id, err)
	}
	return nil
}
