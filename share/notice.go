package share

import (
	"context"
	"fmt"
	"time"
)

// deciders is the last part of a NoticeSubmitted key: the notice is for
// whoever may decide the request.
const deciders = "deciders"

// grantNotices tells those step of g concerns (see the Notice kinds).
func (s *Service) grantNotices(ctx context.Context, g *Grant, step Step) {
	var kind string
	var to []Party
	requester, owner := g.Requester, g.Owner
	switch step.Action {
	case ActSubmit, ActResubmit:
		kind, to = NoticeSubmitted, []Party{{}}
	case ActApprove:
		kind, to = NoticeApproved, []Party{requester}
	case ActReject:
		kind, to = NoticeRejected, []Party{requester}
	case ActReturn:
		kind, to = NoticeReturned, []Party{requester}
	case ActSuspend:
		kind, to = NoticeSuspended, []Party{owner, requester}
	case ActReinstate:
		kind, to = NoticeReinstated, []Party{requester}
	case ActRevoke:
		kind, to = NoticeRevoked, []Party{requester}
	case ActExpire:
		kind, to = NoticeExpired, []Party{requester, owner}
	default:
		return
	}
	reason := step.Comment
	if step.Action == ActExpire {
		reason = s.expiryReason(ctx, g)
	}
	var ns []Notice
	for _, p := range to {
		who := p.UserID
		if kind == NoticeSubmitted {
			who = deciders
		} else if who == "" || (len(ns) > 0 && ns[0].To.UserID == who) {
			continue
		}
		ns = append(ns, Notice{Key: fmt.Sprintf("share/%s/%s/%d/%s", g.ID, kind, g.Version, who), Kind: kind, Grant: g, To: p, Reason: reason})
	}
	s.notify(ctx, ns...)
}

// expiryReason says that g's period ended, that an emergency grant's
// further use needs an application, and how many copies taken under it
// are still held.
func (s *Service) expiryReason(ctx context.Context, g *Grant) string {
	r := "the grant's period ended at " + stamp(g.Until)
	if g.Kind == Emergency {
		r += "; further use needs an application"
	}
	live, err := s.store.Copies(ctx, CopyFilter{By: g.ID, Live: true})
	if err != nil {
		s.log.Error("copies of expired grant", "grant", g.ID, "err", err)
		return r
	}
	if len(live) > 0 {
		r += fmt.Sprintf("; %d copies taken under it are still held and can be withdrawn", len(live))
	}
	return r
}

// ruleRateNotice tells r's author that req went beyond r's rate, once an
// hour (the key names the hour).
func (s *Service) ruleRateNotice(ctx context.Context, r *Rule, req Requester, now time.Time) {
	if r.CreatedBy.UserID == "" {
		return
	}
	who := req.Username
	if who == "" {
		who = req.UserID
	}
	s.notify(ctx, Notice{
		Key:  fmt.Sprintf("share/%s/%s/%s/%s", r.ID, NoticeRuleRate, now.UTC().Format("2006010215"), r.CreatedBy.UserID),
		Kind: NoticeRuleRate, Rule: r, To: r.CreatedBy,
		Reason: fmt.Sprintf("%s went beyond the rule's %d accesses an hour", who, rateOf(r.RatePerHour)),
	})
}

// notify hands ns to the notifier (when there is one); a failure is
// logged, never undoing the change it tells of.
func (s *Service) notify(ctx context.Context, ns ...Notice) {
	if s.notifier == nil || len(ns) == 0 {
		return
	}
	if err := s.notifier.Notify(ctx, ns...); err != nil {
		s.log.Error("share notice", "key", ns[0].Key, "err", err)
	}
}
