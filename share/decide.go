package share

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Reasons for refusing an access (Verdict.Reason, the access log).
const (
	// ReasonNotShared is the answer for an incident nothing admits the
	// requester to, and for one that does not exist: they read the same.
	ReasonNotShared = "no grant or rule admits this incident"
	// ReasonRate: a rule admitted the requester more often in the last
	// hour than it allows.
	ReasonRate = "rate"
	// ReasonNoCopies: what admitted the access does not allow copies.
	ReasonNoCopies = "copies not allowed"
)

// Decide says whether req may see inc at now: active emergency grants
// first, then enabled rules, then active applications; the first that
// admits decides. Among several of one kind the one ending last decides
// (a rule without an end outlasts every grant; ties go to the smaller id).
// A token bound to a grant (req.Grant) is admitted by that grant only.
// grants are the requester's; grants of others are ignored.
func Decide(req Requester, inc *incident.Incident, grants []*Grant, rules []*Rule, now time.Time) Verdict {
	if inc == nil {
		return Verdict{Reason: ReasonNotShared}
	}
	var emergency, application *Grant
	for _, g := range grants {
		if !grantAdmits(req, g, inc.Number, now) {
			continue
		}
		best := &application
		if g.Kind == Emergency {
			best = &emergency
		}
		if *best == nil || endsLater(g.Until, g.ID, (*best).Until, (*best).ID) {
			*best = g
		}
	}
	if emergency != nil {
		return grantVerdict(ByEmergency, emergency)
	}
	if req.Grant == "" {
		var rule *Rule
		for _, r := range rules {
			if !RuleMatches(r, req, inc, now) {
				continue
			}
			if rule == nil || endsLater(ruleEnd(r), r.ID, ruleEnd(rule), rule.ID) {
				rule = r
			}
		}
		if rule != nil {
			return Verdict{Allowed: true, Basis: ByRule, By: rule.ID, Sections: withOverview(rule.Sections), Reveal: ordered(rule.Reveal), Copies: rule.Copies}
		}
	}
	if application != nil {
		return grantVerdict(ByApplication, application)
	}
	return Verdict{Reason: ReasonNotShared}
}

// grantAdmits reports whether g, one of req's grants, admits inc number at now.
func grantAdmits(req Requester, g *Grant, number string, now time.Time) bool {
	return g != nil && g.Status == Active && g.Requester.UserID == req.UserID &&
		(req.Grant == "" || req.Grant == g.ID) &&
		!now.Before(g.From) && now.Before(g.Until) && slices.Contains(g.Scope.Incidents, number)
}

func grantVerdict(b Basis, g *Grant) Verdict {
	return Verdict{Allowed: true, Basis: b, By: g.ID, Sections: withOverview(g.Scope.Sections), Reveal: ordered(g.Scope.Reveal), Copies: g.Scope.Copies}
}

// farFuture stands for a rule without an end.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func ruleEnd(r *Rule) time.Time {
	if r.Until.IsZero() {
		return farFuture
	}
	return r.Until
}

// endsLater reports whether (a, aID) ends after (b, bID), ties broken by id.
func endsLater(a time.Time, aID string, b time.Time, bID string) bool {
	if !a.Equal(b) {
		return a.After(b)
	}
	return aID < bID
}

// withOverview is ss with Overview, without repeats, in display order.
func withOverview(ss []Section) []Section {
	out := []Section{Overview}
	for _, s := range Sections() {
		if s != Overview && slices.Contains(ss, s) {
			out = append(out, s)
		}
	}
	return out
}

// ordered is cs without repeats or unknown classes, in Classes order.
func ordered(cs []Class) []Class {
	var out []Class
	for _, c := range Classes() {
		if slices.Contains(cs, c) {
			out = append(out, c)
		}
	}
	return out
}

// RuleMatches reports whether r admits req to inc at now: r is enabled and
// not past its Until; inc's category and level are among r's (when it
// names any), and inc is restricted only if r includes restricted ones;
// req's organization, department and one of its roles are among r's
// (when it names any); and when r names systems or networks, req comes
// through an API token of one of those systems, from an address in one of
// those networks. A rule naming no requester or system attribute matches
// nothing.
func RuleMatches(r *Rule, req Requester, inc *incident.Incident, now time.Time) bool {
	if r == nil || !r.Enabled || (!r.Until.IsZero() && !now.Before(r.Until)) || !r.namesRequesterOrSystem() {
		return false
	}
	if (len(r.Categories) > 0 && !slices.Contains(r.Categories, inc.Category)) ||
		(len(r.Levels) > 0 && !slices.Contains(r.Levels, inc.Level)) ||
		(inc.Restricted && !r.IncludeRestricted) {
		return false
	}
	if (len(r.Organizations) > 0 && !containsFold(r.Organizations, req.Organization)) ||
		(len(r.Departments) > 0 && !containsFold(r.Departments, req.Department)) ||
		(len(r.Roles) > 0 && !slices.ContainsFunc(req.Roles, func(x string) bool { return slices.Contains(r.Roles, x) })) {
		return false
	}
	if len(r.Systems) > 0 || len(r.Networks) > 0 {
		if req.System == "" {
			return false // a web request: rules over systems admit API tokens only
		}
		if len(r.Systems) > 0 && !containsFold(r.Systems, req.System) {
			return false
		}
		if len(r.Networks) > 0 && !inNetworks(r.Networks, req.Addr) {
			return false
		}
	}
	return true
}

// containsFold reports whether v (non-empty) is in vs, ignoring case and
// surrounding space.
func containsFold(vs []string, v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	return slices.ContainsFunc(vs, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), v) })
}

// inNetworks reports whether addr lies in one of the CIDR prefixes nets.
func inNetworks(nets []string, addr string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range nets {
		p, err := netip.ParsePrefix(strings.TrimSpace(n))
		if err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

// describe is "<basis> <id>", how an admitted access is noted.
func (v Verdict) describe() string {
	if !v.Allowed {
		return v.Reason
	}
	return fmt.Sprintf("%s %s", v.Basis, v.By)
}
