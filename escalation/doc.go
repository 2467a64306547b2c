// Package escalation decides who is paged, when, and by whom the page is
// taken over: contact rosters (people, teams, departments), on-call
// rotations with temporary overrides, coverage checks, escalation policies
// per level, and the planner that turns an incident and its level's policy
// into the timers the engine must keep.
//
// The decisions (rotation.go, override.go, policy.go, plan.go, resolve.go)
// are pure functions of their arguments: time is a parameter and nothing
// touches a store, so every decision is tested by table. Around them:
//
//   - the Escalator (escalator.go) derives each incident's timers from its
//     state with Plan and keeps the stored set in step (Sync on every change,
//     Reconcile of all open incidents at start and periodically: timers are
//     derived state, so reconciliation is the recovery path); when a timer
//     fires it resolves who is on call and pages them through the outbox
//     under stable keys;
//   - the Engine (engine*.go) keeps timers durable in the store and fires
//     each due one, across any number of instances: claims are unique
//     inserts (the only operation atomic across connections on the embedded
//     server), completion is fenced by the claim, effects are idempotent by
//     their keys; the protocol is described at the top of engine.go;
//   - Jobs (jobs.go) run periodic work on cron, each run claimed once across
//     instances.
//   - PickAssignee (assignee.go) chooses who a task goes to by default (the
//     on-call person of its team, else someone with its role), and
//     TaskNotices (tasks.go) is the notify.Planner of the working stages:
//     assignments, declines, approval requests and decisions.
//
// Contracts worth knowing before reading the files:
//
//   - Daily and weekly rotations hand off at a wall-clock time in the
//     rotation's own time zone, computed by calendar arithmetic: across a
//     daylight-saving change the hand-off stays at 09:00 local and that
//     day's shift lasts 23 or 25 hours. Custom intervals are fixed durations
//     and drift against the wall clock across such a change. A hand-off at
//     a local time that does not exist or happens twice on a change day
//     falls where time.Date puts it; pick hand-off times away from 01:00–03:00.
//   - Of overlapping overrides, the narrowest wins (see override.go).
//   - Timer keys carry the incident number, the level and the due time, so a
//     re-plan that moves a timer gives it a new key, and Diff on keys alone
//     tells the engine what to add and what to cancel (see plan.go). Page
//     keys deliberately do not carry the level: a person paged for a step
//     is not paged again for the same step because the level changed.
//
// Validation errors are *incident.InvalidError, field by field and in both
// languages, so the web layer maps them like every other invalid input.
package escalation
