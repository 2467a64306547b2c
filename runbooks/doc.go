// Package runbooks holds the emergency response plans (应急预案): for one or
// more incident categories and levels, the steps to take grouped by the
// stage they serve (a confirmation checklist, the plan's preparatory
// measures, the handling tasks: isolate, preserve, eradicate, recover,
// verify, communicate), each with who does it, whether it is required, how
// long it should take and the evidence it must leave; the external parties
// to involve; and who must be told, when.
//
// Runbooks are written in YAML (see schema.json for editors, and the
// built-in files under builtin/ for examples). Parse checks a file
// completely and reports every problem with its line, in English and
// Chinese, so the lint command and the web editor can show them all at
// once.
//
// The Library merges the built-ins, embedded in the binary, with the
// versions saved through the web UI and API. Every save is a new,
// insert-only version (id@version), the highest being current; a built-in
// is version 1 until edited. An incident that chooses a runbook records the
// exact version and a copy of its steps (incident.RunbookUse), so editing a
// runbook later never changes what an incident shows.
package runbooks
