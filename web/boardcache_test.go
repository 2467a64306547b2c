package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

// cacheInc is an incident as the cache sees it: ids are ObjectIDs, whose
// order is the order of creation.
func cacheInc(id string, version int64, stage incident.Stage) *incident.Incident {
	return &incident.Incident{ID: id, Number: "INC-" + id[18:], Version: version, Stage: stage,
		Title: "incident " + id[18:], Description: "long text", Level: incident.Serious,
		Reporter: incident.Actor{ID: "u-rep"}, Timeline: []incident.Entry{{Kind: incident.EntryReported}},
		OccurrenceKeys: []string{"k"}}
}

// ids makes n ObjectIDs in increasing order.
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = bson.NewObjectID().Hex()
	}
	return out
}

// pagedList serves items (newest first) as the store's List does, in pages
// of f.Limit, calling before(page) before answering each page.
func pagedList(items []*incident.Incident, before func(page int)) web.ListFunc {
	calls := 0
	return func(_ context.Context, f incident.ListFilter) (incident.Page, error) {
		if before != nil {
			before(calls)
		}
		calls++
		var page incident.Page
		for _, inc := range items {
			if f.After != "" && inc.ID >= f.After {
				continue
			}
			if len(page.Items) == f.Limit {
				page.Next = page.Items[len(page.Items)-1].ID
				break
			}
			page.Items = append(page.Items, inc.Clone())
		}
		return page, nil
	}
}

func openNumbers(t *testing.T, c *web.BoardCache, f incident.ListFilter) []string {
	t.Helper()
	items, _, ok := c.OpenIncidents(f, 0)
	if !ok {
		t.Fatal("the cache does not answer")
	}
	out := []string{}
	for _, inc := range items {
		out = append(out, inc.Number)
	}
	return out
}

func TestBoardCacheAnswersOnceLoaded(t *testing.T) {
	t.Parallel()
	c := web.NewBoardCache()
	if _, _, ok := c.OpenIncidents(incident.ListFilter{}, 10); ok {
		t.Fatal("an unloaded cache answered")
	}
	var nilCache *web.BoardCache
	if _, _, ok := nilCache.OpenIncidents(incident.ListFilter{}, 10); ok {
		t.Fatal("a nil cache answered")
	}
	id := ids(1201)
	var items []*incident.Incident
	for i := len(id) - 1; i >= 0; i-- { // newest first, as List
		items = append(items, cacheInc(id[i], 1, incident.Receive))
	}
	if err := c.Load(context.Background(), pagedList(items, nil)); err != nil {
		t.Fatal(err)
	}
	got, truncated, ok := c.OpenIncidents(incident.ListFilter{}, 1000)
	if !ok || !truncated || len(got) != 1000 || got[0].ID != id[1200] || got[999].ID != id[201] {
		t.Fatalf("OpenIncidents: ok %v, truncated %v, %d items", ok, truncated, len(got))
	}
	if got[0].Description != "" || got[0].Timeline != nil || got[0].OccurrenceKeys != nil {
		t.Error("the cache keeps more than the board needs")
	}
	if _, _, ok := c.OpenIncidents(incident.ListFilter{Query: "x"}, 10); ok {
		t.Error("the cache answered a text search")
	}
}

func TestBoardCacheFollowsEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := web.NewBoardCache()
	if err := c.Load(ctx, pagedList(nil, nil)); err != nil {
		t.Fatal(err)
	}
	id := ids(4)
	a, b, d, e := cacheInc(id[0], 1, incident.Receive), cacheInc(id[1], 1, incident.Receive),
		cacheInc(id[2], 1, incident.Receive), cacheInc(id[3], 1, incident.Receive)
	b.Participants = []string{"u-bob"}
	e.Category = incident.CyberAttack
	for _, inc := range []*incident.Incident{a, b, d, e} {
		c.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: inc})
	}
	all := []string{e.Number, d.Number, b.Number, a.Number}
	if got := openNumbers(t, c, incident.ListFilter{}); !slices.Equal(got, all) {
		t.Fatalf("after reports: %v, want %v", got, all)
	}

	change := func(inc *incident.Incident, kind incident.EventKind, f func(*incident.Incident)) *incident.Incident {
		next := inc.Clone()
		next.Version++
		f(next)
		c.IncidentChanged(ctx, incident.Event{Kind: kind, Incident: next})
		return next
	}
	a2 := change(a, incident.EventStage, func(i *incident.Incident) { i.Stage = incident.Confirm })
	change(b, incident.EventStage, func(i *incident.Incident) { i.Stage = incident.Closed })
	change(d, incident.EventStage, func(i *incident.Incident) { i.Stage = incident.Rejected })
	change(e, incident.EventLevel, func(i *incident.Incident) { i.Level = incident.Special })

	if got := openNumbers(t, c, incident.ListFilter{}); !slices.Equal(got, []string{e.Number, a.Number}) {
		t.Errorf("after closing and rejecting: %v", got)
	}
	if got := openNumbers(t, c, incident.ListFilter{Stages: []incident.Stage{incident.Confirm}}); !slices.Equal(got, []string{a.Number}) {
		t.Errorf("confirm column: %v", got)
	}
	if got := openNumbers(t, c, incident.ListFilter{Level: incident.Special}); !slices.Equal(got, []string{e.Number}) {
		t.Errorf("special: %v", got)
	}
	if got := openNumbers(t, c, incident.ListFilter{Level: incident.Serious}); !slices.Equal(got, []string{a.Number}) {
		t.Errorf("serious: %v", got)
	}
	if got := openNumbers(t, c, incident.ListFilter{Category: incident.CyberAttack}); !slices.Equal(got, []string{e.Number}) {
		t.Errorf("category: %v", got)
	}
	// An older event, arriving late, changes nothing; nor does one for an
	// incident that has left the board.
	c.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: a})
	c.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: b})
	items, _, _ := c.OpenIncidents(incident.ListFilter{}, 0)
	if len(items) != 2 || items[1].Stage != incident.Confirm || items[1].Version != a2.Version {
		t.Errorf("late events were applied: %d items", len(items))
	}
	// A reopened incident comes back.
	b3 := b.Clone()
	b3.Version, b3.Stage = 3, incident.Review
	c.IncidentChanged(ctx, incident.Event{Kind: incident.EventStage, Incident: b3})
	if got := openNumbers(t, c, incident.ListFilter{VisibleTo: "u-bob"}); !slices.Equal(got, []string{b.Number}) {
		t.Errorf("visible to u-bob after reopening: %v", got)
	}
}

// Changes made while the cache loads are neither lost nor undone by the
// pages read before them.
func TestBoardCacheChangesDuringLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := web.NewBoardCache()
	id := ids(6)
	var stored []*incident.Incident // the store, newest first
	for i := 4; i >= 0; i-- {
		stored = append(stored, cacheInc(id[i], 1, incident.Receive))
	}
	// Pages of 500 are too big to interleave; the load's page size is
	// fixed, so changes are made before the first page and between the
	// pages of a store that holds more.
	old := stored[4] // id[0], the oldest
	closed := old.Clone()
	closed.Version, closed.Stage = 2, incident.Closed
	fresh := cacheInc(id[5], 1, incident.Receive)
	moved := stored[0].Clone() // id[4]
	moved.Version, moved.Stage = 2, incident.Plan
	list := pagedList(stored, func(page int) {
		if page == 0 {
			// Stored and told after the list was read: the page will still
			// show the old state.
			c.IncidentChanged(ctx, incident.Event{Kind: incident.EventStage, Incident: closed})
			c.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: fresh})
			c.IncidentChanged(ctx, incident.Event{Kind: incident.EventStage, Incident: moved})
		}
	})
	if err := c.Load(ctx, list); err != nil {
		t.Fatal(err)
	}
	items, _, ok := c.OpenIncidents(incident.ListFilter{}, 0)
	if !ok {
		t.Fatal("not ready")
	}
	var got []string
	for _, inc := range items {
		got = append(got, fmt.Sprintf("%s@%d:%s", inc.ID[18:], inc.Version, inc.Stage))
	}
	want := []string{id[5][18:] + "@1:receive", id[4][18:] + "@2:plan", id[3][18:] + "@1:receive",
		id[2][18:] + "@1:receive", id[1][18:] + "@1:receive"}
	if !slices.Equal(got, want) {
		t.Errorf("after a load with changes: %v, want %v", got, want)
	}
}

// Run with -race: events from many goroutines while boards are drawn.
func TestBoardCacheConcurrentEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := web.NewBoardCache()
	id := ids(50)
	var stored []*incident.Incident
	for i := len(id) - 1; i >= 0; i-- {
		stored = append(stored, cacheInc(id[i], 1, incident.Receive))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Load(ctx, pagedList(stored, nil)); err != nil {
			t.Error(err)
		}
	})
	const versions = 20
	for i := range id {
		wg.Go(func() {
			// Each incident goes through versions 2..versions+1, sent in a
			// shuffled order; the last one closes the even ones.
			order := make([]int64, versions)
			for v := range order {
				order[v] = int64(v + 2)
			}
			for j := range order {
				k := (j*7 + i) % versions
				order[j], order[k] = order[k], order[j]
			}
			for _, v := range order {
				inc := cacheInc(id[i], v, incident.Handle)
				if v == versions+1 && i%2 == 0 {
					inc.Stage = incident.Closed
				}
				c.IncidentChanged(ctx, incident.Event{Kind: incident.EventStage, Incident: inc})
			}
		})
		wg.Go(func() { c.OpenIncidents(incident.ListFilter{Level: incident.Serious}, 10) })
	}
	wg.Wait()
	items, _, ok := c.OpenIncidents(incident.ListFilter{}, 0)
	if !ok || len(items) != len(id)/2 {
		t.Fatalf("%d open incidents (ready %v), want %d", len(items), ok, len(id)/2)
	}
	for _, inc := range items {
		if inc.Version != versions+1 || inc.Stage != incident.Handle {
			t.Errorf("%s at version %d in %s, want %d in handle", inc.ID, inc.Version, inc.Stage, versions+1)
		}
	}
}

// countingStore counts the lists the board makes.
type countingStore struct {
	incident.Store
	lists atomic.Int64
}

func (s *countingStore) List(ctx context.Context, f incident.ListFilter) (incident.Page, error) {
	s.lists.Add(1)
	return s.Store.List(ctx, f)
}

// newCachedBoardEnv is newEnv with the board served from a BoardCache, as on
// the embedded store.
func newCachedBoardEnv(t *testing.T) (*testEnv, *countingStore, *web.BoardCache) {
	t.Helper()
	db := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	st := &countingStore{Store: db.Incidents()}
	board := web.NewBoardCache()
	inc := incident.NewService(st, time.Now, board, hub)
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	env := &testEnv{access: acc, incidents: inc, hub: hub}
	env.srv = httptest.NewUnstartedServer(nil)
	s, err := web.New(web.Config{BaseURL: "http://" + env.srv.Listener.Addr().String(), Logger: log,
		BootstrapToken: "bootstrap-secret-for-tests"}, web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping, Board: board})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Config.Handler = s.Handler()
	env.srv.Start()
	env.client = env.srv.Client()
	env.client.Timeout = 30 * time.Second
	t.Cleanup(func() { hub.Close(); env.srv.Close() })
	return env, st, board
}

func TestBoardPageFromCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env, st, board := newCachedBoardEnv(t)
	env.user(t, "alice")
	env.user(t, "coord", access.Coordinator)
	alice := env.login(t, "alice")
	before := alice.fileReport("Reported before the load")
	coord := env.login(t, "coord")

	// Not loaded yet: the board reads the store.
	if p := coord.get("/board"); p.status != http.StatusOK || !strings.Contains(p.body, `data-number="`+before+`"`) {
		t.Fatalf("board before the load: %d", p.status)
	}
	if st.lists.Load() == 0 {
		t.Fatal("the board did not read the store before the cache was loaded")
	}
	if err := board.Load(ctx, env.incidents.List); err != nil {
		t.Fatal(err)
	}
	lists := st.lists.Load()

	after := alice.fileReport("Reported after the load")
	p := coord.get("/board")
	mustContain(t, p, `data-number="`+before+`"`, `data-number="`+after+`"`, "Reported after the load")
	if i, j := strings.Index(p.body, after), strings.Index(p.body, before); i > j {
		t.Error("the newest card is not first")
	}

	// Moves, level changes and closing follow.
	inc, err := env.incidents.Get(ctx, after)
	if err != nil {
		t.Fatal(err)
	}
	coordActor := incident.Actor{ID: "u-coord", Name: "Coord"}
	inc, err = env.incidents.Transition(ctx, after, incident.TransitionInput{To: incident.Confirm, Version: inc.Version,
		Level: incident.Serious, Category: incident.CyberAttack, Scope: incident.Local, AssessmentNote: "real"}, coordActor)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(columnOf(t, coord.get("/board"), after), `data-stage="confirm"`) {
		t.Error("the moved card is not in the confirm column")
	}
	if _, err := env.incidents.ChangeLevel(ctx, after, inc.Version, incident.Ordinary, "contained", coordActor); err != nil {
		t.Fatal(err)
	}
	if p := coord.get("/board?level=ordinary"); !strings.Contains(p.body, `data-number="`+after+`"`) || strings.Contains(p.body, `data-number="`+before+`"`) {
		t.Error("the level filter does not follow the level change")
	}
	if p := coord.get("/board?category=cyber_attack"); !strings.Contains(p.body, `data-number="`+after+`"`) || strings.Contains(p.body, `data-number="`+before+`"`) {
		t.Error("the category filter does not follow the assessment")
	}
	old, err := env.incidents.Get(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.incidents.Transition(ctx, before, incident.TransitionInput{To: incident.Rejected, Version: old.Version,
		RejectReason: incident.FalsePositive, RejectNote: "test"}, coordActor); err != nil {
		t.Fatal(err)
	}
	if p := coord.get("/board"); strings.Contains(p.body, `data-number="`+before+`"`) {
		t.Error("a rejected incident is still on the board")
	}
	// Visibility still applies: a responder sees the incidents they
	// reported or work on, not the others.
	env.user(t, "rex", access.Responder)
	rex := env.login(t, "rex")
	own := rex.fileReport("Reported by a responder")
	p = rex.get("/board")
	if p.status != http.StatusOK || !strings.Contains(p.body, `data-number="`+own+`"`) || strings.Contains(p.body, `data-number="`+after+`"`) {
		t.Errorf("a responder's board (status %d) shows the wrong cards", p.status)
	}
	if got := st.lists.Load(); got != lists {
		t.Errorf("the board read the store %d times after the cache was loaded", got-lists)
	}
}

// columnOf is the markup of the board column that holds number's card.
func columnOf(t *testing.T, p page, number string) string {
	t.Helper()
	i := strings.Index(p.body, `data-number="`+number+`"`)
	if i < 0 {
		t.Fatalf("no card for %s", number)
	}
	j := strings.LastIndex(p.body[:i], `data-stage="`)
	if j < 0 {
		t.Fatalf("no column before the card of %s", number)
	}
	return p.body[j:i]
}
