// Package escalation decides who is paged, when, and by whom the page is
// taken over: contact rosters (people, teams, departments), on-call
// rotations with temporary overrides, coverage checks, escalation policies
// per level, and the planner that turns an incident and its level's policy
// into the timers the engine must keep.
//
// Everything here is a pure function of its arguments. Time is always a
// parameter (the package never reads the clock) and nothing touches a store,
// so every decision is tested by table. The engine that claims due timers,
// sends pages and records handovers lives elsewhere and only calls in here.
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
