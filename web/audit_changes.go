package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/audit"
)

// auditRule says how a successful change through one route is recorded.
type auditRule struct {
	// elsewhere: the handler records it (sign-in, accounts, tokens) or the
	// incident service's audit observer does (every incident change).
	elsewhere bool
	action    audit.Action
	kind      string // the target's kind
	param     string // the path parameter naming the target
	form      string // or the form field naming it
}

// auditRules are every route that changes something, by "METHOD path". A
// route missing here is still recorded (as "request"), and a test fails
// until it has a rule.
var auditRules = map[string]auditRule{
	"POST /login":  {elsewhere: true},
	"POST /logout": {elsewhere: true},

	"POST /report":                            {elsewhere: true},
	"POST /incidents/:ref/transition":         {elsewhere: true},
	"POST /incidents/:ref/level":              {elsewhere: true},
	"POST /incidents/:ref/ack":                {elsewhere: true},
	"POST /incidents/:ref/restriction":        {elsewhere: true},
	"POST /api/v1/incidents":                  {elsewhere: true},
	"POST /api/v1/incidents/:ref/transitions": {elsewhere: true},
	"POST /api/v1/incidents/:ref/level":       {elsewhere: true},
	"POST /api/v1/incidents/:ref/ack":         {elsewhere: true},
	"POST /api/v1/incidents/:ref/restriction": {elsewhere: true},
	"POST /api/v1/users":                      {elsewhere: true},
	"POST /api/v1/tokens":                     {elsewhere: true},

	// Plans and tasks change the incident (Service.Work), which the
	// incident observer records with the timeline entry.
	"POST /api/v1/incidents/:ref/tasks":                 {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/assign-defaults": {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/assign":    {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/accept":    {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/move":      {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/decline":   {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/status":    {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/notes":     {elsewhere: true},
	"POST /api/v1/incidents/:ref/tasks/:task/evidence":  {elsewhere: true},
	"DELETE /api/v1/incidents/:ref/tasks/:task":         {elsewhere: true},
	"POST /api/v1/incidents/:ref/plan/runbooks":         {elsewhere: true},
	"POST /api/v1/incidents/:ref/plan/submit":           {elsewhere: true},
	"POST /api/v1/incidents/:ref/plan/decision":         {elsewhere: true},
	"PUT /api/v1/incidents/:ref/plan/measures":          {elsewhere: true},
	"POST /incidents/:ref/tasks/:task":                  {elsewhere: true},
	"POST /incidents/:ref/tasks/:task/evidence":         {elsewhere: true},
	"POST /incidents/:ref/plan":                         {elsewhere: true},
	// So do the review and its corrective actions (Service.ReviewWork).
	"PUT /api/v1/incidents/:ref/review":                   {elsewhere: true},
	"POST /api/v1/incidents/:ref/review/actions":          {elsewhere: true},
	"PATCH /api/v1/incidents/:ref/review/actions/:action": {elsewhere: true},
	"POST /api/v1/incidents/:ref/review/signoff":          {elsewhere: true},
	"POST /api/v1/incidents/:ref/review/return":           {elsewhere: true},
	"POST /incidents/:ref/review":                         {elsewhere: true},

	// The sharing pages: the share service records every change, copy
	// and shared read in the audit trail itself.
	"POST /sharing/apply":                {elsewhere: true},
	"POST /sharing/grants/:id/edit":      {elsewhere: true},
	"POST /sharing/grants/:id/decision":  {elsewhere: true},
	"POST /sharing/grants/:id/withdraw":  {elsewhere: true},
	"POST /sharing/grants/:id/revoke":    {elsewhere: true},
	"POST /sharing/grants/:id/reinstate": {elsewhere: true},
	"POST /sharing/copies/:id/withdraw":  {elsewhere: true},
	"POST /sharing/rules/new":            {elsewhere: true},
	"POST /sharing/rules/:id/edit":       {elsewhere: true},
	"POST /shared/incidents/:ref/copies": {elsewhere: true},
	// Sharing: the share.Service records every grant change, rule save,
	// copy and withdrawal with before and after (share.grant.*,
	// share.rule.save, share.copy, share.copy.withdraw) and every access;
	// the handler records the tokens it issues (token.create).
	"POST /api/v1/grants":                       {elsewhere: true},
	"PUT /api/v1/grants/:id":                    {elsewhere: true},
	"POST /api/v1/grants/:id/decision":          {elsewhere: true},
	"POST /api/v1/grants/:id/withdraw":          {elsewhere: true},
	"POST /api/v1/grants/:id/revoke":            {elsewhere: true},
	"POST /api/v1/grants/:id/reinstate":         {elsewhere: true},
	"POST /api/v1/grants/:id/tokens":            {elsewhere: true},
	"POST /api/v1/share-rules":                  {elsewhere: true},
	"PUT /api/v1/share-rules/:id":               {elsewhere: true},
	"POST /api/v1/shared/incidents/:ref/copies": {elsewhere: true},
	"POST /api/v1/share-copies/:id/withdraw":    {elsewhere: true},

	"POST /api/v1/outbox/retry": {action: "outbox.retry", kind: "message"},
	"POST /outbox/retry":        {action: "outbox.retry", kind: "message", form: "key"},
	"POST /api/v1/runbooks":     {action: "runbook.create", kind: "runbook"},
	"PUT /api/v1/runbooks/:id":  {action: "runbook.save", kind: "runbook", param: "id"},
	"POST /runbooks/new":        {action: "runbook.create", kind: "runbook"},
	"POST /runbooks/:id/edit":   {action: "runbook.save", kind: "runbook", param: "id"},

	"PUT /api/v1/people/:id":            {action: "roster.person.save", kind: "person", param: "id"},
	"DELETE /api/v1/people/:id":         {action: "roster.person.delete", kind: "person", param: "id"},
	"PUT /api/v1/teams/:id":             {action: "roster.team.save", kind: "team", param: "id"},
	"DELETE /api/v1/teams/:id":          {action: "roster.team.delete", kind: "team", param: "id"},
	"POST /api/v1/teams/:id/handovers":  {action: "roster.handover.create", kind: "team", param: "id"},
	"PUT /api/v1/departments/:name":     {action: "roster.department.save", kind: "department", param: "name"},
	"DELETE /api/v1/departments/:name":  {action: "roster.department.delete", kind: "department", param: "name"},
	"POST /api/v1/overrides":            {action: "roster.override.create", kind: "override"},
	"DELETE /api/v1/overrides/:id":      {action: "roster.override.delete", kind: "override", param: "id"},
	"PUT /api/v1/policies/:level":       {action: "policy.save", kind: "policy", param: "level"},
	"POST /roster/teams/:id/handovers":  {action: "roster.handover.create", kind: "team", param: "id"},
	"POST /roster/people":               {action: "roster.person.save", kind: "person", form: "id"},
	"POST /roster/people/:id/delete":    {action: "roster.person.delete", kind: "person", param: "id"},
	"POST /roster/teams":                {action: "roster.team.save", kind: "team", form: "id"},
	"POST /roster/teams/:id/delete":     {action: "roster.team.delete", kind: "team", param: "id"},
	"POST /roster/departments":          {action: "roster.department.save", kind: "department", form: "name"},
	"POST /roster/overrides":            {action: "roster.override.create", kind: "override", form: "team"},
	"POST /roster/overrides/:id/delete": {action: "roster.override.delete", kind: "override", param: "id"},
	"POST /roster/policies/:level":      {action: "policy.save", kind: "policy", param: "level"},
}

// auditChanges records every successful change made through a route that
// auditRules does not leave to its handler or to the incident observer.
func (s *Server) auditChanges(c *gin.Context) {
	c.Next()
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	route := c.FullPath()
	if route == "" || c.Writer.Status() >= http.StatusBadRequest || principal(c).Anonymous() {
		return
	}
	if strings.Contains(route, "/teams") {
		s.forgetTeams()
	}
	rule, ok := auditRules[c.Request.Method+" "+route]
	if ok && rule.elsewhere {
		return
	}
	r := audit.Record{Action: rule.action, Target: audit.Target{Kind: rule.kind}, Note: c.Request.Method + " " + route}
	switch {
	case !ok:
		r.Action, r.Target.Kind = "request", "route"
	case rule.param != "":
		r.Target.ID = c.Param(rule.param)
	case rule.form != "":
		r.Target.ID = c.PostForm(rule.form)
	}
	s.trail.Record(c.Request.Context(), r)
}
