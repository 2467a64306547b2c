package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/store"
)

// The review's periodic jobs (UTC; 09:xx in China).
const (
	actionRemindersDaily = "10 1 * * *" // corrective action owners, before and after due dates
	reportWeekly         = "15 1 * * 1" // Mondays: the week before
	reportMonthly        = "20 1 1 * *" // the 1st: the month before
)

// parseReports reads TOCSIN_MANAGER_REPORTS: a comma-separated list of
// weekly and monthly, or off.
func parseReports(c *Config, v string) error {
	c.ManagerReports = nil
	v = strings.TrimSpace(v)
	if v == "off" || v == "none" {
		return nil
	}
	for _, p := range strings.Split(v, ",") {
		switch p := notify.Period(strings.TrimSpace(p)); p {
		case notify.Weekly, notify.Monthly:
			if !containsPeriod(c.ManagerReports, p) {
				c.ManagerReports = append(c.ManagerReports, p)
			}
		default:
			return fmt.Errorf("TOCSIN_MANAGER_REPORTS: %q is not weekly, monthly or off", p)
		}
	}
	return nil
}

func containsPeriod(ps []notify.Period, p notify.Period) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// addReviewJobs registers the corrective action reminders and the manager
// reports of the configured periods with jobs; incidents are read
// through scanner (the statistics cache on the embedded store).
func addReviewJobs(cfg Config, jobs *escalation.Jobs, db *store.DB, scanner notify.IncidentScanner, accounts *access.Service, out *notify.Outbox, log *slog.Logger) error {
	email := cfg.SMTPAddr != ""
	contacts := accountContacts{acc: accounts, email: email, slack: cfg.Slack()}
	w := notify.NewReviewWork(scanner, func(ctx context.Context) (map[incident.Level]incident.Deadlines, error) {
		ps, err := db.Rosters().Policies(ctx)
		if err != nil {
			return nil, err
		}
		return escalation.DeadlinesByLevel(ps), nil
	}, managerReaders{contacts}, ownerContacts{contacts}, out, cfg.BaseURL, log)
	errs := []error{jobs.Add("action-reminders", actionRemindersDaily, func(ctx context.Context) error { return w.ActionReminders(ctx, time.Now()) })}
	for _, p := range cfg.ManagerReports {
		spec := reportWeekly
		if p == notify.Monthly {
			spec = reportMonthly
		}
		errs = append(errs, jobs.Add("report-"+string(p), spec, func(ctx context.Context) error { return w.ManagerReport(ctx, p, time.Now()) }))
	}
	return errors.Join(errs...)
}

// managerReaders are the enabled manager accounts, reached as the
// reporter's feedback is: Slack when linked and chat is on, else e-mail
// when it is on, else the log.
type managerReaders struct{ c accountContacts }

var _ notify.Readers = managerReaders{}

// ManagerReaders lists them.
func (m managerReaders) ManagerReaders(ctx context.Context) ([]notify.Reader, error) {
	users, err := m.c.acc.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []notify.Reader
	for _, u := range users {
		if u.Disabled || !u.Principal("").Has(access.Manager) {
			continue
		}
		c, err := m.c.Contact(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, notify.Reader{ID: u.ID, Contact: c})
	}
	return out, nil
}

// ownerContacts finds a corrective action's owner by username.
type ownerContacts struct{ c accountContacts }

var _ notify.Owners = ownerContacts{}

// OwnerContact returns the contact of the account with username.
func (o ownerContacts) OwnerContact(ctx context.Context, username string) (notify.Contact, error) {
	u, err := o.c.acc.UserByUsername(ctx, username)
	if errors.Is(err, access.ErrNotFound) {
		return notify.Contact{}, fmt.Errorf("%w: %w", notify.ErrNoContact, err)
	}
	if err != nil {
		return notify.Contact{}, err
	}
	return o.c.Contact(ctx, u.ID)
}

func managerReportsSetting(ps []notify.Period) string {
	if len(ps) == 0 {
		return "off"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ",")
}
