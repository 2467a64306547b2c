package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

func (s *Server) apiRoutes(r *gin.Engine) {
	api := r.Group("/api/v1")
	api.GET("/meta", requireAPI(anyone), s.apiMeta)
	api.GET("/me", requireAPI(anyone), s.apiMe)
	api.POST("/incidents", requireAPI(access.CanReport), s.apiReport)
	api.GET("/incidents", requireAPI(anyone), s.apiList)
	api.GET("/incidents/:ref", requireAPI(anyone), s.apiGet)
	api.POST("/incidents/:ref/transitions", requireAPI(anyone), s.apiTransition)
	api.POST("/incidents/:ref/level", requireAPI(anyone), s.apiChangeLevel)
	api.POST("/incidents/:ref/ack", requireAPI(anyone), s.apiAcknowledge)
	api.POST("/incidents/:ref/restriction", requireAPI(anyone), s.apiRestrict)
	api.GET("/users", requireAPI(access.CanAdminister), s.apiUsers)
	api.POST("/users", requireAPI(access.CanAdminister), s.apiCreateUser)
	api.GET("/tokens", requireAPI(access.CanAdminister), s.apiTokens)
	api.POST("/tokens", requireAPI(access.CanAdminister), s.apiCreateToken)
}

// MaxIdempotencyKey is the longest Idempotency-Key header accepted.
const MaxIdempotencyKey = 255

// reportResponse is the answer to a report: the incident and what the
// report did to it.
type reportResponse struct {
	incidentJSON
	Outcome      incident.Outcome `json:"outcome"`
	Deduplicated bool             `json:"deduplicated"`
}

func (s *Server) apiReport(c *gin.Context) {
	l := lang(c)
	var req reportRequest
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	in := req.input("api")
	if key := c.GetHeader("Idempotency-Key"); key != "" {
		if len(key) > MaxIdempotencyKey || !printableASCII(key) {
			s.fail(c, fieldErrors{"Idempotency-Key": msg(l, "must be 1-255 printable ASCII characters", "必须是 1-255 个可打印 ASCII 字符")})
			return
		}
		// Keys are scoped to the caller: two integrations choosing the same
		// key never see each other's incidents.
		in.IdempotencyKey = p.UserID + ":" + key
		in.RequestHash = fingerprint(req)
	}
	res, err := s.incidents.Report(c.Request.Context(), in, actor(p))
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusCreated
	switch res.Outcome {
	case incident.Attached:
		status = http.StatusOK
	case incident.Replayed:
		c.Header("Idempotent-Replayed", "true")
		if res.Incident.IdempotencyKey != in.IdempotencyKey {
			status = http.StatusOK // the retried request had been attached, not created
		}
	}
	c.Header("Location", "/api/v1/incidents/"+res.Incident.Number)
	c.JSON(status, reportResponse{
		incidentJSON: toIncidentJSON(res.Incident, s.cfg.BaseURL),
		Outcome:      res.Outcome,
		Deduplicated: res.Outcome == incident.Attached || (res.Outcome == incident.Replayed && status == http.StatusOK),
	})
}

// fingerprint hashes a decoded request, so that field order and spacing do
// not make a retry look different.
func fingerprint(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// viewable loads an incident the caller may see. An incident the caller may
// not see is reported as not found, so its existence does not leak.
func (s *Server) viewable(c *gin.Context, ref string) (*incident.Incident, error) {
	inc, err := s.incidents.Get(c.Request.Context(), ref)
	if err != nil {
		return nil, err
	}
	if !access.CanView(principal(c), inc) {
		return nil, fmt.Errorf("%s: %w", ref, incident.ErrNotFound)
	}
	return inc, nil
}

// pageIncident loads the incident :ref the caller may see for a page, or
// draws the error page (404 for one they may not see) and reports false.
func (s *Server) pageIncident(c *gin.Context) (*incident.Incident, bool) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return nil, false
	}
	return inc, true
}

func (s *Server) apiGet(c *gin.Context) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toWorkJSON(inc, s.cfg.BaseURL))
}

// listFilter reads list filters from the query string, shared by the API and
// the pages. Unknown values are errors, not silently ignored.
func listFilter(c *gin.Context, p access.Principal) (incident.ListFilter, error) {
	l := lang(c)
	f := incident.ListFilter{Query: strings.TrimSpace(c.Query("q")), After: c.Query("cursor")}
	bad := fieldErrors{}
	for _, st := range c.QueryArray("stage") {
		for _, one := range strings.Split(st, ",") {
			if one == "" {
				continue
			}
			if stage := incident.Stage(one); stage.Valid() {
				f.Stages = append(f.Stages, stage)
			} else {
				bad["stage"] = msg(l, "unknown stage "+strconv.Quote(one), "未知阶段 "+strconv.Quote(one))
			}
		}
	}
	if v := c.Query("level"); v != "" {
		if f.Level = incident.Level(v); !f.Level.Valid() {
			bad["level"] = msg(l, "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
		}
	}
	if v := c.Query("category"); v != "" {
		if f.Category = incident.Category(v); !f.Category.Valid() {
			bad["category"] = msg(l, "unknown category", "未知的事件类别")
		}
	}
	if v := c.Query("drill"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad["drill"] = msg(l, "drill must be true or false", "drill 必须是 true 或 false")
		}
		f.Drill = &b
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			bad["limit"] = msg(l, "limit must be between 1 and 500", "limit 必须在 1 到 500 之间")
		}
		f.Limit = n
	}
	if len(f.Query) > 200 {
		bad["q"] = msg(l, "search text must be at most 200 bytes", "搜索文本最多 200 字节")
	}
	if len(bad) > 0 {
		return f, bad
	}
	a := access.AudienceOf(p)
	f.Audience = &a
	return f, nil
}

// visible keeps the incidents p may see. Lists are narrowed by the store
// already (ListFilter.Audience); this is the same rule applied once more
// where the answer is made.
func visible(p access.Principal, items []*incident.Incident) []*incident.Incident {
	out := items[:0:0]
	for _, inc := range items {
		if access.CanView(p, inc) {
			out = append(out, inc)
		}
	}
	return out
}

func (s *Server) apiList(c *gin.Context) {
	f, err := listFilter(c, principal(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Brief = true
	page, err := s.incidents.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]incidentJSON, 0, len(page.Items))
	for _, inc := range visible(principal(c), page.Items) {
		items = append(items, toIncidentJSON(inc, s.cfg.BaseURL))
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": page.Next})
}

func (s *Server) apiTransition(c *gin.Context) {
	var req transitionRequest
	inc, ok := s.commandTarget(c, &req, func(p access.Principal, inc *incident.Incident) bool {
		return access.CanTransition(p, inc, incident.Stage(req.To))
	})
	if !ok {
		return
	}
	next, err := s.incidents.TransitionLoaded(c.Request.Context(), inc, req.input(), actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toIncidentJSON(next, s.cfg.BaseURL))
}

func (s *Server) apiChangeLevel(c *gin.Context) {
	var req levelRequest
	inc, ok := s.commandTarget(c, &req, access.CanChangeLevel)
	if !ok {
		return
	}
	next, err := s.incidents.ChangeLevelLoaded(c.Request.Context(), inc, req.Version, incident.Level(req.Level), req.Reason, actor(principal(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toIncidentJSON(next, s.cfg.BaseURL))
}

// apiAcknowledge takes an incident on. Acknowledging twice is not an error
// for the second caller: the answer says who acknowledged first (200 with
// already_acknowledged), since two responders racing to it is normal.
func (s *Server) apiAcknowledge(c *gin.Context) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !access.CanAcknowledge(principal(c), inc) {
		s.fail(c, access.ErrForbidden)
		return
	}
	next, err := s.incidents.Acknowledge(c.Request.Context(), inc.ID, actor(principal(c)))
	already := errors.Is(err, incident.ErrAlreadyAcked)
	if err != nil && !already {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		incidentJSON
		AlreadyAcknowledged bool `json:"already_acknowledged"`
	}{toIncidentJSON(next, s.cfg.BaseURL), already})
}

// apiMeta lists the vocabularies clients need to build forms: levels with
// their definitions, categories, scopes, stages with entry conditions.
func (s *Server) apiMeta(c *gin.Context) {
	type stageMeta struct {
		incident.StageInfo
		Conditions []incident.Condition `json:"entry_conditions"`
	}
	var stages []stageMeta
	for _, st := range incident.Stages() {
		stages = append(stages, stageMeta{StageInfo: st, Conditions: incident.EntryConditions(st.Stage)})
	}
	c.JSON(http.StatusOK, gin.H{
		"levels":     incident.Levels(),
		"categories": incident.Categories(),
		"scopes":     []incident.Scope{incident.Local, incident.Global},
		"stages":     stages,
		"roles":      access.Roles(),
		// The working stages: what a task can be and go through.
		"task_stages":   incident.TaskStages(),
		"task_statuses": incident.TaskStatuses(),
		"phases":        incident.Phases(),
		"role_names":    roleInfos(),
	})
}

// roleInfos are the roles with their names in both languages.
func roleInfos() []access.RoleInfo {
	var out []access.RoleInfo
	for _, r := range access.Roles() {
		out = append(out, r.Info())
	}
	return out
}

func (s *Server) apiMe(c *gin.Context) {
	p := principal(c)
	out := gin.H{"id": p.UserID, "name": p.Name, "roles": p.Roles, "lang": p.Lang, "via": p.Via}
	// What attribute rules for sharing see of the caller, when set.
	for k, v := range map[string]string{"organization": p.Organization, "department": p.Department, "system": p.System} {
		if v != "" {
			out[k] = v
		}
	}
	if len(p.Networks) > 0 {
		out["networks"] = p.Networks
	}
	c.JSON(http.StatusOK, out)
}

type userJSON struct {
	ID       string        `json:"id"`
	Username string        `json:"username"`
	Name     string        `json:"name"`
	Email    string        `json:"email,omitempty"`
	Roles    []access.Role `json:"roles"`
	Lang     string        `json:"lang"`
	Disabled bool          `json:"disabled"`
	// Organization and Department: attribute rules for sharing match them.
	Organization string `json:"organization,omitempty"`
	Department   string `json:"department,omitempty"`
}

func toUserJSON(u *access.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email, Roles: u.Roles, Lang: u.Lang, Disabled: u.Disabled,
		Organization: u.Organization, Department: u.Department}
}

func (s *Server) apiUsers(c *gin.Context) {
	users, err := s.access.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, toUserJSON(u))
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

type createUserRequest struct {
	Username string   `json:"username" validate:"required,min=2,max=64"`
	Name     string   `json:"name" validate:"max=200"`
	Email    string   `json:"email" validate:"omitempty,email,max=254"`
	Password string   `json:"password" validate:"required,min=10,max=72"`
	Roles    []string `json:"roles" validate:"max=6,dive,oneof=reporter responder coordinator manager auditor admin"`
	Lang     string   `json:"lang" validate:"omitempty,oneof=en zh"`
	// Organization and Department are optional (attribute rules match them).
	Organization string `json:"organization" validate:"max=200"`
	Department   string `json:"department" validate:"max=200"`
}

func (s *Server) apiCreateUser(c *gin.Context) {
	var req createUserRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	nu := access.NewUser{Username: req.Username, Name: req.Name, Email: req.Email, Password: req.Password, Lang: req.Lang,
		Organization: req.Organization, Department: req.Department}
	for _, r := range req.Roles {
		nu.Roles = append(nu.Roles, access.Role(r))
	}
	u, err := s.access.CreateUser(c.Request.Context(), nu)
	if err != nil {
		s.fail(c, err)
		return
	}
	var roles []string
	for _, r := range u.Roles {
		roles = append(roles, string(r))
	}
	changes := []audit.Change{{Field: "roles", After: strings.Join(roles, ", ")}}
	if u.Organization != "" {
		changes = append(changes, audit.Change{Field: "organization", After: u.Organization})
	}
	if u.Department != "" {
		changes = append(changes, audit.Change{Field: "department", After: u.Department})
	}
	s.trail.Record(c.Request.Context(), audit.Record{Action: audit.ActionUserCreate, Target: audit.Target{Kind: "user", ID: u.Username},
		Changes: changes})
	c.JSON(http.StatusCreated, toUserJSON(u))
}

type tokenJSON struct {
	Prefix    string `json:"prefix"`
	Name      string `json:"name"`
	UserID    string `json:"user_id"`
	CreatedAt string `json:"created_at"`
	// System, Networks, Grant and Expires scope the token (when set).
	System   string   `json:"system,omitempty"`
	Networks []string `json:"networks,omitempty"`
	Grant    string   `json:"grant,omitempty"`
	Expires  string   `json:"expires,omitempty"`
	Token    string   `json:"token,omitempty"` // only in the answer that creates it
}

func toTokenJSON(t *access.Token) tokenJSON {
	out := tokenJSON{Prefix: t.Prefix, Name: t.Name, UserID: t.UserID, CreatedAt: t.CreatedAt.Format(time.RFC3339),
		System: t.System, Networks: t.Networks, Grant: t.Grant}
	if !t.Expires.IsZero() {
		out.Expires = t.Expires.Format(time.RFC3339)
	}
	return out
}

func (s *Server) apiTokens(c *gin.Context) {
	tokens, err := s.access.Tokens(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]tokenJSON, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, toTokenJSON(t))
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

type createTokenRequest struct {
	Name     string `json:"name" validate:"required,max=100"`
	Username string `json:"username" validate:"required,max=64"` // the account the token acts as
	// System names the integration (attribute rules for sharing match it);
	// Networks are the CIDR prefixes it may be used from; Expires ends it.
	System   string     `json:"system" validate:"max=200"`
	Networks []string   `json:"networks" validate:"max=32,dive,max=64"`
	Expires  *time.Time `json:"expires"`
	// Grant binds the token to an active sharing grant given to the
	// account: it then reaches the shared API only, and ends with it.
	Grant string `json:"grant" validate:"max=64"`
}

func (s *Server) apiCreateToken(c *gin.Context) {
	var req createTokenRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.access.UserByUsername(c.Request.Context(), req.Username)
	if err != nil {
		s.fail(c, err)
		return
	}
	spec := access.TokenSpec{Name: req.Name, System: req.System, Networks: req.Networks}
	if req.Expires != nil {
		spec.Expires = *req.Expires
	}
	if req.Grant != "" {
		if spec, err = s.bindToGrant(c.Request.Context(), spec, req.Grant, u); err != nil {
			s.fail(c, err)
			return
		}
	}
	secret, t, err := s.access.CreateScopedToken(c.Request.Context(), u, spec)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.trail.Record(c.Request.Context(), t.AuditRecord(u.Username))
	out := toTokenJSON(t)
	out.Token = secret
	c.JSON(http.StatusCreated, out)
}

// bindToGrant binds spec to sharing grant id, which must be active and
// given to u (access.BindToGrant); an unknown grant is bad input here.
func (s *Server) bindToGrant(ctx context.Context, spec access.TokenSpec, id string, u *access.User) (access.TokenSpec, error) {
	if s.share == nil {
		return spec, fmt.Errorf("grant %q: sharing is not available on this hub: %w", id, access.ErrInvalid)
	}
	g, err := s.share.Grant(ctx, id)
	if errors.Is(err, share.ErrNotFound) {
		return spec, fmt.Errorf("grant %q: no such grant: %w", id, access.ErrInvalid)
	}
	if err != nil {
		return spec, err
	}
	return access.BindToGrant(spec, g, u, s.now())
}

// answerItems answers 200 with {"items": [...]}: list converted one by one
// by toJSON, an empty list as [] (never null).
func answerItems[T, J any](c *gin.Context, list []T, toJSON func(T) J) {
	items := make([]J, 0, len(list))
	for _, v := range list {
		items = append(items, toJSON(v))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}
