package access

import (
	"slices"

	"github.com/tocsin-hub/tocsin/incident"
)

// This file is the one place that decides who may see and do what. Every
// endpoint, page, stream, list and export asks these functions; lists ask
// the store for AudienceOf(p), whose query selects exactly what Admits
// admits (store tests hold the two together).
//
// Visibility (need to know):
//   - a reporter sees what they reported;
//   - anyone sees the incidents that name them: as a participant, a person
//     assignee or a task assignee (by user id or username);
//   - a responder also sees the incidents assigned to one of their teams;
//   - the response center (coordinators) and admins see every incident
//     that is not restricted; managers and auditors see every incident.
//
// A restricted incident (an insider case, say) is seen only by the people
// it names, managers and auditors: not by its reporter, the response
// center or teams unless they are named.
//
// Auditors read everything and change nothing: every function below that
// allows a change refuses a principal holding the auditor role.

// SeesAll reports whether p sees every incident that is not restricted
// (the response center, managers, auditors and admins). Others see what
// they reported or work on.
func SeesAll(p Principal) bool { return p.Has(Coordinator, Manager, Admin, Auditor) }

// readOnly reports whether p may change nothing at all.
func readOnly(p Principal) bool { return p.Has(Auditor) }

// AudienceOf describes what p may see, for the store to narrow lists with.
// The anonymous audience admits nothing.
func AudienceOf(p Principal) incident.Audience {
	if p.Anonymous() {
		return incident.Audience{}
	}
	a := incident.Audience{Reporter: p.UserID}
	for _, n := range []string{p.UserID, p.Username} {
		if n != "" && !slices.Contains(a.Names, n) {
			a.Names = append(a.Names, n)
		}
	}
	switch {
	case p.Has(Manager, Auditor):
		a.All, a.Restricted = true, true
	case p.Has(Coordinator, Admin):
		a.All = true
	}
	if SeesByTeam(p) {
		a.Teams = slices.Clone(p.Teams)
	}
	return a
}

// SeesByTeam reports whether what p sees depends on p's roster teams
// (Principal.Teams, which the caller must then fill in): responders who do
// not see every incident anyway.
func SeesByTeam(p Principal) bool { return p.Has(Responder) && !SeesAll(p) }

// Admits reports whether audience a may see inc. It is the rule that
// AudienceOf's store query applies to whole lists.
func Admits(a incident.Audience, inc *incident.Incident) bool {
	if inc.Restricted {
		return a.Restricted || names(inc, a.Names)
	}
	return a.All || names(inc, a.Names) ||
		(a.Reporter != "" && inc.Reporter.ID == a.Reporter) ||
		assignedTo(inc, a.Teams)
}

// names reports whether inc names one of ids as a participant, a person
// assignee or a task assignee.
func names(inc *incident.Incident, ids []string) bool {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if slices.Contains(inc.Participants, id) ||
			slices.ContainsFunc(inc.Assignees, func(a incident.Assignee) bool { return a.Kind == incident.AssigneePerson && a.Name == id }) ||
			slices.ContainsFunc(inc.Tasks, func(t incident.Task) bool { return t.AssigneeKind == incident.AssignPerson && t.Assignee == id }) {
			return true
		}
	}
	return false
}

// assignedTo reports whether one of teams (ids or names) is assigned to inc.
func assignedTo(inc *incident.Incident, teams []string) bool {
	return slices.ContainsFunc(inc.Assignees, func(a incident.Assignee) bool {
		return a.Kind == incident.AssigneeTeam && slices.Contains(teams, a.Name)
	})
}

// CanView reports whether p may see inc: its details, its place in lists
// and on the board, and its changes on the board's stream.
func CanView(p Principal, inc *incident.Incident) bool {
	return !p.Anonymous() && Admits(AudienceOf(p), inc)
}

// CanReport reports whether p may file a report: every signed-in person
// but auditors.
func CanReport(p Principal) bool { return !p.Anonymous() && !readOnly(p) }

// CanTransition reports whether p may move inc to stage to. The response
// center and managers move incidents; closing is a manager's sign-off
// (CanSignOffReview).
// Responders work the incidents they take part in: members of the
// assessment group confirm or reject reports they were paged for, and
// handlers move their incidents between dispatch, handle and review.
func CanTransition(p Principal, inc *incident.Incident, to incident.Stage) bool {
	switch {
	case readOnly(p) || !CanView(p, inc):
		return false
	case to == incident.Closed:
		return CanSignOffReview(p, inc)
	case inc.Stage == incident.Closed:
		return p.Has(Manager, Admin)
	case p.Has(Coordinator, Manager, Admin):
		return true
	case p.Has(Responder):
		assess := []incident.Stage{incident.Receive, incident.Confirm, incident.Rejected}
		work := []incident.Stage{incident.Dispatch, incident.Handle, incident.Review}
		return (slices.Contains(assess, inc.Stage) && slices.Contains(assess, to)) ||
			(slices.Contains(work, inc.Stage) && slices.Contains(work, to))
	}
	return false
}

// CanChangeLevel reports whether p may change inc's level.
func CanChangeLevel(p Principal, inc *incident.Incident) bool {
	return !readOnly(p) && CanView(p, inc) && p.Has(Coordinator, Manager, Admin)
}

// WorksIncidents reports whether p takes part in the response to the
// incidents they see: responders, the response center, managers, admins;
// not auditors.
func WorksIncidents(p Principal) bool {
	return !readOnly(p) && p.Has(Responder, Coordinator, Manager, Admin)
}

// CanAcknowledge reports whether p may take inc on, which stops its
// acknowledgement chain: anyone who works incidents and can see it.
func CanAcknowledge(p Principal, inc *incident.Incident) bool {
	return WorksIncidents(p) && CanView(p, inc)
}

// CanRestrict reports whether p may mark inc restricted, or lift the mark:
// the response center and managers, for an incident they can see (a
// coordinator who restricts an incident is named on it, so keeps seeing
// it; lifting the mark is then for those it names and managers).
func CanRestrict(p Principal, inc *incident.Incident) bool {
	return !readOnly(p) && CanView(p, inc) && p.Has(Coordinator, Manager)
}

// CanSeeBoard reports whether p may open the live board and read the
// roster: those who work incidents, and auditors.
func CanSeeBoard(p Principal) bool { return p.Has(Responder, Coordinator, Manager, Admin, Auditor) }

// CanAdminister reports whether p may manage accounts and tokens.
func CanAdminister(p Principal) bool { return !readOnly(p) && p.Has(Admin) }

// CanEditRoster reports whether p may change the contact roster: people,
// teams and their rotations, departments, overrides. The response center
// keeps it; admins too.
func CanEditRoster(p Principal) bool { return !readOnly(p) && p.Has(Coordinator, Admin) }

// CanWriteHandover reports whether p may record the handover note of a
// change of duty whose outgoing person is outgoing: that person, or a
// roster editor.
func CanWriteHandover(p Principal, outgoing string) bool {
	return !readOnly(p) && (CanEditRoster(p) || (p.Username != "" && p.Username == outgoing))
}

// CanEditPolicy reports whether p may change the escalation policies, which
// decide whom every incident pages: admins only.
func CanEditPolicy(p Principal) bool { return !readOnly(p) && p.Has(Admin) }

// CanManageOutbox reports whether p may see every notification in the
// outbox (recipients, addresses, errors) and send failed ones again:
// admins only.
func CanManageOutbox(p Principal) bool { return !readOnly(p) && p.Has(Admin) }

// CanPlan reports whether p may shape inc's response plan: choose
// runbooks, add, remove and reorder tasks, write measures, submit the plan
// for approval, and dispatch (assign tasks). That is the response
// center's work; managers and admins may step in.
func CanPlan(p Principal, inc *incident.Incident) bool {
	return !readOnly(p) && CanView(p, inc) && p.Has(Coordinator, Manager, Admin)
}

// CanApprovePlan reports whether p may approve, reject or return the plan
// of a special incident: managers (and admins, as for closing).
func CanApprovePlan(p Principal, inc *incident.Incident) bool {
	return !readOnly(p) && CanView(p, inc) && p.Has(Manager, Admin)
}

// CanWorkTask reports whether p may act on task t of inc: accept or
// decline it, change its state, write progress notes and attach evidence.
// The person it is assigned to may, and so may those who plan (for a
// vendor, who has no account, or an assignee reached by phone).
func CanWorkTask(p Principal, inc *incident.Incident, t *incident.Task) bool {
	if readOnly(p) || !CanView(p, inc) {
		return false
	}
	if CanPlan(p, inc) {
		return true
	}
	return p.Username != "" && t.AssigneeKind == incident.AssignPerson && t.Assignee == p.Username
}

// CanReadRunbooks reports whether p may read the runbooks: those who work
// incidents, and auditors.
func CanReadRunbooks(p Principal) bool { return p.Has(Responder, Coordinator, Manager, Admin, Auditor) }

// CanEditRunbooks reports whether p may create and edit runbooks: the
// response center, which keeps them, and admins.
func CanEditRunbooks(p Principal) bool { return !readOnly(p) && p.Has(Coordinator, Admin) }

// CanReadAudit reports whether p may browse and export the audit trail:
// auditors and admins.
func CanReadAudit(p Principal) bool { return p.Has(Auditor, Admin) }

// CanWriteReview reports whether p may write inc's post-incident review
// and add or update its corrective actions: those who worked the incident
// (responders taking part), the response center and managers.
func CanWriteReview(p Principal, inc *incident.Incident) bool {
	return !readOnly(p) && CanView(p, inc) && p.Has(Responder, Coordinator, Manager, Admin)
}

// CanUpdateAction reports whether p may update corrective action a of
// inc: its owner, or whoever may write the review.
func CanUpdateAction(p Principal, inc *incident.Incident, a incident.CorrectiveAction) bool {
	if CanWriteReview(p, inc) {
		return true
	}
	return !readOnly(p) && !p.Anonymous() && p.Username != "" && a.Owner == p.Username
}

// CanSignOffReview reports whether p may sign off inc's review, which
// closes it, or return it with comments: managers only. Admins keep the
// system, they do not judge the response.
func CanSignOffReview(p Principal, inc *incident.Incident) bool {
	return !readOnly(p) && CanView(p, inc) && p.Has(Manager)
}

// CanSeeReports reports whether p may read the statistics, the manager
// reports and every review: managers, the response center, admins and
// auditors.
func CanSeeReports(p Principal) bool { return p.Has(Coordinator, Manager, Admin, Auditor) }
