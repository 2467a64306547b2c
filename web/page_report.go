package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/incident"
)

// reportPage is the data of the report form.
type reportPage struct {
	common
	Form formView
}

func (s *Server) reportForm(c *gin.Context) {
	s.renderReport(c, http.StatusOK, formState{})
}

// reportSubmit files a report from the form. It validates through the same
// reportRequest and checker as the API, so the messages are the same.
func (s *Server) reportSubmit(c *gin.Context) {
	l := lang(c)
	occurred := strings.TrimSpace(c.PostForm("occurred_at"))
	tz := strings.TrimSpace(c.PostForm("tz_offset"))
	// Surrounding blanks mean nothing in a form, and a blank-only title or
	// description should be "required", not accepted by the validator and
	// refused one round later by the domain.
	description := c.PostForm("description")
	if strings.TrimSpace(description) == "" {
		description = ""
	}
	req := reportRequest{
		Title:          strings.TrimSpace(c.PostForm("title")),
		Description:    description,
		Category:       c.PostForm("category"),
		SuggestedLevel: c.PostForm("suggested_level"),
		Scope:          c.PostForm("scope"),
		AffectedAssets: lines(c.PostForm("affected_assets")),
		OccurredAt:     occurredAt(occurred, tz, s.now()),
		Drill:          c.PostForm("drill") != "",
	}
	st := formState{Which: "report", Values: map[string]string{
		"title": req.Title, "description": req.Description, "category": req.Category,
		"suggested_level": req.SuggestedLevel, "scope": req.Scope,
		"affected_assets": c.PostForm("affected_assets"), "occurred_at": occurred, "tz_offset": tz,
	}}
	if req.Drill {
		st.Values["drill"] = "on"
	}
	if err := validation().check(&req, l); err != nil {
		s.reportFailed(c, st, err)
		return
	}
	p := principal(c)
	res, err := s.incidents.Report(c.Request.Context(), req.input("web"), actor(p))
	if err != nil {
		s.reportFailed(c, st, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+res.Incident.Number+"?new=1")
}

// reportFailed draws the form again with the values kept and a message
// next to each field at fault, or an error page when the fault is not the
// input's.
func (s *Server) reportFailed(c *gin.Context, st formState, err error) {
	status := statusOf(err)
	if status != http.StatusBadRequest {
		s.pageError(c, status, err)
		return
	}
	l := lang(c)
	st.Errors = fieldMessages(l, err)
	st.Problem = T(l, "form.fix_fields")
	if len(st.Errors) == 0 {
		st.Problem = errorText(l, status, err)
	}
	s.renderReport(c, status, st)
}

func (s *Server) renderReport(c *gin.Context, status int, st formState) {
	l := lang(c)
	c.Set(ctxHere, "/report")
	f := formView{ID: "report", Action: "/report", Submit: T(l, "report.submit"), CSRF: csrfInput(csrfToken(c)),
		Hidden: []hiddenField{{Name: "tz_offset", Value: st.value("report", "tz_offset", "")}}}
	f.add(field{Name: "title", Kind: "text", Label: T(l, "field.title"), Help: T(l, "report.title_help"),
		Required: true, MaxLen: incident.MaxTitle, Value: st.value("report", "title", "")})
	f.add(field{Name: "description", Kind: "textarea", Rows: 8, Label: T(l, "field.description"), Help: T(l, "report.description_help"),
		Required: true, MaxLen: incident.MaxDescription, Value: st.value("report", "description", "")})
	f.add(field{Name: "category", Kind: "select", Label: T(l, "field.category"), Help: T(l, "report.category_help"),
		Options: categoryOptions(l, incident.Category(st.value("report", "category", "")), T(l, "choice.not_sure"))})
	f.add(field{Name: "suggested_level", Kind: "radio", Label: T(l, "field.suggested_level"), Help: T(l, "report.level_help"),
		Options: levelOptions(l, incident.Level(st.value("report", "suggested_level", "")), true)})
	f.add(field{Name: "scope", Kind: "radio", Label: T(l, "field.scope"), Help: T(l, "report.scope_help"),
		Options: scopeOptions(l, incident.Scope(st.value("report", "scope", "")), true)})
	f.add(field{Name: "affected_assets", Kind: "textarea", Rows: 4, Label: T(l, "field.affected_assets"), Help: T(l, "report.assets_help"),
		Value: st.value("report", "affected_assets", "")})
	f.add(field{Name: "occurred_at", Kind: "datetime-local", Label: T(l, "field.occurred_at"),
		Help: T(l, "report.occurred_help", zoneLabel(s.now())), Value: st.value("report", "occurred_at", "")})
	f.add(field{Name: "drill", Kind: "checkbox", Label: T(l, "field.drill"), Help: T(l, "report.drill_help"),
		Value: st.value("report", "drill", "")})
	st.apply(&f)
	s.render(c, status, "report", reportPage{common: s.common(c, T(l, "report.title"), "report"), Form: f})
}

// lines splits a textarea into its non-blank lines, trimmed.
func lines(s string) []string {
	var out []string
	for _, ln := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if ln = strings.TrimSpace(ln); ln != "" {
			out = append(out, ln)
		}
	}
	return out
}

// MaxTZOffset bounds tz_offset: no zone is more than 14 hours from UTC.
const MaxTZOffset = 14 * 60

// occurredAt turns a datetime-local value ("2026-03-05T14:30") into the
// RFC 3339 time the API takes. The browser states its zone in tz_offset
// (minutes east of UTC, filled by report.js); without it the server's zone
// at now applies. A value that is not a datetime-local is passed through, so
// validation reports it as the API would.
func occurredAt(v, tzOffset string, now time.Time) string {
	if v == "" {
		return ""
	}
	var t time.Time
	var err error
	loc := now.Location()
	if mins, perr := strconv.Atoi(tzOffset); perr == nil && mins >= -MaxTZOffset && mins <= MaxTZOffset {
		loc = time.FixedZone(fmt.Sprintf("UTC%+03d:%02d", mins/60, abs(mins%60)), mins*60)
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err = time.ParseInLocation(layout, v, loc); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	return v
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
