package share

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// watchRate suspends g when the allowed accesses through it in the hour
// up to now (this one included) are more than its rate, and reports
// whether it did.
func (s *Service) watchRate(ctx context.Context, g *Grant, now time.Time) bool {
	if g == nil {
		return false
	}
	allowed, err := s.store.Tally(ctx, grantKey(g.ID), now)
	if err != nil {
		s.log.Error("count accesses", "grant", g.ID, "err", err)
		return false
	}
	rate := rateOf(g.RatePerHour)
	if allowed <= rate {
		return false
	}
	reason := fmt.Sprintf("abnormal use: %d accesses in the last hour, more than the %d allowed", allowed, rate)
	return s.suspend(ctx, g.ID, reason, now)
}

// watchStrikes suspends each grant of ids (the requester's active
// grants, gs) against which ScopeStrikes refused attempts were counted
// within StrikeWindow up to now.
func (s *Service) watchStrikes(ctx context.Context, gs []*Grant, ids []string, now time.Time) {
	for _, id := range ids {
		refused, err := s.store.Tally(ctx, strikeKey(id), now)
		if err != nil {
			s.log.Error("count refused accesses", "grant", id, "err", err)
			continue
		}
		if refused < ScopeStrikes {
			continue
		}
		reason := fmt.Sprintf("abnormal use: %d attempts beyond the grant's scope within %s", refused, StrikeWindow)
		s.suspend(ctx, id, reason, now)
	}
}

// suspend stops grant id for reason, re-reading it once when someone
// changed it meanwhile; it reports whether the grant is now suspended by
// this call. Owner and requester are told.
func (s *Service) suspend(ctx context.Context, id, reason string, now time.Time) bool {
	for attempt := 1; attempt <= 2; attempt++ {
		g, err := s.store.Grant(ctx, id)
		if err != nil {
			s.log.Error("suspend grant", "grant", id, "err", err)
			return false
		}
		next, err := Apply(g, ActSuspend, SystemParty, reason, now)
		if err != nil {
			return false // no longer active: nothing to stop
		}
		err = s.store.UpdateGrant(ctx, next)
		if err == nil {
			s.log.Warn("grant suspended", "grant", id, "reason", reason)
			s.grantChanged(ctx, g, next)
			return true
		}
		if !errors.Is(err, ErrConflict) {
			s.log.Error("suspend grant", "grant", id, "err", err)
			return false
		}
	}
	return false
}
