package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// The attribute rules (属性授权): admins write them, managers and
// auditors read them. A rule admits requesters whose attributes match
// without an application.

type sharingRulesPage struct {
	common
	CanWrite bool
	Rules    []ruleRow
}

type ruleRow struct {
	ID, Name, URL, Matches, Admits, Until string
	Enabled                               bool
}

func (s *Server) ruleList(c *gin.Context) {
	l := lang(c)
	rules, err := s.share.Rules(c.Request.Context())
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	page := sharingRulesPage{common: s.common(c, T(l, "share.rules_title"), "sharing"), CanWrite: access.CanWriteShareRules(principal(c))}
	for _, r := range rules {
		row := ruleRow{ID: r.ID, Name: r.Name, URL: "/sharing/rules/" + r.ID + "/edit", Enabled: r.Enabled,
			Matches: ruleMatches(l, r), Admits: sectionsText(l, withOverview(r.Sections)) + " · " + T(l, "share.field.reveal") + ": " + classesText(l, r.Reveal)}
		if !r.Until.IsZero() {
			row.Until = fmtTime(r.Until)
		}
		page.Rules = append(page.Rules, row)
	}
	s.render(c, http.StatusOK, "sharing_rules", page)
}

// ruleMatches says in a line what a rule matches.
func ruleMatches(l string, r *share.Rule) string {
	var parts []string
	add := func(key string, vs []string) {
		if len(vs) > 0 {
			parts = append(parts, T(l, key)+": "+strings.Join(vs, ", "))
		}
	}
	if len(r.Categories) > 0 {
		parts = append(parts, T(l, "share.field.categories")+": "+categoriesText(l, r.Categories))
	}
	if len(r.Levels) > 0 {
		parts = append(parts, T(l, "share.field.levels")+": "+levelsText(l, r.Levels))
	}
	if r.IncludeRestricted {
		parts = append(parts, T(l, "share.field.include_restricted"))
	}
	add("share.field.organizations", r.Organizations)
	add("share.field.departments", r.Departments)
	add("share.field.roles", r.Roles)
	add("share.field.systems", r.Systems)
	add("share.field.networks", r.Networks)
	return strings.Join(parts, " · ")
}

type sharingRulePage struct {
	common
	New      bool
	CanWrite bool
	Form     formView
}

func (s *Server) ruleNew(c *gin.Context) {
	s.renderRule(c, http.StatusOK, nil, shareState{Values: url.Values{"enabled": {"on"}}})
}

func (s *Server) ruleEdit(c *gin.Context) {
	r, err := s.findRule(c, c.Param("id"))
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	s.renderRule(c, http.StatusOK, r, shareState{Values: ruleValues(r)})
}

// findRule finds rule id among the rules.
func (s *Server) findRule(c *gin.Context, id string) (*share.Rule, error) {
	rules, err := s.share.Rules(c.Request.Context())
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, share.ErrNotFound
}

// ruleValues are a rule as form values.
func ruleValues(r *share.Rule) url.Values {
	v := url.Values{"name": {r.Name}, "version": {strconv.FormatInt(r.Version, 10)},
		"organizations": {strings.Join(r.Organizations, "\n")}, "departments": {strings.Join(r.Departments, "\n")},
		"systems": {strings.Join(r.Systems, "\n")}, "networks": {strings.Join(r.Networks, "\n")}}
	if r.Enabled {
		v.Set("enabled", "on")
	}
	if r.IncludeRestricted {
		v.Set("include_restricted", "on")
	}
	if r.Copies {
		v.Set("copies", "on")
	}
	if r.RatePerHour > 0 {
		v.Set("rate_per_hour", strconv.Itoa(r.RatePerHour))
	}
	if !r.Until.IsZero() {
		v.Set("until", dateValue(r.Until))
	}
	for _, x := range r.Categories {
		v.Add("categories", string(x))
	}
	for _, x := range r.Levels {
		v.Add("levels", string(x))
	}
	v["roles"] = append([]string(nil), r.Roles...)
	for _, x := range r.Sections {
		if x != share.Overview {
			v.Add("sections", string(x))
		}
	}
	for _, x := range r.Reveal {
		v.Add("reveal", string(x))
	}
	return v
}

func (s *Server) ruleCreate(c *gin.Context) { s.ruleSubmit(c, nil) }

func (s *Server) ruleSave(c *gin.Context) {
	r, err := s.findRule(c, c.Param("id"))
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	s.ruleSubmit(c, r)
}

// ruleSubmit saves the rule form: a new rule when old is nil, else a
// change of old at the version the form was drawn with.
func (s *Server) ruleSubmit(c *gin.Context, old *share.Rule) {
	l := lang(c)
	_ = c.Request.ParseForm()
	st := shareState{Values: url.Values{}}
	for k, v := range c.Request.PostForm {
		if k != CSRFField {
			st.Values[k] = v
		}
	}
	r := share.Rule{Name: strings.TrimSpace(c.PostForm("name")), Enabled: c.PostForm("enabled") != "",
		IncludeRestricted: c.PostForm("include_restricted") != "", Copies: c.PostForm("copies") != "",
		Organizations: lines(c.PostForm("organizations")), Departments: lines(c.PostForm("departments")),
		Roles: c.PostFormArray("roles"), Systems: lines(c.PostForm("systems")), Networks: splitList(c.PostForm("networks"))}
	if old != nil {
		r.ID, r.Version, r.CreatedBy, r.CreatedAt = old.ID, formVersion(c), old.CreatedBy, old.CreatedAt
	}
	for _, x := range c.PostFormArray("categories") {
		r.Categories = append(r.Categories, incident.Category(x))
	}
	for _, x := range c.PostFormArray("levels") {
		r.Levels = append(r.Levels, incident.Level(x))
	}
	r.Sections = []share.Section{share.Overview}
	for _, x := range c.PostFormArray("sections") {
		if share.Section(x) != share.Overview {
			r.Sections = append(r.Sections, share.Section(x))
		}
	}
	for _, x := range c.PostFormArray("reveal") {
		r.Reveal = append(r.Reveal, share.Class(x))
	}
	bad := fieldErrors{}
	if v := strings.TrimSpace(c.PostForm("rate_per_hour")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad["rate_per_hour"] = msg(l, "must be a whole number of accesses per hour", "必须是每小时访问次数（整数）")
		}
		r.RatePerHour = n
	}
	if v := strings.TrimSpace(c.PostForm("until")); v != "" {
		day, ok := parseDay(v)
		if !ok {
			bad["until"] = msg(l, "must be a date like 2026-03-31", "必须是日期，如 2026-03-31")
		}
		r.Until = day.Add(24*time.Hour - time.Second)
	}
	var err error
	if len(bad) > 0 {
		// Say everything at once: the service's messages for the fields
		// the form could read.
		var invalid *incident.InvalidError
		if errors.As(share.ValidateRule(r), &invalid) {
			for k, m := range invalid.Fields {
				if _, dup := bad[shareField(k)]; !dup {
					bad[shareField(k)] = msg(l, m.EN, m.ZH)
				}
			}
		}
		err = bad
	} else {
		var saved *share.Rule
		if saved, err = s.share.SaveRule(c.Request.Context(), r, party(c)); err == nil {
			s.log.Info("share rule saved", "rule", saved.ID, "by", principal(c).UserID)
			c.Redirect(http.StatusSeeOther, "/sharing/rules")
			return
		}
	}
	status := shareStatus(err)
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
	s.renderRule(c, status, old, st)
}

// renderRule draws the rule form: writable for admins, read-only for
// managers and auditors.
func (s *Server) renderRule(c *gin.Context, status int, r *share.Rule, st shareState) {
	l := lang(c)
	page := sharingRulePage{New: r == nil, CanWrite: access.CanWriteShareRules(principal(c))}
	title, action := T(l, "share.rule_new_title"), "/sharing/rules/new"
	if r != nil {
		title, action = T(l, "share.rule_title", r.Name), "/sharing/rules/"+r.ID+"/edit"
	}
	c.Set(ctxHere, action)
	f := formView{ID: "rule", Action: action, Submit: T(l, "share.rule_save"), CSRF: csrfInput(csrfToken(c)), Error: st.Problem}
	if v := st.get("version"); v != "" {
		f.Hidden = append(f.Hidden, hiddenField{Name: "version", Value: v})
	}
	checks := func(name string, opts []option) []option {
		for i := range opts {
			opts[i].Selected = st.has(name, opts[i].Value)
		}
		return opts
	}
	var cats, levels, roles, sections, classes []option
	for _, ci := range incident.Categories() {
		cats = append(cats, option{Value: string(ci.Category), Label: msg(l, ci.NameEN, ci.NameZH)})
	}
	for _, li := range incident.Levels() {
		levels = append(levels, option{Value: string(li.Level), Label: msg(l, li.NameEN, li.NameZH)})
	}
	for _, ro := range access.Roles() {
		ri := ro.Info()
		roles = append(roles, option{Value: string(ro), Label: msg(l, ri.NameEN, ri.NameZH)})
	}
	for _, x := range share.Sections() {
		if x != share.Overview {
			sections = append(sections, option{Value: string(x), Label: sectionName(l, x)})
		}
	}
	for _, x := range share.Classes() {
		classes = append(classes, option{Value: string(x), Label: className(l, x)})
	}
	f.add(field{Name: "name", Kind: "text", Label: T(l, "share.field.name"), Required: true, MaxLen: share.MaxName, Value: st.get("name")})
	f.add(field{Name: "enabled", Kind: "checkbox", Label: T(l, "share.field.enabled"), Value: st.get("enabled")})
	f.add(field{Name: "categories", Kind: "checks", Label: T(l, "share.field.categories"), Help: T(l, "share.help.any"), Options: checks("categories", cats)})
	f.add(field{Name: "levels", Kind: "checks", Label: T(l, "share.field.levels"), Help: T(l, "share.help.any"), Options: checks("levels", levels)})
	f.add(field{Name: "include_restricted", Kind: "checkbox", Label: T(l, "share.field.include_restricted"), Help: T(l, "share.help.include_restricted"),
		Value: st.get("include_restricted")})
	f.add(field{Name: "organizations", Kind: "textarea", Rows: 2, Label: T(l, "share.field.organizations"), Help: T(l, "share.help.one_per_line"),
		Value: st.get("organizations")})
	f.add(field{Name: "departments", Kind: "textarea", Rows: 2, Label: T(l, "share.field.departments"), Help: T(l, "share.help.one_per_line"),
		Value: st.get("departments")})
	f.add(field{Name: "roles", Kind: "checks", Label: T(l, "share.field.roles"), Help: T(l, "share.help.any"), Options: checks("roles", roles)})
	f.add(field{Name: "systems", Kind: "textarea", Rows: 2, Label: T(l, "share.field.systems"), Help: T(l, "share.help.systems"), Value: st.get("systems")})
	f.add(field{Name: "networks", Kind: "textarea", Rows: 2, Label: T(l, "share.field.networks"), Help: T(l, "share.help.networks"), Value: st.get("networks")})
	f.add(field{Name: "sections", Kind: "checks", Label: T(l, "share.field.sections"), Help: T(l, "share.help.sections"), Options: checks("sections", sections)})
	f.add(field{Name: "reveal", Kind: "checks", Label: T(l, "share.field.reveal"), Help: T(l, "share.help.reveal"), Options: checks("reveal", classes)})
	f.add(field{Name: "copies", Kind: "checkbox", Label: T(l, "share.field.copies"), Value: st.get("copies")})
	f.add(field{Name: "rate_per_hour", Kind: "number", Label: T(l, "share.field.rate"), Help: T(l, "share.help.rate", share.DefaultRate, share.MaxRate),
		Value: st.get("rate_per_hour")})
	f.add(field{Name: "until", Kind: "date", Label: T(l, "share.field.rule_until"), Help: T(l, "share.help.rule_until"), Value: st.get("until")})
	for i := range f.Fields {
		f.Fields[i].Error = st.Errors[f.Fields[i].Name]
	}
	for name, m := range st.Errors {
		if !f.has(name) {
			f.Error = strings.TrimSpace(f.Error + " " + m)
		}
	}
	page.common = s.common(c, title, "sharing")
	page.Form = f
	s.render(c, status, "sharing_rule", page)
}
