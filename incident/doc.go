// Package incident holds the heart of Tocsin: the Incident, its level, category
// and scope, the six-stage machine with its entry rules, the timeline, and the
// Service that applies commands (report, transition, change level) to incidents
// kept in a Store.
//
// The working stages live here too: the response plan (the runbook versions
// chosen, with a copy of what they brought; extra measures; a special
// incident's approval) and the tasks with their assignment, state, result and
// evidence (task.go, plan.go). Their commands (work.go, work_task.go) are
// decided by DecideWork and applied by Service.Work like a transition.
//
// The review stage's report, its corrective actions (tracked after
// closure) and a manager's return are review commands (review.go), decided
// by DecideReview and applied by Service.ReviewWork; sign-off is the move
// to closed. What the review shows from the record (response times against
// the level's deadlines, escalations, people, tasks) is computed by
// DraftReview, and the managers' statistics by Compute (stats.go): pure
// functions over incidents, correct on every store (ADR 0006).
//
// Decisions are pure functions (see machine.go) so that they can be tested by
// table; the Service only loads, decides, and persists with an optimistic
// version check. A change and its timeline entry are written in one document
// update, so a reader never sees one without the other.
package incident
