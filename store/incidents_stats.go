package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/incident"
)

// statsProjection keeps what statistics read (incident.Compute): the
// classification, the times, the kinds of timeline entries (escalations
// and missed deadlines are counted), the teams and the corrective actions.
// Texts, the plan and most of the timeline stay on the server.
var statsProjection = bson.D{
	{Key: "number", Value: 1}, {Key: "version", Value: 1}, {Key: "title", Value: 1}, {Key: "level", Value: 1}, {Key: "category", Value: 1},
	{Key: "stage", Value: 1}, {Key: "drill", Value: 1}, {Key: "created_at", Value: 1}, {Key: "acked_at", Value: 1},
	{Key: "stage_entered_at", Value: 1}, {Key: "assignees", Value: 1}, {Key: "tasks.team", Value: 1},
	{Key: "review.actions", Value: 1}, {Key: "timeline.kind", Value: 1},
}

// ListForStats returns every incident matching f with only the fields
// statistics read (see incident.Compute); the rest is left zero. Level,
// category and stage filters are applied by the store.
func (s *Incidents) ListForStats(ctx context.Context, f incident.ListFilter) (incident.Page, error) {
	filter, err := listFilter(f)
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents for statistics: %w", err)
	}
	page, err := s.findAll(ctx, filter, options.Find().SetProjection(statsProjection))
	if err != nil {
		return incident.Page{}, fmt.Errorf("list incidents for statistics: %w", err)
	}
	return page, nil
}
