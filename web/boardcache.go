package web

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// BoardSource serves the board's open incidents without asking the store.
type BoardSource interface {
	// OpenIncidents returns the open incidents that match f, newest first
	// (by id, as the store's lists), at most limit of them, and whether more
	// matched. It honours f's Stages (within the open ones), Level,
	// Category, Drill, VisibleTo and Audience; a filter it cannot apply (Query), or a
	// source that cannot answer yet, gives ok false, and the board then asks
	// the store. The incidents are brief (no description, timeline or
	// occurrence keys) and shared: callers must not change them.
	OpenIncidents(f incident.ListFilter, limit int) (items []*incident.Incident, truncated, ok bool)
}

// Board cache timings.
const (
	// boardGoneTTL is how long the cache remembers an incident that left
	// the open stages, so that an older event for it, arriving late, does
	// not bring it back.
	boardGoneTTL = 5 * time.Minute
	// boardLoadRetry is the pause between failed loads.
	boardLoadRetry = 5 * time.Second
	// boardLoadPage is the page size of the load.
	boardLoadPage = 500
)

// BoardCache is a BoardSource for a hub that makes every change to its store
// itself: the embedded store, which belongs to one process (ADR 0002). It
// keeps the open incidents in memory, loaded once from the store (Load or
// Start) and kept current by IncidentChanged: register it with
// incident.NewService as an observer. Against MongoDB, where other
// instances change incidents too, leave the board to query the store.
//
// Every incident change carries a version that grows by one with each
// stored change, and the cache keeps the highest version it has seen of
// each incident, including of those that left the open stages (for
// boardGoneTTL). So events and the pages of the load may arrive in any
// order: a change that happens during the load is never lost, nor undone by
// an older page. The zero value is not usable; use NewBoardCache.
type BoardCache struct {
	now func() time.Time

	mu        sync.Mutex
	open      map[string]*incident.Incident // by id
	gone      map[string]goneIncident       // by id: left the open stages
	lastPrune time.Time
	ready     bool
}

// goneIncident is an incident that left the open stages, at version.
type goneIncident struct {
	version int64
	at      time.Time
}

var (
	_ BoardSource       = (*BoardCache)(nil)
	_ incident.Observer = (*BoardCache)(nil)
)

// NewBoardCache returns an empty cache that answers once loaded.
func NewBoardCache() *BoardCache {
	return &BoardCache{now: time.Now, open: map[string]*incident.Incident{}, gone: map[string]goneIncident{}}
}

// ListFunc lists incidents, as incident.Service.List does.
type ListFunc func(ctx context.Context, f incident.ListFilter) (incident.Page, error)

// Load reads every open incident from list, merging them with the changes
// seen meanwhile, and makes the cache answer. It may be called again (a
// reload changes nothing that events have not).
func (c *BoardCache) Load(ctx context.Context, list ListFunc) error {
	var working []incident.Stage
	for _, st := range incident.WorkingStages() {
		working = append(working, st.Stage)
	}
	f := incident.ListFilter{Stages: working, Brief: true, Limit: boardLoadPage}
	for {
		page, err := list(ctx, f)
		if err != nil {
			return err
		}
		for _, inc := range page.Items {
			c.apply(brief(inc))
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	c.mu.Lock()
	c.ready = true
	c.mu.Unlock()
	return nil
}

// Run loads the cache, trying again every boardLoadRetry until it succeeds
// or ctx ends; until then the board reads the store. Run it in a goroutine
// of its own at start.
func (c *BoardCache) Run(ctx context.Context, list ListFunc, log *slog.Logger) {
	for {
		start := time.Now()
		err := c.Load(ctx, list)
		if err == nil {
			log.Info("board cache loaded", "open_incidents", c.Len(), "took", time.Since(start).Round(time.Millisecond).String())
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Error("load the board cache; the board reads the store meanwhile", "err", err, "retry_in", boardLoadRetry.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(boardLoadRetry):
		}
	}
}

// Ready reports whether the cache has been loaded.
func (c *BoardCache) Ready() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready
}

// Len is the number of open incidents in the cache.
func (c *BoardCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open)
}

// IncidentChanged implements incident.Observer. It copies what the board
// needs and updates the map under a short lock; it never waits for
// anything else. On a nil cache it does nothing, and a nil cache never
// answers OpenIncidents, so a hub without one can pass a nil *BoardCache.
func (c *BoardCache) IncidentChanged(_ context.Context, ev incident.Event) {
	if c == nil || ev.Incident == nil || ev.Incident.ID == "" {
		return
	}
	c.apply(brief(ev.Incident))
}

// apply records inc unless the cache has seen a newer version of it.
func (c *BoardCache) apply(inc *incident.Incident) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.open[inc.ID]; ok && cur.Version >= inc.Version {
		return
	}
	if g, ok := c.gone[inc.ID]; ok && g.version >= inc.Version {
		return
	}
	if inc.Stage.Open() {
		c.open[inc.ID] = inc
		delete(c.gone, inc.ID)
		return
	}
	delete(c.open, inc.ID)
	now := c.now()
	c.gone[inc.ID] = goneIncident{version: inc.Version, at: now}
	// While loading, every removal must be remembered: a page read before
	// it may still bring the incident.
	if c.ready && now.Sub(c.lastPrune) > time.Minute {
		c.lastPrune = now
		for id, g := range c.gone {
			if now.Sub(g.at) > boardGoneTTL {
				delete(c.gone, id)
			}
		}
	}
}

// OpenIncidents implements BoardSource.
func (c *BoardCache) OpenIncidents(f incident.ListFilter, limit int) (items []*incident.Incident, truncated, ok bool) {
	if c == nil || f.Query != "" || f.After != "" {
		return nil, false, false
	}
	c.mu.Lock()
	if !c.ready {
		c.mu.Unlock()
		return nil, false, false
	}
	for _, inc := range c.open {
		if boardMatch(f, inc) {
			items = append(items, inc)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(items, func(a, b *incident.Incident) int { return cmp.Compare(b.ID, a.ID) })
	if limit > 0 && len(items) > limit {
		items, truncated = items[:limit], true
	}
	return items, truncated, true
}

// boardMatch reports whether inc passes f, as the store's List would.
func boardMatch(f incident.ListFilter, inc *incident.Incident) bool {
	switch {
	case len(f.Stages) > 0 && !slices.Contains(f.Stages, inc.Stage):
		return false
	case f.Level != "" && inc.Level != f.Level:
		return false
	case f.Category != "" && inc.Category != f.Category:
		return false
	case f.Drill != nil && inc.Drill != *f.Drill:
		return false
	case f.VisibleTo != "" && inc.Reporter.ID != f.VisibleTo && !slices.Contains(inc.Participants, f.VisibleTo):
		return false
	case f.Audience != nil && !access.Admits(*f.Audience, inc):
		return false
	}
	return true
}

// brief is a copy of inc without what the board never shows (description,
// timeline, occurrence keys), sharing nothing with inc.
func brief(inc *incident.Incident) *incident.Incident {
	b := *inc
	b.Description, b.Timeline, b.OccurrenceKeys = "", nil, nil
	b.AffectedAssets = slices.Clone(inc.AffectedAssets)
	b.Participants = slices.Clone(inc.Participants)
	b.Assignees = slices.Clone(inc.Assignees)
	b.Tasks = slices.Clone(inc.Tasks)
	if inc.OccurredAt != nil {
		t := *inc.OccurredAt
		b.OccurredAt = &t
	}
	if inc.AckedAt != nil {
		t := *inc.AckedAt
		b.AckedAt = &t
	}
	if inc.AckedBy != nil {
		a := *inc.AckedBy
		b.AckedBy = &a
	}
	if inc.Plan.ApprovedBy != nil {
		a := *inc.Plan.ApprovedBy
		b.Plan.ApprovedBy = &a
	}
	if inc.Plan.ApprovedAt != nil {
		t := *inc.Plan.ApprovedAt
		b.Plan.ApprovedAt = &t
	}
	if inc.Review.SignedOffBy != nil {
		a := *inc.Review.SignedOffBy
		b.Review.SignedOffBy = &a
	}
	if inc.Review.SignedOffAt != nil {
		t := *inc.Review.SignedOffAt
		b.Review.SignedOffAt = &t
	}
	if inc.StageEnteredAt != nil {
		b.StageEnteredAt = make(map[incident.Stage]time.Time, len(inc.StageEnteredAt))
		for k, v := range inc.StageEnteredAt {
			b.StageEnteredAt[k] = v
		}
	}
	return &b
}
