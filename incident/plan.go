package incident

import (
	"slices"
	"strconv"
	"time"
)

// Approval is where a plan stands with the managers who approve the plans
// of special incidents.
type Approval string

// Approval states. A plan starts with none; submitting it makes it
// pending; a manager then approves it, rejects it (the approach is
// refused: a different plan is needed) or returns it with comments for
// corrections. A rejected or returned plan is changed and submitted again.
const (
	ApprovalNone     Approval = ""
	ApprovalPending  Approval = "pending"
	ApprovalApproved Approval = "approved"
	ApprovalRejected Approval = "rejected"
	ApprovalReturned Approval = "returned"
)

// Decision is a manager's answer to a submitted plan.
type Decision string

// The three decisions.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
	Return  Decision = "return"
)

// Valid reports whether d is one of the three decisions.
func (d Decision) Valid() bool { return d == Approve || d == Reject || d == Return }

// ResponsePlan is the response plan made at the plan stage: the runbooks
// chosen (whose steps became tasks), extra measures, and for special
// incidents the manager's approval.
type ResponsePlan struct {
	Measures   string // extra measures, free text
	ApprovedBy *Actor // a manager, required for special incidents
	ApprovedAt *time.Time
	Runbooks   []RunbookUse

	Approval    Approval
	Round       int // submissions so far
	SubmittedBy *Actor
	SubmittedAt *time.Time
	DecidedBy   *Actor
	DecidedAt   *time.Time
	Comment     string // the manager's comment on the last decision
}

// RunbookUse records a runbook chosen for the plan: the exact version, and
// a copy of what it brought (its steps as they were, its contacts and
// communication rules), so that later edits of the runbook never change
// what the incident shows.
type RunbookUse struct {
	ID       string
	Version  int
	Title    string
	TitleZH  string
	By       Actor
	At       time.Time
	Steps    []TaskSpec
	Contacts []PlanContact
	Rules    []PlanRule
}

// Ref is the runbook's "id@version".
func (u RunbookUse) Ref() string { return RunbookRef(u.ID, u.Version) }

// RunbookRef is how a runbook version is named: "ransomware@3".
func RunbookRef(id string, version int) string { return id + "@" + strconv.Itoa(version) }

// PlanContact is an external party a runbook says to involve: a
// regulator, the police, a national CERT, a vendor.
type PlanContact struct {
	Name   string
	NameZH string
	Kind   string // regulator, police, cert, vendor, ...
	Phone  string
	Email  string
	When   string // when to involve them
	WhenZH string
}

// PlanRule is a communication rule of a runbook: who must be told, when,
// and by whom.
type PlanRule struct {
	Audience   string
	AudienceZH string
	When       string
	WhenZH     string
	Within     time.Duration // at the latest this long after the incident is confirmed; 0 if the rule gives no limit
	Owner      string        // the role that tells them
	Required   bool
}

// clone is a deep copy of p.
func (p ResponsePlan) clone() ResponsePlan {
	c := p
	c.ApprovedBy = clonePtr(p.ApprovedBy)
	c.ApprovedAt = clonePtr(p.ApprovedAt)
	c.SubmittedBy = clonePtr(p.SubmittedBy)
	c.SubmittedAt = clonePtr(p.SubmittedAt)
	c.DecidedBy = clonePtr(p.DecidedBy)
	c.DecidedAt = clonePtr(p.DecidedAt)
	c.Runbooks = slices.Clone(p.Runbooks) // uses are never changed once made
	return c
}
