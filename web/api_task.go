package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// Errors of optional parts of the hub.
var (
	errNoRunbooks = errors.New("runbooks are not available on this hub")
	errNoEvidence = errors.New("evidence files are not available on this hub")
)

// taskRoutes registers the API of the working stages (plan, dispatch,
// handle) and the ticket page's forms for them. Every route needs a
// signed-in caller who may see the incident; each handler then checks the
// policy of its action (access.CanPlan, CanApprovePlan, CanWorkTask).
func (s *Server) taskRoutes(r *gin.Engine) {
	api := r.Group("/api/v1/incidents/:ref", requireAPI(anyone))
	api.GET("/runbooks/suggested", s.apiSuggested)
	api.POST("/plan/runbooks", s.apiChooseRunbooks)
	api.PUT("/plan/measures", s.apiMeasures)
	api.POST("/plan/submit", s.apiSubmitPlan)
	api.POST("/plan/decision", s.apiDecidePlan)
	api.GET("/tasks", s.apiTasks)
	api.POST("/tasks", s.apiAddTask)
	api.POST("/tasks/assign-defaults", s.apiAssignDefaults)
	api.DELETE("/tasks/:task", s.apiRemoveTask)
	api.POST("/tasks/:task/move", s.apiMoveTask)
	api.POST("/tasks/:task/assign", s.apiAssign)
	api.POST("/tasks/:task/accept", s.apiAccept)
	api.POST("/tasks/:task/decline", s.apiDecline)
	api.POST("/tasks/:task/status", s.apiTaskStatus)
	api.POST("/tasks/:task/notes", s.apiTaskNote)
	api.POST("/tasks/:task/evidence", s.apiEvidenceUpload)
	api.GET("/evidence/:id", s.apiEvidenceDownload)

	s.ticketTaskRoutes(r)
}

// planAPI runs a plan or task command for the API: decode the body into
// req, load the incident the caller may see, check allowed, build the
// command and apply it at the version the caller saw.
func planAPI[R any](s *Server, c *gin.Context, req *R, version func(*R) int64,
	allowed func(access.Principal, *incident.Incident) bool, build func(*incident.Incident) (incident.Command, error)) {
	commandAPI(s, c, req, version, allowed, build, s.incidents.Work, func(next *incident.Incident) {
		c.JSON(http.StatusOK, toWorkJSON(next, s.cfg.BaseURL))
	})
}

// commandTarget is how every incident command of the API starts: decode
// the body into req (none when req is nil), load the incident :ref the
// caller may see, and check allowed (which may look at the decoded body).
// It answers a failure itself and reports whether to go on.
func (s *Server) commandTarget(c *gin.Context, req any, allowed func(access.Principal, *incident.Incident) bool) (*incident.Incident, bool) {
	if req != nil {
		if err := decodeJSON(c.Request, req, lang(c)); err != nil {
			s.fail(c, err)
			return nil, false
		}
	}
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	if !allowed(principal(c), inc) {
		s.fail(c, access.ErrForbidden)
		return nil, false
	}
	return inc, true
}

// commandAPI is the shape of every incident command of the API (plans,
// tasks, reviews): decode the body into req (none when req is nil), load
// the incident the caller may see, check allowed, build the command, apply
// it at the version the caller saw, and answer with the incident as
// changed.
func commandAPI[R, C any](s *Server, c *gin.Context, req *R, version func(*R) int64,
	allowed func(access.Principal, *incident.Incident) bool, build func(*incident.Incident) (C, error),
	apply func(context.Context, *incident.Incident, int64, C, incident.Actor) (*incident.Incident, error),
	answer func(*incident.Incident)) {
	var body any
	if req != nil {
		body = req
	}
	inc, ok := s.commandTarget(c, body, allowed)
	if !ok {
		return
	}
	cmd, err := build(inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	next, err := apply(c.Request.Context(), inc, version(req), cmd, actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	answer(next)
}

// taskAllowed is the policy for acting on the task named in the path.
func taskAllowed(c *gin.Context) func(access.Principal, *incident.Incident) bool {
	return func(p access.Principal, inc *incident.Incident) bool {
		i := incident.TaskByID(inc.Tasks, c.Param("task"))
		if i < 0 {
			return access.CanView(p, inc) // the command answers 404
		}
		return access.CanWorkTask(p, inc, &inc.Tasks[i])
	}
}

func (s *Server) apiTasks(c *gin.Context) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	w := toWorkJSON(inc, s.cfg.BaseURL)
	c.JSON(http.StatusOK, gin.H{"version": inc.Version, "tasks": w.Tasks, "task_progress": w.Progress, "plan": w.Plan})
}

// --- the plan ---

// suggestionJSON is a runbook suggested for an incident.
type suggestionJSON struct {
	runbookSummaryJSON
	Fits   bool `json:"fits_level"`
	Chosen bool `json:"chosen"`
}

// apiSuggested lists the runbooks that fit an incident: for those who may
// see the incident and read the runbooks (access.CanReadRunbooks), as the
// runbook list itself.
func (s *Server) apiSuggested(c *gin.Context) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !access.CanReadRunbooks(principal(c)) {
		s.fail(c, access.ErrForbidden)
		return
	}
	if s.runbooks == nil {
		s.fail(c, errNoRunbooks)
		return
	}
	sug, err := s.runbooks.Suggest(c.Request.Context(), inc.Category, inc.Level)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []suggestionJSON{}
	for _, sg := range sug {
		out = append(out, suggestionJSON{runbookSummaryJSON: toRunbookSummary(sg.Runbook), Fits: sg.Fits,
			Chosen: slices.ContainsFunc(inc.Plan.Runbooks, func(u incident.RunbookUse) bool { return u.ID == sg.Runbook.ID })})
	}
	c.JSON(http.StatusOK, gin.H{"category": inc.Category, "level": inc.Level, "items": out})
}

// runbookUses loads the runbooks asked for, at the versions asked for.
func (s *Server) runbookUses(ctx context.Context, refs []runbookRefJSON) ([]incident.RunbookUse, error) {
	if s.runbooks == nil {
		return nil, errNoRunbooks
	}
	var uses []incident.RunbookUse
	for _, r := range refs {
		rb, err := s.runbooks.Get(ctx, r.ID, r.Version)
		if err != nil {
			return nil, err
		}
		uses = append(uses, rb.Use())
	}
	return uses, nil
}

func (s *Server) apiChooseRunbooks(c *gin.Context) {
	var req chooseRunbooksRequest
	planAPI(s, c, &req, func(r *chooseRunbooksRequest) int64 { return r.Version }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) {
			uses, err := s.runbookUses(c.Request.Context(), req.Runbooks)
			return incident.ChooseRunbooks{Runbooks: uses}, err
		})
}

func (s *Server) apiMeasures(c *gin.Context) {
	var req measuresRequest
	planAPI(s, c, &req, func(r *measuresRequest) int64 { return r.Version }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) {
			return incident.SetMeasures{Measures: req.Measures}, nil
		})
}

func (s *Server) apiSubmitPlan(c *gin.Context) {
	var req submitPlanRequest
	planAPI(s, c, &req, func(r *submitPlanRequest) int64 { return r.Version }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) { return incident.SubmitPlan{Note: req.Note}, nil })
}

func (s *Server) apiDecidePlan(c *gin.Context) {
	var req decidePlanRequest
	planAPI(s, c, &req, func(r *decidePlanRequest) int64 { return r.Version }, access.CanApprovePlan,
		func(*incident.Incident) (incident.Command, error) {
			return incident.DecidePlan{Decision: incident.Decision(req.Decision), Comment: req.Comment}, nil
		})
}

// --- the list of tasks ---

func (s *Server) apiAddTask(c *gin.Context) {
	var req addTaskRequest
	planAPI(s, c, &req, func(r *addTaskRequest) int64 { return r.Version }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) { return req.command(lang(c)) })
}

// command converts the request to the domain's command.
func (r addTaskRequest) command(l string) (incident.Command, error) {
	spec := incident.TaskSpec{Title: r.Title, TitleZH: r.TitleZH, Detail: r.Detail, Stage: incident.Stage(r.Stage),
		Phase: incident.Phase(r.Phase), Role: strings.TrimSpace(r.Role), Team: strings.TrimSpace(r.Team), Required: r.Required,
		EvidenceHint: r.Evidence}
	if d := strings.TrimSpace(r.Duration); d != "" {
		dur, err := runbooks.ParseDuration(d)
		if err != nil {
			return nil, fieldErrors{"duration": msg(l, "write the duration like 30m, 2h, 1h30m or 1d", "时长请写成 30m、2h、1h30m 或 1d")}
		}
		spec.Expected = dur
	}
	return incident.AddTask{Spec: spec}, nil
}

func (s *Server) apiRemoveTask(c *gin.Context) {
	l := lang(c)
	v, err := strconv.ParseInt(c.Query("version"), 10, 64)
	if err != nil || v < 1 {
		s.fail(c, fieldErrors{"version": msg(l, "give the version you saw: ?version=N", "请给出您看到的版本：?version=N")})
		return
	}
	reason := c.Query("reason")
	planAPI[versionRequest](s, c, nil, func(*versionRequest) int64 { return v }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) {
			return incident.RemoveTask{Task: c.Param("task"), Reason: reason}, nil
		})
}

func (s *Server) apiMoveTask(c *gin.Context) {
	var req moveTaskRequest
	planAPI(s, c, &req, func(r *moveTaskRequest) int64 { return r.Version }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) {
			return incident.MoveTask{Task: c.Param("task"), Position: *req.Position}, nil
		})
}

// --- dispatch ---

func (s *Server) apiAssign(c *gin.Context) {
	var req assignRequest
	planAPI(s, c, &req, func(r *assignRequest) int64 { return r.Version }, access.CanPlan,
		func(*incident.Incident) (incident.Command, error) {
			a, err := s.resolveAssignee(c.Request.Context(), lang(c), req)
			a.Task = c.Param("task")
			return incident.Assign{Items: []incident.Assignment{a}}, err
		})
}

// resolveAssignee turns an assignment request into who the task goes to:
// a vendor as given; a person who must be in the roster or have an
// account; a team's on-call person (else its lead).
func (s *Server) resolveAssignee(ctx context.Context, l string, req assignRequest) (incident.Assignment, error) {
	person, team, vendor := strings.TrimSpace(req.Person), strings.TrimSpace(req.Team), strings.TrimSpace(req.Vendor)
	switch {
	case vendor != "" && (person != "" || team != ""):
		return incident.Assignment{}, fieldErrors{"vendor": msg(l, "a task goes to a vendor or to a person or team, not both", "任务只能指派给外部单位，或人员/团队之一")}
	case vendor != "":
		return incident.Assignment{Kind: incident.AssignVendor, ID: vendor, Name: vendor, Contact: strings.TrimSpace(req.Contact)}, nil
	case person == "" && team == "":
		return incident.Assignment{}, fieldErrors{"person": msg(l, "name a person, a team or a vendor", "请指定人员、团队或外部单位")}
	}
	a := incident.Assignment{Kind: incident.AssignPerson, ID: strings.ToLower(person)}
	var snap *rosterSnap
	if s.rosters != nil {
		var err error
		if snap, err = s.snapshot(ctx, s.now(), s.now().Add(dutyWindow)); err != nil {
			return a, err
		}
	}
	if team != "" {
		if snap == nil {
			return a, errNoRoster
		}
		t, ok := snap.team(team)
		if !ok {
			return a, fieldErrors{"team": msg(l, "no such team in the roster", "名册中没有该团队")}
		}
		a.Team, a.TeamName = t.ID, t.Name
		if person == "" {
			pick, ok, why := escalation.PickAssignee(snap.teams, snap.peopleList, snap.overrides, t.ID, "", s.now())
			if !ok {
				return a, fieldErrors{"team": msg(l, why+": choose a person", why+"：请指定人员")}
			}
			a.ID, a.Name = pick.Person, pick.Name
		}
	}
	if snap != nil {
		if p, ok := snap.people[a.ID]; ok {
			a.Name = p.Name
			return a, nil
		}
	}
	u, err := s.access.UserByUsername(ctx, a.ID)
	switch {
	case errors.Is(err, access.ErrNotFound):
		return a, fieldErrors{"person": msg(l, "no such person in the roster or among the accounts", "名册和账号中都没有此人")}
	case err != nil:
		return a, err
	}
	a.Name = u.Name
	return a, nil
}

// defaultAssignments assigns, to each unfinished task nobody holds, the
// default person for the team or role its step names (escalation.
// PickAssignee), and says for the others why nobody was found. A task is
// not given back to the person who has just declined it.
func (s *Server) defaultAssignments(ctx context.Context, inc *incident.Incident) ([]incident.Assignment, map[string]string, error) {
	if s.rosters == nil {
		return nil, nil, errNoRoster
	}
	snap, err := s.snapshot(ctx, s.now(), s.now().Add(dutyWindow))
	if err != nil {
		return nil, nil, err
	}
	var out []incident.Assignment
	left := map[string]string{}
	for _, t := range inc.Tasks {
		if t.Assigned() || t.Status.Finished() {
			continue
		}
		pick, ok, why := escalation.PickAssignee(snap.teams, snap.peopleList, snap.overrides, t.Team, escalation.Role(t.Role), s.now())
		switch {
		case !ok:
			left[t.ID] = why
		case t.Declined != nil && t.Declined.By.Username == pick.Person:
			left[t.ID] = pick.Person + " declined it"
		default:
			out = append(out, incident.Assignment{Task: t.ID, Kind: incident.AssignPerson, ID: pick.Person, Name: pick.Name,
				Team: pick.Team, TeamName: pick.TeamName})
		}
	}
	return out, left, nil
}

func (s *Server) apiAssignDefaults(c *gin.Context) {
	var req versionRequest
	inc, ok := s.commandTarget(c, &req, access.CanPlan)
	if !ok {
		return
	}
	items, left, err := s.defaultAssignments(c.Request.Context(), inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(items) == 0 {
		s.fail(c, &incident.RefusedError{EN: "no task could be assigned by default: " + reasons(left),
			ZH: "没有可按默认规则指派的任务：" + reasons(left)})
		return
	}
	next, err := s.incidents.Work(c.Request.Context(), inc, req.Version, incident.Assign{Items: items}, actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		workJSON
		Unassigned map[string]string `json:"unassigned"`
	}{toWorkJSON(next, s.cfg.BaseURL), left})
}

func reasons(m map[string]string) string {
	if len(m) == 0 {
		return "every task is assigned or finished"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %s", k, m[k])
	}
	return strings.Join(parts, "; ")
}

func (s *Server) apiAccept(c *gin.Context) {
	var req versionRequest
	planAPI(s, c, &req, func(r *versionRequest) int64 { return r.Version }, taskAllowed(c),
		func(*incident.Incident) (incident.Command, error) {
			return incident.Respond{Task: c.Param("task"), Accept: true}, nil
		})
}

func (s *Server) apiDecline(c *gin.Context) {
	var req declineRequest
	planAPI(s, c, &req, func(r *declineRequest) int64 { return r.Version }, taskAllowed(c),
		func(*incident.Incident) (incident.Command, error) {
			return incident.Respond{Task: c.Param("task"), Reason: req.Reason}, nil
		})
}

// --- handling ---

func (s *Server) apiTaskStatus(c *gin.Context) {
	var req statusRequest
	planAPI(s, c, &req, func(r *statusRequest) int64 { return r.Version }, taskAllowed(c),
		func(*incident.Incident) (incident.Command, error) {
			return incident.SetTaskStatus{Task: c.Param("task"), To: incident.TaskStatus(req.Status), Note: req.Note}, nil
		})
}

func (s *Server) apiTaskNote(c *gin.Context) {
	var req noteRequest
	planAPI(s, c, &req, func(r *noteRequest) int64 { return r.Version }, taskAllowed(c),
		func(*incident.Incident) (incident.Command, error) {
			return incident.NoteTask{Task: c.Param("task"), Note: req.Note}, nil
		})
}
