package share

import (
	"fmt"
	"slices"
	"time"
)

// SystemParty is the side that expires and suspends grants.
var SystemParty = Party{UserID: "system", Name: "Tocsin"}

// move is what an action needs and does: the statuses it applies to and
// the status it leads to.
type move struct {
	from []Status
	to   Status
}

// moves is the grant status machine.
var moves = map[string]move{
	ActResubmit:  {[]Status{Returned}, Pending},
	ActApprove:   {[]Status{Pending}, Active},
	ActReject:    {[]Status{Pending}, Rejected},
	ActReturn:    {[]Status{Pending}, Returned},
	ActWithdraw:  {[]Status{Pending, Returned}, Withdrawn},
	ActRevoke:    {[]Status{Active, Suspended}, Revoked},
	ActSuspend:   {[]Status{Active}, Suspended},
	ActReinstate: {[]Status{Suspended}, Active},
	ActExpire:    {[]Status{Active, Suspended}, Expired},
}

// statusNames name statuses in both languages.
var statusNames = map[Status][2]string{
	Pending:   {"pending", "待审批"},
	Returned:  {"returned for correction", "已退回补正"},
	Rejected:  {"rejected", "已拒绝"},
	Active:    {"active", "有效"},
	Suspended: {"suspended", "已中止"},
	Revoked:   {"revoked", "已撤销"},
	Expired:   {"expired", "已到期"},
	Withdrawn: {"withdrawn", "已撤回"},
}

// actionNames name actions in both languages.
var actionNames = map[string][2]string{
	ActSubmit:    {"submit", "提交"},
	ActResubmit:  {"resubmit", "重新提交"},
	ActApprove:   {"approve", "批准"},
	ActReject:    {"reject", "拒绝"},
	ActReturn:    {"return", "退回"},
	ActWithdraw:  {"withdraw", "撤回"},
	ActRevoke:    {"revoke", "撤销"},
	ActSuspend:   {"suspend", "中止"},
	ActReinstate: {"reinstate", "恢复"},
	ActExpire:    {"expire", "到期终止"},
}

// Returns is how many times the request was returned for correction.
func (g *Grant) Returns() int {
	n := 0
	for _, st := range g.History {
		if st.Action == ActReturn {
			n++
		}
	}
	return n
}

// clone is a deep copy of g, so a transition can change it freely.
func (g *Grant) clone() *Grant {
	c := *g
	c.Scope.Incidents = slices.Clone(g.Scope.Incidents)
	c.Scope.Sections = slices.Clone(g.Scope.Sections)
	c.Scope.Reveal = slices.Clone(g.Scope.Reveal)
	c.History = slices.Clone(g.History)
	return &c
}

// NewGrant is the request r filed by by at now, pending, with id.
func NewGrant(id string, r Request, by Party, now time.Time) *Grant {
	g := &Grant{ID: id, Kind: r.Kind, Status: Pending, Version: 1, Requester: by, CreatedAt: now, UpdatedAt: now}
	g.setRequest(r)
	g.History = []Step{{At: now, By: by, Action: ActSubmit, To: Pending}}
	return g
}

// setRequest copies what the requester asked for into g.
func (g *Grant) setRequest(r Request) {
	g.Purpose = r.Purpose
	g.Scope = Scope{Incidents: uniq(r.Incidents), Sections: slices.Clone(r.Sections), Reveal: slices.Clone(r.Reveal), Copies: r.Copies}
	g.From, g.Until = r.From, r.Until
	g.RatePerHour = r.RatePerHour
}

// uniq is ss without repeats, in order.
func uniq(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// refusal says act cannot be done to a grant in status s.
func refusal(act string, s Status) error {
	a, st := actionNames[act], statusNames[s]
	return &RefusedError{
		EN: fmt.Sprintf("cannot %s a grant that is %s", a[0], st[0]),
		ZH: fmt.Sprintf("授权状态为“%s”，不能%s", st[1], a[1]),
	}
}

// Apply returns g after act by by at now with comment, leaving g as it
// is: the status moves, the version is bumped and a Step records who,
// when, from, to and why. It checks the status machine (*RefusedError),
// who may act (the requester resubmits and withdraws and never decides:
// ErrForbidden) and comments (required to reject, return, revoke and
// suspend: *incident.InvalidError on "comment", or "reason" to revoke). Reinstating needs now
// before Until; expiring needs now at or after it.
func Apply(g *Grant, act string, by Party, comment string, now time.Time) (*Grant, error) {
	m, ok := moves[act]
	if !ok {
		return nil, invalid("action", fmt.Sprintf("unknown action %q", act), fmt.Sprintf("未知的操作 %q", act))
	}
	if !slices.Contains(m.from, g.Status) {
		return nil, refusal(act, g.Status)
	}
	switch act {
	case ActResubmit, ActWithdraw:
		if by.UserID != g.Requester.UserID {
			return nil, ErrForbidden
		}
	case ActApprove, ActReject, ActReturn:
		if by.UserID == g.Requester.UserID {
			return nil, ErrForbidden
		}
	}
	required := act == ActReject || act == ActReturn || act == ActRevoke || act == ActSuspend
	field := "comment"
	if act == ActRevoke || act == ActSuspend {
		field = "reason"
	}
	if err := checkComment(field, comment, required); err != nil {
		return nil, err
	}
	switch {
	case act == ActReinstate && !now.Before(g.Until):
		return nil, &RefusedError{EN: "the grant's period has ended: it cannot be reinstated", ZH: "授权期限已结束，不能恢复"}
	case act == ActExpire && now.Before(g.Until):
		return nil, &RefusedError{EN: "the grant's period has not ended", ZH: "授权期限尚未结束"}
	}
	next := g.clone()
	next.Status = m.to
	next.Version++
	next.UpdatedAt = now
	next.History = append(next.History, Step{At: now, By: by, Action: act, From: g.Status, To: m.to, Comment: comment})
	switch act {
	case ActReject, ActRevoke, ActSuspend:
		next.Reason = comment
	case ActApprove:
		next.Owner = by
	case ActExpire:
		next.Reason = "period ended"
	}
	return next, nil
}

// Approve is Apply(ActApprove) with the approver's Until, which may
// only shorten the period (and must leave some of it: after From and
// after now). A request whose period has already ended is refused: it
// should be returned for correction.
func Approve(g *Grant, until *time.Time, comment string, by Party, now time.Time) (*Grant, error) {
	end := g.Until
	if until != nil {
		switch {
		case until.After(g.Until):
			return nil, invalid("until", "an approver may only shorten the period, not lengthen it", "审批人只能缩短授权期限，不能延长")
		case !until.After(g.From) || !until.After(now):
			return nil, invalid("until", "must be after the start and in the future", "结束时间必须晚于开始时间且晚于当前时间")
		}
		end = *until
	}
	if g.Status == Pending && !now.Before(end) {
		return nil, &RefusedError{EN: "the requested period has ended: return the request for correction", ZH: "申请的期限已结束，请退回补正"}
	}
	next, err := Apply(g, ActApprove, by, comment, now)
	if err != nil {
		return nil, err
	}
	next.Until = end
	return next, nil
}

// Resubmit is a returned request g corrected to r by its requester.
// r must be valid (ValidateRequest); its Kind is the grant's.
func Resubmit(g *Grant, r Request, by Party, now time.Time) (*Grant, error) {
	next, err := Apply(g, ActResubmit, by, "", now)
	if err != nil {
		return nil, err
	}
	next.setRequest(r)
	return next, nil
}
