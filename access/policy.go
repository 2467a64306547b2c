package access

import (
	"slices"

	"github.com/tocsin-hub/tocsin/incident"
)

// SeesAll reports whether p sees every incident (the response center,
// managers and admins). Others see what they reported or work on.
func SeesAll(p Principal) bool { return p.Has(Coordinator, Manager, Admin) }

// CanReport reports whether p may file a report: every signed-in person.
func CanReport(p Principal) bool { return !p.Anonymous() }

// CanView reports whether p may see inc.
func CanView(p Principal, inc *incident.Incident) bool {
	switch {
	case p.Anonymous():
		return false
	case SeesAll(p):
		return true
	case inc.Reporter.ID == p.UserID:
		return true
	}
	return slices.Contains(inc.Participants, p.UserID) ||
		(p.Username != "" && slices.Contains(inc.Participants, p.Username))
}

// CanTransition reports whether p may move inc to stage to. The response
// center and managers move incidents; closing is a manager's sign-off
// (CanSignOffReview).
// Responders work the incidents they take part in: members of the
// assessment group confirm or reject reports they were paged for, and
// handlers move their incidents between dispatch, handle and review.
func CanTransition(p Principal, inc *incident.Incident, to incident.Stage) bool {
	switch {
	case !CanView(p, inc):
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
	return CanView(p, inc) && p.Has(Coordinator, Manager, Admin)
}

// CanAcknowledge reports whether p may take inc on, which stops its
// acknowledgement chain: anyone who works incidents and can see it.
func CanAcknowledge(p Principal, inc *incident.Incident) bool {
	return CanView(p, inc) && p.Has(Responder, Coordinator, Manager, Admin)
}

// CanSeeBoard reports whether p may open the live board.
func CanSeeBoard(p Principal) bool { return p.Has(Responder, Coordinator, Manager, Admin) }

// CanAdminister reports whether p may manage accounts and tokens.
func CanAdminister(p Principal) bool { return p.Has(Admin) }

// CanEditRoster reports whether p may change the contact roster: people,
// teams and their rotations, departments, overrides. The response center
// keeps it; admins too.
func CanEditRoster(p Principal) bool { return p.Has(Coordinator, Admin) }

// CanEditPolicy reports whether p may change the escalation policies, which
// decide whom every incident pages: admins only.
func CanEditPolicy(p Principal) bool { return p.Has(Admin) }

// CanManageOutbox reports whether p may see every notification in the
// outbox (recipients, addresses, errors) and send failed ones again:
// admins only.
func CanManageOutbox(p Principal) bool { return p.Has(Admin) }

// CanPlan reports whether p may shape inc's response plan: choose
// runbooks, add, remove and reorder tasks, write measures, submit the plan
// for approval, and dispatch (assign tasks). That is the response
// center's work; managers and admins may step in.
func CanPlan(p Principal, inc *incident.Incident) bool {
	return CanView(p, inc) && p.Has(Coordinator, Manager, Admin)
}

// CanApprovePlan reports whether p may approve, reject or return the plan
// of a special incident: managers (and admins, as for closing).
func CanApprovePlan(p Principal, inc *incident.Incident) bool {
	return CanView(p, inc) && p.Has(Manager, Admin)
}

// CanWorkTask reports whether p may act on task t of inc: accept or
// decline it, change its state, write progress notes and attach evidence.
// The person it is assigned to may, and so may those who plan (for a
// vendor, who has no account, or an assignee reached by phone).
func CanWorkTask(p Principal, inc *incident.Incident, t *incident.Task) bool {
	if !CanView(p, inc) {
		return false
	}
	if CanPlan(p, inc) {
		return true
	}
	return p.Username != "" && t.AssigneeKind == incident.AssignPerson && t.Assignee == p.Username
}

// CanReadRunbooks reports whether p may read the runbooks: those who work
// incidents.
func CanReadRunbooks(p Principal) bool { return p.Has(Responder, Coordinator, Manager, Admin) }

// CanEditRunbooks reports whether p may create and edit runbooks: the
// response center, which keeps them, and admins.
func CanEditRunbooks(p Principal) bool { return p.Has(Coordinator, Admin) }

// CanWriteReview reports whether p may write inc's post-incident review
// and add or update its corrective actions: those who worked the incident
// (responders taking part), the response center and managers.
func CanWriteReview(p Principal, inc *incident.Incident) bool {
	return CanView(p, inc) && p.Has(Responder, Coordinator, Manager, Admin)
}

// CanUpdateAction reports whether p may update corrective action a of
// inc: its owner, or whoever may write the review.
func CanUpdateAction(p Principal, inc *incident.Incident, a incident.CorrectiveAction) bool {
	if CanWriteReview(p, inc) {
		return true
	}
	return !p.Anonymous() && p.Username != "" && a.Owner == p.Username
}

// CanSignOffReview reports whether p may sign off inc's review, which
// closes it, or return it with comments: managers only. Admins keep the
// system, they do not judge the response.
func CanSignOffReview(p Principal, inc *incident.Incident) bool {
	return CanView(p, inc) && p.Has(Manager)
}

// CanSeeReports reports whether p may read the statistics, the manager
// reports and every review: managers, the response center and admins.
func CanSeeReports(p Principal) bool { return p.Has(Coordinator, Manager, Admin) }
