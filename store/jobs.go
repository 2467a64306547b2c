package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tocsin-hub/tocsin/escalation"
)

const colJobRuns = "job_runs"

// JobRuns records which scheduled runs of the periodic jobs an instance has
// claimed, in job_runs keyed by escalation.JobRunID. It implements
// escalation.JobStore.
type JobRuns struct {
	col *mongo.Collection
}

var _ escalation.JobStore = (*JobRuns)(nil)

// JobRuns is the store of periodic job runs.
func (db *DB) JobRuns() *JobRuns { return &JobRuns{col: db.db.Collection(colJobRuns)} }

type jobRunDoc struct {
	ID         string    `bson:"_id"`
	Name       string    `bson:"name"`
	Scheduled  time.Time `bson:"scheduled"`
	Owner      string    `bson:"owner"`
	StartedAt  time.Time `bson:"started_at"`
	FinishedAt time.Time `bson:"finished_at,omitempty"`
	Error      string    `bson:"error,omitempty"`
}

// ClaimRun implements escalation.JobStore: the insert of the run's id
// decides, on MongoDB and on FerretDB alike.
func (s *JobRuns) ClaimRun(ctx context.Context, r escalation.JobRun) (bool, error) {
	ok, err := insertOne(ctx, s.col, jobRunDoc{
		ID: escalation.JobRunID(r.Name, r.Scheduled), Name: r.Name, Scheduled: r.Scheduled.UTC(),
		Owner: r.Owner, StartedAt: r.StartedAt.UTC(),
	})
	if err != nil {
		return false, fmt.Errorf("claim job run %s: %w", escalation.JobRunID(r.Name, r.Scheduled), err)
	}
	return ok, nil
}

// FinishRun implements escalation.JobStore. Only the claimant writes to its
// run, so the update by _id has no competitor.
func (s *JobRuns) FinishRun(ctx context.Context, r escalation.JobRun, finished time.Time, runErr string) error {
	id := escalation.JobRunID(r.Name, r.Scheduled)
	set := bson.D{{Key: "finished_at", Value: finished.UTC()}}
	if runErr != "" {
		set = append(set, bson.E{Key: "error", Value: runErr})
	}
	if _, err := s.col.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("finish job run %s: %w", id, err)
	}
	return nil
}

// Runs lists the recorded runs of job name, oldest first.
func (s *JobRuns) Runs(ctx context.Context, name string) ([]escalation.JobRun, error) {
	cur, err := s.col.Find(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return nil, fmt.Errorf("list job runs of %s: %w", name, err)
	}
	var docs []jobRunDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list job runs of %s: %w", name, err)
	}
	out := make([]escalation.JobRun, len(docs))
	for i, d := range docs {
		out[i] = escalation.JobRun{Name: d.Name, Scheduled: d.Scheduled.UTC(), Owner: d.Owner, StartedAt: d.StartedAt.UTC(),
			FinishedAt: utcOrZero(d.FinishedAt), Error: d.Error}
	}
	slices.SortFunc(out, func(a, b escalation.JobRun) int { return a.Scheduled.Compare(b.Scheduled) })
	return out, nil
}

// PurgeRuns implements escalation.JobStore.
func (s *JobRuns) PurgeRuns(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.col.DeleteMany(ctx, bson.D{{Key: "scheduled", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("purge job runs: %w", err)
	}
	return res.DeletedCount, nil
}
