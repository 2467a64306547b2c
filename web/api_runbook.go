package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// runbookRoutes registers the runbook library's API and pages. Those who
// work incidents read runbooks; the response center (and admins) write
// them, each save a new version.
func (s *Server) runbookRoutes(r *gin.Engine) {
	api := r.Group("/api/v1/runbooks")
	api.GET("", requireAPI(access.CanReadRunbooks), s.needRunbooksAPI, s.apiRunbooks)
	api.POST("", requireAPI(access.CanEditRunbooks), s.needRunbooksAPI, s.apiCreateRunbook)
	api.GET("/:id", requireAPI(access.CanReadRunbooks), s.needRunbooksAPI, s.apiRunbook)
	api.PUT("/:id", requireAPI(access.CanEditRunbooks), s.needRunbooksAPI, s.apiSaveRunbook)
	api.GET("/:id/versions", requireAPI(access.CanReadRunbooks), s.needRunbooksAPI, s.apiRunbookVersions)

	s.runbookPageRoutes(r)
}

func (s *Server) needRunbooksAPI(c *gin.Context) {
	if s.runbooks == nil {
		s.fail(c, errNoRunbooks)
	}
}

// runbookSummaryJSON is a runbook in a list.
type runbookSummaryJSON struct {
	ID         string   `json:"id"`
	Version    int      `json:"version"`
	Title      string   `json:"title"`
	TitleZH    string   `json:"title_zh"`
	Summary    string   `json:"summary"`
	SummaryZH  string   `json:"summary_zh"`
	Categories []string `json:"categories"`
	Levels     []string `json:"levels"`
	Steps      int      `json:"steps"`
	Builtin    bool     `json:"builtin"`
	URL        string   `json:"url"`
}

func toRunbookSummary(rb *runbooks.Runbook) runbookSummaryJSON {
	j := runbookSummaryJSON{ID: rb.ID, Version: rb.Version, Title: rb.Title.EN, TitleZH: rb.Title.ZH,
		Summary: rb.Summary.EN, SummaryZH: rb.Summary.ZH, Categories: []string{}, Levels: []string{},
		Steps: len(rb.Steps), Builtin: rb.Builtin, URL: "/api/v1/runbooks/" + rb.ID + "?version=" + strconv.Itoa(rb.Version)}
	for _, c := range rb.Categories {
		j.Categories = append(j.Categories, string(c))
	}
	for _, l := range rb.Levels {
		j.Levels = append(j.Levels, string(l))
	}
	return j
}

// runbookJSON is a whole runbook: its parts as data, and the YAML it was
// read from (what an editor changes and sends back).
type runbookJSON struct {
	runbookSummaryJSON
	Steps    []rbStepJSON    `json:"steps"`
	Contacts []rbContactJSON `json:"contacts"`
	Rules    []rbRuleJSON    `json:"communication"`
	YAML     string          `json:"yaml"`
	Edit     *editJSON       `json:"edit,omitempty"`
}

type textJSON = runbooks.Text

type rbStepJSON struct {
	ID       string   `json:"id"`
	Stage    string   `json:"stage"`
	Phase    string   `json:"phase,omitempty"`
	Title    textJSON `json:"title"`
	Detail   textJSON `json:"detail"`
	Role     string   `json:"role,omitempty"`
	Team     string   `json:"team,omitempty"`
	Required bool     `json:"required"`
	Duration string   `json:"duration"`
	Evidence textJSON `json:"evidence"`
}

type rbContactJSON struct {
	Name  textJSON `json:"name"`
	Kind  string   `json:"kind"`
	Phone string   `json:"phone,omitempty"`
	Email string   `json:"email,omitempty"`
	When  textJSON `json:"when"`
}

type rbRuleJSON struct {
	Audience textJSON `json:"audience"`
	When     textJSON `json:"when"`
	Within   string   `json:"within,omitempty"`
	Owner    string   `json:"owner"`
	Required bool     `json:"required"`
}

type editJSON struct {
	By   actorJSON `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

func toRunbookJSON(rb *runbooks.Runbook) runbookJSON {
	j := runbookJSON{runbookSummaryJSON: toRunbookSummary(rb), Steps: []rbStepJSON{}, Contacts: []rbContactJSON{}, Rules: []rbRuleJSON{}, YAML: rb.Source}
	for _, s := range rb.Steps {
		j.Steps = append(j.Steps, rbStepJSON{ID: s.ID, Stage: string(s.Stage), Phase: string(s.Phase), Title: s.Title, Detail: s.Detail,
			Role: s.Role, Team: s.Team, Required: s.Required, Duration: runbooks.FormatDuration(s.Duration), Evidence: s.Evidence})
	}
	for _, c := range rb.Contacts {
		j.Contacts = append(j.Contacts, rbContactJSON{Name: c.Name, Kind: c.Kind, Phone: c.Phone, Email: c.Email, When: c.When})
	}
	for _, r := range rb.Rules {
		rj := rbRuleJSON{Audience: r.Audience, When: r.When, Owner: r.Owner, Required: r.Required}
		if r.Within > 0 {
			rj.Within = runbooks.FormatDuration(r.Within)
		}
		j.Rules = append(j.Rules, rj)
	}
	if e := rb.Edited; e != nil {
		j.Edit = &editJSON{By: toActorJSON(e.By), At: e.At, Note: e.Note}
	}
	return j
}

// problemJSON is one problem of a runbook file.
type problemJSON struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func toProblemJSON(p runbooks.Problem, l string) problemJSON {
	return problemJSON{Line: p.Line, Column: p.Column, Field: p.Field, Message: msg(l, p.EN, p.ZH)}
}

func (s *Server) apiRunbooks(c *gin.Context) {
	l := lang(c)
	cat := incident.Category(c.Query("category"))
	if cat != "" && !cat.Valid() {
		s.fail(c, fieldErrors{"category": msg(l, "unknown category", "未知的事件类别")})
		return
	}
	all, err := s.runbooks.List(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []runbookSummaryJSON{}
	for _, rb := range all {
		if cat == "" || rb.Covers(cat) {
			out = append(out, toRunbookSummary(rb))
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// queryVersion reads ?version= (0 for the current version).
func queryVersion(c *gin.Context) (int, error) {
	v := c.Query("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		l := lang(c)
		return 0, fieldErrors{"version": msg(l, "version must be a whole number from 1", "版本须为从 1 开始的整数")}
	}
	return n, nil
}

func (s *Server) apiRunbook(c *gin.Context) {
	v, err := queryVersion(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rb, err := s.runbooks.Get(c.Request.Context(), c.Param("id"), v)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRunbookJSON(rb))
}

type versionInfoJSON struct {
	Version int       `json:"version"`
	Builtin bool      `json:"builtin"`
	Edit    *editJSON `json:"edit,omitempty"`
}

func (s *Server) apiRunbookVersions(c *gin.Context) {
	h, err := s.runbooks.History(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []versionInfoJSON{}
	for _, v := range h {
		vj := versionInfoJSON{Version: v.Version, Builtin: v.Builtin}
		if v.Edit != nil {
			vj.Edit = &editJSON{By: toActorJSON(v.Edit.By), At: v.Edit.At, Note: v.Edit.Note}
		}
		out = append(out, vj)
	}
	c.JSON(http.StatusOK, gin.H{"id": c.Param("id"), "items": out})
}

// createRunbookRequest is the body of POST /api/v1/runbooks.
type createRunbookRequest struct {
	YAML string `json:"yaml" validate:"required,max=262144"`
	Note string `json:"note" validate:"max=2000"`
}

// saveRunbookRequest is the body of PUT /api/v1/runbooks/{id}: the YAML of
// the new version and the version it was edited from.
type saveRunbookRequest struct {
	BaseVersion int    `json:"base_version" validate:"required,min=1"`
	YAML        string `json:"yaml" validate:"required,max=262144"`
	Note        string `json:"note" validate:"max=2000"`
}

func (s *Server) apiCreateRunbook(c *gin.Context) {
	var req createRunbookRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	rb, err := s.runbooks.Create(c.Request.Context(), req.YAML, req.Note, actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("runbook created", "runbook", rb.Ref(), "by", principal(c).UserID)
	c.Header("Location", "/api/v1/runbooks/"+rb.ID)
	c.JSON(http.StatusCreated, toRunbookJSON(rb))
}

func (s *Server) apiSaveRunbook(c *gin.Context) {
	var req saveRunbookRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	rb, err := s.runbooks.Save(c.Request.Context(), c.Param("id"), req.BaseVersion, req.YAML, req.Note, actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("runbook saved", "runbook", rb.Ref(), "by", principal(c).UserID)
	c.JSON(http.StatusOK, toRunbookJSON(rb))
}
