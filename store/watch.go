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
)

// Server error codes that mean "no change streams here".
const (
	codeIllegalOperation   = 20    // e.g. change streams on a non-replicated collection
	codeCommandNotFound    = 59    // very old servers
	codeNotImplemented     = 238   // FerretDB
	codeChangeStreamNoRepl = 40573 // standalone mongod: "only supported on replica sets"
)

// watchRetry is the pause before reopening a change stream that failed.
const watchRetry = 2 * time.Second

// changeEvent is the part of a change stream event that Watch reads.
type changeEvent struct {
	FullDocument *incidentDoc `bson:"fullDocument"`
}

// Watch calls fn with each incident changed by any process (a change stream
// on the incidents collection): inserted or replaced, in the order of the
// changes. fn runs on Watch's goroutine; a slow fn delays later events.
//
// Watch returns ErrWatchUnsupported (wrapped) at once when the server cannot
// open change streams (the embedded server, a standalone mongod), so that
// the caller can fall back to polling. Otherwise it blocks until ctx ends
// and returns ctx.Err(). A stream that breaks is reopened where it stopped,
// or from the present when the server no longer has that point (the
// changes in between are then missed, and a warning is logged).
func (s *Incidents) Watch(ctx context.Context, fn func(*incident.Incident)) error {
	if s.embedded {
		return ErrWatchUnsupported
	}
	pipeline := mongo.Pipeline{{{Key: "$match", Value: bson.D{
		{Key: "operationType", Value: bson.D{{Key: "$in", Value: bson.A{"insert", "replace", "update"}}}},
	}}}}
	var resume bson.Raw
	for first := true; ; first = false {
		opts := options.ChangeStream().SetFullDocument(options.UpdateLookup)
		if resume != nil {
			opts.SetResumeAfter(resume)
		}
		cs, err := s.col.Watch(ctx, pipeline, opts)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && first && unsupported(err):
			return fmt.Errorf("%w: %v", ErrWatchUnsupported, err)
		case err != nil:
			s.log.Warn("cannot open the incident change stream", "err", err)
			if !mongo.IsNetworkError(err) && !mongo.IsTimeout(err) {
				// The server refuses to resume (history lost, stream
				// invalidated): start afresh, missing the changes in between.
				resume = nil
			}
		default:
			resume = s.follow(ctx, cs, resume, fn)
			err = cs.Err()
			_ = cs.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("incident change stream ended; reopening", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(watchRetry):
		}
	}
}

// follow calls fn for each event of cs until the stream ends, and returns
// the resume token after the last event handled.
func (s *Incidents) follow(ctx context.Context, cs *mongo.ChangeStream, resume bson.Raw, fn func(*incident.Incident)) bson.Raw {
	for cs.Next(ctx) {
		var ev changeEvent
		if err := cs.Decode(&ev); err != nil {
			s.log.Error("incident change stream: undecodable event", "err", err)
		} else if ev.FullDocument != nil { // nil when the incident was deleted since
			fn(incidentFromDoc(ev.FullDocument))
		}
		resume = cs.ResumeToken()
	}
	// After an empty batch the token still moves on (post-batch token).
	if t := cs.ResumeToken(); t != nil {
		resume = t
	}
	return resume
}

// unsupported reports whether err says the server has no change streams.
func unsupported(err error) bool {
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range []int{codeIllegalOperation, codeCommandNotFound, codeNotImplemented, codeChangeStreamNoRepl} {
		if se.HasErrorCode(c) {
			return true
		}
	}
	return false
}
