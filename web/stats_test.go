package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
)

// genIncidents makes n incidents with seeded random levels, categories,
// stages, drills, response times, escalations and corrective actions,
// reported between start and start+days.
func genIncidents(seed uint64, n int, start time.Time, days int) []*incident.Incident {
	r := rand.New(rand.NewPCG(seed, 7))
	levels := []incident.Level{incident.Ordinary, incident.Serious, incident.Special}
	cats := incident.Categories()
	stages := []incident.Stage{incident.Receive, incident.Confirm, incident.Plan, incident.Dispatch, incident.Handle, incident.Review, incident.Closed, incident.Rejected}
	teams := []string{"net", "desk", "dfir"}
	out := make([]*incident.Incident, n)
	for i := range out {
		created := start.Add(time.Duration(r.IntN(days*24*60)) * time.Minute)
		inc := &incident.Incident{
			Number: fmt.Sprintf("INC-%d-%06d", created.Year(), 100000+i+1), Version: 1, Title: fmt.Sprintf("generated %d", i),
			Description: "generated", Level: levels[r.IntN(3)], Category: cats[r.IntN(len(cats))].Category,
			Drill: r.IntN(5) == 0, Source: "api", Reporter: incident.Actor{ID: "gen", Name: "Gen"},
			Stage: stages[r.IntN(len(stages))], CreatedAt: created, UpdatedAt: created, Occurrences: 1,
			StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: created},
			Timeline:       []incident.Entry{{At: created, Actor: incident.System, Kind: incident.EntryReported, To: "receive"}},
		}
		if r.IntN(2) == 0 {
			inc.Category = "" // not yet confirmed
		}
		// Reach the points up to the stage, each a random time after the last.
		at := created
		reach := map[incident.Stage]incident.Stage{incident.Confirm: incident.Confirm, incident.Dispatch: incident.Dispatch, incident.Review: incident.Review}
		idx := slices.Index(stages, inc.Stage)
		if inc.Stage == incident.Rejected {
			idx = 1 // rejected at confirm
		}
		for j, st := range stages[1:6] {
			if j+1 > idx {
				break
			}
			at = at.Add(time.Duration(1+r.IntN(3*24*60)) * time.Minute)
			if _, ok := reach[st]; ok || r.IntN(2) == 0 {
				inc.StageEnteredAt[st] = at
			}
		}
		if idx >= 1 || r.IntN(2) == 0 {
			a := created.Add(time.Duration(r.IntN(8*60)) * time.Minute)
			inc.AckedAt = &a
		}
		for range r.IntN(4) {
			inc.Timeline = append(inc.Timeline, incident.Entry{At: created, Actor: incident.System, Kind: incident.EntryEscalation, Note: "paged"})
		}
		for range r.IntN(2) {
			inc.Timeline = append(inc.Timeline, incident.Entry{At: created, Actor: incident.System, Kind: incident.EntryDeadline, Note: "missed"})
		}
		if r.IntN(3) == 0 {
			tm := teams[r.IntN(len(teams))]
			inc.Assignees = []incident.Assignee{{Kind: "team", ID: tm, Name: strings.ToUpper(tm)}}
		}
		if inc.Stage == incident.Review || inc.Stage == incident.Closed {
			for k := range r.IntN(3) {
				st := incident.ActionStatuses()[r.IntN(4)]
				inc.Review.Actions = append(inc.Review.Actions, incident.CorrectiveAction{ID: fmt.Sprintf("a%d", k+1), Title: "fix", Owner: "li.na",
					Due: created.AddDate(0, 0, r.IntN(60)), Status: st})
			}
		}
		out[i] = inc
	}
	return out
}

// insertAll stores incidents as they are, through the store.
func insertAll(t testing.TB, st *store.Incidents, incs []*incident.Incident) {
	t.Helper()
	for _, inc := range incs {
		if err := st.Insert(context.Background(), inc); err != nil {
			t.Fatal(err)
		}
	}
}

// expected holds figures computed here, independently of package
// incident's Compute.
type expected struct {
	total                               int
	byLevel, byCategory, byStage, month map[string]int
	mean, p90                           map[string]int64 // "level/measure" → seconds
	count                               map[string]int
	met, missed, pending                map[string]int
	escalations, misses, open, overdue  int
}

func expect(incs []*incident.Incident, drills bool, now time.Time, keep func(*incident.Incident) bool) expected {
	e := expected{byLevel: map[string]int{}, byCategory: map[string]int{}, byStage: map[string]int{}, month: map[string]int{},
		mean: map[string]int64{}, p90: map[string]int64{}, count: map[string]int{}, met: map[string]int{}, missed: map[string]int{}, pending: map[string]int{}}
	deadline := map[string]time.Duration{}
	for _, p := range escalation.DefaultPolicies() {
		lv := string(p.Level)
		deadline[lv+"/acknowledge"] = time.Duration(p.Deadlines.Ack)
		deadline[lv+"/confirm"] = time.Duration(p.Deadlines.Confirm)
		deadline[lv+"/dispatch"] = time.Duration(p.Deadlines.Dispatch)
		deadline[lv+"/resolve"] = time.Duration(p.Deadlines.Handle)
	}
	took := map[string][]int64{} // nanoseconds
	for _, inc := range incs {
		if inc.Drill != drills || !keep(inc) {
			continue
		}
		e.total++
		lv := string(inc.Level)
		e.byLevel[lv]++
		cat := string(inc.Category)
		if cat == "" {
			cat = "none"
		}
		e.byCategory[cat]++
		e.byStage[string(inc.Stage)]++
		e.month[fmt.Sprintf("%04d-%02d", inc.CreatedAt.Year(), int(inc.CreatedAt.Month()))]++
		points := map[string]*time.Time{"acknowledge": inc.AckedAt}
		for name, st := range map[string]incident.Stage{"confirm": incident.Confirm, "dispatch": incident.Dispatch, "resolve": incident.Review} {
			if t, ok := inc.StageEnteredAt[st]; ok {
				points[name] = &t
			} else {
				points[name] = nil
			}
		}
		open := inc.Stage != incident.Closed && inc.Stage != incident.Rejected
		for name, p := range points {
			k := lv + "/" + name
			switch {
			case p != nil:
				d := p.Sub(inc.CreatedAt)
				took[k] = append(took[k], int64(d))
				if d > deadline[k] {
					e.missed[k]++
				} else {
					e.met[k]++
				}
			case open && now.Sub(inc.CreatedAt) > deadline[k]:
				e.missed[k]++
			case open:
				e.pending[k]++
			}
		}
		for _, en := range inc.Timeline {
			if en.Kind == incident.EntryEscalation {
				e.escalations++
			}
			if en.Kind == incident.EntryDeadline {
				e.misses++
			}
		}
		for _, a := range inc.Review.Actions {
			if a.Status == incident.ActionOpen || a.Status == incident.ActionInProgress {
				e.open++
				if now.After(a.Due) {
					e.overdue++
				}
			}
		}
	}
	for k, ns := range took {
		slices.Sort(ns)
		var sum int64
		for _, v := range ns {
			sum += v
		}
		e.count[k] = len(ns)
		e.mean[k] = sum / int64(len(ns)) / int64(time.Second)
		rank := 0
		for rank*10 < 9*len(ns) {
			rank++
		}
		e.p90[k] = ns[rank-1] / int64(time.Second)
	}
	return e
}

func num(m map[string]any, path ...string) float64 {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return 0 // an absent level or measure counts as zero
		}
		cur = mm[p]
	}
	f, ok := cur.(float64)
	if !ok {
		return 0 // absent counts as zero
	}
	return f
}

func checkStats(t *testing.T, label string, got map[string]any, want expected) {
	t.Helper()
	errorf := func(format string, args ...any) { t.Helper(); t.Errorf(label+": "+format, args...) }
	if num(got, "total") != float64(want.total) {
		errorf("total %v, want %d", got["total"], want.total)
	}
	for name, m := range map[string]map[string]int{"by_level": want.byLevel, "by_category": want.byCategory, "by_stage": want.byStage, "by_month": want.month} {
		if len(got[name].(map[string]any)) != len(m) {
			errorf("%s: %v, want %v", name, got[name], m)
		}
		for k, v := range m {
			if num(got, name, k) != float64(v) {
				errorf("%s[%s] = %v, want %d", name, k, num(got, name, k), v)
			}
		}
	}
	for _, lv := range []string{"ordinary", "serious", "special"} {
		for _, m := range []string{"acknowledge", "confirm", "dispatch", "resolve"} {
			k := lv + "/" + m
			for name, pair := range map[string][2]float64{
				"count":        {num(got, "durations", lv, m, "count"), float64(want.count[k])},
				"mean_seconds": {num(got, "durations", lv, m, "mean_seconds"), float64(want.mean[k])},
				"p90_seconds":  {num(got, "durations", lv, m, "p90_seconds"), float64(want.p90[k])},
				"met":          {num(got, "compliance", lv, m, "met"), float64(want.met[k])},
				"missed":       {num(got, "compliance", lv, m, "missed"), float64(want.missed[k])},
				"pending":      {num(got, "compliance", lv, m, "pending"), float64(want.pending[k])},
			} {
				if pair[0] != pair[1] {
					errorf("%s %s = %v, want %v", k, name, pair[0], pair[1])
				}
			}
		}
	}
	if num(got, "escalations") != float64(want.escalations) || num(got, "deadline_misses") != float64(want.misses) ||
		num(got, "open_actions") != float64(want.open) || float64(len(got["overdue_actions"].([]any))) != float64(want.overdue) {
		errorf("escalations %v misses %v open %v overdue %d; want %d %d %d %d", got["escalations"], got["deadline_misses"], got["open_actions"],
			len(got["overdue_actions"].([]any)), want.escalations, want.misses, want.open, want.overdue)
	}
}

// TestStatsMatchIndependentFigures stores a generated data set in the
// embedded store and checks /api/v1/stats against figures computed here,
// for the whole set and under filters; drills are counted apart and never
// in the real figures.
func TestStatsMatchIndependentFigures(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "store", true: "cache"}[cached], func(t *testing.T) {
			t.Parallel()
			statsMatch(t, cached)
		})
	}
}

func statsMatch(t *testing.T, cached bool) {
	e := newReviewEnvWith(t, cached)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	incs := genIncidents(42, 300, start, 120)
	insertAll(t, e.db.Incidents(), incs[:250])
	e.loadStats(t)
	// The last ones arrive after the cache is loaded, through the service
	// (which tells the cache), then move on: the figures follow.
	ctx := context.Background()
	for _, inc := range incs[250:] {
		stage := inc.Stage
		inc.Stage = incident.Receive
		insertAll(t, e.db.Incidents(), []*incident.Incident{inc})
		got, err := e.incidents.Get(ctx, inc.Number)
		if err != nil {
			t.Fatal(err)
		}
		inc.Stage, inc.Version = stage, got.Version+1
		inc.ID = got.ID
		if err := e.db.Incidents().Update(ctx, inc, got.Version); err != nil {
			t.Fatal(err)
		}
		// A change through the service, as every change is made: an
		// escalation recorded, which the observers hear of.
		if inc, err = e.incidents.Record(ctx, inc.ID, incident.Entry{Actor: incident.System, Kind: incident.EntryEscalation, Note: "late page"}); err != nil {
			t.Fatal(err)
		}
		incs[slices.IndexFunc(incs, func(x *incident.Incident) bool { return x.Number == inc.Number })] = inc
	}
	now := time.Date(2026, 5, 15, 12, 0, 0, 0, time.UTC)
	e.clock.Set(now)

	all := func(*incident.Incident) bool { return true }
	got := e.do(t, "GET", "/api/v1/stats", "chen.jie", nil, http.StatusOK)
	checkStats(t, "all real", got["real"].(map[string]any), expect(incs, false, now, all))
	checkStats(t, "all drills", got["drills"].(map[string]any), expect(incs, true, now, all))
	if num(got, "real", "total")+num(got, "drills", "total") != 300 || num(got, "drills", "total") == 0 {
		t.Fatalf("drills not apart: %v + %v", num(got, "real", "total"), num(got, "drills", "total"))
	}

	from, to := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	keep := func(inc *incident.Incident) bool {
		return inc.Level == incident.Serious && !inc.CreatedAt.Before(from) && inc.CreatedAt.Before(to.AddDate(0, 0, 1)) &&
			len(inc.Assignees) > 0 && inc.Assignees[0].ID == "net"
	}
	got = e.do(t, "GET", "/api/v1/stats?level=serious&from=2026-02-01&to=2026-03-31&team=net", "zhou.min", nil, http.StatusOK)
	checkStats(t, "filtered", got["real"].(map[string]any), expect(incs, false, now, keep))
	if w := expect(incs, false, now, keep); w.total == 0 {
		t.Fatal("the filter selects nothing: the test proves little")
	}

	// The CSV holds the same figures.
	status, body := e.call(t, "GET", "/reports.csv?level=serious", e.tokens["chen.jie"], nil)
	if status != http.StatusOK {
		t.Fatalf("csv: %d %s", status, body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := expect(incs, false, now, func(inc *incident.Incident) bool { return inc.Level == incident.Serious })
	found := 0
	for _, r := range rows {
		switch {
		case r[0] == "real" && r[1] == "total" && r[4] == fmt.Sprint(want.total):
			found++
		case r[0] == "real" && r[1] == "duration_p90_seconds" && r[2] == "serious" && r[3] == "dispatch" && r[4] == fmt.Sprint(want.p90["serious/dispatch"]):
			found++
		case r[0] == "real" && r[1] == "compliance_missed" && r[2] == "serious" && r[3] == "acknowledge" && r[4] == fmt.Sprint(want.missed["serious/acknowledge"]):
			found++
		}
	}
	if found != 3 {
		t.Fatalf("csv rows do not carry the figures (%d of 3):\n%s", found, body)
	}

	// Bad filters are field errors; only those who may see reports get them.
	status, body = e.call(t, "GET", "/api/v1/stats?from=2026-13-01&level=grave", e.tokens["chen.jie"], nil, "Accept-Language", "zh")
	if m := decode(t, body); status != http.StatusBadRequest || m["fields"].(map[string]any)["from"] == nil || m["fields"].(map[string]any)["level"] == nil {
		t.Fatalf("bad filter: %d %s", status, body)
	}
	e.do(t, "GET", "/api/v1/stats", "li.na", nil, http.StatusForbidden)
	e.do(t, "GET", "/api/v1/stats", "rep", nil, http.StatusForbidden)
	e.do(t, "GET", "/api/v1/stats", "root", nil, http.StatusOK)
	if status, _ := e.call(t, "GET", "/api/v1/stats", "", nil); status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", status)
	}
}
