package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/incident"
)

// InsertMany stores incidents as they are, in ordered batches, and sets
// their ids: for imports and for loading benchmark data sets, where
// inserting through the service one report at a time is slow on the
// embedded store. Unlike Insert it does not resolve duplicate keys: a
// clash is an error, and the incidents before it are stored.
func (s *Incidents) InsertMany(ctx context.Context, incs []*incident.Incident) error {
	const batch = 1000
	for start := 0; start < len(incs); start += batch {
		part := incs[start:min(start+batch, len(incs))]
		docs := make([]any, len(part))
		ds := make([]*incidentDoc, len(part))
		for i, inc := range part {
			d, err := incidentToDoc(inc)
			if err != nil {
				return fmt.Errorf("insert incident %s: %w", inc.Number, err)
			}
			d.ID = bson.NewObjectID()
			docs[i], ds[i] = d, d
		}
		if _, err := s.col.InsertMany(ctx, docs, options.InsertMany().SetOrdered(true)); err != nil {
			return fmt.Errorf("insert incidents: %w", err)
		}
		for i, d := range ds {
			part[i].ID = d.ID.Hex()
			s.writeKeys(ctx, d, nil)
		}
	}
	return nil
}
