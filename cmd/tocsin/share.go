package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/share"
)

// shareExpiryEvery is how often grants whose period is over are ended:
// within a minute of their Until.
const shareExpiryEvery = "@every 1m"

// maxMaskFile bounds TOCSIN_MASK_FILE.
const maxMaskFile = 1 << 20

// loadMask reads TOCSIN_MASK_FILE, when set, into c.Mask and checks that
// its rules compile. Problems name the file and line.
func (c *Config) loadMask() []string {
	if c.MaskFile == "" {
		return nil
	}
	src, err := readLimited(c.MaskFile, maxMaskFile)
	if err != nil {
		return []string{"TOCSIN_MASK_FILE: " + err.Error()}
	}
	mc, err := share.ParseMaskConfig(c.MaskFile, src)
	if err != nil {
		return []string{"TOCSIN_MASK_FILE: " + strings.ReplaceAll(err.Error(), "\n", "\n    ")}
	}
	if _, err := share.NewMasker(mc); err != nil {
		return []string{fmt.Sprintf("TOCSIN_MASK_FILE: %s: %v", c.MaskFile, err)}
	}
	c.Mask = mc
	return nil
}

// readLimited reads a whole file of at most limit bytes.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than the %d bytes allowed", name, limit)
	}
	return b, nil
}

// shareDeps is what sharing is built on.
type shareDeps struct {
	store     share.Store
	incidents share.Incidents
	accounts  *access.Service
	rosters   teamReader
	out       notify.Enqueuer
	audit     share.Auditor
	contacts  notify.Contacts
	jobs      *escalation.Jobs
	log       *slog.Logger
}

// teamReader reads the roster's teams (for who sees which incidents).
type teamReader interface {
	Teams(ctx context.Context) ([]escalation.Team, error)
}

// buildShare builds the sharing service: the masker (built-in rules and
// TOCSIN_MASK_FILE's), notices through the outbox to the deciders found
// over the accounts, the audit trail, and the job that ends grants on
// time.
func buildShare(cfg Config, d shareDeps) (*share.Service, error) {
	m, err := share.NewMasker(cfg.Mask)
	if err != nil {
		return nil, fmt.Errorf("masking rules: %w", err)
	}
	deciders := shareDeciders{acc: d.accounts, incidents: d.incidents, rosters: d.rosters}
	n := notify.NewShareNotifier(d.out, d.contacts, deciders, cfg.BaseURL, d.log)
	svc := share.NewService(d.store, d.incidents, m, n, d.audit, time.Now, d.log)
	if err := addShareJobs(d.jobs, svc, d.log); err != nil {
		return nil, err
	}
	return svc, nil
}

// shareExpirer is what the expiry job needs of the service.
type shareExpirer interface {
	ExpireDue(ctx context.Context) (int, error)
}

// addShareJobs registers share-expiry: every minute, the grants whose
// period is over are ended and both sides told.
func addShareJobs(jobs *escalation.Jobs, svc shareExpirer, log *slog.Logger) error {
	return jobs.Add("share-expiry", shareExpiryEvery, func(ctx context.Context) error {
		n, err := svc.ExpireDue(ctx)
		if n > 0 {
			log.InfoContext(ctx, "sharing grants expired", "grants", n)
		}
		return err
	})
}

// shareDeciders finds who may decide a request over the accounts: every
// enabled account the sharing policy lets decide it (managers; for an
// application, also the owner of every incident it names).
type shareDeciders struct {
	acc       *access.Service
	incidents share.Incidents
	rosters   teamReader
}

var _ notify.ShareDeciders = shareDeciders{}

// Deciders returns their account ids.
func (d shareDeciders) Deciders(ctx context.Context, g *share.Grant) ([]string, error) {
	var incs []*incident.Incident
	for _, ref := range g.Scope.Incidents {
		inc, err := d.incidents.Get(ctx, ref)
		if errors.Is(err, incident.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		incs = append(incs, inc)
	}
	users, err := d.acc.Users(ctx)
	if err != nil {
		return nil, err
	}
	var teams map[string][]string
	var out []string
	for _, u := range users {
		if u.Disabled {
			continue
		}
		p := u.Principal("session")
		if access.SeesByTeam(p) && d.rosters != nil {
			if teams == nil {
				if teams, err = teamsByPerson(ctx, d.rosters); err != nil {
					return nil, err
				}
			}
			p.Teams = teams[u.Username]
		}
		if access.CanDecideGrant(p, g, incs) {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// teamsByPerson maps each roster person (a username) to the ids and
// names of their teams.
func teamsByPerson(ctx context.Context, r teamReader) (map[string][]string, error) {
	ts, err := r.Teams(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the teams: %w", err)
	}
	m := map[string][]string{}
	for _, t := range ts {
		for _, member := range t.Members {
			m[member] = append(m[member], t.ID, t.Name)
		}
	}
	return m, nil
}
