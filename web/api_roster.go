package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// errNoRoster is returned when the hub was started without a roster store.
var errNoRoster = errors.New("the roster is not configured on this hub")

// Windows the roster endpoints look at.
const (
	// MaxRosterWindow bounds the from–to window of /coverage and the
	// override list, so one request cannot ask for years of slots.
	MaxRosterWindow = 31 * 24 * time.Hour
	// dutyWindow bounds how far before and after a moment /oncall looks for
	// the start and end of the duty in force (a one-person rotation or a
	// team without one has no natural end).
	dutyWindow = 31 * 24 * time.Hour
	// handoverLookback is how far back a handover note written without a
	// time looks for the change of duty it is about: a weekly rotation's.
	handoverLookback = 8 * 24 * time.Hour
)

// rosterRoutes registers the roster's API and pages, and the page route
// that acknowledges an incident. Reading the roster is for those who work
// incidents (the board's audience); changing it is the response center's;
// the escalation policies are the admins'.
func (s *Server) rosterRoutes(r *gin.Engine) {
	read := []gin.HandlerFunc{requireAPI(access.CanSeeBoard), s.needRosterAPI}
	write := []gin.HandlerFunc{requireAPI(access.CanEditRoster), s.needRosterAPI}
	with := func(guard []gin.HandlerFunc, h gin.HandlerFunc) []gin.HandlerFunc {
		return append(slices.Clone(guard), h)
	}

	api := r.Group("/api/v1")
	api.GET("/people", with(read, s.apiPeople)...)
	api.GET("/people/:id", with(read, s.apiPerson)...)
	api.PUT("/people/:id", with(write, s.apiSavePerson)...)
	api.DELETE("/people/:id", with(write, s.apiDeletePerson)...)
	api.GET("/teams", with(read, s.apiTeams)...)
	api.GET("/teams/:id", with(read, s.apiTeam)...)
	api.PUT("/teams/:id", with(write, s.apiSaveTeam)...)
	api.DELETE("/teams/:id", with(write, s.apiDeleteTeam)...)
	api.GET("/teams/:id/handovers", with(read, s.apiHandovers)...)
	api.POST("/teams/:id/handovers", with(read, s.apiPostHandover)...) // the outgoing person or an editor: checked inside
	api.GET("/departments", with(read, s.apiDepartments)...)
	api.GET("/departments/:name", with(read, s.apiDepartment)...)
	api.PUT("/departments/:name", with(write, s.apiSaveDepartment)...)
	api.DELETE("/departments/:name", with(write, s.apiDeleteDepartment)...)
	api.GET("/overrides", with(read, s.apiOverrides)...)
	api.POST("/overrides", with(write, s.apiCreateOverride)...)
	api.DELETE("/overrides/:id", with(write, s.apiDeleteOverride)...)
	api.GET("/oncall", with(read, s.apiOnCall)...)
	api.GET("/coverage", with(read, s.apiCoverage)...)
	api.GET("/policies", with(read, s.apiPolicies)...)
	api.GET("/policies/:level", with(read, s.apiPolicy)...)
	api.PUT("/policies/:level", requireAPI(access.CanEditPolicy), s.needRosterAPI, s.apiSavePolicy)

	s.rosterPageRoutes(r)
	r.POST("/incidents/:ref/ack", s.requirePage(anyone), s.ticketAck)
}

// needRosterAPI answers 503 when the hub has no roster store.
func (s *Server) needRosterAPI(c *gin.Context) {
	if s.rosters == nil {
		s.fail(c, errNoRoster)
	}
}

// --- the roster as one request sees it ---

// rosterSnap is what a roster answer is computed from: everyone, every
// team, and the overrides overlapping the window asked for.
type rosterSnap struct {
	people      map[string]escalation.Person
	peopleList  []escalation.Person
	teams       []escalation.Team
	overrides   []escalation.Override
	departments []escalation.Department
}

func (s *Server) snapshot(ctx context.Context, from, to time.Time) (*rosterSnap, error) {
	people, err := s.rosters.People(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := s.rosters.Teams(ctx)
	if err != nil {
		return nil, err
	}
	ovs, err := s.rosters.Overrides(ctx, from, to)
	if err != nil {
		return nil, err
	}
	depts, err := s.rosters.Departments(ctx)
	if err != nil {
		return nil, err
	}
	snap := &rosterSnap{people: map[string]escalation.Person{}, peopleList: people, teams: teams, overrides: ovs, departments: depts}
	for _, p := range people {
		snap.people[p.ID] = p
	}
	return snap, nil
}

func (r *rosterSnap) team(id string) (escalation.Team, bool) {
	for _, t := range r.teams {
		if t.ID == id {
			return t, true
		}
	}
	return escalation.Team{}, false
}

// ref is how a person id is shown: their name and contacts, or the bare id
// for someone no longer in the roster.
func (r *rosterSnap) ref(id string) personRefJSON {
	p, ok := r.people[id]
	if !ok {
		return personRefJSON{ID: id, Name: id, Contacts: []contactJSON{}}
	}
	pj := toPersonJSON(p)
	return personRefJSON{ID: p.ID, Name: p.Name, TimeZone: p.TimeZone, Contacts: pj.Contacts}
}

func (r *rosterSnap) refs(ids []string) []personRefJSON {
	out := []personRefJSON{}
	for _, id := range ids {
		out = append(out, r.ref(id))
	}
	return out
}

// dutyAt is the stretch of time around at during which the same people
// hold team's duty for the same reason: the rotation's shift, cut or
// widened by the overrides in force, looked for at most dutyWindow either
// side of at.
func dutyAt(team escalation.Team, ovs []escalation.Override, at time.Time) escalation.Slot {
	lo, hi := at.Add(-dutyWindow), at.Add(dutyWindow)
	if team.Rotation != nil {
		if _, s, e, ok := team.Rotation.OnCall(at); ok {
			lo, hi = s, e
		}
	}
	for _, o := range ovs {
		if o.Team == team.ID && !at.Before(o.Start) && at.Before(o.End) {
			lo = later(minTime(lo, o.Start), at.Add(-dutyWindow))
			hi = earlier(maxTime(hi, o.End), at.Add(dutyWindow))
		}
	}
	for _, sl := range escalation.Schedule(team, ovs, lo, hi) {
		if !at.Before(sl.Start) && at.Before(sl.End) {
			return sl
		}
	}
	return escalation.Slot{Start: at, End: at}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time   { return maxTime(a, b) }
func earlier(a, b time.Time) time.Time { return minTime(a, b) }

// handoverChange is the change of duty a handover note written at now by
// writer (a person id) is about: the coming one if the writer is on duty
// now, the last one if the writer just handed over, otherwise whichever of
// the two is nearer.
func handoverChange(team escalation.Team, ovs []escalation.Override, now time.Time, writer string) (escalation.Handoff, bool) {
	var last, next escalation.Handoff
	past := escalation.HandoffsBetween(team, ovs, now.Add(-handoverLookback), now)
	hasLast := len(past) > 0
	if hasLast {
		last = past[len(past)-1]
	}
	coming := escalation.NextHandoffs(team, ovs, now, 1)
	hasNext := len(coming) > 0
	if hasNext {
		next = coming[0]
	}
	switch {
	case hasNext && writer != "" && slices.Contains(next.From, writer):
		return next, true
	case hasLast && writer != "" && slices.Contains(last.From, writer):
		return last, true
	case hasLast && hasNext:
		if now.Sub(last.At) <= next.At.Sub(now) {
			return last, true
		}
		return next, true
	case hasLast:
		return last, true
	}
	return next, hasNext
}

// --- people ---

func (s *Server) apiPeople(c *gin.Context) {
	people, err := s.rosters.People(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, people, toPersonJSON)
}

func (s *Server) apiPerson(c *gin.Context) {
	p, err := s.person(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toPersonJSON(p))
}

func (s *Server) person(ctx context.Context, id string) (escalation.Person, error) {
	people, err := s.rosters.People(ctx)
	if err != nil {
		return escalation.Person{}, err
	}
	for _, p := range people {
		if p.ID == id {
			return p, nil
		}
	}
	return escalation.Person{}, fmt.Errorf("person %s: %w", id, escalation.ErrNotFound)
}

func (s *Server) apiSavePerson(c *gin.Context) {
	l := lang(c)
	var req personJSON
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	id := c.Param("id")
	if err := samePathID(l, "id", req.ID, id); err != nil {
		s.fail(c, err)
		return
	}
	p := req.person(id)
	if err := s.rosters.SavePerson(c.Request.Context(), p); err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: person saved", "person", id, "by", principal(c).UserID)
	c.JSON(http.StatusOK, toPersonJSON(p))
}

// samePathID refuses a body whose id differs from the one in the path.
func samePathID(l, field, body, path string) error {
	if body != "" && body != path {
		return fieldErrors{field: msg(l, "must be left out or match the one in the URL", "须省略或与 URL 中的一致")}
	}
	return nil
}

func (s *Server) apiDeletePerson(c *gin.Context) {
	if err := s.rosters.DeletePerson(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: person deleted", "person", c.Param("id"), "by", principal(c).UserID)
	c.Status(http.StatusNoContent)
}

// --- teams ---

func (s *Server) apiTeams(c *gin.Context) {
	teams, err := s.rosters.Teams(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, teams, toTeamJSON)
}

func (s *Server) team(ctx context.Context, id string) (escalation.Team, error) {
	teams, err := s.rosters.Teams(ctx)
	if err != nil {
		return escalation.Team{}, err
	}
	for _, t := range teams {
		if t.ID == id {
			return t, nil
		}
	}
	return escalation.Team{}, fmt.Errorf("team %s: %w", id, escalation.ErrNotFound)
}

func (s *Server) apiTeam(c *gin.Context) {
	t, err := s.team(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTeamJSON(t))
}

func (s *Server) apiSaveTeam(c *gin.Context) {
	l := lang(c)
	var req teamJSON
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	id := c.Param("id")
	if err := samePathID(l, "id", req.ID, id); err != nil {
		s.fail(c, err)
		return
	}
	t, err := req.team(id, l)
	if err == nil {
		err = s.rosters.SaveTeam(c.Request.Context(), t)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: team saved", "team", id, "by", principal(c).UserID)
	c.JSON(http.StatusOK, toTeamJSON(t))
}

func (s *Server) apiDeleteTeam(c *gin.Context) {
	if err := s.rosters.DeleteTeam(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: team deleted", "team", c.Param("id"), "by", principal(c).UserID)
	c.Status(http.StatusNoContent)
}

// --- departments ---

func (s *Server) apiDepartments(c *gin.Context) {
	depts, err := s.rosters.Departments(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]departmentJSON, 0, len(depts))
	for _, d := range depts {
		items = append(items, departmentJSON(d))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) apiDepartment(c *gin.Context) {
	depts, err := s.rosters.Departments(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, d := range depts {
		if d.Name == c.Param("name") {
			c.JSON(http.StatusOK, departmentJSON(d))
			return
		}
	}
	s.fail(c, fmt.Errorf("department %s: %w", c.Param("name"), escalation.ErrNotFound))
}

func (s *Server) apiSaveDepartment(c *gin.Context) {
	l := lang(c)
	var req departmentJSON
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	name := c.Param("name")
	if err := samePathID(l, "name", req.Name, name); err != nil {
		s.fail(c, err)
		return
	}
	d := escalation.Department{Name: strings.TrimSpace(name), Liaison: strings.TrimSpace(req.Liaison)}
	if err := s.rosters.SaveDepartment(c.Request.Context(), d); err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: department saved", "department", d.Name, "by", principal(c).UserID)
	c.JSON(http.StatusOK, departmentJSON(d))
}

// departmentDeleter is the part of a roster store that removes
// departments (store.Rosters does); escalation.RosterStore does not
// require it.
type departmentDeleter interface {
	DeleteDepartment(ctx context.Context, name string) error
}

// errNoDepartmentDelete is returned while the roster store cannot delete
// departments.
var errNoDepartmentDelete = errors.New("this roster store cannot delete departments yet; give the department another liaison instead")

func (s *Server) apiDeleteDepartment(c *gin.Context) {
	del, ok := s.rosters.(departmentDeleter)
	if !ok {
		c.AbortWithStatusJSON(http.StatusNotImplemented, apiError{Error: errNoDepartmentDelete.Error()})
		return
	}
	if err := del.DeleteDepartment(c.Request.Context(), c.Param("name")); err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: department deleted", "department", c.Param("name"), "by", principal(c).UserID)
	c.Status(http.StatusNoContent)
}

// --- overrides ---

// window reads ?from= and ?to= (RFC 3339): from defaults to now, to to
// from + def; the window may not be longer than limit.
func window(c *gin.Context, now time.Time, def, limit time.Duration) (from, to time.Time, err error) {
	l := lang(c)
	bad := fieldErrors{}
	from, to = now, time.Time{}
	if v := c.Query("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			bad["from"] = msg(l, "write the time as RFC 3339, e.g. 2026-03-02T09:00:00+08:00", "时间须为 RFC 3339 格式，如 2026-03-02T09:00:00+08:00")
		}
	}
	to = from.Add(def)
	if v := c.Query("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			bad["to"] = msg(l, "write the time as RFC 3339, e.g. 2026-03-16T09:00:00+08:00", "时间须为 RFC 3339 格式，如 2026-03-16T09:00:00+08:00")
		}
	}
	if len(bad) == 0 {
		switch {
		case !to.After(from):
			bad["to"] = msg(l, "must be after from", "须晚于 from")
		case to.Sub(from) > limit:
			days := int(limit / (24 * time.Hour))
			bad["to"] = msg(l, fmt.Sprintf("the window is at most %d days", days), fmt.Sprintf("时间范围最长 %d 天", days))
		}
	}
	if len(bad) > 0 {
		return from, to, bad
	}
	return from, to, nil
}

func (s *Server) apiOverrides(c *gin.Context) {
	from, to, err := window(c, s.now(), escalation.CoverageHorizon, MaxRosterWindow)
	if err != nil {
		s.fail(c, err)
		return
	}
	ovs, err := s.rosters.Overrides(c.Request.Context(), from, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := []overrideJSON{}
	for _, o := range ovs {
		if team := c.Query("team"); team == "" || o.Team == team {
			items = append(items, toOverrideJSON(o))
		}
	}
	c.JSON(http.StatusOK, gin.H{"from": from.UTC(), "to": to.UTC(), "items": items})
}

func (s *Server) apiCreateOverride(c *gin.Context) {
	l := lang(c)
	var req overrideRequest
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.createOverride(c.Request.Context(), req.override(), l)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: override saved", "team", o.Team, "override", o.ID, "by", principal(c).UserID)
	c.Header("Location", "/api/v1/overrides?team="+o.Team)
	c.JSON(http.StatusCreated, toOverrideJSON(o))
}

// createOverride checks o on its own and against the roster (the team and
// the people exist) and stores it under a new id.
func (s *Server) createOverride(ctx context.Context, o escalation.Override, l string) (escalation.Override, error) {
	if err := o.Validate(); err != nil {
		return o, err
	}
	snap, err := s.snapshot(ctx, o.Start, o.Start.Add(time.Millisecond))
	if err != nil {
		return o, err
	}
	bad := fieldErrors{}
	if _, ok := snap.team(o.Team); !ok {
		bad["team"] = msg(l, "no such team", "团队不存在")
	}
	for field, id := range map[string]string{"person": o.Person, "replaces": o.Replaces} {
		if _, ok := snap.people[id]; id != "" && !ok {
			bad[field] = msg(l, "no such person", "人员不存在")
		}
	}
	if len(bad) > 0 {
		return o, bad
	}
	o.ID = ""
	if o.ID, err = s.rosters.SaveOverride(ctx, o); err != nil {
		return o, err
	}
	return o, nil
}

func (s *Server) apiDeleteOverride(c *gin.Context) {
	if err := s.rosters.DeleteOverride(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: override deleted", "override", c.Param("id"), "by", principal(c).UserID)
	c.Status(http.StatusNoContent)
}

// --- on call and coverage ---

// apiOnCall answers who is on call for ?team= at ?at= (RFC 3339, default
// now), past or future: the people with their contacts, the duty's start
// and end, whether an override decided it, and the next change.
func (s *Server) apiOnCall(c *gin.Context) {
	l := lang(c)
	bad := fieldErrors{}
	teamID := c.Query("team")
	if teamID == "" {
		bad["team"] = msg(l, "name the team: ?team=ID", "请指定团队：?team=ID")
	}
	at := s.now()
	if v := c.Query("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad["at"] = msg(l, "write the time as RFC 3339, e.g. 2026-03-02T09:00:00+08:00", "时间须为 RFC 3339 格式，如 2026-03-02T09:00:00+08:00")
		}
		at = t
	}
	if len(bad) > 0 {
		s.fail(c, bad)
		return
	}
	snap, err := s.snapshot(c.Request.Context(), at.Add(-dutyWindow), at.Add(dutyWindow))
	if err != nil {
		s.fail(c, err)
		return
	}
	team, ok := snap.team(teamID)
	if !ok {
		s.fail(c, fmt.Errorf("team %s: %w", teamID, escalation.ErrNotFound))
		return
	}
	c.JSON(http.StatusOK, onCallOf(snap, team, at))
}

func onCallOf(snap *rosterSnap, team escalation.Team, at time.Time) onCallJSON {
	duty := dutyAt(team, snap.overrides, at)
	out := onCallJSON{
		Team: teamRefJSON{ID: team.ID, Name: team.Name, Critical: team.Critical}, At: at.UTC(),
		People: snap.refs(duty.People), ShiftStart: duty.Start.UTC(), ShiftEnd: duty.End.UTC(),
		FromOverride: duty.Override != "",
	}
	for _, o := range snap.overrides {
		if o.ID == duty.Override && duty.Override != "" {
			oj := toOverrideJSON(o)
			out.Override = &oj
		}
	}
	if next := escalation.NextHandoffs(team, snap.overrides, at, 1); len(next) > 0 {
		out.Next = &handoffJSON{At: next[0].At.UTC(), People: snap.refs(next[0].To)}
	}
	return out
}

// apiCoverage lists the windows in which a critical team has nobody on
// call, over ?from= to ?to= (default: the next 14 days; at most 31).
func (s *Server) apiCoverage(c *gin.Context) {
	from, to, err := window(c, s.now(), escalation.CoverageHorizon, MaxRosterWindow)
	if err != nil {
		s.fail(c, err)
		return
	}
	snap, err := s.snapshot(c.Request.Context(), from, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	gaps := []gapJSON{}
	critical := []string{}
	names := map[string]string{}
	for _, t := range snap.teams {
		names[t.ID] = t.Name
		if t.Critical {
			critical = append(critical, t.ID)
		}
	}
	for _, g := range escalation.CheckCoverage(snap.teams, snap.overrides, from, to) {
		gaps = append(gaps, gapJSON{Team: g.Team, TeamName: names[g.Team], Start: g.Start.UTC(), End: g.End.UTC(), Overrides: g.Overrides})
	}
	c.JSON(http.StatusOK, gin.H{"from": from.UTC(), "to": to.UTC(), "critical_teams": critical, "gaps": gaps})
}

// --- handovers ---

func (s *Server) apiHandovers(c *gin.Context) {
	limit := 20
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.fail(c, fieldErrors{"limit": msg(lang(c), "limit must be between 1 and 500", "limit 必须在 1 到 500 之间")})
			return
		}
		limit = n
	}
	ctx := c.Request.Context()
	if _, err := s.team(ctx, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	hs, err := s.rosters.Handovers(ctx, c.Param("id"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, hs, toHandoverJSON)
}

func (s *Server) apiPostHandover(c *gin.Context) {
	l := lang(c)
	var req handoverRequest
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	h, err := s.writeHandover(c.Request.Context(), principal(c), c.Param("id"), req, l)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toHandoverJSON(h))
}

// writeHandover records a handover note of team by p. Without a time it is
// about the change of duty nearest the writer (handoverChange); people
// left out are those on call just before and at that change. Only the
// outgoing person or a roster editor may write it.
func (s *Server) writeHandover(ctx context.Context, p access.Principal, teamID string, req handoverRequest, l string) (escalation.Handover, error) {
	now := s.now()
	writer := p.Username
	h := escalation.Handover{Team: teamID, Outgoing: strings.TrimSpace(req.Outgoing), Incoming: strings.TrimSpace(req.Incoming),
		Note: strings.TrimSpace(req.Note)}
	if req.At != "" {
		h.At, _ = time.Parse(time.RFC3339, req.At) // validated by the datetime tag
	}
	from, to := now.Add(-handoverLookback), now.Add(escalation.CoverageHorizon)
	if !h.At.IsZero() {
		from, to = h.At.Add(-time.Second), h.At.Add(time.Second)
	}
	snap, err := s.snapshot(ctx, from, to)
	if err != nil {
		return h, err
	}
	team, ok := snap.team(teamID)
	if !ok {
		return h, fmt.Errorf("team %s: %w", teamID, escalation.ErrNotFound)
	}
	if h.At.IsZero() {
		change, ok := handoverChange(team, snap.overrides, now, writer)
		if !ok {
			return h, fieldErrors{"at": msg(l, "this team has no change of duty near now; give the time of the change",
				"该团队近期没有换班，请注明换班时间")}
		}
		h.At = change.At
	}
	if h.Outgoing == "" && h.Incoming == "" {
		h.Outgoing = first(escalation.OnCallAt(team, snap.overrides, h.At.Add(-time.Nanosecond)))
		h.Incoming = first(escalation.OnCallAt(team, snap.overrides, h.At))
	}
	if !access.CanWriteHandover(p, h.Outgoing) {
		return h, fmt.Errorf("handover of %s: only the outgoing person or the response center writes it: %w", teamID, access.ErrForbidden)
	}
	h.WrittenBy = writer
	if h.WrittenBy == "" {
		h.WrittenBy = p.UserID
	}
	if h.ID, err = s.rosters.SaveHandover(ctx, h); err != nil {
		return h, err
	}
	s.log.Info("roster: handover recorded", "team", teamID, "handover", h.ID, "by", p.UserID)
	return h, nil
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// --- policies ---

func (s *Server) apiPolicies(c *gin.Context) {
	ps, err := s.rosters.Policies(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, ps, toPolicyJSON)
}

// levelParam reads the :level of the path.
func levelParam(c *gin.Context) (incident.Level, error) {
	lv := incident.Level(c.Param("level"))
	if !lv.Valid() {
		return lv, fmt.Errorf("level %q: %w", lv, escalation.ErrNotFound)
	}
	return lv, nil
}

func (s *Server) apiPolicy(c *gin.Context) {
	lv, err := levelParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.rosters.Policies(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := escalation.PolicyFor(ps, lv)
	if err != nil {
		s.fail(c, fmt.Errorf("%w: %w", escalation.ErrNotFound, err))
		return
	}
	c.JSON(http.StatusOK, toPolicyJSON(p))
}

func (s *Server) apiSavePolicy(c *gin.Context) {
	l := lang(c)
	lv, err := levelParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req policyJSON
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	if err := samePathID(l, "level", req.Level, string(lv)); err != nil {
		s.fail(c, err)
		return
	}
	p, err := req.policy(lv, l)
	if err == nil {
		err = s.savePolicy(c.Request.Context(), p, l)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("roster: escalation policy saved", "level", lv, "by", principal(c).UserID)
	c.JSON(http.StatusOK, toPolicyJSON(p))
}

// savePolicy checks p on its own and that the teams and people it pages
// exist, then stores it.
func (s *Server) savePolicy(ctx context.Context, p escalation.Policy, l string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	people, err := s.rosters.People(ctx)
	if err != nil {
		return err
	}
	teams, err := s.rosters.Teams(ctx)
	if err != nil {
		return err
	}
	dir := escalation.NewRoster(people, teams, nil)
	bad := fieldErrors{}
	for i, st := range p.Steps {
		t := st.Target
		if t.Kind == escalation.TargetPerson {
			if _, ok := dir.Person(t.Person); !ok {
				bad[fmt.Sprintf("steps[%d].target.person", i)] = msg(l, "no such person", "人员不存在")
			}
		} else if _, ok := dir.Team(t.Team); !ok {
			bad[fmt.Sprintf("steps[%d].target.team", i)] = msg(l, "no such team", "团队不存在")
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return s.rosters.SavePolicy(ctx, p)
}
