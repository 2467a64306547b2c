package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/share"
)

// goodMask is a masking file with one extra rule.
const goodMask = `# extra masking rules
rules:
  - name: ticket
    class: credential
    pattern: 'TKT-[0-9]{6}'
internal_domains:
  - corp.example.cn
`

// badMask names an unknown class at line 5.
const badMask = `rules:
  - name: ticket
    class: credential
    pattern: 'TKT-[0-9]{6}'
  - name: broken
    class: credential
    pattern: '([unclosed'
`

// TestMaskFileSetting: TOCSIN_MASK_FILE is read at start; a bad file is
// refused before anything runs, naming the file and line.
func TestMaskFileSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "mask.yaml")
	bad := filepath.Join(dir, "bad-mask.yaml")
	if err := os.WriteFile(good, []byte(goodMask), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(badMask), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := readConfig(t, nil, envMap("TOCSIN_MASK_FILE", good))
	if err != nil || len(cfg.Mask.Rules) != 1 || cfg.Mask.Rules[0].Name != "ticket" || !strings.Contains(cfg.String(), "mask_file="+strconv.Quote(good)) {
		t.Fatalf("a good mask file: %+v, %v", cfg.Mask, err)
	}
	if cfg, err := readConfig(t, []string{"--mask-file", ""}, envMap()); err != nil || len(cfg.Mask.Rules) != 0 {
		t.Fatalf("no mask file: %+v, %v", cfg.Mask, err)
	}

	data := filepath.Join(dir, "data")
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), nil, envMap("TOCSIN_DATA_DIR", data, "TOCSIN_MASK_FILE", bad), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "TOCSIN_MASK_FILE") || !strings.Contains(err.Error(), bad+":") {
		t.Fatalf("a bad mask file: %v; want TOCSIN_MASK_FILE and %s:<line>", err, bad)
	}
	if !strings.Contains(err.Error(), bad+":7") && !strings.Contains(err.Error(), bad+":5") {
		t.Errorf("a bad mask file: %v; want the line of the broken rule", err)
	}
	if _, statErr := os.Stat(data); !errors.Is(statErr, os.ErrNotExist) {
		t.Error("the data directory was created despite the bad mask file")
	}
	err = run(context.Background(), nil, envMap("TOCSIN_DATA_DIR", data, "TOCSIN_MASK_FILE", filepath.Join(dir, "missing.yaml")),
		strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "TOCSIN_MASK_FILE") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("a missing mask file: %v", err)
	}
}

// TestHubStartsWithMaskFile: the hub starts with a mask file (the other
// hub tests start it without one).
func TestHubStartsWithMaskFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mask := filepath.Join(dir, "mask.yaml")
	if err := os.WriteFile(mask, []byte(goodMask), 0o600); err != nil {
		t.Fatal(err)
	}
	hub := startHub(t, filepath.Join(dir, "data"), "TOCSIN_MASK_FILE="+mask)
	if status, body := get(t, hub.url+"/readyz", ""); status != 200 {
		t.Fatalf("readyz: %d %s", status, body)
	}
}

// expirerFunc counts the expiry runs of the job.
type expirerFunc func(ctx context.Context) (int, error)

func (f expirerFunc) ExpireDue(ctx context.Context) (int, error) { return f(ctx) }

// TestShareWiring: buildShare wires the service with and without masking
// rules over the real store; share-expiry is registered every minute and
// runs ExpireDue; the deciders of a request are the accounts the policy
// lets decide it.
func TestShareWiring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := readConfig(t, nil, envMap("TOCSIN_DATA_DIR", filepath.Join(dir, "data")))
	if err != nil {
		t.Fatal(err)
	}
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	accounts := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	incidents := incident.NewService(db.Incidents(), time.Now)
	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	trail := audit.NewTrail(db.Audit(), time.Now, log)
	deps := func(jobs *escalation.Jobs) shareDeps {
		return shareDeps{store: db.Shares(), incidents: incidents, accounts: accounts, rosters: db.Rosters(), out: out, audit: trail,
			contacts: accountContacts{acc: accounts}, jobs: jobs, log: log}
	}
	var wired *escalation.Jobs
	var svc *share.Service
	for _, mc := range []share.MaskConfig{{}, {Rules: []share.MaskRule{{Name: "ticket", Class: share.Credentials, Pattern: `TKT-[0-9]{6}`}}}} {
		jobs := escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Logger: log})
		c := cfg
		c.Mask = mc
		var err error
		svc, err = buildShare(c, deps(jobs))
		if err != nil || svc == nil {
			t.Fatalf("buildShare with %d extra rules: %v", len(mc.Rules), err)
		}
		if err := jobs.Add("share-expiry", shareExpiryEvery, func(context.Context) error { return nil }); err == nil {
			t.Error("share-expiry is not registered")
		}
		wired = jobs
	}

	// The job calls ExpireDue, once per scheduled minute.
	jobs := escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Logger: log})
	var runs atomic.Int32
	boom := errors.New("store unavailable")
	if err := addShareJobs(jobs, expirerFunc(func(context.Context) (int, error) {
		if runs.Add(1) == 2 {
			return 0, boom
		}
		return 1, nil
	}), log); err != nil {
		t.Fatal(err)
	}
	minute := time.Now().Truncate(time.Minute)
	for i, want := range []struct {
		ran bool
		err error
	}{{true, nil}, {false, nil}} {
		ran, err := jobs.RunNow(ctx, "share-expiry", minute)
		if ran != want.ran || err != nil {
			t.Fatalf("run %d of the same minute: %v, %v", i, ran, err)
		}
	}
	if ran, err := jobs.RunNow(ctx, "share-expiry", minute.Add(time.Minute)); !ran || !errors.Is(err, boom) {
		t.Fatalf("the next minute: %v, %v; want ExpireDue's error", ran, err)
	}
	if runs.Load() != 2 {
		t.Fatalf("ExpireDue ran %d times, want 2", runs.Load())
	}

	// Deciders: managers for an emergency request; for an application
	// also the owner of its incident; never the requester, nor disabled
	// accounts or auditors.
	mk := func(name string, roles ...access.Role) *access.User {
		u, err := accounts.CreateUser(ctx, access.NewUser{Username: name, Password: "a-long-password-1", Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	boss := mk("boss", access.Manager)
	owner := mk("owner", access.Coordinator)
	requester := mk("requester", access.Manager)
	mk("auditor", access.Auditor, access.Manager)
	mk("bystander", access.Coordinator)
	ownerActor := incident.Actor{ID: owner.ID, Username: owner.Username, Name: owner.Name}
	res, err := incidents.Report(ctx, incident.ReportInput{Title: "Phishing", Description: "d", Source: "web"}, ownerActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := incidents.Acknowledge(ctx, res.Incident.Number, ownerActor); err != nil {
		t.Fatal(err)
	}
	// The wired job ends an emergency grant whose period is over and tells
	// both sides, through the outbox, that continued use needs an
	// application.
	now := time.Now().UTC()
	g0 := &share.Grant{ID: "SG-00000000e0e0", Kind: share.Emergency, Status: share.Active, Version: 1,
		Requester: share.Party{UserID: requester.ID, Username: requester.Username, Name: requester.Name},
		Owner:     share.Party{UserID: boss.ID, Username: boss.Username, Name: boss.Name}, Purpose: "contain",
		Scope: share.Scope{Incidents: []string{res.Incident.Number}}, From: now.Add(-14 * 24 * time.Hour), Until: now.Add(-time.Minute),
		History:   []share.Step{{At: now.Add(-14 * 24 * time.Hour), By: share.Party{UserID: boss.ID}, Action: share.ActApprove, From: share.Pending, To: share.Active}},
		CreatedAt: now.Add(-14 * 24 * time.Hour), UpdatedAt: now.Add(-14 * 24 * time.Hour)}
	if err := db.Shares().InsertGrant(ctx, g0); err != nil {
		t.Fatal(err)
	}
	if ran, err := wired.RunNow(ctx, "share-expiry", minute.Add(2*time.Minute)); !ran || err != nil {
		t.Fatalf("share-expiry: %v, %v", ran, err)
	}
	if g, err := db.Shares().Grant(ctx, g0.ID); err != nil || g.Status != share.Expired {
		t.Fatalf("after share-expiry the grant is %+v, %v; want expired", g, err)
	}
	msgs, err := out.List(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	told := map[string]bool{}
	for _, m := range msgs {
		if m.Kind == notify.KindShare && strings.Contains(m.Body, "/sharing/apply?from="+g0.ID) {
			told[m.Recipient] = true
		}
	}
	if !told[requester.ID] || !told[boss.ID] {
		t.Errorf("expiry notices to %v; want the requester and the owner: %+v", told, msgs)
	}

	// A submitted application reaches its deciders through the outbox:
	// the manager and the incident's owner, not the requester.
	g1, err := svc.Submit(ctx, share.Request{Kind: share.Application, Purpose: "joint investigation",
		Incidents: []string{res.Incident.Number}, Sections: []share.Section{share.Timeline}, From: now, Until: now.AddDate(0, 1, 0)},
		share.Party{UserID: requester.ID, Username: requester.Username, Name: requester.Name})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err = out.List(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, m := range msgs {
		if m.Kind == notify.KindShare && strings.Contains(m.Body, "/sharing/grants/"+g1.ID) {
			asked[m.Recipient] = true
		}
	}
	if len(asked) != 2 || !asked[boss.ID] || !asked[owner.ID] {
		t.Errorf("the application was sent to %v; want the manager and the owner", asked)
	}

	d := shareDeciders{acc: accounts, incidents: incidents, rosters: db.Rosters()}
	g := &share.Grant{ID: "SG-0123456789ab", Kind: share.Emergency, Requester: share.Party{UserID: requester.ID},
		Scope: share.Scope{Incidents: []string{res.Incident.Number, "INC-2099-999999"}}}
	for _, tc := range []struct {
		kind share.Kind
		want []string
	}{{share.Emergency, []string{boss.ID}}, {share.Application, []string{boss.ID, owner.ID}}} {
		g.Kind = tc.kind
		ids, err := d.Deciders(ctx, g)
		if err != nil || !sameSet(ids, tc.want) {
			t.Errorf("deciders of a %s request: %v, %v; want %v", tc.kind, ids, err, tc.want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s]--; seen[s] < 0 {
			return false
		}
	}
	return true
}
