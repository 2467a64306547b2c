package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// rosterEditPage is the data of /roster/edit: a form each for a person, a
// team, a department and an override, and the lists to pick one to edit.
type rosterEditPage struct {
	common
	Notice  string
	Problem string
	Forms   []formView
	Lists   []editList // people, teams, departments, coming overrides
}

type editList struct {
	ID, Title, Empty string
	Rows             []editRow
}

// editRow is one entry of a list on the edit page, with its edit link and
// the address of its delete form ("" when it has none).
type editRow struct {
	Name, Detail, Edit, Delete string
}

// The forms of the edit page.
const (
	formPerson     = "person"
	formTeam       = "team"
	formDepartment = "department"
	formOverride   = "override"
)

func (s *Server) rosterEdit(c *gin.Context) {
	notice := ""
	if what := c.Query("saved"); what != "" {
		notice = T(lang(c), "roster.saved")
	}
	s.renderEdit(c, http.StatusOK, formState{}, notice, "")
}

func (s *Server) renderEdit(c *gin.Context, status int, st formState, notice, problem string) {
	l := lang(c)
	ctx := c.Request.Context()
	now := s.now()
	snap, err := s.snapshot(ctx, now, now.Add(MaxRosterWindow))
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	loc, _ := viewerZone(c, snap.people)
	c.Set(ctxHere, "/roster/edit")
	v := rosterEditPage{common: s.common(c, T(l, "roster.edit_title"), "roster"), Notice: notice, Problem: problem}
	csrf := csrfInput(csrfToken(c))

	people := editList{ID: "people", Title: T(l, "roster.list_people"), Empty: T(l, "roster.list_empty")}
	teams := editList{ID: "teams", Title: T(l, "roster.list_teams"), Empty: T(l, "roster.list_empty")}
	depts := editList{ID: "departments", Title: T(l, "roster.departments"), Empty: T(l, "roster.list_empty")}
	ovs := editList{ID: "overrides", Title: T(l, "roster.list_overrides"), Empty: T(l, "roster.list_empty")}
	for _, p := range snap.peopleList {
		people.Rows = append(people.Rows, editRow{Name: p.Name, Detail: p.ID, Edit: "/roster/edit?person=" + url.QueryEscape(p.ID) + "#person",
			Delete: "/roster/people/" + url.PathEscape(p.ID) + "/delete"})
	}
	for _, t := range snap.teams {
		teams.Rows = append(teams.Rows, editRow{Name: t.Name, Detail: t.ID + " · " + tOr(l, "team.kind."+string(t.Kind), string(t.Kind)),
			Edit: "/roster/edit?team=" + url.QueryEscape(t.ID) + "#team", Delete: "/roster/teams/" + url.PathEscape(t.ID) + "/delete"})
	}
	for _, d := range snap.departments {
		depts.Rows = append(depts.Rows, editRow{Name: d.Name, Detail: snap.names([]string{d.Liaison}),
			Edit: "/roster/edit?department=" + url.QueryEscape(d.Name) + "#department"})
	}
	for _, o := range snap.overrides {
		who := snap.names(nonEmpty(o.Person))
		if who == "" {
			who = T(l, "roster.nobody")
		}
		detail := inZone(o.Start, loc) + " – " + inZone(o.End, loc)
		if o.Replaces != "" {
			who += " ⇄ " + snap.names([]string{o.Replaces})
		}
		team := o.Team
		if t, ok := snap.team(o.Team); ok {
			team = t.Name
		}
		ovs.Rows = append(ovs.Rows, editRow{Name: team + ": " + who, Detail: detail,
			Delete: "/roster/overrides/" + url.PathEscape(o.ID) + "/delete"})
	}

	v.Lists = []editList{people, teams, depts, ovs}
	v.Forms = []formView{
		s.personForm(c, l, snap, csrf, st),
		s.teamForm(c, l, snap, csrf, st),
		s.departmentForm(c, l, snap, csrf, st),
		s.overrideForm(l, snap, csrf, st, loc, now),
	}
	s.render(c, status, "roster_edit", v)
}

// contactKinds are the contact fields of the person form, in order.
var contactKinds = []escalation.ContactKind{escalation.ContactEmail, escalation.ContactPhone, escalation.ContactSlack,
	escalation.ContactWeCom, escalation.ContactDingTalk, escalation.ContactFeishu}

func (s *Server) personForm(c *gin.Context, l string, snap *rosterSnap, csrf template.HTML, st formState) formView {
	var cur escalation.Person
	if id := c.Query("person"); id != "" {
		cur = snap.people[id]
	}
	f := formView{ID: formPerson, Title: T(l, "roster.form_person"), Intro: T(l, "roster.form_person_intro"),
		Action: "/roster/people", Submit: T(l, "roster.save"), CSRF: csrf}
	val := func(name, def string) string { return st.value(formPerson, name, def) }
	var roles []string
	for _, r := range cur.Roles {
		roles = append(roles, string(r))
	}
	f.add(field{Name: "id", Kind: "text", Label: T(l, "roster.f.id"), Help: T(l, "roster.f.id_help"), Required: true, MaxLen: 128, Value: val("id", cur.ID)})
	f.add(field{Name: "name", Kind: "text", Label: T(l, "roster.f.name"), Required: true, MaxLen: 200, Value: val("name", cur.Name)})
	f.add(field{Name: "roles", Kind: "text", Label: T(l, "roster.f.roles"), Help: T(l, "roster.f.roles_help"), Value: val("roles", strings.Join(roles, ", "))})
	depts := []option{{Value: "", Label: T(l, "roster.none")}}
	dept := val("department", cur.Department)
	for _, d := range snap.departments {
		depts = append(depts, option{Value: d.Name, Label: d.Name, Selected: d.Name == dept})
	}
	f.add(field{Name: "department", Kind: "select", Label: T(l, "roster.f.department"), Options: depts})
	f.add(field{Name: "time_zone", Kind: "text", Label: T(l, "roster.f.time_zone"), Help: T(l, "roster.f.time_zone_help"), MaxLen: 64, Value: val("time_zone", cur.TimeZone)})
	for _, k := range contactKinds {
		def := ""
		for _, ct := range cur.Contacts {
			if ct.Kind == k && def == "" {
				def = ct.Value
			}
		}
		f.add(field{Name: "contact_" + string(k), Kind: "text", Label: T(l, "contact."+string(k)), MaxLen: 200, Value: val("contact_"+string(k), def)})
	}
	st.apply(&f)
	return f
}

func (s *Server) teamForm(c *gin.Context, l string, snap *rosterSnap, csrf template.HTML, st formState) formView {
	var cur escalation.Team
	if id := c.Query("team"); id != "" {
		cur, _ = snap.team(id)
	}
	f := formView{ID: formTeam, Title: T(l, "roster.form_team"), Intro: T(l, "roster.form_team_intro"),
		Action: "/roster/teams", Submit: T(l, "roster.save"), CSRF: csrf}
	val := func(name, def string) string { return st.value(formTeam, name, def) }
	f.add(field{Name: "id", Kind: "text", Label: T(l, "roster.f.id"), Help: T(l, "roster.f.id_help"), Required: true, MaxLen: 128, Value: val("id", cur.ID)})
	f.add(field{Name: "name", Kind: "text", Label: T(l, "roster.f.name"), Required: true, MaxLen: 200, Value: val("name", cur.Name)})
	kind := val("kind", string(cur.Kind))
	kinds := []option{{Value: "", Label: T(l, "choice.choose"), Selected: kind == ""}}
	for _, k := range []escalation.TeamKind{escalation.ResponseCenter, escalation.AssessmentGroup, escalation.SupportTeam,
		escalation.ManagementTeam, escalation.VendorTeam, escalation.AgencyTeam} {
		kinds = append(kinds, option{Value: string(k), Label: T(l, "team.kind."+string(k)), Selected: string(k) == kind})
	}
	f.add(field{Name: "kind", Kind: "select", Label: T(l, "roster.f.kind"), Required: true, Options: kinds})
	f.add(field{Name: "members", Kind: "textarea", Rows: 2, Label: T(l, "roster.f.members"), Help: T(l, "roster.f.ids_help"),
		Value: val("members", strings.Join(cur.Members, ", "))})
	f.add(field{Name: "lead", Kind: "text", Label: T(l, "roster.f.lead"), MaxLen: 128, Value: val("lead", cur.Lead)})
	critical := ""
	if cur.Critical {
		critical = "on"
	}
	f.add(field{Name: "critical", Kind: "checkbox", Label: T(l, "roster.f.critical"), Value: val("critical", critical)})

	rot := cur.Rotation
	if rot == nil {
		rot = &escalation.Rotation{}
	}
	interval := val("rotation_interval", string(rot.Interval))
	intervals := []option{{Value: "", Label: T(l, "roster.no_rotation"), Selected: interval == ""}}
	for _, iv := range []escalation.Interval{escalation.Daily, escalation.Weekly, escalation.Custom} {
		intervals = append(intervals, option{Value: string(iv), Label: T(l, "interval."+string(iv)), Selected: string(iv) == interval})
	}
	f.add(field{Name: "rotation_interval", Kind: "select", Label: T(l, "roster.f.interval"), Help: T(l, "roster.f.interval_help"), Options: intervals})
	f.add(field{Name: "rotation_participants", Kind: "textarea", Rows: 2, Label: T(l, "roster.f.participants"), Help: T(l, "roster.f.participants_help"),
		Value: val("rotation_participants", strings.Join(rot.Participants, ", "))})
	f.add(field{Name: "rotation_handoff_time", Kind: "text", Label: T(l, "roster.f.handoff_time"), Help: T(l, "roster.f.handoff_time_help"), MaxLen: 5,
		Value: val("rotation_handoff_time", rot.HandoffTime)})
	wd := val("rotation_handoff_weekday", "")
	if wd == "" && rot.Interval == escalation.Weekly {
		wd = weekdays[rot.HandoffWeekday]
	}
	wds := []option{{Value: "", Label: T(l, "choice.choose"), Selected: wd == ""}}
	for i, name := range weekdays {
		wds = append(wds, option{Value: name, Label: weekdayName(l, time.Weekday(i)), Selected: name == wd})
	}
	f.add(field{Name: "rotation_handoff_weekday", Kind: "select", Label: T(l, "roster.f.weekday"), Help: T(l, "roster.f.weekday_help"), Options: wds})
	length := ""
	if rot.Interval == escalation.Custom {
		length = rot.Length.String()
	}
	f.add(field{Name: "rotation_length", Kind: "text", Label: T(l, "roster.f.length"), Help: T(l, "roster.f.length_help"), MaxLen: 32,
		Value: val("rotation_length", length)})
	f.add(field{Name: "rotation_time_zone", Kind: "text", Label: T(l, "roster.f.time_zone"), Help: T(l, "roster.f.time_zone_help"), MaxLen: 64,
		Value: val("rotation_time_zone", rot.TimeZone)})
	start := ""
	if !rot.Start.IsZero() {
		start = rot.Start.UTC().Format(localInput)
		if loc, err := loadLocation(rot.TimeZone); err == nil {
			start = rot.Start.In(loc).Format(localInput)
		}
	}
	f.add(field{Name: "rotation_start", Kind: "datetime-local", Label: T(l, "roster.f.start"), Help: T(l, "roster.f.start_help"),
		Value: val("rotation_start", start)})
	st.apply(&f)
	return f
}

func (s *Server) departmentForm(c *gin.Context, l string, snap *rosterSnap, csrf template.HTML, st formState) formView {
	var cur escalation.Department
	for _, d := range snap.departments {
		if d.Name == c.Query("department") {
			cur = d
		}
	}
	f := formView{ID: formDepartment, Title: T(l, "roster.form_department"), Intro: T(l, "roster.form_department_intro"),
		Action: "/roster/departments", Submit: T(l, "roster.save"), CSRF: csrf}
	f.add(field{Name: "name", Kind: "text", Label: T(l, "roster.f.department"), Required: true, MaxLen: 200,
		Value: st.value(formDepartment, "name", cur.Name)})
	f.add(field{Name: "liaison", Kind: "select", Label: T(l, "roster.f.liaison"), Required: true,
		Options: peopleOptions(l, snap, st.value(formDepartment, "liaison", cur.Liaison), T(l, "choice.choose"))})
	st.apply(&f)
	return f
}

func peopleOptions(l string, snap *rosterSnap, selected, empty string) []option {
	out := []option{{Value: "", Label: empty, Selected: selected == ""}}
	for _, p := range snap.peopleList {
		out = append(out, option{Value: p.ID, Label: p.Name + " (" + p.ID + ")", Selected: p.ID == selected})
	}
	return out
}

func (s *Server) overrideForm(l string, snap *rosterSnap, csrf template.HTML, st formState, loc *time.Location, now time.Time) formView {
	f := formView{ID: formOverride, Title: T(l, "roster.form_override"), Intro: T(l, "roster.form_override_intro"),
		Action: "/roster/overrides", Submit: T(l, "roster.save"), CSRF: csrf}
	val := func(name, def string) string { return st.value(formOverride, name, def) }
	team := val("team", "")
	teams := []option{{Value: "", Label: T(l, "choice.choose"), Selected: team == ""}}
	for _, t := range snap.teams {
		teams = append(teams, option{Value: t.ID, Label: t.Name, Selected: t.ID == team})
	}
	f.add(field{Name: "team", Kind: "select", Label: T(l, "roster.f.team"), Required: true, Options: teams})
	f.add(field{Name: "person", Kind: "select", Label: T(l, "roster.f.person"), Help: T(l, "roster.f.person_help"),
		Options: peopleOptions(l, snap, val("person", ""), T(l, "roster.nobody_removes"))})
	f.add(field{Name: "replaces", Kind: "select", Label: T(l, "roster.f.replaces"), Help: T(l, "roster.f.replaces_help"),
		Options: peopleOptions(l, snap, val("replaces", ""), T(l, "roster.whoever"))})
	f.add(field{Name: "start", Kind: "datetime-local", Label: T(l, "roster.f.ov_start"), Required: true, Value: val("start", "")})
	f.add(field{Name: "end", Kind: "datetime-local", Label: T(l, "roster.f.ov_end"), Required: true, Value: val("end", "")})
	zone := loc.String()
	if loc == time.Local {
		zone = ""
	}
	f.add(field{Name: "time_zone", Kind: "text", Label: T(l, "roster.f.time_zone"), Help: T(l, "roster.f.ov_zone_help", zoneLabel(now.In(loc))),
		MaxLen: 64, Value: val("time_zone", zone)})
	f.add(field{Name: "note", Kind: "textarea", Rows: 2, Label: T(l, "roster.f.note"), MaxLen: incident.MaxNote, Value: val("note", "")})
	st.apply(&f)
	return f
}

// splitIDs reads a list of ids typed with commas, spaces, semicolons or
// new lines (Chinese punctuation too).
func splitIDs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '，' || r == '、' || r == '；'
	})
}

// localTime reads a datetime-local value in zone; "" when v is empty.
func localTime(v, zone string) (time.Time, error) {
	loc := time.Local
	if zone != "" {
		var err error
		if loc, err = loadLocation(zone); err != nil {
			return time.Time{}, err
		}
	}
	return time.ParseInLocation(localInput, strings.TrimSpace(v), loc)
}

// editFailed draws the edit page again with form which's values and its
// messages next to the fields (names maps an API field key to a form
// field), or the error page for faults that are not the input's.
func (s *Server) editFailed(c *gin.Context, which string, err error, names func(key string) string) {
	l := lang(c)
	status := statusOf(err)
	st := formState{Which: which, Values: postedValues(c)}
	switch {
	case status == http.StatusBadRequest:
		st.Errors = formErrors(l, err, names)
		st.Problem = T(l, "form.fix_fields")
		if len(st.Errors) == 0 {
			st.Problem = errorText(l, status, err)
		}
	case errors.Is(err, escalation.ErrInUse):
		s.renderEdit(c, status, formState{}, "", T(l, "roster.in_use")+" ("+err.Error()+")")
		return
	default:
		s.pageError(c, status, err)
		return
	}
	s.renderEdit(c, status, st, "", "")
}

// formErrors turns field errors keyed like the API's ("rotation.start",
// "contacts[1].value") into messages by form field; several messages for
// one field are joined.
func formErrors(l string, err error, names func(key string) string) map[string]string {
	all := messagesByKey(l, err)
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys {
		name := names(k)
		switch {
		case out[name] == "":
			out[name] = all[k]
		case !strings.Contains(out[name], all[k]):
			out[name] += "; " + all[k]
		}
	}
	return out
}

// formField is the default mapping of an API field key to a form field:
// the list, not the item ("members[2]" → "members"), dots as underscores
// ("rotation.start" → "rotation_start").
func formField(key string) string {
	if i := strings.IndexByte(key, '['); i > 0 {
		key = key[:i]
	}
	return strings.ReplaceAll(key, ".", "_")
}

func (s *Server) rosterSavePerson(c *gin.Context) {
	l := lang(c)
	id := strings.TrimSpace(c.PostForm("id"))
	req := personJSON{Name: strings.TrimSpace(c.PostForm("name")), Roles: splitIDs(c.PostForm("roles")),
		Department: strings.TrimSpace(c.PostForm("department")), TimeZone: strings.TrimSpace(c.PostForm("time_zone"))}
	var contactFields []string
	for _, k := range contactKinds {
		if v := strings.TrimSpace(c.PostForm("contact_" + string(k))); v != "" {
			req.Contacts = append(req.Contacts, contactJSON{Kind: string(k), Value: v})
			contactFields = append(contactFields, "contact_"+string(k))
		}
	}
	names := func(key string) string {
		var i int
		if _, err := fmt.Sscanf(key, "contacts[%d]", &i); err == nil && i >= 0 && i < len(contactFields) {
			return contactFields[i]
		}
		return formField(key)
	}
	err := validation().check(&req, l)
	if err == nil {
		err = s.rosters.SavePerson(c.Request.Context(), req.person(id))
	}
	if err != nil {
		s.editFailed(c, formPerson, err, names)
		return
	}
	s.log.Info("roster: person saved", "person", id, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/roster/edit?saved=person")
}

func (s *Server) rosterSaveTeam(c *gin.Context) {
	l := lang(c)
	id := strings.TrimSpace(c.PostForm("id"))
	req := teamJSON{Name: strings.TrimSpace(c.PostForm("name")), Kind: c.PostForm("kind"), Members: splitIDs(c.PostForm("members")),
		Lead: strings.TrimSpace(c.PostForm("lead")), Critical: c.PostForm("critical") != ""}
	bad := fieldErrors{}
	if interval := c.PostForm("rotation_interval"); interval != "" {
		zone := strings.TrimSpace(c.PostForm("rotation_time_zone"))
		rot := &rotationJSON{Participants: splitIDs(c.PostForm("rotation_participants")), Interval: interval,
			Length: strings.TrimSpace(c.PostForm("rotation_length")), HandoffTime: strings.TrimSpace(c.PostForm("rotation_handoff_time")),
			HandoffWeekday: c.PostForm("rotation_handoff_weekday"), TimeZone: zone}
		if zone == "" {
			bad["rotation.time_zone"] = msg(l, "a rotation needs its time zone, e.g. Asia/Shanghai", "轮换需要时区，如 Asia/Shanghai")
		} else if start, err := localTime(c.PostForm("rotation_start"), zone); err != nil {
			bad["rotation.start"] = msg(l, "give the start date and time (in the rotation's time zone)", "请填写开始日期和时间（按轮换的时区）")
		} else {
			rot.Start = start.Format(time.RFC3339)
		}
		req.Rotation = rot
	}
	var err error
	if len(bad) > 0 {
		err = bad
	}
	if err == nil {
		err = validation().check(&req, l)
	}
	var t escalation.Team
	if err == nil {
		t, err = req.team(id, l)
	}
	if err == nil {
		err = s.rosters.SaveTeam(c.Request.Context(), t)
	}
	if err != nil {
		s.editFailed(c, formTeam, err, formField)
		return
	}
	s.log.Info("roster: team saved", "team", id, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/roster/edit?saved=team")
}

func (s *Server) rosterSaveDepartment(c *gin.Context) {
	l := lang(c)
	req := departmentJSON{Name: strings.TrimSpace(c.PostForm("name")), Liaison: strings.TrimSpace(c.PostForm("liaison"))}
	err := validation().check(&req, l)
	if err == nil {
		err = s.rosters.SaveDepartment(c.Request.Context(), escalation.Department{Name: req.Name, Liaison: req.Liaison})
	}
	if err != nil {
		s.editFailed(c, formDepartment, err, formField)
		return
	}
	s.log.Info("roster: department saved", "department", req.Name, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/roster/edit?saved=department")
}

func (s *Server) rosterSaveOverride(c *gin.Context) {
	l := lang(c)
	zone := strings.TrimSpace(c.PostForm("time_zone"))
	req := overrideRequest{Team: c.PostForm("team"), Person: c.PostForm("person"), Replaces: c.PostForm("replaces"),
		Note: strings.TrimSpace(c.PostForm("note"))}
	bad := fieldErrors{}
	if zone != "" {
		if _, err := loadLocation(zone); err != nil {
			bad["time_zone"] = msg(l, "unknown time zone; use an IANA name such as Asia/Shanghai", "未知时区，请使用 IANA 名称，如 Asia/Shanghai")
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"start", &req.Start}, {"end", &req.End}} {
		if bad["time_zone"] != "" {
			break // the times cannot be read without their zone
		}
		if t, err := localTime(c.PostForm(f.name), zone); err != nil {
			bad[f.name] = msg(l, "give the date and time", "请填写日期和时间")
		} else {
			*f.dst = t.Format(time.RFC3339)
		}
	}
	var err error
	if len(bad) > 0 {
		err = bad
	}
	if err == nil {
		err = validation().check(&req, l)
	}
	if err == nil {
		_, err = s.createOverride(c.Request.Context(), req.override(), l)
	}
	if err != nil {
		s.editFailed(c, formOverride, err, formField)
		return
	}
	s.log.Info("roster: override saved", "team", req.Team, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/roster/edit?saved=override")
}

func (s *Server) rosterDeletePerson(c *gin.Context) {
	s.rosterDelete(c, "person", func(ctx context.Context, id string) error { return s.rosters.DeletePerson(ctx, id) })
}

func (s *Server) rosterDeleteTeam(c *gin.Context) {
	s.rosterDelete(c, "team", func(ctx context.Context, id string) error { return s.rosters.DeleteTeam(ctx, id) })
}

func (s *Server) rosterDeleteOverride(c *gin.Context) {
	s.rosterDelete(c, "override", func(ctx context.Context, id string) error { return s.rosters.DeleteOverride(ctx, id) })
}

func (s *Server) rosterDelete(c *gin.Context, what string, del func(ctx context.Context, id string) error) {
	id := c.Param("id")
	if err := del(c.Request.Context(), id); err != nil {
		if errors.Is(err, escalation.ErrInUse) {
			s.renderEdit(c, http.StatusConflict, formState{}, "", T(lang(c), "roster.in_use")+" ("+err.Error()+")")
			return
		}
		s.pageError(c, statusOf(err), err)
		return
	}
	s.log.Info("roster: deleted", "what", what, "id", id, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/roster/edit?saved="+what)
}

// messagesByKey are the field messages of err, a validation error of the
// web layer or of the domain (wrapped or not), in language l, by field key
// ("contacts[1].value"); none for any other error.
func messagesByKey(l string, err error) map[string]string {
	all := map[string]string{}
	var fe fieldErrors
	var inv *incident.InvalidError
	switch {
	case errors.As(err, &fe):
		for k, v := range fe {
			all[k] = v
		}
	case errors.As(err, &inv):
		for k, m := range inv.Fields {
			all[k] = msg(l, m.EN, m.ZH)
		}
	}
	return all
}
