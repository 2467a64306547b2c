package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/share"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
	"github.com/tocsin-hub/tocsin/web"
)

// fullEnv is a hub with everything wired as cmd/tocsin wires it: roster,
// runbook library, evidence files, the outbox's admin (its worker is not
// running: nothing is sent), audit trail (running), the audit observer on
// incidents.
type fullEnv struct {
	*testEnv
	db      *store.DB
	rosters *store.Rosters
	trail   *audit.Trail
	library *runbooks.Library
	server  *web.Server
	share   *share.Service
	notices *shareNotices // what the sharing service told whom
	now     func() time.Time
	users   map[string]*access.User
	tokens  map[string]string
}

// newFullEnv starts a full hub on a fresh database. now is its clock
// (time.Now when nil).
func newFullEnv(t testing.TB, now func() time.Time) *fullEnv {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	db := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := web.NewHub()
	trail := audit.NewTrail(db.Audit(), now, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = trail.Run(ctx); close(done) }()
	inc := incident.NewService(db.Incidents(), now, hub, audit.IncidentObserver(trail))
	acc := access.NewService(db.Accounts(), now, bcrypt.MinCost)
	lib, err := runbooks.NewLibrary(db.Runbooks(), now)
	if err != nil {
		t.Fatal(err)
	}
	masker, err := share.NewMasker(share.MaskConfig{})
	if err != nil {
		t.Fatal(err)
	}
	notices := &shareNotices{}
	shares := share.NewService(db.Shares(), inc, masker, notices, trail, now, log)
	worker := notify.NewWorker(db.Outbox(), map[notify.Channel]notify.Sender{}, notify.WorkerOptions{Owner: "w", Now: now, Logger: log})
	e := &fullEnv{testEnv: &testEnv{access: acc, incidents: inc, hub: hub}, db: db, rosters: db.Rosters(), trail: trail,
		library: lib, share: shares, notices: notices, now: now, users: map[string]*access.User{}, tokens: map[string]string{}}
	e.srv = httptest.NewUnstartedServer(nil)
	s, err := web.New(web.Config{BaseURL: "http://" + e.srv.Listener.Addr().String(), Logger: log, Now: now,
		BootstrapToken: "bootstrap-secret-for-tests"},
		web.Deps{Incidents: inc, Access: acc, Hub: hub, Ready: db.Ping, Rosters: e.rosters, Audit: trail, AuditLog: db.Audit(),
			Runbooks: lib, Evidence: db.Evidence(), Outbox: notify.NewAdmin(db.Outbox(), worker), Scanner: db.Incidents(),
			Share: shares})
	if err != nil {
		t.Fatal(err)
	}
	e.server = s
	e.srv.Config.Handler = s.Handler()
	e.srv.Start()
	e.client = e.srv.Client()
	e.client.Timeout = 30 * time.Second
	t.Cleanup(func() { hub.Close(); e.srv.Close(); cancel(); <-done })
	return e
}

// account creates username with roles, and an API token acting as it.
func (e *fullEnv) account(t testing.TB, username string, roles ...access.Role) *access.User {
	t.Helper()
	u, err := e.access.CreateUser(context.Background(), access.NewUser{Username: username,
		Name: strings.ToUpper(username[:1]) + username[1:], Password: testPassword, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.access.CreateToken(context.Background(), u, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.users[username], e.tokens[username] = u, tok
	return u
}

// flushAudit waits until every queued audit record is stored.
func (e *fullEnv) flushAudit(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.trail.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// records lists the stored audit records the filter selects.
func (e *fullEnv) records(t testing.TB, f audit.Filter) []audit.Record {
	t.Helper()
	e.flushAudit(t)
	f.Limit = 1000
	page, err := e.db.Audit().List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// The cast of the access tests: each role in its relation to the
// incidents that seedCast stores.
const (
	castRepOwn   = "rep.own"   // reported the incidents
	castRepOther = "rep.other" // reported nothing here
	castRespIn   = "resp.in"   // member of the team assigned, named on the restricted one
	castRespOut  = "resp.out"  // a responder with nothing to do with them
	castCoord    = "coord"
	castManager  = "mgr"
	castAuditor  = "aud"
	castAdmin    = "adm"
	castTeam     = "Network" // the assigned team's name; its id is "net"
)

// seedCast creates the cast's accounts and the roster they need: team
// "net" (Network) with resp.in on a daily rotation, a department.
func (e *fullEnv) seedCast(t testing.TB) {
	t.Helper()
	e.account(t, castRepOwn)
	e.account(t, castRepOther)
	e.account(t, castRespIn, access.Responder)
	e.account(t, castRespOut, access.Responder)
	e.account(t, castCoord, access.Coordinator)
	e.account(t, castManager, access.Manager)
	e.account(t, castAuditor, access.Auditor)
	e.account(t, castAdmin, access.Admin)
	ctx := context.Background()
	for _, id := range []string{castRespIn, castRespOut} {
		if err := e.rosters.SavePerson(ctx, escalation.Person{ID: id, Name: id, TimeZone: "Asia/Shanghai"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.rosters.SaveTeam(ctx, escalation.Team{ID: "net", Name: castTeam, Kind: escalation.SupportTeam,
		Members: []string{castRespIn}, Rotation: &escalation.Rotation{Participants: []string{castRespIn}, Interval: escalation.Daily,
			HandoffTime: "09:00", TimeZone: "Asia/Shanghai", Start: time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)}}); err != nil {
		t.Fatal(err)
	}
	if err := e.rosters.SaveDepartment(ctx, escalation.Department{Name: "IT", Liaison: castRespIn}); err != nil {
		t.Fatal(err)
	}
}

// castIncident stores a new incident at the receive stage reported by
// rep.own and assigned to the Network team; a restricted one also names
// resp.in. Each call stores a fresh one, so that changing it affects no
// other test.
func (e *fullEnv) castIncident(t testing.TB, restricted bool, title string) *incident.Incident {
	t.Helper()
	ctx := context.Background()
	st := e.db.Incidents()
	now := time.Now().UTC().Truncate(time.Millisecond)
	seq, err := st.NextNumber(ctx, now.Year())
	if err != nil {
		t.Fatal(err)
	}
	rep := e.users[castRepOwn]
	inc := &incident.Incident{Number: incident.FormatNumber(now.Year(), seq), Version: 1, Title: title, Description: "details of " + title,
		Level: incident.Serious, Stage: incident.Receive, StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: now},
		CreatedAt: now, UpdatedAt: now, Occurrences: 1, Source: "web", Reporter: incident.Actor{ID: rep.ID, Name: rep.Name},
		Assignees: []incident.Assignee{{Kind: incident.AssigneeTeam, Name: castTeam}},
		Timeline:  []incident.Entry{{At: now, Actor: incident.Actor{ID: rep.ID, Name: rep.Name}, Kind: incident.EntryReported, To: "receive"}}}
	if restricted {
		inc.Restricted = true
		inc.Participants = []string{castRespIn}
	}
	if err := st.Insert(ctx, inc); err != nil {
		t.Fatal(err)
	}
	return inc
}
