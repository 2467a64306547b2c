package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// digestDaily is when the daily digest is written: 09:05 in China, after
// the coverage check.
const digestDaily = "5 1 * * *"

// --- settings ---

func validSMTPAddr(v string) error {
	if v == "" {
		return nil
	}
	if host, _, err := net.SplitHostPort(v); err != nil || host == "" {
		return errors.New("want host:port, e.g. smtp.example.com:587")
	}
	return validAddr(v)
}

func validSMTPFrom(v string) error {
	if v == "" {
		return nil
	}
	if _, err := mail.ParseAddress(v); err != nil {
		return errors.New(`want an address, e.g. "Tocsin <tocsin@example.com>"`)
	}
	return nil
}

func parseStartTLS(c *Config, v string) error {
	switch v {
	case "required":
		c.SMTPNoTLS = false
	case "off":
		c.SMTPNoTLS = true
	default:
		return errors.New("want required or off")
	}
	return nil
}

func startTLSSetting(off bool) string {
	if off {
		return "off"
	}
	return "required"
}

// emailConfig is the e-mail sender's configuration.
func (c Config) emailConfig() notify.EmailConfig {
	return notify.EmailConfig{Addr: c.SMTPAddr, User: c.SMTPUser, Password: c.SMTPPassword, From: c.SMTPFrom,
		NoTLS: c.SMTPNoTLS, BaseURL: c.BaseURL, Now: time.Now}
}

// loadChannels checks the e-mail settings together and reads the routes
// file, taking the secrets it names from getenv. It returns the problems,
// each naming its setting (and, in the routes file, its line).
func (c *Config) loadChannels(getenv func(string) string) []string {
	var errs []string
	if c.SMTPAddr == "" {
		if c.SMTPUser != "" || c.SMTPPassword != "" || c.SMTPFrom != "" {
			errs = append(errs, "TOCSIN_SMTP_ADDR: required when other TOCSIN_SMTP_ settings are given")
		}
	} else if err := c.emailConfig().Check(); err != nil {
		errs = append(errs, err.Error())
	}
	if c.NotifyFile == "" {
		return errs
	}
	r, err := notify.LoadRoutes(c.NotifyFile, getenv)
	if err != nil {
		return append(errs, "TOCSIN_NOTIFY_FILE: "+strings.ReplaceAll(err.Error(), "\n  ", "\n    "))
	}
	for _, e := range r.Endpoints() {
		if e.Kind == notify.ChannelEmail && c.SMTPAddr == "" {
			errs = append(errs, fmt.Sprintf("TOCSIN_NOTIFY_FILE: %s:%d: destination %s is an e-mail list, but TOCSIN_SMTP_ADDR is not set",
				c.NotifyFile, e.Line, e.Name))
		}
	}
	c.Routes = r
	return errs
}

// --- wiring ---

// channelDeps is what the channels are built on.
type channelDeps struct {
	incidents *incident.Service
	accounts  *access.Service
	rosters   escalation.RosterReader
	out       *notify.Outbox
	slack     bool // chat is on: feedback goes to a linked reporter's Slack DM first
}

// channels are the notification channels other than Slack: the senders
// the outbox worker delivers with, the planners the Announcer enqueues
// through, and the daily digest.
type channels struct {
	senders  map[notify.Channel]notify.Sender
	planners []notify.Planner
	digest   *notify.Digester // nil without e-mail
}

// buildChannels makes the senders of the configured channels: e-mail when
// TOCSIN_SMTP_ADDR is set, and a webhook or robot sender for each kind the
// routes file has destinations of. The planners are the broadcasts of the
// routes and the reporter's feedback (by e-mail only when e-mail is on;
// by Slack DM once accounts are linked to Slack).
func buildChannels(cfg Config, log *slog.Logger, d channelDeps) (*channels, error) {
	people := rosterPeople{d.rosters}
	ch := &channels{senders: map[notify.Channel]notify.Sender{}}
	email := cfg.SMTPAddr != ""
	if email {
		s, err := notify.NewEmailSender(cfg.emailConfig(), cfg.Routes, people)
		if err != nil {
			return nil, err
		}
		ch.senders[notify.ChannelEmail] = s
		ch.digest = notify.NewDigester(d.incidents, digestReaders{d.accounts}, d.out, cfg.BaseURL, log)
	}
	kinds := map[notify.Channel]bool{}
	for _, e := range cfg.Routes.Endpoints() {
		kinds[e.Kind] = true
	}
	if kinds[notify.ChannelWebhook] {
		ch.senders[notify.ChannelWebhook] = notify.NewWebhookSender(cfg.Routes, d.incidents, nil, cfg.BaseURL, time.Now)
	}
	for _, k := range []notify.Channel{notify.ChannelWeCom, notify.ChannelDingTalk, notify.ChannelFeishu} {
		if !kinds[k] {
			continue
		}
		s, err := notify.NewRobotSender(k, cfg.Routes, people, nil, cfg.BaseURL, time.Now)
		if err != nil {
			return nil, err
		}
		ch.senders[k] = s
	}
	if cfg.Routes != nil {
		ch.planners = append(ch.planners, notify.NewBroadcastPlanner(cfg.Routes, cfg.BaseURL))
	}
	contacts := accountContacts{acc: d.accounts, email: email, slack: d.slack}
	ch.planners = append(ch.planners, notify.NewFeedbackPlanner(contacts, cfg.BaseURL, log),
		notify.NewReviewReturnPlanner(contacts, cfg.BaseURL, log))
	return ch, nil
}

// addJobs registers the daily digest with the periodic jobs (nothing
// without e-mail). It must be called before the jobs run.
func (c *channels) addJobs(jobs *escalation.Jobs) error {
	if c.digest == nil {
		return nil
	}
	d := c.digest
	return jobs.Add("digest", digestDaily, func(ctx context.Context) error { return d.Digest(ctx, time.Now()) })
}

// LogValue names the channels and planners built, for the start-up log.
func (c *channels) LogValue() slog.Value {
	var senders []string
	for k := range c.senders {
		senders = append(senders, string(k))
	}
	slices.Sort(senders)
	var planners []string
	for _, p := range c.planners {
		planners = append(planners, strings.TrimPrefix(fmt.Sprintf("%T", p), "*notify."))
	}
	return slog.GroupValue(
		slog.String("senders", strings.Join(senders, ",")),
		slog.String("planners", strings.Join(planners, ",")),
		slog.Bool("digest", c.digest != nil),
	)
}

// --- adapters ---

// rosterPeople finds a person's address on a channel in the roster's
// contacts.
type rosterPeople struct{ r escalation.RosterReader }

var _ notify.People = rosterPeople{}

// Address returns the first of person's contacts of kind ch.
func (p rosterPeople) Address(ctx context.Context, person string, ch notify.Channel) (string, error) {
	people, err := p.r.People(ctx)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(people, func(x escalation.Person) bool { return x.ID == person })
	if i < 0 {
		return "", fmt.Errorf("%s is not in the roster: %w", person, notify.ErrNoAddress)
	}
	for _, c := range people[i].Contacts {
		if c.Kind == escalation.ContactKind(ch) && strings.TrimSpace(c.Value) != "" {
			return strings.TrimSpace(c.Value), nil
		}
	}
	return "", fmt.Errorf("%s has no %s contact: %w", person, ch, notify.ErrNoAddress)
}

// accountContacts is the contact of an account, for the reporter's
// feedback: its linked Slack id (when chat is on), which is tried first,
// its e-mail address (when e-mail is on) and its language.
type accountContacts struct {
	acc   *access.Service
	email bool
	slack bool
}

var _ notify.Contacts = accountContacts{}

// Contact returns the contact of account id.
func (a accountContacts) Contact(ctx context.Context, id string) (notify.Contact, error) {
	u, err := a.acc.User(ctx, id)
	if errors.Is(err, access.ErrNotFound) {
		return notify.Contact{}, fmt.Errorf("%w: %w", notify.ErrNoContact, err)
	}
	if err != nil {
		return notify.Contact{}, err
	}
	c := notify.Contact{Lang: u.Lang}
	if a.email {
		c.Email = u.Email
	}
	if a.slack {
		c.SlackID = u.SlackID
	}
	return c, nil
}

// digestReaders are the enabled accounts with the coordinator or manager
// role and an e-mail address.
type digestReaders struct{ acc *access.Service }

var _ notify.DigestReaders = digestReaders{}

// DigestReaders lists them.
func (r digestReaders) DigestReaders(ctx context.Context) ([]notify.DigestReader, error) {
	users, err := r.acc.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []notify.DigestReader
	for _, u := range users {
		if u.Disabled || strings.TrimSpace(u.Email) == "" || !u.Principal("").Has(access.Coordinator, access.Manager) {
			continue
		}
		out = append(out, notify.DigestReader{ID: u.ID, Email: strings.TrimSpace(u.Email), Lang: u.Lang})
	}
	return out, nil
}
