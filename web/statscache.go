package web

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// StatsCache is an IncidentScanner for a hub that makes every change to
// its store itself (the embedded store, ADR 0002), where every list is a
// scan that costs seconds at 10,000 incidents. It keeps what statistics
// read of every incident in memory, loaded once from the store (Run) and
// kept current by IncidentChanged: register it with incident.NewService as
// an observer. Until it is loaded it asks the store. Against MongoDB,
// where other instances change incidents too, use the store itself.
//
// As the board cache, it keeps the highest version seen of each incident,
// so events and the load may arrive in any order. Incidents are never
// deleted, so nothing leaves the cache.
type StatsCache struct {
	store IncidentScanner

	mu    sync.RWMutex
	all   map[string]*incident.Incident // by id, slim
	ready bool
}

var (
	_ IncidentScanner   = (*StatsCache)(nil)
	_ incident.Observer = (*StatsCache)(nil)
)

// NewStatsCache returns an empty cache over st, which answers until the
// cache is loaded.
func NewStatsCache(st IncidentScanner) *StatsCache {
	return &StatsCache{store: st, all: map[string]*incident.Incident{}}
}

// statsLoadRetry is the pause between failed loads.
const statsLoadRetry = 5 * time.Second

// Run loads the cache, trying again every statsLoadRetry until it succeeds
// or ctx ends. Run it in a goroutine of its own at start.
func (c *StatsCache) Run(ctx context.Context, log *slog.Logger) {
	for {
		start := time.Now()
		page, err := c.store.ListForStats(ctx, incident.ListFilter{})
		if err == nil {
			for _, inc := range page.Items {
				c.apply(slim(inc))
			}
			c.mu.Lock()
			c.ready = true
			n := len(c.all)
			c.mu.Unlock()
			log.Info("statistics cache loaded", "incidents", n, "took", time.Since(start).Round(time.Millisecond).String())
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Error("load the statistics cache; reports read the store meanwhile", "err", err, "retry_in", statsLoadRetry.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(statsLoadRetry):
		}
	}
}

// IncidentChanged implements incident.Observer: it copies what statistics
// read, under a short lock.
func (c *StatsCache) IncidentChanged(_ context.Context, ev incident.Event) {
	if c == nil || ev.Incident == nil || ev.Incident.ID == "" {
		return
	}
	c.apply(slim(ev.Incident))
}

func (c *StatsCache) apply(inc *incident.Incident) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.all[inc.ID]; ok && cur.Version >= inc.Version {
		return
	}
	c.all[inc.ID] = inc
}

// ListForStats implements IncidentScanner: from memory once loaded (the
// filter's Stages, Level, Category and Drill are applied), from the store
// before. The incidents are shared: callers must not change them.
func (c *StatsCache) ListForStats(ctx context.Context, f incident.ListFilter) (incident.Page, error) {
	c.mu.RLock()
	if !c.ready || f.Query != "" || f.VisibleTo != "" {
		c.mu.RUnlock()
		return c.store.ListForStats(ctx, f)
	}
	items := make([]*incident.Incident, 0, len(c.all))
	for _, inc := range c.all {
		switch {
		case len(f.Stages) > 0 && !slices.Contains(f.Stages, inc.Stage),
			f.Level != "" && inc.Level != f.Level,
			f.Category != "" && inc.Category != f.Category,
			f.Drill != nil && inc.Drill != *f.Drill:
			continue
		}
		items = append(items, inc)
	}
	c.mu.RUnlock()
	return incident.Page{Items: items}, nil
}

// slim is the part of inc that statistics and reminders read: the store's
// statistics projection, with the timeline cut to the entries counted.
func slim(inc *incident.Incident) *incident.Incident {
	s := &incident.Incident{
		ID: inc.ID, Number: inc.Number, Version: inc.Version, Title: inc.Title, Level: inc.Level, Category: inc.Category,
		Stage: inc.Stage, Drill: inc.Drill, CreatedAt: inc.CreatedAt, AckedAt: inc.AckedAt,
		StageEnteredAt: maps.Clone(inc.StageEnteredAt), Assignees: slices.Clone(inc.Assignees),
		Review: incident.ReviewReport{Actions: slices.Clone(inc.Review.Actions)},
	}
	for _, e := range inc.Timeline {
		if e.Kind == incident.EntryEscalation || e.Kind == incident.EntryDeadline {
			s.Timeline = append(s.Timeline, incident.Entry{Kind: e.Kind})
		}
	}
	for _, t := range inc.Tasks {
		if t.Team != "" {
			s.Tasks = append(s.Tasks, incident.Task{TaskSpec: incident.TaskSpec{Team: t.Team}})
		}
	}
	return s
}
