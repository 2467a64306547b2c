package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/web"
)

// watcher is the part of the incident store that follows changes.
type watcher interface {
	Watch(ctx context.Context, fn func(*incident.Incident)) error
}

// watchIncidents feeds every incident change stored by any instance to this
// instance's board hub, so boards stay live when several hubs share one
// MongoDB replica set. Changes made by this instance arrive twice (from the
// service and from the stream); the board keeps the newest version.
//
// Without change streams (the embedded server, a standalone mongod) it logs
// once and returns: the embedded store serves a single process, whose own
// changes reach the hub directly.
func watchIncidents(ctx context.Context, w watcher, hub *web.Hub, log *slog.Logger) {
	err := w.Watch(ctx, func(inc *incident.Incident) {
		hub.IncidentChanged(ctx, incident.Event{Kind: incident.EventStage, Incident: inc})
	})
	switch {
	case errors.Is(err, store.ErrWatchUnsupported):
		log.Info("no change streams on this database: the board shows the changes of this instance only", "reason", err)
	case err != nil && ctx.Err() == nil:
		log.Error("watching incident changes stopped; boards no longer see other instances' changes", "err", err)
	}
}
