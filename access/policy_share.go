package access

import (
	"slices"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// Sharing with other departments and organizations (package share).
//
//   - Anyone signed in but auditors may apply for access, or ask for
//     emergency access; a grant-bound API token may only use its grant.
//   - An application is decided by a manager, or by the owner (the person
//     who took it on) of every incident it names unless one of them is
//     restricted; an emergency request by a leader (a manager). Nobody
//     decides their own request.
//   - Whoever may decide a grant, and its owner, may revoke or reinstate it
//     and withdraw its copies; its requester may withdraw the request and
//     their own copies.
//   - Attribute rules are written by admins and read by managers, admins
//     and auditors; so is the whole access log.

// asSelf is a principal acting for itself, not through a grant-bound token.
func asSelf(p Principal) bool { return !p.Anonymous() && p.Grant == "" }

// CanRequestShare reports whether p may apply or ask for emergency access.
func CanRequestShare(p Principal) bool { return asSelf(p) && !readOnly(p) }

// CanUseShared reports whether p may open shared views and copies (what
// they see is then decided by share.Decide): anyone signed in but
// auditors, who read incidents directly.
func CanUseShared(p Principal) bool { return !p.Anonymous() && !readOnly(p) }

// ownsAll reports whether p took on every one of incs.
func ownsAll(p Principal, incs []*incident.Incident) bool {
	if len(incs) == 0 {
		return false
	}
	for _, inc := range incs {
		if inc == nil || inc.AckedBy == nil || inc.AckedBy.ID != p.UserID || !CanView(p, inc) {
			return false
		}
	}
	return true
}

// CanDecideGrant reports whether p may approve, reject or return g, whose
// incidents are incs.
func CanDecideGrant(p Principal, g *share.Grant, incs []*incident.Incident) bool {
	if !asSelf(p) || readOnly(p) || g.Requester.UserID == p.UserID {
		return false
	}
	if p.Has(Manager) {
		return true
	}
	for _, inc := range incs {
		if inc != nil && inc.Restricted {
			return false // restricted information is shared on a manager's word only
		}
	}
	return g.Kind == share.Application && ownsAll(p, incs)
}

// CanEndGrant reports whether p may revoke or reinstate g: whoever may
// decide it, and its owner.
func CanEndGrant(p Principal, g *share.Grant, incs []*incident.Incident) bool {
	if !asSelf(p) || readOnly(p) {
		return false
	}
	return (g.Owner.UserID != "" && g.Owner.UserID == p.UserID) || CanDecideGrant(p, g, incs)
}

// CanWithdrawRequest reports whether p may withdraw g: its requester.
func CanWithdrawRequest(p Principal, g *share.Grant) bool {
	return asSelf(p) && !readOnly(p) && g.Requester.UserID == p.UserID
}

// CanSeeGrant reports whether p may read g, its history, access log and
// copies: its requester and owner, those who may decide it, the owners of
// every incident it names (who may not decide an emergency request but
// are told who asks about their incidents), managers, admins and
// auditors.
func CanSeeGrant(p Principal, g *share.Grant, incs []*incident.Incident) bool {
	if !asSelf(p) {
		return false
	}
	return p.Has(Manager, Admin, Auditor) || g.Requester.UserID == p.UserID ||
		g.Owner.UserID == p.UserID || CanDecideGrant(p, g, incs) || ownsAll(p, incs)
}

// CanWithdrawCopy reports whether p may withdraw c, taken under g (nil
// when c was taken under a rule): its requester, whoever may end g, and
// managers and admins.
func CanWithdrawCopy(p Principal, c *share.Copy, g *share.Grant, incs []*incident.Incident) bool {
	if !asSelf(p) || readOnly(p) {
		return false
	}
	if p.Has(Manager, Admin) || c.Requester.UserID == p.UserID {
		return true
	}
	return g != nil && CanEndGrant(p, g, incs)
}

// CanWriteShareRules reports whether p may create and change attribute
// rules: admins.
func CanWriteShareRules(p Principal) bool { return asSelf(p) && !readOnly(p) && p.Has(Admin) }

// CanReadShareRules reports whether p may read the attribute rules and the
// whole access log: managers, admins and auditors.
func CanReadShareRules(p Principal) bool { return asSelf(p) && p.Has(Manager, Admin, Auditor) }

// ShareRequester is p as sharing decisions see them, calling from addr.
func ShareRequester(p Principal, addr string) share.Requester {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	slices.Sort(roles)
	return share.Requester{
		Party:  SharePartyOf(p),
		Roles:  roles,
		System: p.System,
		Addr:   addr,
		Grant:  p.Grant,
		Lang:   p.Lang,
	}
}

// SharePartyOf is p as a side of a grant.
func SharePartyOf(p Principal) share.Party {
	return share.Party{UserID: p.UserID, Username: p.Username, Name: p.Name, Organization: p.Organization, Department: p.Department}
}
