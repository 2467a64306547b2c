package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// The application form: apply for access, or ask for emergency access,
// and correct a request that was returned. The same form serves both;
// what is posted is kept when it is refused, with each message next to
// its field in the caller's language.

// shareState is what a sharing form shows: the values (several for the
// check boxes), the messages by field, and a message for the whole form.
type shareState struct {
	Values  url.Values
	Errors  map[string]string
	Problem string
}

func (st shareState) get(name string) string { return st.Values.Get(name) }

// has reports whether the check box name has value v.
func (st shareState) has(name, v string) bool { return slices.Contains(st.Values[name], v) }

// sharingApplyPage is the application form (new or a correction).
type sharingApplyPage struct {
	common
	Form   formView
	Grant  *grantSummary // the returned request being corrected
	Notice string        // e.g. "continuing emergency grant SG-…"
}

// grantSummary is what the correction form recalls of the request: the
// decider's comment above all.
type grantSummary struct {
	ID, Status, Comment, By, At string
}

func (s *Server) shareApplyForm(c *gin.Context) {
	l := lang(c)
	st := shareState{Values: url.Values{"kind": {string(share.Application)}, "from": {dateValue(s.now())}}}
	notice := ""
	if inc := strings.TrimSpace(c.Query("incident")); inc != "" {
		st.Values.Set("incidents", inc)
	}
	if id := strings.TrimSpace(c.Query("from")); id != "" {
		g, _, err := s.seeGrant(c, id)
		if err != nil {
			s.sharePageError(c, err)
			return
		}
		st.Values = grantValues(g, s.now())
		st.Values.Set("kind", string(share.Application))
		st.Values.Set("until", "")
		if g.Kind == share.Emergency {
			notice = T(l, "share.continue_emergency", g.ID)
		}
	}
	s.renderApply(c, http.StatusOK, sharingApplyPage{Notice: notice}, "/sharing/apply", st)
}

// grantValues are a grant's request as form values.
func grantValues(g *share.Grant, now time.Time) url.Values {
	v := url.Values{"kind": {string(g.Kind)}, "purpose": {g.Purpose}, "incidents": {strings.Join(g.Scope.Incidents, "\n")},
		"from": {dateValue(g.From)}, "until": {dateValue(g.Until)}, "version": {strconv.FormatInt(g.Version, 10)}}
	if g.From.Before(now) {
		v.Set("from", dateValue(now))
	}
	for _, x := range g.Scope.Sections {
		if x != share.Overview {
			v.Add("sections", string(x))
		}
	}
	for _, x := range g.Scope.Reveal {
		v.Add("reveal", string(x))
	}
	if g.Scope.Copies {
		v.Set("copies", "on")
	}
	if g.RatePerHour > 0 {
		v.Set("rate_per_hour", strconv.Itoa(g.RatePerHour))
	}
	return v
}

func (s *Server) shareApplySubmit(c *gin.Context) {
	req, st, err := s.readShareRequest(c)
	if err == nil {
		var g *share.Grant
		if g, err = s.share.Submit(c.Request.Context(), req, party(c)); err == nil {
			s.log.Info("share request submitted", "grant", g.ID, "kind", string(g.Kind), "by", principal(c).UserID)
			c.Redirect(http.StatusSeeOther, "/sharing/grants/"+g.ID)
			return
		}
	}
	s.applyFailed(c, sharingApplyPage{}, "/sharing/apply", st, err)
}

// applyFailed draws the form again with what was posted and why it was
// refused, or the error page when the fault is not the input's.
func (s *Server) applyFailed(c *gin.Context, page sharingApplyPage, action string, st shareState, err error) {
	status := shareStatus(err)
	l := lang(c)
	st.Errors = shareFieldErrors(l, err)
	switch {
	case len(st.Errors) > 0:
		st.Problem = T(l, "form.fix_fields")
	case status < 500 && status != http.StatusNotFound && status != http.StatusForbidden:
		st.Problem = shareErrorText(l, status, err)
	default:
		s.sharePageError(c, err)
		return
	}
	s.renderApply(c, status, page, action, st)
}

// shareListRE separates incident numbers: new lines, commas (also the
// Chinese ones), semicolons and blanks.
var shareListRE = regexp.MustCompile(`[\s,;，；、]+`)

// splitList splits a text box into its items, without blanks or repeats.
func splitList(s string) []string {
	var out []string
	for _, x := range shareListRE.Split(strings.TrimSpace(s), -1) {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// readShareRequest reads the application form. Dates are days: the
// grant starts at the start of the day chosen (now, when that is today)
// and ends on the day chosen at the same time of day, so that "14 days"
// and "3 years" read as they sound.
func (s *Server) readShareRequest(c *gin.Context) (share.Request, shareState, error) {
	l := lang(c)
	_ = c.Request.ParseForm()
	st := shareState{Values: url.Values{}}
	for k, v := range c.Request.PostForm {
		if k != CSRFField {
			st.Values[k] = v
		}
	}
	req := share.Request{Kind: share.Kind(c.PostForm("kind")), Purpose: strings.TrimSpace(c.PostForm("purpose")),
		Incidents: splitList(strings.ToUpper(c.PostForm("incidents"))), Copies: c.PostForm("copies") != ""}
	for _, x := range c.PostFormArray("sections") {
		req.Sections = append(req.Sections, share.Section(x))
	}
	if !slices.Contains(req.Sections, share.Overview) {
		req.Sections = append([]share.Section{share.Overview}, req.Sections...)
	}
	for _, x := range c.PostFormArray("reveal") {
		req.Reveal = append(req.Reveal, share.Class(x))
	}
	// The form's own faults are what the service cannot see: a date or
	// a number that does not read. The rest is the service's to check.
	bad := fieldErrors{}
	now := s.now()
	from, ok := parseDay(c.PostForm("from"))
	switch {
	case c.PostForm("from") == "":
		from = now
	case !ok:
		bad["from"] = msg(l, "must be a date like 2026-03-31", "必须是日期，如 2026-03-31")
	case from.Before(now):
		from = now
	}
	until, ok := parseDay(c.PostForm("until"))
	switch {
	case c.PostForm("until") == "":
		bad["until"] = msg(l, "choose the last day of the access", "请选择授权的截止日期")
	case !ok:
		bad["until"] = msg(l, "must be a date like 2026-03-31", "必须是日期，如 2026-03-31")
	default:
		until = time.Date(until.Year(), until.Month(), until.Day(), from.Hour(), from.Minute(), from.Second(), 0, time.Local)
	}
	if r := strings.TrimSpace(c.PostForm("rate_per_hour")); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil || n < 0 {
			bad["rate_per_hour"] = msg(l, "must be a whole number of accesses per hour", "必须是每小时访问次数（整数）")
		}
		req.RatePerHour = n
	}
	req.From, req.Until = from, until
	if len(bad) == 0 {
		return req, st, nil
	}
	// Say everything at once: the service's messages for the fields the
	// form could read.
	var invalid *incident.InvalidError
	if errors.As(share.ValidateRequest(req, now), &invalid) {
		for k, m := range invalid.Fields {
			if _, dup := bad[shareField(k)]; !dup {
				bad[shareField(k)] = msg(l, m.EN, m.ZH)
			}
		}
	}
	return req, st, bad
}

// parseDay reads a date input (YYYY-MM-DD) as the start of that day in
// the server's zone.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), time.Local)
	return t, err == nil
}

// renderApply draws the application form with st.
func (s *Server) renderApply(c *gin.Context, status int, page sharingApplyPage, action string, st shareState) {
	l := lang(c)
	title := T(l, "share.apply_title")
	submit := T(l, "share.apply_submit")
	if page.Grant != nil {
		title, submit = T(l, "share.edit_title", page.Grant.ID), T(l, "share.resubmit")
	}
	c.Set(ctxHere, action)
	f := formView{ID: "apply", Action: action, Submit: submit, CSRF: csrfInput(csrfToken(c)), Error: st.Problem}
	if v := st.get("version"); v != "" {
		f.Hidden = append(f.Hidden, hiddenField{Name: "version", Value: v})
	}
	kinds := []option{
		{Value: string(share.Application), Label: T(l, "share.kind.application"), Hint: T(l, "share.kind.application.hint"),
			Selected: st.get("kind") == string(share.Application)},
		{Value: string(share.Emergency), Label: T(l, "share.kind.emergency"), Hint: T(l, "share.kind.emergency.hint"),
			Selected: st.get("kind") == string(share.Emergency)},
	}
	f.add(field{Name: "kind", Kind: "radio", Label: T(l, "share.field.kind"), Required: true, Options: kinds})
	f.add(field{Name: "purpose", Kind: "textarea", Rows: 4, Label: T(l, "share.field.purpose"), Help: T(l, "share.help.purpose"),
		Required: true, MaxLen: share.MaxPurpose, Value: st.get("purpose")})
	f.add(field{Name: "incidents", Kind: "textarea", Rows: 3, Label: T(l, "share.field.incidents"),
		Help: T(l, "share.help.incidents", share.MaxIncidents), Required: true, Value: st.get("incidents")})
	var sections []option
	for _, x := range share.Sections() {
		if x == share.Overview {
			continue
		}
		sections = append(sections, option{Value: string(x), Label: sectionName(l, x), Selected: st.has("sections", string(x))})
	}
	f.add(field{Name: "sections", Kind: "checks", Label: T(l, "share.field.sections"), Help: T(l, "share.help.sections"), Options: sections})
	var classes []option
	for _, x := range share.Classes() {
		classes = append(classes, option{Value: string(x), Label: className(l, x), Selected: st.has("reveal", string(x))})
	}
	f.add(field{Name: "reveal", Kind: "checks", Label: T(l, "share.field.reveal"), Help: T(l, "share.help.reveal"), Options: classes})
	f.add(field{Name: "copies", Kind: "checkbox", Label: T(l, "share.field.copies"), Help: T(l, "share.help.copies"), Value: st.get("copies")})
	f.add(field{Name: "from", Kind: "date", Label: T(l, "share.field.from"), Help: T(l, "share.help.from"), Value: st.get("from")})
	f.add(field{Name: "until", Kind: "date", Label: T(l, "share.field.until"), Required: true,
		Help: T(l, "share.help.until", share.MaxApplicationYears, int(share.MaxEmergency/(24*time.Hour))), Value: st.get("until")})
	f.add(field{Name: "rate_per_hour", Kind: "number", Label: T(l, "share.field.rate"), Help: T(l, "share.help.rate", share.DefaultRate, share.MaxRate),
		Value: st.get("rate_per_hour")})
	for i := range f.Fields {
		f.Fields[i].Error = st.Errors[f.Fields[i].Name]
	}
	for name, m := range st.Errors {
		if !f.has(name) {
			f.Error += " " + m
		}
	}
	f.Error = strings.TrimSpace(f.Error)
	page.common = s.common(c, title, "sharing")
	page.Form = f
	s.render(c, status, "sharing_apply", page)
}

// grantEditForm is GET /sharing/grants/:id/edit: the correction form of a
// returned request, for its requester.
func (s *Server) grantEditForm(c *gin.Context) {
	g, ok := s.editableGrant(c)
	if !ok {
		return
	}
	st := shareState{Values: grantValues(g, s.now())}
	s.renderApply(c, http.StatusOK, sharingApplyPage{Grant: summaryOf(lang(c), g)}, "/sharing/grants/"+g.ID+"/edit", st)
}

// grantEditSubmit resubmits a corrected request.
func (s *Server) grantEditSubmit(c *gin.Context) {
	g, ok := s.editableGrant(c)
	if !ok {
		return
	}
	req, st, err := s.readShareRequest(c)
	if err == nil {
		if _, err = s.share.Resubmit(c.Request.Context(), g.ID, formVersion(c), req, party(c)); err == nil {
			s.log.Info("share request resubmitted", "grant", g.ID, "by", principal(c).UserID)
			c.Redirect(http.StatusSeeOther, "/sharing/grants/"+g.ID)
			return
		}
	}
	s.applyFailed(c, sharingApplyPage{Grant: summaryOf(lang(c), g)}, "/sharing/grants/"+g.ID+"/edit", st, err)
}

// editableGrant loads the request the caller may correct: their own, sent
// back to them. Others' requests are not found (or forbidden when the
// caller may see them).
func (s *Server) editableGrant(c *gin.Context) (*share.Grant, bool) {
	g, _, err := s.seeGrant(c, c.Param("id"))
	if err != nil {
		s.sharePageError(c, err)
		return nil, false
	}
	if !access.CanWithdrawRequest(principal(c), g) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return nil, false
	}
	if g.Status != share.Returned {
		s.sharePageError(c, &share.RefusedError{EN: T("en", "share.not_returned"), ZH: T("zh", "share.not_returned")})
		return nil, false
	}
	return g, true
}

// summaryOf recalls the last return of g: who sent it back, when, why.
func summaryOf(l string, g *share.Grant) *grantSummary {
	sum := &grantSummary{ID: g.ID, Status: statusName(l, g.Status)}
	for i := len(g.History) - 1; i >= 0; i-- {
		if h := g.History[i]; h.Action == share.ActReturn {
			sum.Comment, sum.By, sum.At = h.Comment, partyName(h.By), fmtTime(h.At)
			break
		}
	}
	return sum
}
