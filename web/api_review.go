package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// reviewRoutes registers the post-incident review: its API, the printable
// page and the Markdown export. Every route needs a signed-in caller who
// may see the incident; each handler then checks the policy of its action
// (access.CanWriteReview, CanUpdateAction, CanSignOffReview).
func (s *Server) reviewRoutes(r *gin.Engine) {
	api := r.Group("/api/v1/incidents/:ref/review", requireAPI(anyone))
	api.GET("", s.apiReview)
	api.PUT("", s.apiWriteReview)
	api.POST("/actions", s.apiAddAction)
	api.PATCH("/actions/:action", s.apiUpdateAction)
	api.POST("/signoff", s.apiSignOff)
	api.POST("/return", s.apiReturnReview)
	r.GET("/incidents/:ref/review", s.requirePage(anyone), s.reviewPage)
	r.GET("/incidents/:ref/review.md", s.requirePage(anyone), s.reviewMarkdown)
	r.POST("/incidents/:ref/review", s.requirePage(anyone), s.reviewForm)
}

// impactJSON is what an incident harmed.
type impactJSON struct {
	Systems  string `json:"systems" validate:"max=20000"`
	Data     string `json:"data" validate:"max=20000"`
	People   string `json:"people" validate:"max=20000"`
	Duration string `json:"duration" validate:"max=20000"`
}

// writeReviewRequest is the body of PUT .../review: the whole report.
type writeReviewRequest struct {
	Version   int64      `json:"version" validate:"required,min=1"`
	Summary   string     `json:"summary" validate:"max=20000"`
	RootCause string     `json:"root_cause" validate:"max=20000"`
	Impact    impactJSON `json:"impact"`
	WentWell  string     `json:"went_well" validate:"max=20000"`
	WentBadly string     `json:"went_badly" validate:"max=20000"`
	Lessons   string     `json:"lessons" validate:"max=20000"`
}

// addActionRequest is the body of POST .../review/actions.
type addActionRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Title   string `json:"title" validate:"required,max=300"`
	Owner   string `json:"owner" validate:"required,max=200"`
	Due     string `json:"due" validate:"required,datetime=2006-01-02"`
}

// updateActionRequest is the body of PATCH .../review/actions/{id}.
type updateActionRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Status  string `json:"status" validate:"omitempty,oneof=open in_progress done cancelled"`
	Owner   string `json:"owner" validate:"max=200"`
	Due     string `json:"due" validate:"omitempty,datetime=2006-01-02"`
	Note    string `json:"note" validate:"max=4000"`
}

// signOffRequest is the body of POST .../review/signoff.
type signOffRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Note    string `json:"note" validate:"max=20000"`
}

// returnReviewRequest is the body of POST .../review/return.
type returnReviewRequest struct {
	Version int64  `json:"version" validate:"required,min=1"`
	Comment string `json:"comment" validate:"required,max=4000"`
}

// actionJSON is one corrective action.
type actionJSON struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Owner   string     `json:"owner"`
	Due     string     `json:"due"`
	Status  string     `json:"status"`
	Note    string     `json:"note,omitempty"`
	DoneAt  *time.Time `json:"done_at,omitempty"`
	Overdue bool       `json:"overdue"`
}

// timingJSON is one response time against its deadline.
type timingJSON struct {
	Measure         string  `json:"measure"`
	Reached         bool    `json:"reached"`
	Seconds         *int64  `json:"seconds,omitempty"`
	DeadlineSeconds int64   `json:"deadline_seconds"`
	Missed          bool    `json:"missed"`
	Pending         bool    `json:"pending"`
	Took            *string `json:"took,omitempty"`
}

// fullReviewJSON is the review of an incident with what Tocsin drafted.
type fullReviewJSON struct {
	Number      string       `json:"number"`
	Version     int64        `json:"version"`
	Stage       string       `json:"stage"`
	Summary     string       `json:"summary"`
	RootCause   string       `json:"root_cause"`
	Impact      impactJSON   `json:"impact"`
	WentWell    string       `json:"went_well"`
	WentBadly   string       `json:"went_badly"`
	Lessons     string       `json:"lessons"`
	Actions     []actionJSON `json:"actions"`
	Timings     []timingJSON `json:"timings"`
	Escalations int          `json:"escalations"`
	Misses      int          `json:"deadline_misses"`
	People      []string     `json:"people"`
	Teams       []string     `json:"teams"`
	Runbooks    []string     `json:"runbooks"`
	Returned    *struct {
		By      actorJSON `json:"by"`
		At      time.Time `json:"at"`
		Comment string    `json:"comment"`
	} `json:"returned,omitempty"`
	SignedOffBy *actorJSON `json:"signed_off_by,omitempty"`
	SignedOffAt *time.Time `json:"signed_off_at,omitempty"`
}

func toActionJSON(a incident.CorrectiveAction, now time.Time) actionJSON {
	return actionJSON{ID: a.ID, Title: a.Title, Owner: a.Owner, Due: a.Due.Format(time.DateOnly), Status: string(a.Status),
		Note: a.Note, DoneAt: a.DoneAt, Overdue: a.Overdue(now)}
}

func toTimingJSON(t incident.Timing) timingJSON {
	out := timingJSON{Measure: string(t.Measure), Reached: t.Reached, DeadlineSeconds: int64(t.Deadline / time.Second),
		Missed: t.Missed, Pending: t.Pending}
	if t.Reached {
		sec := int64(t.Took / time.Second)
		took := incident.FormatDuration(t.Took)
		out.Seconds, out.Took = &sec, &took
	}
	return out
}

func toFullReviewJSON(inc *incident.Incident, d incident.Draft, now time.Time) fullReviewJSON {
	r := inc.Review
	out := fullReviewJSON{
		Number: inc.Number, Version: inc.Version, Stage: string(inc.Stage),
		Summary: r.Summary, RootCause: r.RootCause, WentWell: r.WentWell, WentBadly: r.WentBadly, Lessons: r.Lessons,
		Impact:  impactJSON{Systems: r.Impact.Systems, Data: r.Impact.Data, People: r.Impact.People, Duration: r.Impact.Duration},
		Actions: []actionJSON{}, Escalations: len(d.Escalations), Misses: len(d.Misses),
		People: append([]string{}, d.People...), Teams: append([]string{}, d.Teams...), Runbooks: []string{},
		SignedOffAt: r.SignedOffAt,
	}
	for _, a := range r.Actions {
		out.Actions = append(out.Actions, toActionJSON(a, now))
	}
	for _, t := range d.Timings {
		out.Timings = append(out.Timings, toTimingJSON(t))
	}
	for _, u := range d.Runbooks {
		out.Runbooks = append(out.Runbooks, u.Ref())
	}
	if r.SignedOffBy != nil {
		a := toActorJSON(*r.SignedOffBy)
		out.SignedOffBy = &a
	}
	if ret := r.Returned; ret != nil {
		out.Returned = &struct {
			By      actorJSON `json:"by"`
			At      time.Time `json:"at"`
			Comment string    `json:"comment"`
		}{toActorJSON(ret.By), ret.At, ret.Comment}
	}
	return out
}

// draftOf gathers what Tocsin knows of inc's review now.
func (s *Server) draftOf(c *gin.Context, inc *incident.Incident) (incident.Draft, error) {
	ds, err := s.deadlines(c.Request.Context())
	if err != nil {
		return incident.Draft{}, err
	}
	return incident.DraftReview(inc, ds[inc.Level], s.now().UTC()), nil
}

func (s *Server) apiReview(c *gin.Context) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.draftOf(c, inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toFullReviewJSON(inc, d, s.now().UTC()))
}

// reviewAPI runs a review command for the API, like planAPI for the plan.
func reviewAPI[R any](s *Server, c *gin.Context, req *R, version func(*R) int64,
	allowed func(access.Principal, *incident.Incident) bool, build func(*incident.Incident) (incident.ReviewCommand, error)) {
	commandAPI(s, c, req, version, allowed, build, s.incidents.ReviewWork, func(next *incident.Incident) { s.answerReview(c, next) })
}

func (s *Server) answerReview(c *gin.Context, inc *incident.Incident) {
	d, err := s.draftOf(c, inc)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toFullReviewJSON(inc, d, s.now().UTC()))
}

func (s *Server) apiWriteReview(c *gin.Context) {
	var req writeReviewRequest
	reviewAPI(s, c, &req, func(r *writeReviewRequest) int64 { return r.Version }, access.CanWriteReview,
		func(*incident.Incident) (incident.ReviewCommand, error) {
			return incident.WriteReview{Summary: req.Summary, RootCause: req.RootCause, WentWell: req.WentWell,
				WentBadly: req.WentBadly, Lessons: req.Lessons,
				Impact: incident.Impact{Systems: req.Impact.Systems, Data: req.Impact.Data, People: req.Impact.People, Duration: req.Impact.Duration}}, nil
		})
}

func (s *Server) apiAddAction(c *gin.Context) {
	var req addActionRequest
	reviewAPI(s, c, &req, func(r *addActionRequest) int64 { return r.Version }, access.CanWriteReview,
		func(*incident.Incident) (incident.ReviewCommand, error) {
			due, _ := time.Parse(time.DateOnly, req.Due) // validated
			return incident.AddAction{Title: req.Title, Owner: req.Owner, Due: due}, nil
		})
}

func (s *Server) apiUpdateAction(c *gin.Context) {
	var req updateActionRequest
	id := c.Param("action")
	reviewAPI(s, c, &req, func(r *updateActionRequest) int64 { return r.Version },
		func(p access.Principal, inc *incident.Incident) bool {
			for _, a := range inc.Review.Actions {
				if a.ID == id {
					return access.CanUpdateAction(p, inc, a)
				}
			}
			return access.CanView(p, inc) // the command answers 404
		},
		func(*incident.Incident) (incident.ReviewCommand, error) {
			var due time.Time
			if req.Due != "" {
				due, _ = time.Parse(time.DateOnly, req.Due)
			}
			return incident.UpdateAction{ID: id, Status: incident.ActionStatus(req.Status), Owner: req.Owner, Due: due, Note: req.Note}, nil
		})
}

func (s *Server) apiReturnReview(c *gin.Context) {
	var req returnReviewRequest
	reviewAPI(s, c, &req, func(r *returnReviewRequest) int64 { return r.Version }, access.CanSignOffReview,
		func(*incident.Incident) (incident.ReviewCommand, error) {
			return incident.ReturnReview{Comment: req.Comment}, nil
		})
}

// apiSignOff is a manager's sign-off, which closes the incident.
func (s *Server) apiSignOff(c *gin.Context) {
	var req signOffRequest
	inc, ok := s.commandTarget(c, &req, access.CanSignOffReview)
	if !ok {
		return
	}
	next, err := s.incidents.TransitionLoaded(c.Request.Context(), inc,
		incident.TransitionInput{To: incident.Closed, Version: req.Version, Note: req.Note}, actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.answerReview(c, next)
}
