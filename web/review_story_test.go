package web_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// clock is a scripted clock: it says what the story sets.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time     { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)    { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) At(d time.Duration) { c.Set(storyStart.Add(d)) }

// storyStart is when the story's incident is reported.
var storyStart = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// reviewEnv is a hub on a scripted clock, with accounts whose actors the
// story uses directly on the service.
type reviewEnv struct {
	*testEnv
	clock  *clock
	tokens map[string]string
	actors map[string]incident.Actor
	db     *store.DB
	stats  *web.StatsCache // nil unless cached
}

// loadStats loads the statistics cache, if there is one.
func (e *reviewEnv) loadStats(t testing.TB) {
	t.Helper()
	if e.stats != nil {
		e.stats.Run(context.Background(), slog.New(slog.DiscardHandler))
	}
}

func newReviewEnv(t testing.TB) *reviewEnv { return newReviewEnvWith(t, false) }

// newReviewEnvWith is newReviewEnv with statistics served from a
// StatsCache, as on the embedded store in production, when cached; call
// loadStats once the data set is stored.
func newReviewEnvWith(t testing.TB, cached bool) *reviewEnv {
	t.Helper()
	db := storetest.New(t)
	clk := &clock{t: storyStart}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	var scanner web.IncidentScanner = db.Incidents()
	var stats *web.StatsCache
	if cached {
		stats = web.NewStatsCache(db.Incidents())
		scanner = stats
	}
	inc := incident.NewService(db.Incidents(), clk.Now, hub, stats)
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	srv := httptest.NewUnstartedServer(nil)
	s, err := web.New(web.Config{BaseURL: "http://" + srv.Listener.Addr().String(), Logger: log, Now: clk.Now},
		web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping, Rosters: db.Rosters(), Scanner: scanner})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(func() { hub.Close(); srv.Close() })
	e := &reviewEnv{testEnv: &testEnv{srv: srv, client: srv.Client(), access: acc, incidents: inc, hub: hub},
		clock: clk, tokens: map[string]string{}, actors: map[string]incident.Actor{}, db: db, stats: stats}
	for name, roles := range map[string][]access.Role{
		"rep": nil, "li.na": {access.Responder}, "zhou.min": {access.Coordinator}, "chen.jie": {access.Manager}, "root": {access.Admin},
	} {
		u, err := acc.CreateUser(context.Background(), access.NewUser{Username: name, Name: storyName[name], Password: testPassword, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := acc.CreateToken(context.Background(), u, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name], e.actors[name] = tok, incident.Actor{ID: u.ID, Name: u.Name, Username: u.Username}
	}
	return e
}

var storyName = map[string]string{"rep": "Wu Fang", "li.na": "Li Na", "zhou.min": "Zhou Min", "chen.jie": "Chen Jie", "root": "Root"}

func (e *reviewEnv) do(t testing.TB, method, path, who string, body any, want int) map[string]any {
	t.Helper()
	status, b := e.call(t, method, path, e.tokens[who], body)
	if status != want {
		t.Fatalf("%s %s as %s: %d, want %d\n%s", method, path, who, status, want, b)
	}
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	return decode(t, b)
}

// storyIncident runs a serious incident from report to review on the
// scripted clock, through the service, with the escalation engine's
// entries recorded as it records them:
//
//	+0      reported by Wu Fang
//	+10m    on-call paged (escalation)
//	+20m    acknowledged by Li Na          ack deadline 15m: missed by 5m
//	+25m    lead paged (escalation)
//	+28m    confirmed                      confirm deadline 30m: met
//	+1h     plan, a task added
//	+2h     dispatch deadline missed (recorded by the engine)
//	+2h30m  dispatch                       dispatch deadline 2h: missed
//	+2h40m  handle; the task assigned, done at +20h
//	+50h    review                         handling deadline 72h: met
func storyIncident(t *testing.T, e *reviewEnv) *incident.Incident {
	t.Helper()
	ctx := context.Background()
	svc := e.incidents
	res, err := svc.Report(ctx, incident.ReportInput{Title: "Phishing mail with a trojan attachment", Description: "Three staff opened it.",
		Category: incident.MaliciousProgram, SuggestedLevel: incident.Serious, Scope: incident.Local, Source: "web"}, e.actors["rep"])
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	record := func(at time.Duration, kind incident.EntryKind, note string) {
		e.clock.At(at)
		var err error
		if inc, err = svc.Record(ctx, inc.ID, incident.Entry{Actor: incident.System, Kind: kind, Note: note}); err != nil {
			t.Fatal(err)
		}
	}
	move := func(at time.Duration, who string, in incident.TransitionInput) {
		e.clock.At(at)
		in.Version = inc.Version
		var err error
		if inc, err = svc.Transition(ctx, inc.ID, in, e.actors[who]); err != nil {
			t.Fatalf("%s: %v", in.To, err)
		}
	}
	work := func(at time.Duration, who string, cmd incident.Command) {
		e.clock.At(at)
		var err error
		if inc, err = svc.Work(ctx, inc, inc.Version, cmd, e.actors[who]); err != nil {
			t.Fatalf("%T: %v", cmd, err)
		}
	}
	record(10*time.Minute, incident.EntryEscalation, "step 1: paged Li Na (on-call of assessment)")
	e.clock.At(20 * time.Minute)
	if inc, err = svc.Acknowledge(ctx, inc.ID, e.actors["li.na"]); err != nil {
		t.Fatal(err)
	}
	record(25*time.Minute, incident.EntryEscalation, "step 2: paged Zhou Min (lead of assessment)")
	move(28*time.Minute, "li.na", incident.TransitionInput{To: incident.Confirm, Level: incident.Serious, Category: incident.MaliciousProgram,
		Scope: incident.Local, AssessmentNote: "trojan confirmed on 3 workstations"})
	move(time.Hour, "zhou.min", incident.TransitionInput{To: incident.Plan, Measures: "isolate the workstations, reset passwords"})
	work(time.Hour+5*time.Minute, "zhou.min", incident.AddTask{Spec: incident.TaskSpec{Title: "Reimage the three workstations",
		TitleZH: "重装三台工作站", Stage: incident.Handle, Phase: incident.PhaseRecover, Required: true}})
	record(2*time.Hour, incident.EntryDeadline, "dispatch deadline missed (2h for serious)")
	move(2*time.Hour+30*time.Minute, "zhou.min", incident.TransitionInput{To: incident.Dispatch})
	work(2*time.Hour+35*time.Minute, "zhou.min", incident.Assign{Items: []incident.Assignment{{Task: "t1", Kind: incident.AssignPerson,
		ID: "li.na", Name: "Li Na", Team: "desk", TeamName: "Service desk"}}})
	move(2*time.Hour+40*time.Minute, "zhou.min", incident.TransitionInput{To: incident.Handle})
	work(20*time.Hour, "li.na", incident.SetTaskStatus{Task: "t1", To: incident.TaskDone, Note: "reimaged; no persistence found"})
	move(50*time.Hour, "li.na", incident.TransitionInput{To: incident.Review})
	return inc
}

// TestReviewStory drafts a review from a scripted incident, fills it in,
// has it returned and signed off, and checks the Markdown export against
// golden files in both languages: the exact durations and misses.
func TestReviewStory(t *testing.T) {
	e := newReviewEnv(t)
	inc := storyIncident(t, e)
	path := "/api/v1/incidents/" + inc.Number + "/review"

	e.clock.At(51 * time.Hour)
	rv := e.do(t, "GET", path, "li.na", nil, http.StatusOK)
	timings := rv["timings"].([]any)
	want := []struct {
		seconds        float64
		missed, reachd bool
	}{{20 * 60, true, true}, {28 * 60, false, true}, {150 * 60, true, true}, {50 * 3600, false, true}}
	for i, w := range want {
		tm := timings[i].(map[string]any)
		if tm["seconds"] != w.seconds || tm["missed"] != w.missed || tm["reached"] != w.reachd {
			t.Errorf("timing %d: %v, want %+v", i, tm, w)
		}
	}
	if rv["escalations"] != 2.0 || rv["deadline_misses"] != 1.0 {
		t.Errorf("escalations %v, misses %v", rv["escalations"], rv["deadline_misses"])
	}

	v := rv["version"].(float64)
	rv = e.do(t, "PUT", path, "li.na", map[string]any{"version": v, "summary": "A phishing mail carried a trojan; three workstations were infected and reimaged.",
		"root_cause": "The mail gateway let a macro document through.", "impact": map[string]any{"systems": "3 workstations", "data": "none exfiltrated",
			"people": "3 staff", "duration": "50 hours"}, "went_well": "Isolation was quick.", "went_badly": "Acknowledged 5 minutes late; dispatch took 2h30m.",
		"lessons": "Block macro attachments at the gateway."}, http.StatusOK)
	v = rv["version"].(float64)
	// Field errors in the caller's language.
	status, b := e.call(t, "POST", path+"/actions", e.tokens["li.na"], map[string]any{"version": v, "title": "", "owner": "li.na", "due": "31/03"},
		"Accept-Language", "zh-CN")
	if m := decode(t, b); status != http.StatusBadRequest || m["fields"] == nil {
		t.Fatalf("bad action: %d %s", status, b)
	}
	rv = e.do(t, "POST", path+"/actions", "li.na", map[string]any{"version": v, "title": "Block macro attachments", "owner": "zhou.min", "due": "2026-03-20"}, http.StatusOK)
	v = rv["version"].(float64)
	rv = e.do(t, "POST", path+"/actions", "li.na", map[string]any{"version": v, "title": "Phishing awareness session", "owner": "li.na", "due": "2026-03-04"}, http.StatusOK)
	v = rv["version"].(float64)

	// Only managers sign off or return: not the responder, coordinator or admin.
	for _, who := range []string{"li.na", "zhou.min", "root"} {
		e.do(t, "POST", path+"/signoff", who, map[string]any{"version": v}, http.StatusForbidden)
		e.do(t, "POST", path+"/return", who, map[string]any{"version": v, "comment": "x"}, http.StatusForbidden)
		e.do(t, "POST", "/api/v1/incidents/"+inc.Number+"/transitions", who, map[string]any{"version": v, "to": "closed"}, http.StatusForbidden)
	}
	e.do(t, "POST", path+"/signoff", "rep", map[string]any{"version": v}, http.StatusForbidden) // sees it, may not judge it
	e.clock.At(52 * time.Hour)
	rv = e.do(t, "POST", path+"/return", "chen.jie", map[string]any{"version": v, "comment": "Say which gateway rule changes."}, http.StatusOK)
	if rv["stage"] != "review" || rv["returned"].(map[string]any)["comment"] != "Say which gateway rule changes." {
		t.Fatalf("returned: %v", rv)
	}
	v = rv["version"].(float64)
	e.clock.At(53 * time.Hour)
	rv = e.do(t, "PUT", path, "li.na", map[string]any{"version": v, "summary": rv["summary"], "root_cause": "The mail gateway let a macro document through: rule 14 allowed .docm.",
		"impact": rv["impact"], "went_well": rv["went_well"], "went_badly": rv["went_badly"], "lessons": rv["lessons"]}, http.StatusOK)
	v = rv["version"].(float64)
	e.clock.At(54 * time.Hour)
	rv = e.do(t, "POST", path+"/signoff", "chen.jie", map[string]any{"version": v}, http.StatusOK)
	if rv["stage"] != "closed" || rv["signed_off_by"].(map[string]any)["name"] != "Chen Jie" || rv["returned"] != nil {
		t.Fatalf("signed off: %v", rv)
	}
	v = rv["version"].(float64)
	// Actions stay tracked after closure: the owner updates their own.
	e.clock.At(60 * time.Hour)
	e.do(t, "PATCH", path+"/actions/a1", "li.na", map[string]any{"version": v, "status": "in_progress"}, http.StatusOK)

	// On 2026-03-05 the awareness session (due 03-04) is overdue.
	e.clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	for _, l := range []string{"en", "zh"} {
		status, md := e.call(t, "GET", "/incidents/"+inc.Number+"/review.md?lang="+l, e.tokens["chen.jie"], nil)
		if status != http.StatusOK {
			t.Fatalf("markdown %s: %d %s", l, status, md)
		}
		golden(t, "review_story."+l+".md", md)
	}
	status, _ = e.call(t, "GET", "/incidents/"+inc.Number+"/review.md", e.tokens["rep"], nil)
	if status != http.StatusOK {
		t.Fatalf("the reporter reads the review of their report: %d", status)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, got)
	}
}
