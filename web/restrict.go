package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// restrictRequest is the body of POST /api/v1/incidents/{ref}/restriction:
// mark the incident restricted (or lift the mark), with a reason, naming
// the people who must keep seeing it.
type restrictRequest struct {
	Restricted   *bool    `json:"restricted" validate:"required"`
	Version      int64    `json:"version" validate:"required,min=1"`
	Reason       string   `json:"reason" validate:"required,max=2000"`
	Participants []string `json:"participants" validate:"max=50,dive,required,max=64"`
}

func (r restrictRequest) input() incident.RestrictInput {
	in := incident.RestrictInput{Version: r.Version, Reason: r.Reason, Name: r.Participants}
	if r.Restricted != nil {
		in.Restricted = *r.Restricted
	}
	return in
}

func (s *Server) apiRestrict(c *gin.Context) {
	var req restrictRequest
	inc, ok := s.commandTarget(c, &req, access.CanRestrict)
	if !ok {
		return
	}
	p := principal(c)
	next, err := s.incidents.SetRestrictedLoaded(c.Request.Context(), inc, req.input(), actor(p))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toIncidentJSON(next, s.cfg.BaseURL))
}

// formRestrict is the ticket page's form that marks an incident restricted
// or lifts the mark.
const formRestrict = "restrict"

// ticketRestrict applies the restriction form of the ticket page.
func (s *Server) ticketRestrict(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	restricted, _ := strconv.ParseBool(c.PostForm("restricted"))
	req := restrictRequest{Restricted: &restricted, Version: formVersion(c), Reason: strings.TrimSpace(c.PostForm("reason")),
		Participants: strings.FieldsFunc(c.PostForm("participants"), func(r rune) bool {
			return r == ',' || r == '，' || r == '\n' || r == '\r' || r == ' ' || r == '\t'
		})}
	st := formState{Which: formRestrict, Values: postedValues(c)}
	if err := validation().check(&req, l); err != nil {
		s.ticketFailed(c, inc, st, err)
		return
	}
	if !access.CanRestrict(p, inc) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	if _, err := s.incidents.SetRestrictedLoaded(c.Request.Context(), inc, req.input(), actor(p)); err != nil {
		s.ticketFailed(c, inc, st, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents/"+inc.Number)
}

// restrictForm is the form that marks inc restricted or lifts the mark,
// for those who may; nil otherwise.
func restrictForm(c *gin.Context, l string, p access.Principal, inc *incident.Incident, st formState) []formView {
	if !access.CanRestrict(p, inc) {
		return nil
	}
	f := formView{ID: formRestrict, Action: "/incidents/" + inc.Number + "/restriction", CSRF: csrfInput(csrfToken(c)),
		Hidden: []hiddenField{{"form", formRestrict}, {"version", strconv.FormatInt(inc.Version, 10)},
			{"restricted", strconv.FormatBool(!inc.Restricted)}}}
	if inc.Restricted {
		f.Title, f.Intro, f.Submit = T(l, "restrict.lift"), T(l, "restrict.lift_intro"), T(l, "restrict.lift_submit")
	} else {
		f.Title, f.Intro, f.Submit, f.Danger = T(l, "restrict.title"), T(l, "restrict.intro"), T(l, "restrict.submit"), true
		f.add(field{Name: "participants", Kind: "textarea", Rows: 2, Label: T(l, "field.participants"),
			Help: T(l, "restrict.participants_help"), Value: st.value(formRestrict, "participants", "")})
	}
	f.add(field{Name: "reason", Kind: "textarea", Rows: 2, Label: T(l, "field.reason"), Required: true, MaxLen: incident.MaxReason,
		Value: st.value(formRestrict, "reason", "")})
	st.apply(&f)
	return []formView{f}
}
