package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// Limits of the roster page.
const (
	// rosterDays is how many days the schedule of each team shows: today
	// and the CoverageHorizon after it.
	rosterDays = int(escalation.CoverageHorizon/(24*time.Hour)) + 1
	// maxDaySegments bounds the slots drawn in one day of one team; a
	// rotation that changes every few minutes says "+N more" instead.
	maxDaySegments = 8
	// rosterHandovers is how many recent handover notes each team shows.
	rosterHandovers = 5
	// localInput is the layout of datetime-local form fields.
	localInput = "2006-01-02T15:04"
)

func (s *Server) rosterPageRoutes(r *gin.Engine) {
	guard := func(allowed func(access.Principal) bool, h gin.HandlerFunc) []gin.HandlerFunc {
		return []gin.HandlerFunc{s.requirePage(allowed), s.needRosterPage, h}
	}
	r.GET("/roster", guard(access.CanSeeBoard, s.rosterPage)...)
	r.POST("/roster/teams/:id/handovers", guard(access.CanSeeBoard, s.rosterHandover)...)
	r.GET("/roster/edit", guard(access.CanEditRoster, s.rosterEdit)...)
	r.POST("/roster/people", guard(access.CanEditRoster, s.rosterSavePerson)...)
	r.POST("/roster/people/:id/delete", guard(access.CanEditRoster, s.rosterDeletePerson)...)
	r.POST("/roster/teams", guard(access.CanEditRoster, s.rosterSaveTeam)...)
	r.POST("/roster/teams/:id/delete", guard(access.CanEditRoster, s.rosterDeleteTeam)...)
	r.POST("/roster/departments", guard(access.CanEditRoster, s.rosterSaveDepartment)...)
	r.POST("/roster/overrides", guard(access.CanEditRoster, s.rosterSaveOverride)...)
	r.POST("/roster/overrides/:id/delete", guard(access.CanEditRoster, s.rosterDeleteOverride)...)
	r.GET("/roster/policies", guard(access.CanEditRoster, s.rosterPolicies)...)
	r.POST("/roster/policies/:level", guard(access.CanEditPolicy, s.rosterSavePolicy)...)
}

// needRosterPage answers 503 when the hub has no roster store.
func (s *Server) needRosterPage(c *gin.Context) {
	if s.rosters == nil {
		s.pageError(c, http.StatusServiceUnavailable, errNoRoster)
		c.Abort()
	}
}

// --- views ---

// rosterPage is the data of /roster.
type rosterPage struct {
	common
	Zone        string // the zone times are shown in, and its offset now
	TZ          string // the ?tz= asked for, kept in the zone form
	ZoneProblem string
	NowText     string
	CanEdit     bool
	Teams       []teamView // internal teams
	External    []teamView // vendors and agencies
	Departments []departmentView
	GapCount    int
	Problem     string // a refused handover note, for the whole page
}

type teamView struct {
	Lang                     string
	ID, Name, Kind, KindName string
	External                 bool // a vendor or an agency
	Anchor                   string
	Critical                 bool
	Lead                     string
	Rotation                 string
	HasRotation              bool
	Now                      dutyView
	Next                     *nextView
	Days                     []dayView
	Gaps                     []windowView
	Members                  []personView
	Handovers                []handoverView
	HandoverForm             *formView
}

type dutyView struct {
	People   []personView
	Until    string // when the duty changes hands
	Override bool
}

type nextView struct {
	At     string
	People []personView
}

type personView struct {
	ID, Name string
	Roles    string
	Contacts []contactView
}

type contactView struct {
	Kind, KindName, Value string
	Tel                   template.URL // a tel: link for phones
	Mail                  string       // a mailto: link for e-mail
}

type dayView struct {
	Label    string
	ISO      string
	Segments []segmentView
	More     int
}

type segmentView struct {
	From, To string
	People   string
	Gap      bool // nobody on duty
	Warn     bool // …and the team is critical
	Override bool
}

type windowView struct{ From, To string }

type handoverView struct {
	At, AtISO, Outgoing, Incoming, Note, WrittenBy string
}

type departmentView struct {
	Name    string
	Liaison personView
}

// viewerZone is the zone times are shown in: ?tz= when valid, else the
// viewer's own zone when they are in the roster, else the server's.
func viewerZone(c *gin.Context, people map[string]escalation.Person) (*time.Location, string) {
	l := lang(c)
	var problem string
	if tz := strings.TrimSpace(c.Query("tz")); tz != "" {
		if loc, err := loadLocation(tz); err == nil {
			return loc, ""
		}
		problem = msg(l, "Unknown time zone "+strconv.Quote(tz)+"; showing times in the default zone.",
			"未知时区 "+strconv.Quote(tz)+"，按默认时区显示。")
	}
	if p, ok := people[principal(c).Username]; ok && p.TimeZone != "" {
		if loc, err := loadLocation(p.TimeZone); err == nil {
			return loc, problem
		}
	}
	return time.Local, problem
}

// loadLocation loads an IANA zone, refusing "" and "Local" (which depend on
// the machine).
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, errors.New("name the time zone")
	}
	return time.LoadLocation(name)
}

func zoneText(loc *time.Location, now time.Time) string {
	name := loc.String()
	if loc == time.Local {
		name = ""
	}
	label := zoneLabel(now.In(loc))
	if name == "" || name == "UTC" {
		return label
	}
	return name + " (" + label + ")"
}

func inZone(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") }

func (snap *rosterSnap) personView(l, id string) personView {
	p, ok := snap.people[id]
	if !ok {
		return personView{ID: id, Name: id}
	}
	return toPersonView(l, p)
}

func toPersonView(l string, p escalation.Person) personView {
	v := personView{ID: p.ID, Name: p.Name}
	var roles []string
	for _, r := range p.Roles {
		roles = append(roles, tOr(l, "role."+string(r), string(r)))
	}
	v.Roles = strings.Join(roles, ", ")
	for _, ct := range p.Contacts {
		cv := contactView{Kind: string(ct.Kind), KindName: tOr(l, "contact."+string(ct.Kind), string(ct.Kind)), Value: ct.Value}
		switch ct.Kind {
		case escalation.ContactPhone:
			cv.Tel = telURL(ct.Value)
		case escalation.ContactEmail:
			cv.Mail = "mailto:" + ct.Value
		}
		v.Contacts = append(v.Contacts, cv)
	}
	return v
}

// telURL is a tel: link for a phone number: only its digits and a leading
// plus survive, so nothing else can reach the attribute.
func telURL(phone string) template.URL {
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}

func (snap *rosterSnap) personViews(l string, ids []string) []personView {
	var out []personView
	for _, id := range ids {
		out = append(out, snap.personView(l, id))
	}
	return out
}

func (snap *rosterSnap) names(ids []string) string {
	var out []string
	for _, id := range ids {
		if p, ok := snap.people[id]; ok {
			out = append(out, p.Name)
		} else {
			out = append(out, id)
		}
	}
	return strings.Join(out, ", ")
}

var weekdayNames = [2][7]string{
	{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	{"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
}

func weekdayName(l string, d time.Weekday) string {
	if l == "zh" {
		return weekdayNames[1][d]
	}
	return weekdayNames[0][d]
}

// rotationText summarizes a rotation: "Weekly, Monday 09:00 Asia/Shanghai,
// from 2026-03-02: A → B → C".
func (snap *rosterSnap) rotationText(l string, r *escalation.Rotation) string {
	if r == nil {
		return ""
	}
	var when string
	switch r.Interval {
	case escalation.Daily:
		when = T(l, "interval.daily") + ", " + r.HandoffTime
	case escalation.Weekly:
		when = T(l, "interval.weekly") + ", " + weekdayName(l, r.HandoffWeekday) + " " + r.HandoffTime
	case escalation.Custom:
		when = T(l, "interval.custom") + " " + r.Length.String()
		if r.HandoffTime != "" {
			when += ", " + r.HandoffTime
		}
	}
	names := make([]string, len(r.Participants))
	for i, id := range r.Participants {
		names[i] = snap.names([]string{id})
	}
	start := r.Start.Format("2006-01-02")
	if loc, err := loadLocation(r.TimeZone); err == nil {
		start = r.Start.In(loc).Format("2006-01-02")
	}
	return fmt.Sprintf("%s %s · %s %s · %s", when, r.TimeZone, T(l, "roster.since"), start, strings.Join(names, " → "))
}

// --- /roster ---

func (s *Server) rosterPage(c *gin.Context) {
	s.renderRoster(c, http.StatusOK, formState{})
}

// renderRoster draws the roster page; st keeps a refused handover form
// (its Which is "handover-<team>").
func (s *Server) renderRoster(c *gin.Context, status int, st formState) {
	l := lang(c)
	p := principal(c)
	ctx := c.Request.Context()
	now := s.now()
	snap, err := s.snapshot(ctx, now.Add(-handoverLookback-24*time.Hour), now.Add(escalation.CoverageHorizon+48*time.Hour))
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	loc, zoneProblem := viewerZone(c, snap.people)
	if c.Request.Method != http.MethodGet {
		c.Set(ctxHere, "/roster")
	}
	v := rosterPage{
		common: s.common(c, T(l, "roster.title"), "roster"), TZ: c.Query("tz"), ZoneProblem: zoneProblem,
		Zone: zoneText(loc, now), NowText: inZone(now, loc), CanEdit: access.CanEditRoster(p),
	}
	end := now.Add(escalation.CoverageHorizon)
	csrf := csrfInput(csrfToken(c))
	shown := false
	for _, t := range snap.teams {
		tv, err := s.teamView(ctx, l, p, snap, t, now, end, loc, csrf, st)
		if err != nil {
			s.pageError(c, statusOf(err), err)
			return
		}
		v.GapCount += len(tv.Gaps)
		shown = shown || (tv.HandoverForm != nil && tv.HandoverForm.ID == st.Which)
		if tv.External {
			v.External = append(v.External, tv)
		} else {
			v.Teams = append(v.Teams, tv)
		}
	}
	for _, d := range snap.departments {
		v.Departments = append(v.Departments, departmentView{Name: d.Name, Liaison: snap.personView(l, d.Liaison)})
	}
	if st.Which != "" && !shown {
		// The form is no longer offered (the duty changed meanwhile): the
		// refusal is shown at the top, so it is not lost.
		v.Problem = strings.TrimSpace(st.Problem + " " + fieldErrors(st.Errors).sorted())
	}
	s.render(c, status, "roster", v)
}

func (s *Server) teamView(ctx context.Context, l string, p access.Principal, snap *rosterSnap, t escalation.Team,
	now, end time.Time, loc *time.Location, csrf template.HTML, st formState) (teamView, error) {
	tv := teamView{Lang: l, External: t.Kind == escalation.VendorTeam || t.Kind == escalation.AgencyTeam, ID: t.ID, Name: t.Name, Kind: string(t.Kind), KindName: tOr(l, "team.kind."+string(t.Kind), string(t.Kind)),
		Anchor: "team-" + t.ID, Critical: t.Critical, Rotation: snap.rotationText(l, t.Rotation), HasRotation: t.Rotation != nil}
	if t.Lead != "" {
		tv.Lead = snap.names([]string{t.Lead})
	}
	tv.Members = snap.personViews(l, t.Members)

	duty := dutyAt(t, snap.overrides, now)
	tv.Now = dutyView{People: snap.personViews(l, duty.People), Override: duty.Override != ""}
	if len(duty.People) > 0 || t.Rotation != nil {
		tv.Now.Until = inZone(duty.End, loc)
	}
	if next := escalation.NextHandoffs(t, snap.overrides, now, 1); len(next) > 0 && next[0].At.Before(end) {
		tv.Next = &nextView{At: inZone(next[0].At, loc), People: snap.personViews(l, next[0].To)}
	}
	if t.Critical {
		for _, g := range escalation.Gaps(t, snap.overrides, now, end) {
			tv.Gaps = append(tv.Gaps, windowView{From: inZone(g.Start, loc), To: inZone(g.End, loc)})
		}
	}
	if t.Rotation != nil || t.Critical || hasOverrides(t.ID, snap.overrides) {
		tv.Days = snap.days(l, t, now, loc)
	}

	hs, err := s.rosters.Handovers(ctx, t.ID, rosterHandovers)
	if err != nil {
		return tv, err
	}
	for _, h := range hs {
		tv.Handovers = append(tv.Handovers, handoverView{At: inZone(h.At, loc), AtISO: h.At.UTC().Format(time.RFC3339),
			Outgoing: dash(snap.names(nonEmpty(h.Outgoing))), Incoming: dash(snap.names(nonEmpty(h.Incoming))),
			Note: h.Note, WrittenBy: snap.names([]string{h.WrittenBy})})
	}
	if change, ok := handoverChange(t, snap.overrides, now, p.Username); ok &&
		(access.CanWriteHandover(p, "") || slices.ContainsFunc(change.From, func(out string) bool { return access.CanWriteHandover(p, out) })) {
		f := formView{ID: "handover-" + t.ID, Action: "/roster/teams/" + url.PathEscape(t.ID) + "/handovers",
			CSRF: csrf, Title: T(l, "roster.handover_write"),
			Intro:  T(l, "roster.handover_for", inZone(change.At, loc), dash(snap.names(change.From)), dash(snap.names(change.To))),
			Submit: T(l, "roster.handover_submit"),
			Hidden: []hiddenField{{"at", change.At.UTC().Format(time.RFC3339)}}}
		f.add(field{Name: "note", Kind: "textarea", Rows: 3, Label: T(l, "roster.handover_note"), Help: T(l, "roster.handover_help"),
			Required: true, MaxLen: incident.MaxNote, Value: st.value(f.ID, "note", "")})
		st.apply(&f)
		tv.HandoverForm = &f
	}
	return tv, nil
}

func nonEmpty(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

func hasOverrides(team string, ovs []escalation.Override) bool {
	return slices.ContainsFunc(ovs, func(o escalation.Override) bool { return o.Team == team })
}

// days is the team's schedule from the start of today, in loc, one row per
// calendar day, each with the stretches of who is on duty.
func (snap *rosterSnap) days(l string, t escalation.Team, now time.Time, loc *time.Location) []dayView {
	y, m, d := now.In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	to := time.Date(y, m, d+rosterDays, 0, 0, 0, 0, loc)
	slots := escalation.Schedule(t, snap.overrides, from, to)
	var out []dayView
	k := 0
	for i := range rosterDays {
		d0 := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		d1 := time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
		dv := dayView{Label: d0.Format("01-02") + " " + weekdayName(l, d0.Weekday()), ISO: d0.Format("2006-01-02")}
		for k < len(slots) && !slots[k].End.After(d0) {
			k++
		}
		for j := k; j < len(slots) && slots[j].Start.Before(d1); j++ {
			sl := slots[j]
			if len(dv.Segments) == maxDaySegments {
				dv.More++
				continue
			}
			a, b := later(sl.Start, d0), earlier(sl.End, d1)
			seg := segmentView{From: a.In(loc).Format("15:04"), To: b.In(loc).Format("15:04"), Override: sl.Override != ""}
			if b.Equal(d1) {
				seg.To = "24:00"
			}
			if len(sl.People) == 0 {
				seg.Gap, seg.Warn, seg.People = true, t.Critical, T(l, "roster.nobody")
			} else {
				seg.People = snap.names(sl.People)
			}
			dv.Segments = append(dv.Segments, seg)
		}
		out = append(out, dv)
	}
	return out
}

// rosterHandover records a handover note from the roster page. The change
// of duty is the one the form was drawn for (its hidden "at"); the people
// are computed again here, so the form cannot claim someone else's duty.
func (s *Server) rosterHandover(c *gin.Context) {
	l := lang(c)
	team := c.Param("id")
	req := handoverRequest{At: strings.TrimSpace(c.PostForm("at")), Note: strings.TrimSpace(c.PostForm("note"))}
	st := formState{Which: "handover-" + team, Values: postedValues(c)}
	err := validation().check(&req, l)
	if err == nil {
		_, err = s.writeHandover(c.Request.Context(), principal(c), team, req, l)
	}
	if err != nil {
		status := statusOf(err)
		if status != http.StatusBadRequest {
			s.pageError(c, status, err)
			return
		}
		st.Errors = fieldMessages(l, err)
		st.Problem = T(l, "form.fix_fields")
		s.renderRoster(c, status, st)
		return
	}
	c.Redirect(http.StatusSeeOther, "/roster#team-"+url.PathEscape(team))
}
