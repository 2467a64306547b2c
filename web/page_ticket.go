package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// ticketPage is the data of an incident's page.
type ticketPage struct {
	common
	Inc          *incident.Incident
	New          bool
	LevelName    string
	StageName    string
	CategoryName string
	Steps        []stepView
	Ended        string
	Facts        []factView
	PlanApproval string
	Assignees    []assigneeView
	Work         workView
	Review       []factView
	Rejection    []factView
	Timeline     []entryView
	Forms        []formView
	Problem      string
	Delivery     deliveryBadge
	ShareURL     string // apply for shared access to this incident
}

type stepView struct {
	N         int
	Name      string
	State     string // done, current, todo
	StateText string
	At        string
	Current   bool
}

type factView struct{ Label, Value, Link string }

type assigneeView struct{ Kind, Name, Contact string }

type entryView struct {
	Task    string
	Kind    string
	When    string
	WhenISO string
	Who     string
	What    string
	FromTo  string
	Reason  string
	Note    string
	Changes []changeView
}

type changeView struct{ Field, Before, After string }

// The forms of the ticket page, by the value of their hidden "form" field.
const (
	formForward = "forward"
	formBack    = "back"
	formReject  = "reject"
	formReopen  = "reopen"
	formLevel   = "level"
)

func (s *Server) ticket(c *gin.Context) {
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	s.renderTicket(c, http.StatusOK, inc, formState{})
}

// ticketTransition moves an incident from one of the ticket page's forms.
// It reads the form into the API's transitionRequest and applies the same
// checks as the API; a refusal draws the page again with the form's values
// and the reasons.
func (s *Server) ticketTransition(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	which := c.PostForm("form")
	if !slices.Contains([]string{formForward, formBack, formReject, formReopen}, which) {
		which = formForward
	}
	req := transitionRequest{
		To: c.PostForm("to"), Version: formVersion(c), Reason: c.PostForm("reason"), Note: c.PostForm("note"),
		Level: c.PostForm("level"), Category: c.PostForm("category"), Scope: c.PostForm("scope"),
		Nature: c.PostForm("nature"), AssessmentNote: c.PostForm("assessment_note"), Measures: c.PostForm("measures"),
		Assignees:     parseAssignees(c.PostForm("assignees"), c.PostForm("assignee_kind")),
		ReviewSummary: c.PostForm("review_summary"), RootCause: c.PostForm("root_cause"), Lessons: c.PostForm("lessons"),
		RejectReason: c.PostForm("reject_reason"), RejectNote: c.PostForm("reject_note"), DuplicateOf: strings.TrimSpace(c.PostForm("duplicate_of")),
	}
	st := formState{Which: which, Values: postedValues(c)}
	if err := validation().check(&req, l); err != nil {
		s.ticketFailed(c, inc, st, err)
		return
	}
	if !access.CanTransition(p, inc, incident.Stage(req.To)) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	if _, err := s.incidents.TransitionLoaded(c.Request.Context(), inc, req.input(), actor(p)); err != nil {
		s.ticketFailed(c, inc, st, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Number)
}

// ticketLevel changes an incident's level from the ticket page.
func (s *Server) ticketLevel(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	req := levelRequest{Level: c.PostForm("level"), Version: formVersion(c), Reason: c.PostForm("reason")}
	st := formState{Which: formLevel, Values: postedValues(c)}
	if err := validation().check(&req, l); err != nil {
		s.ticketFailed(c, inc, st, err)
		return
	}
	if !access.CanChangeLevel(p, inc) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	if _, err := s.incidents.ChangeLevelLoaded(c.Request.Context(), inc, req.Version, incident.Level(req.Level), req.Reason, actor(p)); err != nil {
		s.ticketFailed(c, inc, st, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Number)
}

// ticketFailed explains a refused change on the ticket page: the missing
// entry conditions (422), the fields at fault (400), a concurrent change
// (409, with the page showing the incident as it is now). Other errors get
// the error page.
func (s *Server) ticketFailed(c *gin.Context, inc *incident.Incident, st formState, err error) {
	l := lang(c)
	status := statusOf(err)
	var blocked *incident.BlockedError
	switch {
	case errors.As(err, &blocked):
		st.Problem = T(l, "ticket.blocked", stageName(l, blocked.To))
		for _, m := range blocked.Missing {
			st.Missing = append(st.Missing, msg(l, m.EN, m.ZH))
		}
	case status == http.StatusBadRequest:
		st.Errors = fieldMessages(l, err)
		st.Problem = T(l, "form.fix_fields")
		if len(st.Errors) == 0 {
			st.Problem = errorText(l, status, err)
		}
	case errors.Is(err, incident.ErrConflict):
		st.Problem = T(l, "ticket.conflict")
		if fresh, ferr := s.viewable(c, inc.ID); ferr == nil {
			inc = fresh
		}
	case errors.Is(err, incident.ErrNotAllowed):
		st.Problem = T(l, "ticket.not_allowed")
	default:
		s.pageError(c, status, err)
		return
	}
	s.renderTicket(c, status, inc, st)
}

// formVersion reads the hidden version field; a missing or malformed one
// is 0, which validation refuses.
func formVersion(c *gin.Context) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(c.PostForm("version")), 10, 64)
	return v
}

// postedValues are the posted form fields, to draw a refused form again.
func postedValues(c *gin.Context) map[string]string {
	_ = c.Request.ParseForm()
	out := map[string]string{}
	for k, v := range c.Request.PostForm {
		if k != CSRFField && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// assigneeKinds maps the prefixes accepted in the assignees box, in both
// languages, to the kinds the domain knows.
var assigneeKinds = map[string]string{
	"team": "team", "person": "person", "vendor": "vendor",
	"团队": "team", "人员": "person", "个人": "person", "厂商": "vendor", "外部单位": "vendor", "供应商": "vendor",
}

// parseAssignees reads one assignee per line: "team: Network group",
// "person: Li Lei", "vendor: Acme" (or 团队/人员/厂商 with either colon);
// a line without a known prefix is of defaultKind.
func parseAssignees(text, defaultKind string) []assigneeJSON {
	if _, ok := assigneeKinds[defaultKind]; !ok {
		defaultKind = "team"
	}
	var out []assigneeJSON
	for _, ln := range lines(text) {
		kind, name := defaultKind, ln
		if i := strings.IndexAny(ln, ":："); i > 0 {
			if k, ok := assigneeKinds[strings.ToLower(strings.TrimSpace(ln[:i]))]; ok {
				kind = k
				name = strings.TrimSpace(strings.TrimLeft(ln[i:], ":："))
			}
		}
		out = append(out, assigneeJSON{Kind: kind, Name: name})
	}
	return out
}

func (s *Server) renderTicket(c *gin.Context, status int, inc *incident.Incident, st formState) {
	l := lang(c)
	p := principal(c)
	c.Set(ctxHere, "/incidents/"+inc.Number)
	v := ticketPage{
		common: s.common(c, inc.Number+" "+inc.Title, "incidents"), Inc: inc,
		New:       c.Request.Method == http.MethodGet && c.Query("new") == "1",
		LevelName: levelName(l, inc.Level), StageName: stageName(l, inc.Stage), CategoryName: categoryName(l, inc.Category),
	}
	v.Steps = steps(l, inc)
	if s.share != nil && access.CanRequestShare(p) {
		v.ShareURL = "/sharing/apply?incident=" + url.QueryEscape(inc.Number)
	}
	v.Delivery = s.deliveryBadgeOf(l, p, inc.Number)
	switch inc.Stage {
	case incident.Closed:
		at := ""
		if t, ok := inc.StageEnteredAt[incident.Closed]; ok {
			at = fmtTime(t)
		}
		v.Ended = T(l, "ticket.closed_banner", at)
	case incident.Rejected:
		v.Ended = T(l, "ticket.rejected_banner", rejectReasonName(l, inc.Rejection.Reason))
	}
	v.Facts = facts(l, inc)
	if a := inc.Plan.ApprovedBy; a != nil {
		at := ""
		if inc.Plan.ApprovedAt != nil {
			at = fmtTime(*inc.Plan.ApprovedAt)
		}
		v.PlanApproval = T(l, "ticket.plan_approved", a.Name, at)
	}
	for _, a := range inc.Assignees {
		v.Assignees = append(v.Assignees, assigneeView{Kind: tOr(l, "assignee."+a.Kind, a.Kind), Name: a.Name, Contact: a.Contact})
	}
	v.Work = s.workOf(c, l, p, inc, st)
	if r := inc.Review; r.Summary != "" || r.RootCause != "" || r.Lessons != "" || r.SignedOffBy != nil {
		for _, f := range []struct{ key, val string }{{"field.review_summary", r.Summary}, {"field.root_cause", r.RootCause}, {"field.lessons", r.Lessons}} {
			if f.val != "" {
				v.Review = append(v.Review, factView{Label: T(l, f.key), Value: f.val})
			}
		}
		if r.SignedOffBy != nil {
			at := ""
			if r.SignedOffAt != nil {
				at = fmtTime(*r.SignedOffAt)
			}
			v.Review = append(v.Review, factView{Label: T(l, "ticket.signed_off"), Value: r.SignedOffBy.Name + " · " + at})
		}
	}
	if rj := inc.Rejection; rj.Reason != "" {
		v.Rejection = append(v.Rejection, factView{Label: T(l, "field.reject_reason"), Value: rejectReasonName(l, rj.Reason)})
		if rj.DuplicateOf != "" {
			v.Rejection = append(v.Rejection, factView{Label: T(l, "field.duplicate_of"), Value: rj.DuplicateOf, Link: "/incidents/" + rj.DuplicateOf})
		}
		if rj.Note != "" {
			v.Rejection = append(v.Rejection, factView{Label: T(l, "field.reject_note"), Value: rj.Note})
		}
	}
	for _, e := range inc.Timeline {
		v.Timeline = append(v.Timeline, entryOf(l, e))
	}
	v.Forms = s.ticketForms(c, l, p, inc, st)
	v.Forms = append(v.Forms, restrictForm(c, l, p, inc, st)...)
	// A refusal whose form is no longer offered (the incident moved on) is
	// shown at the top, so it is not lost.
	if st.Which != "" && !slices.ContainsFunc(v.Forms, func(f formView) bool { return f.ID == st.Which }) && !v.Work.shows(st.Which) {
		v.Problem = strings.TrimSpace(st.Problem + " " + strings.Join(st.Missing, "; "))
	}
	s.render(c, status, "incident", v)
}

// steps is the six-step progress indicator.
func steps(l string, inc *incident.Incident) []stepView {
	cur := -1
	for i, st := range incident.WorkingStages() {
		if st.Stage == inc.Stage {
			cur = i
		}
	}
	var out []stepView
	for i, st := range incident.WorkingStages() {
		sv := stepView{N: i + 1, Name: msg(l, st.NameEN, st.NameZH), State: "todo"}
		_, entered := inc.StageEnteredAt[st.Stage]
		switch {
		case inc.Stage == incident.Closed, cur >= 0 && i < cur, cur < 0 && entered:
			sv.State = "done"
		case i == cur:
			sv.State, sv.Current = "current", true
		}
		if t, ok := inc.StageEnteredAt[st.Stage]; ok && sv.State != "todo" {
			sv.At = fmtTime(t)
		}
		sv.StateText = T(l, "step."+sv.State)
		out = append(out, sv)
	}
	return out
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func facts(l string, inc *incident.Incident) []factView {
	suggested := T(l, "choice.not_sure")
	if inc.SuggestedLevel != "" {
		suggested = levelName(l, inc.SuggestedLevel)
	}
	level := levelName(l, inc.Level) + " · " + T(l, "ticket.unconfirmed")
	if inc.LevelConfirmed {
		level = levelName(l, inc.Level) + " · " + T(l, "ticket.confirmed")
	}
	occurred := "—"
	if inc.OccurredAt != nil {
		occurred = fmtTime(*inc.OccurredAt)
	}
	scope, nature := "—", "—"
	if inc.Scope != "" {
		scope = scopeName(l, inc.Scope)
	}
	if inc.Nature != "" {
		nature = natureName(l, inc.Nature)
	}
	return []factView{
		{Label: T(l, "ticket.level"), Value: level},
		{Label: T(l, "field.suggested_level"), Value: suggested},
		{Label: T(l, "field.category"), Value: categoryName(l, inc.Category)},
		{Label: T(l, "field.scope"), Value: scope},
		{Label: T(l, "field.nature"), Value: nature},
		{Label: T(l, "ticket.reporter"), Value: inc.Reporter.Name},
		{Label: T(l, "ticket.reported_at"), Value: fmtTime(inc.CreatedAt)},
		{Label: T(l, "field.occurred_at"), Value: occurred},
		{Label: T(l, "ticket.updated_at"), Value: fmtTime(inc.UpdatedAt)},
		{Label: T(l, "ticket.source"), Value: dash(tOr(l, "source."+inc.Source, inc.Source))},
		{Label: T(l, "ticket.occurrences"), Value: strconv.Itoa(inc.Occurrences)},
	}
}

// entryOf is one timeline line in language l: who, when, what, from what
// to what, why, and each field's change.
func entryOf(l string, e incident.Entry) entryView {
	ev := entryView{Task: e.Task, Kind: string(e.Kind), When: fmtTime(e.At), WhenISO: e.At.UTC().Format("2006-01-02T15:04:05Z07:00"),
		Who: e.Actor.Name, What: T(l, "tl."+string(e.Kind)), Reason: e.Reason, Note: e.Note}
	switch e.Kind {
	case incident.EntryStage, incident.EntryReported:
		if e.From != "" {
			ev.FromTo = stageName(l, incident.Stage(e.From)) + " → " + stageName(l, incident.Stage(e.To))
		} else if e.To != "" {
			ev.FromTo = "→ " + stageName(l, incident.Stage(e.To))
		}
	case incident.EntryLevel:
		ev.FromTo = levelName(l, incident.Level(e.From)) + " → " + levelName(l, incident.Level(e.To))
	case incident.EntryTaskStatus:
		ev.FromTo = tOr(l, "task."+e.From, e.From) + " → " + tOr(l, "task."+e.To, e.To)
	case incident.EntryTaskAssigned, incident.EntryTaskMoved:
		ev.FromTo = dash(e.From) + " → " + e.To
	case incident.EntryTaskAccepted, incident.EntryRunbook:
		ev.FromTo = e.To
	case incident.EntryTaskDeclined:
		ev.FromTo = e.From
	case incident.EntryPlanApproved, incident.EntryPlanRejected, incident.EntryPlanReturned, incident.EntryPlanWithdrawn:
		ev.FromTo = tOr(l, "work.approval_state_"+e.From, e.From)
		if e.To != "" {
			ev.FromTo += " → " + tOr(l, "work.approval_state_"+e.To, e.To)
		}
	}
	for _, ch := range e.Changes {
		ev.Changes = append(ev.Changes, changeView{Field: fieldLabel(l, ch.Field),
			Before: dash(fieldValue(l, ch.Field, ch.Before)), After: dash(fieldValue(l, ch.Field, ch.After))})
	}
	return ev
}

// fieldLabel names a field of the API in language l.
func fieldLabel(l, name string) string {
	if _, ok := catalog["field."+name]; ok {
		return T(l, "field."+name)
	}
	return name
}

// fieldValue shows a coded value (level, category…) by its name.
func fieldValue(l, name, v string) string {
	if v == "" {
		return ""
	}
	switch name {
	case "level", "suggested_level":
		return levelName(l, incident.Level(v))
	case "category":
		return categoryName(l, incident.Category(v))
	case "scope":
		return scopeName(l, incident.Scope(v))
	case "nature":
		return natureName(l, incident.Nature(v))
	case "reject_reason":
		return rejectReasonName(l, incident.RejectReason(v))
	}
	return v
}

// ticketForms are the actions the caller may take on inc now: move to the
// next stage (asking for exactly that stage's fields), change the level, go
// back, reject, reopen.
func (s *Server) ticketForms(c *gin.Context, l string, p access.Principal, inc *incident.Incident, st formState) []formView {
	var out []formView
	action := "/incidents/" + inc.Number + "/transition"
	csrf := csrfInput(csrfToken(c))
	version := strconv.FormatInt(inc.Version, 10)
	hidden := func(form string, to incident.Stage) []hiddenField {
		h := []hiddenField{{"form", form}, {"version", version}}
		if to != "" {
			h = append(h, hiddenField{"to", string(to)})
		}
		return h
	}
	val := func(form, name, def string) string { return st.value(form, name, def) }

	if next := inc.Stage.Next(); inc.Stage.Open() && next != "" && access.CanTransition(p, inc, next) {
		f := formView{ID: formForward, Action: action, CSRF: csrf, Hidden: hidden(formForward, next),
			Title:  T(l, "ticket.move_to", stageName(l, next)),
			Intro:  T(l, "ticket.conditions_intro", stageName(l, next)),
			Submit: T(l, "ticket.move_submit", stageName(l, next))}
		missing := incident.Missing(inc, next)
		for _, cond := range incident.EntryConditions(next) {
			// An unmet condition is shown as Missing explains it: which
			// tasks hold the move up, where the approval stands.
			i := slices.IndexFunc(missing, func(m incident.Condition) bool { return m.Code == cond.Code })
			if i >= 0 {
				cond = missing[i]
			}
			f.Conditions = append(f.Conditions, condView{Text: msg(l, cond.EN, cond.ZH), Met: i < 0})
		}
		switch next {
		case incident.Confirm:
			def := inc.SuggestedLevel
			if inc.LevelConfirmed {
				def = inc.Level
			}
			f.add(field{Name: "level", Kind: "radio", Label: T(l, "field.level"), Required: true,
				Options: levelOptions(l, incident.Level(val(formForward, "level", string(def))), false)})
			f.add(field{Name: "category", Kind: "select", Label: T(l, "field.category"), Required: true,
				Options: categoryOptions(l, incident.Category(val(formForward, "category", string(inc.Category))), T(l, "choice.choose"))})
			f.add(field{Name: "scope", Kind: "radio", Label: T(l, "field.scope"), Required: true,
				Options: scopeOptions(l, incident.Scope(val(formForward, "scope", string(inc.Scope))), false)})
			f.add(field{Name: "nature", Kind: "select", Label: T(l, "field.nature"),
				Options: natureOptions(l, incident.Nature(val(formForward, "nature", string(inc.Nature))))})
			f.add(field{Name: "assessment_note", Kind: "textarea", Rows: 4, Label: T(l, "field.assessment_note"),
				Help: T(l, "ticket.assessment_help"), Required: true, MaxLen: incident.MaxNote,
				Value: val(formForward, "assessment_note", inc.AssessmentNote)})
		case incident.Plan:
			f.add(field{Name: "measures", Kind: "textarea", Rows: 5, Label: T(l, "field.measures"), Help: T(l, "ticket.measures_help"),
				MaxLen: incident.MaxNote, Value: val(formForward, "measures", inc.Plan.Measures)})
		case incident.Dispatch:
			f.add(field{Name: "measures", Kind: "textarea", Rows: 5, Label: T(l, "field.measures"), Help: T(l, "ticket.measures_help"),
				MaxLen: incident.MaxNote, Value: val(formForward, "measures", inc.Plan.Measures)})
			addAssigneeFields(&f, l, val)
		case incident.Handle:
			addAssigneeFields(&f, l, val)
		case incident.Closed:
			f.add(field{Name: "review_summary", Kind: "textarea", Rows: 4, Label: T(l, "field.review_summary"), Required: true,
				MaxLen: incident.MaxNote, Value: val(formForward, "review_summary", inc.Review.Summary)})
			f.add(field{Name: "root_cause", Kind: "textarea", Rows: 3, Label: T(l, "field.root_cause"), Required: true,
				MaxLen: incident.MaxNote, Value: val(formForward, "root_cause", inc.Review.RootCause)})
			f.add(field{Name: "lessons", Kind: "textarea", Rows: 3, Label: T(l, "field.lessons"), Required: true,
				MaxLen: incident.MaxNote, Value: val(formForward, "lessons", inc.Review.Lessons)})
		}
		f.add(field{Name: "note", Kind: "textarea", Rows: 2, Label: T(l, "field.note"), Help: T(l, "ticket.note_help"),
			MaxLen: incident.MaxNote, Value: val(formForward, "note", "")})
		st.apply(&f)
		out = append(out, f)
	}

	if inc.Stage.Open() && access.CanChangeLevel(p, inc) {
		f := formView{ID: formLevel, Action: "/incidents/" + inc.Number + "/level", CSRF: csrf, Hidden: hidden(formLevel, ""),
			Title: T(l, "ticket.change_level"), Intro: T(l, "ticket.change_level_intro"), Submit: T(l, "ticket.change_level_submit")}
		sel := val(formLevel, "level", "")
		opts := []option{{Value: "", Label: T(l, "choice.choose"), Selected: sel == ""}}
		for _, li := range incident.Levels() {
			if li.Level != inc.Level {
				opts = append(opts, option{Value: string(li.Level), Label: msg(l, li.NameEN, li.NameZH), Selected: string(li.Level) == sel})
			}
		}
		f.add(field{Name: "level", Kind: "select", Label: T(l, "field.new_level"), Required: true, Options: opts})
		f.add(field{Name: "reason", Kind: "textarea", Rows: 2, Label: T(l, "field.reason"), Required: true, MaxLen: 2000,
			Value: val(formLevel, "reason", "")})
		st.apply(&f)
		out = append(out, f)
	}

	if inc.Stage.Open() {
		sel := val(formBack, "to", "")
		opts := []option{{Value: "", Label: T(l, "choice.choose"), Selected: sel == ""}}
		for _, si := range incident.WorkingStages() {
			if si.Stage == inc.Stage {
				break
			}
			if access.CanTransition(p, inc, si.Stage) {
				opts = append(opts, option{Value: string(si.Stage), Label: msg(l, si.NameEN, si.NameZH), Selected: string(si.Stage) == sel})
			}
		}
		if len(opts) > 1 {
			f := formView{ID: formBack, Action: action, CSRF: csrf, Hidden: hidden(formBack, ""),
				Title: T(l, "ticket.go_back"), Intro: T(l, "ticket.go_back_intro"), Submit: T(l, "ticket.go_back_submit")}
			f.add(field{Name: "to", Kind: "select", Label: T(l, "field.back_to"), Required: true, Options: opts})
			f.add(field{Name: "reason", Kind: "textarea", Rows: 2, Label: T(l, "field.reason"), Required: true, MaxLen: 2000,
				Value: val(formBack, "reason", "")})
			st.apply(&f)
			out = append(out, f)
		}
	}

	if (inc.Stage == incident.Receive || inc.Stage == incident.Confirm) && access.CanTransition(p, inc, incident.Rejected) {
		f := formView{ID: formReject, Action: action, CSRF: csrf, Hidden: hidden(formReject, incident.Rejected), Danger: true,
			Title: T(l, "ticket.reject"), Intro: T(l, "ticket.reject_intro"), Submit: T(l, "ticket.reject_submit")}
		sel := incident.RejectReason(val(formReject, "reject_reason", ""))
		var opts []option
		for _, r := range []incident.RejectReason{incident.FalsePositive, incident.Duplicate} {
			opts = append(opts, option{Value: string(r), Label: rejectReasonName(l, r), Hint: T(l, "reject."+string(r)+".hint"), Selected: r == sel})
		}
		f.add(field{Name: "reject_reason", Kind: "radio", Label: T(l, "field.reject_reason"), Required: true, Options: opts})
		f.add(field{Name: "duplicate_of", Kind: "text", Label: T(l, "field.duplicate_of"), Help: T(l, "ticket.duplicate_help"),
			MaxLen: 64, Value: val(formReject, "duplicate_of", "")})
		f.add(field{Name: "reject_note", Kind: "textarea", Rows: 2, Label: T(l, "field.reject_note"), MaxLen: incident.MaxNote,
			Value: val(formReject, "reject_note", "")})
		st.apply(&f)
		out = append(out, f)
	}

	reopenTo := map[incident.Stage]incident.Stage{incident.Closed: incident.Review, incident.Rejected: incident.Receive}[inc.Stage]
	if reopenTo != "" && access.CanTransition(p, inc, reopenTo) {
		f := formView{ID: formReopen, Action: action, CSRF: csrf, Hidden: hidden(formReopen, reopenTo),
			Title: T(l, "ticket.reopen"), Intro: T(l, "ticket.reopen_intro", stageName(l, reopenTo)), Submit: T(l, "ticket.reopen_submit")}
		f.add(field{Name: "reason", Kind: "textarea", Rows: 2, Label: T(l, "field.reason"), Required: true, MaxLen: 2000,
			Value: val(formReopen, "reason", "")})
		st.apply(&f)
		out = append(out, f)
	}
	return out
}

func addAssigneeFields(f *formView, l string, val func(form, name, def string) string) {
	kind := val(formForward, "assignee_kind", "team")
	var opts []option
	for _, k := range []string{"team", "person", "vendor"} {
		opts = append(opts, option{Value: k, Label: T(l, "assignee."+k), Selected: k == kind})
	}
	f.add(field{Name: "assignees", Kind: "textarea", Rows: 4, Label: T(l, "field.assignees"), Help: T(l, "ticket.assignees_help"),
		Value: val(formForward, "assignees", "")})
	f.add(field{Name: "assignee_kind", Kind: "select", Label: T(l, "field.assignee_kind"), Options: opts})
}

// rejectReasonName names a rejection reason in language l.
func rejectReasonName(l string, r incident.RejectReason) string {
	if r == "" {
		return "—"
	}
	if _, ok := catalog["reject."+string(r)]; ok {
		return T(l, "reject."+string(r))
	}
	return fmt.Sprint(r)
}
