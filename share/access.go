package share

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
)

// Access actions, as logged in Access.Action.
const (
	AccessView     = "view"
	AccessCopy     = "copy"
	AccessDownload = "download"
)

// auditActions are the audit actions of accesses.
var auditActions = map[string]audit.Action{
	AccessView:     "share.access",
	AccessCopy:     "share.copy",
	AccessDownload: "share.download",
}

// admit decides req's action on incident number, logs and audits it,
// and watches it: an allowed access through a grant may suspend the grant
// (over its rate: ErrSuspended), a refused one counts as a strike against
// the requester's active grants, and a rule's rate refuses beyond it.
// A refusal is ErrDenied (wrapped with the reason), or ErrSuspended when
// one of req's grants covering the incident is suspended.
func (s *Service) admit(ctx context.Context, req Requester, number, action string) (*incident.Incident, Verdict, error) {
	now := s.now()
	inc, err := s.incidents.Get(ctx, number)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		inc = nil
		if len(number) > maxAttribute {
			number = strings.ToValidUTF8(number[:maxAttribute], "") // logged as asked, within bounds
		}
	case err != nil:
		return nil, Verdict{}, fmt.Errorf("incident %s: %w", number, err)
	default:
		number = inc.Number
	}
	grants, err := s.grantsOf(ctx, req)
	if err != nil {
		return nil, Verdict{}, err
	}
	var rules []*Rule
	if req.Grant == "" {
		if rules, err = s.store.ListRules(ctx); err != nil {
			return nil, Verdict{}, fmt.Errorf("rules: %w", err)
		}
	}
	v := Decide(req, inc, grants, rules, now)
	var overRate *Rule
	if v.Allowed && v.Basis == ByRule {
		r := ruleByID(rules, v.By)
		used, err := s.store.Tallied(ctx, ruleKey(r.ID, req.UserID), now)
		if err != nil {
			return nil, Verdict{}, fmt.Errorf("count accesses: %w", err)
		}
		if used >= rateOf(r.RatePerHour) {
			overRate = r
			v = Verdict{Basis: ByRule, By: r.ID, Reason: ReasonRate}
		}
	}
	if v.Allowed && action == AccessCopy && !v.Copies {
		v = Verdict{Basis: v.Basis, By: v.By, Reason: ReasonNoCopies}
	}
	a := &Access{ID: newAccessID(now), At: now, Requester: req.Party, System: req.System, Addr: req.Addr, Incident: number,
		Sections: v.Sections, Action: action, Allowed: v.Allowed, Basis: v.Basis, By: v.By, Reason: v.Reason}
	if !v.Allowed && overRate == nil {
		a.Grants = activeIDs(grants, now)
	}
	if err := s.store.LogAccess(ctx, a); err != nil {
		return nil, Verdict{}, fmt.Errorf("log access: %w", err)
	}
	src := audit.SourceFrom(ctx)
	if src == (audit.Source{}) {
		src.IP = req.Addr
	}
	s.record(ctx, audit.Record{Action: auditActions[action], Target: audit.Target{Kind: "incident", ID: number}, Source: src, Note: v.describe()},
		req.Party, req.via())
	s.log.Info("shared access", "incident", number, "user", req.UserID, "action", action, "allowed", v.Allowed, "by", v.By, "reason", v.Reason)

	if overRate != nil {
		s.ruleRateNotice(ctx, overRate, req, now)
	}
	if v.Allowed {
		if v.Basis == ByRule {
			if _, err := s.store.Tally(ctx, ruleKey(v.By, req.UserID), now); err != nil {
				s.log.Error("count a rule's use", "rule", v.By, "err", err)
			}
			return inc, v, nil
		}
		if suspended := s.watchRate(ctx, grantByID(grants, v.By), now); suspended {
			return nil, Verdict{Basis: v.Basis, By: v.By, Reason: "suspended: rate"}, fmt.Errorf("%w: %s exceeded its rate", ErrSuspended, v.By)
		}
		return inc, v, nil
	}
	s.watchStrikes(ctx, grants, a.Grants, now)
	if g := suspendedFor(grants, inc, now); g != nil {
		return nil, v, fmt.Errorf("%w: %s", ErrSuspended, g.ID)
	}
	return nil, v, fmt.Errorf("%w: %s", ErrDenied, v.Reason)
}

// suspendedFor is the requester's suspended grant, within its period,
// that would cover inc: the requester is told their grant is suspended
// rather than that nothing is shared (it is their own grant, naming an
// incident they know of).
func suspendedFor(gs []*Grant, inc *incident.Incident, now time.Time) *Grant {
	if inc == nil {
		return nil
	}
	for _, g := range gs {
		if g.Status == Suspended && now.Before(g.Until) && slices.Contains(g.Scope.Incidents, inc.Number) {
			return g
		}
	}
	return nil
}

// grantsOf are the grants Decide asks for req: its token's grant, or all
// its active and suspended grants.
func (s *Service) grantsOf(ctx context.Context, req Requester) ([]*Grant, error) {
	if req.UserID == "" {
		return nil, nil
	}
	if req.Grant != "" {
		g, err := s.store.Grant(ctx, req.Grant)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("grant %s: %w", req.Grant, err)
		}
		if g.Requester.UserID != req.UserID {
			return nil, nil
		}
		return []*Grant{g}, nil
	}
	gs, err := s.store.ListGrants(ctx, GrantFilter{Requester: req.UserID, Statuses: []Status{Active, Suspended}})
	if err != nil {
		return nil, fmt.Errorf("grants of %s: %w", req.UserID, err)
	}
	return gs, nil
}

// activeIDs are the ids of the grants in force at now.
func activeIDs(gs []*Grant, now time.Time) []string {
	var ids []string
	for _, g := range gs {
		if g.Status == Active && !now.Before(g.From) && now.Before(g.Until) {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

func grantByID(gs []*Grant, id string) *Grant {
	if id == "" {
		return nil
	}
	i := slices.IndexFunc(gs, func(g *Grant) bool { return g.ID == id })
	if i < 0 {
		return nil
	}
	return gs[i]
}

func ruleByID(rs []*Rule, id string) *Rule {
	i := slices.IndexFunc(rs, func(r *Rule) bool { return r.ID == id })
	if i < 0 {
		return nil
	}
	return rs[i]
}

// Tally keys: a requester's uses of a rule, a grant's accesses, and the
// refused attempts counted against a grant.
func ruleKey(rule, user string) string { return "rule/" + rule + "/" + user }
func grantKey(grant string) string     { return "grant/" + grant }
func strikeKey(grant string) string    { return "strike/" + grant }

// rateOf is a grant's or rule's hourly rate (DefaultRate when unset).
func rateOf(n int) int {
	if n <= 0 {
		return DefaultRate
	}
	return n
}

// via is how req came: through an API token or the web.
func (req Requester) via() string {
	if req.System != "" || req.Grant != "" {
		return "token"
	}
	return "session"
}
