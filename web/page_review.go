package web

import (
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// reviewPage is the data of the printable review, with the forms of
// those who may change it (hidden in print).
type reviewPage struct {
	common
	R           reviewView
	TimingChart template.HTML
	Version     int64
	Problem     string
	CanWrite    bool // the report's texts and new actions: at review
	CanActions  bool // update actions: at review and after closure
	CanSignOff  bool // sign off or return: a manager, at review
	Statuses    []choice
	Form        map[string]string // posted values of a refused form
}

// reviewPage serves GET /incidents/{ref}/review: the review as a page that
// prints on A4 (print styles in review.css), in the language of ?lang=.
func (s *Server) reviewPage(c *gin.Context) {
	inc, v, ok := s.loadReview(c)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "review", s.reviewPageData(c, v, inc))
}

// reviewPageData is the page for v, the review of inc, with the forms the
// caller may use.
func (s *Server) reviewPageData(c *gin.Context, v reviewView, inc *incident.Incident) reviewPage {
	bars := make([]bar, 0, len(v.Timings))
	for _, t := range v.Timings {
		cls := "met"
		if t.Missed {
			cls = "missed"
		}
		bars = append(bars, bar{Label: t.Name, Value: t.Ratio, Text: t.Took + " / " + t.Deadline, Class: cls})
	}
	p := principal(c)
	pg := reviewPage{
		common:      s.common(c, T(v.Lang, "review.title")+" "+v.Number, ""),
		R:           v,
		TimingChart: durationChart(T(v.Lang, "review.timings"), bars, T(v.Lang, "review.deadline")),
		Version:     inc.Version,
		CanWrite:    inc.Stage == incident.Review && access.CanWriteReview(p, inc),
		CanActions:  (inc.Stage == incident.Review || inc.Stage == incident.Closed) && slices.ContainsFunc(inc.Review.Actions, func(a incident.CorrectiveAction) bool { return access.CanUpdateAction(p, inc, a) }),
		CanSignOff:  inc.Stage == incident.Review && access.CanSignOffReview(p, inc),
		Form:        map[string]string{},
	}
	for _, st := range incident.ActionStatuses() {
		pg.Statuses = append(pg.Statuses, choice{Value: string(st), Name: tOr(v.Lang, "action."+string(st), string(st))})
	}
	return pg
}

// reviewForm handles the review page's forms: the report, a new action,
// an action's update, a manager's sign-off or return. Each checks its own
// policy, as the API does; a refused form shows the page again with why.
func (s *Server) reviewForm(c *gin.Context) {
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	var err error
	l := lang(c)
	version := formVersion(c)
	var (
		cmd     incident.ReviewCommand
		allowed bool
		signOff bool
	)
	switch c.PostForm("form") {
	case "write":
		cmd, allowed = incident.WriteReview{Summary: c.PostForm("summary"), RootCause: c.PostForm("root_cause"),
			Impact: incident.Impact{Systems: c.PostForm("impact_systems"), Data: c.PostForm("impact_data"),
				People: c.PostForm("impact_people"), Duration: c.PostForm("impact_duration")},
			WentWell: c.PostForm("went_well"), WentBadly: c.PostForm("went_badly"), Lessons: c.PostForm("lessons")}, access.CanWriteReview(p, inc)
	case "action":
		due, derr := time.Parse(time.DateOnly, c.PostForm("due"))
		if derr != nil {
			s.reviewFailed(c, inc, fieldErrors{"due": msg(l, "must be a date like 2026-03-31", "必须是日期，如 2026-03-31")})
			return
		}
		cmd, allowed = incident.AddAction{Title: c.PostForm("title"), Owner: c.PostForm("owner"), Due: due}, access.CanWriteReview(p, inc)
	case "update":
		id := c.PostForm("action")
		for _, a := range inc.Review.Actions {
			if a.ID == id {
				allowed = access.CanUpdateAction(p, inc, a)
			}
		}
		cmd = incident.UpdateAction{ID: id, Status: incident.ActionStatus(c.PostForm("status")), Note: c.PostForm("note")}
	case "return":
		cmd, allowed = incident.ReturnReview{Comment: c.PostForm("comment")}, access.CanSignOffReview(p, inc)
	case "signoff":
		signOff, allowed = true, access.CanSignOffReview(p, inc)
	default:
		s.pageError(c, http.StatusBadRequest, errBadRequest)
		return
	}
	if !allowed {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	if signOff {
		_, err = s.incidents.TransitionLoaded(c.Request.Context(), inc, incident.TransitionInput{To: incident.Closed, Version: version}, actor(p))
	} else {
		_, err = s.incidents.ReviewWork(c.Request.Context(), inc, version, cmd, actor(p))
	}
	if err != nil {
		s.reviewFailed(c, inc, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Number+"/review")
}

// reviewFailed shows the review page again with why a form was refused
// and what was posted.
func (s *Server) reviewFailed(c *gin.Context, inc *incident.Incident, err error) {
	status := statusOf(err)
	if status >= 500 {
		s.pageError(c, status, err)
		return
	}
	d, derr := s.draftOf(c, inc)
	if derr != nil {
		s.pageError(c, statusOf(derr), derr)
		return
	}
	l := lang(c)
	pg := s.reviewPageData(c, newReviewView(inc, d, l, s.now().UTC()), inc)
	pg.Problem = errorText(l, status, err)
	pg.Form = postedValues(c)
	c.Set(ctxHere, "/incidents/"+inc.Number+"/review")
	s.render(c, status, "review", pg)
}
