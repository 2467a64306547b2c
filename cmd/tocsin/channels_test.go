package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

const routesYAML = `destinations:
  - name: soc-mail
    kind: email
    to: [soc@example.com]
  - name: siem
    kind: webhook
    url: https://siem.example.com/hooks/tocsin
    secret_env: TEST_SIEM_SECRET
  - name: netops-wecom
    kind: wecom
    url_env: TEST_WECOM_URL
    default: true
routes:
  all: [soc-mail, siem]
  teams:
    Network team: [netops-wecom]
`

func writeRoutes(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "notify.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func channelEnv(file string, kv ...string) func(string) string {
	return envMap(append([]string{
		"TOCSIN_NOTIFY_FILE", file,
		"TEST_SIEM_SECRET", "siem-signing-secret",
		"TEST_WECOM_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-123",
		"TOCSIN_SMTP_ADDR", "smtp.example.com:587",
		"TOCSIN_SMTP_USER", "tocsin@example.com",
		"TOCSIN_SMTP_PASSWORD", "smtp-password-xyz",
		"TOCSIN_SMTP_FROM", "Tocsin <tocsin@example.com>",
	}, kv...)...)
}

func TestChannelSettings(t *testing.T) {
	file := writeRoutes(t, routesYAML)
	c, err := readConfig(t, nil, channelEnv(file))
	if err != nil {
		t.Fatal(err)
	}
	if c.Routes == nil || len(c.Routes.Endpoints()) != 3 || c.SMTPNoTLS || c.SMTPFrom != "Tocsin <tocsin@example.com>" {
		t.Fatalf("config %s", c)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("starting", "config", c)
	for _, out := range []string{c.String(), logged.String()} {
		for _, secret := range []string{"smtp-password-xyz", "siem-signing-secret", "wecom-key-123"} {
			if strings.Contains(out, secret) {
				t.Errorf("the configuration shows a secret %q:\n%s", secret, out)
			}
		}
		for _, s := range []string{"notify_destinations", "3", "smtp.example.com:587", "(set, 17 characters)", "required"} {
			if !strings.Contains(out, s) {
				t.Errorf("the configuration does not show %q:\n%s", s, out)
			}
		}
	}

	c, err = readConfig(t, []string{"--smtp-starttls", "off", "--smtp-addr", "127.0.0.1:25"}, channelEnv(""))
	if err != nil || !c.SMTPNoTLS || c.Routes != nil {
		t.Errorf("a local relay without STARTTLS: %v, %s", err, c)
	}
}

func TestChannelSettingsRejected(t *testing.T) {
	file := writeRoutes(t, routesYAML)
	bad := writeRoutes(t, "destinations:\n  - name: x\n    kind: fax\n")
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
		want []string
	}{
		{"e-mail destination without SMTP", nil, channelEnv(file, "TOCSIN_SMTP_ADDR", "", "TOCSIN_SMTP_USER", "", "TOCSIN_SMTP_PASSWORD", "", "TOCSIN_SMTP_FROM", ""),
			[]string{"TOCSIN_NOTIFY_FILE: " + file + ":2: destination soc-mail is an e-mail list, but TOCSIN_SMTP_ADDR is not set"}},
		{"routes file problems with lines", nil, channelEnv(bad), []string{"TOCSIN_NOTIFY_FILE: invalid routes file", bad + `:3: destination x: unknown kind "fax"`}},
		{"unset secret", nil, channelEnv(file, "TEST_SIEM_SECRET", ""), []string{file + ":8: destination siem: environment variable TEST_SIEM_SECRET (secret_env) is not set"}},
		{"missing file", nil, channelEnv(filepath.Join(t.TempDir(), "nope.yaml")), []string{"TOCSIN_NOTIFY_FILE", "no such file"}},
		{"STARTTLS value", []string{"--smtp-starttls", "maybe"}, channelEnv(""), []string{"TOCSIN_SMTP_STARTTLS", "required or off"}},
		{"clear password over the network", []string{"--smtp-starttls", "off"}, channelEnv(""), []string{"TOCSIN_SMTP_STARTTLS=off with TOCSIN_SMTP_USER"}},
		{"user without server", nil, channelEnv("", "TOCSIN_SMTP_ADDR", ""), []string{"TOCSIN_SMTP_ADDR: required when other TOCSIN_SMTP_ settings are given"}},
		{"bad from", nil, channelEnv("", "TOCSIN_SMTP_FROM", "tocsin"), []string{"TOCSIN_SMTP_FROM", "want an address"}},
		{"bad server", nil, channelEnv("", "TOCSIN_SMTP_ADDR", "smtp.example.com"), []string{"TOCSIN_SMTP_ADDR", "host:port"}},
		{"password without user", nil, channelEnv("", "TOCSIN_SMTP_USER", ""), []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readConfig(t, tc.args, tc.env)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "smtp-password-xyz") || strings.Contains(err.Error(), "siem-signing-secret") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

// TestBuildChannels wires the channels on a real (embedded) store and
// checks the adapters over accounts and the roster, the planners and the
// digest job.
func TestBuildChannels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, release, err := openStore(ctx, Config{DataDir: t.TempDir(), MongoDB: "tocsin"}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	incidents := incident.NewService(db.Incidents(), time.Now)
	accounts := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	user := func(name, email, lang string, roles ...access.Role) *access.User {
		u, err := accounts.CreateUser(ctx, access.NewUser{Username: name, Name: name, Email: email, Lang: lang,
			Password: "correct-horse-battery", Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	reporter := user("lina", "lina@example.com", "zh")
	coord := user("wanglei", "wanglei@example.com", "en", access.Coordinator)
	user("sarah", "", "en", access.Manager)                          // no address: no digest
	user("zhangwei", "zhangwei@example.com", "zh", access.Responder) // not a reader
	if err := db.Rosters().SavePerson(ctx, escalation.Person{ID: "lina", Name: "Li Na", Contacts: []escalation.Contact{
		{Kind: escalation.ContactPhone, Value: "+86 138 0000 1111"}, {Kind: escalation.ContactWeCom, Value: "LiNa"}}}); err != nil {
		t.Fatal(err)
	}

	file := writeRoutes(t, routesYAML)
	cfg, err := readConfig(t, nil, channelEnv(file))
	if err != nil {
		t.Fatal(err)
	}
	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	chans, err := buildChannels(cfg, log, channelDeps{incidents: incidents, accounts: accounts, rosters: db.Rosters(), out: out})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for k := range chans.senders {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	if strings.Join(kinds, ",") != "email,webhook,wecom" || len(chans.planners) != 3 || chans.digest == nil {
		t.Fatalf("senders %v, %d planners, digest %v", kinds, len(chans.planners), chans.digest != nil)
	}
	if _, ok := chans.senders[notify.ChannelWebhook].(notify.Resendable); !ok {
		t.Error("the webhook sender is not resendable")
	}

	// The roster gives pages their addresses.
	people := rosterPeople{db.Rosters()}
	if a, err := people.Address(ctx, "lina", notify.ChannelWeCom); err != nil || a != "LiNa" {
		t.Errorf("wecom address %q, %v", a, err)
	}
	for _, tc := range [][2]string{{"lina", "dingtalk"}, {"nobody", "wecom"}} {
		if _, err := people.Address(ctx, tc[0], notify.Channel(tc[1])); !errors.Is(err, notify.ErrNoAddress) {
			t.Errorf("%s on %s: %v", tc[0], tc[1], err)
		}
	}

	// A report is planned: broadcasts to the routes, and the reporter's
	// number by e-mail in Chinese.
	res, err := incidents.Report(ctx, incident.ReportInput{Title: "钓鱼邮件", Description: "d", Source: "web"},
		incident.Actor{ID: reporter.ID, Name: reporter.Name})
	if err != nil {
		t.Fatal(err)
	}
	ann := notify.NewAnnouncer(out, log, chans.planners...)
	ann.IncidentChanged(ctx, incident.Event{Kind: incident.EventReported, Incident: res.Incident})
	msgs, err := out.List(ctx, notify.StatusPending, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Key+" "+string(m.Channel))
		if m.Kind == notify.KindFeedback && !strings.HasPrefix(m.Subject, "报告已受理："+res.Incident.Number) {
			t.Errorf("feedback subject %q", m.Subject)
		}
	}
	slices.Sort(got)
	n := res.Incident.Number
	want := []string{n + "/broadcast/siem/reported/v1 webhook", n + "/broadcast/soc-mail/reported/v1 email", n + "/feedback/received email"}
	if !slices.Equal(got, want) {
		t.Errorf("enqueued %v, want %v", got, want)
	}

	// Contacts: an unknown account is no contact; without e-mail, no address.
	if _, err := (accountContacts{acc: accounts}).Contact(ctx, "000000000000000000000000"); !errors.Is(err, notify.ErrNoContact) {
		t.Errorf("unknown account: %v", err)
	}
	if c, err := (accountContacts{acc: accounts}).Contact(ctx, reporter.ID); err != nil || c.Email != "" || c.Lang != "zh" {
		t.Errorf("contact with e-mail off: %+v, %v", c, err)
	}

	// The digest goes to coordinators and managers with an address, once a
	// day, and is registered as a periodic job.
	readers, err := digestReaders{accounts}.DigestReaders(ctx)
	if err != nil || len(readers) != 1 || readers[0].ID != coord.ID || readers[0].Email != "wanglei@example.com" {
		t.Errorf("readers %+v, %v", readers, err)
	}
	if err := chans.digest.Digest(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	all, _ := out.List(ctx, "", 0)
	if i := slices.IndexFunc(all, func(m notify.Message) bool { return m.Kind == notify.KindDigest }); i < 0 || all[i].Recipient != coord.ID {
		t.Errorf("no digest for the coordinator: %v", all)
	}
	jobs := escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Logger: log})
	if err := chans.addJobs(jobs); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Add("digest", digestDaily, func(context.Context) error { return nil }); err == nil || !strings.Contains(err.Error(), "already added") {
		t.Errorf("the digest job is not registered: %v", err)
	}

	// Without e-mail: no e-mail sender, no digest, feedback to the log.
	cfg.SMTPAddr, cfg.Routes = "", nil
	plain, err := buildChannels(cfg, log, channelDeps{incidents: incidents, accounts: accounts, rosters: db.Rosters(), out: out})
	if err != nil || len(plain.senders) != 0 || plain.digest != nil || len(plain.planners) != 2 {
		t.Fatalf("without e-mail and routes: %+v, %v", plain, err)
	}
	if err := plain.addJobs(escalation.NewJobs(db.JobRuns(), escalation.JobsOptions{Logger: log})); err != nil {
		t.Error(err)
	}
	fb, err := plain.planners[0].Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: res.Incident})
	if err != nil || len(fb) != 1 || fb[0].Channel != notify.ChannelLog {
		t.Errorf("feedback without e-mail: %+v, %v", fb, err)
	}
}
