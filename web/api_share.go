package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// errNoShare answers the sharing routes of a hub built without a
// share.Service.
var errNoShare = errors.New("sharing is not available on this hub")

// shareAPIRoutes registers the sharing API: applications and emergency
// requests, decisions, attribute rules, the shared view, copies and the
// access log.
//
// Who may do what is access/policy_share.go. A grant the caller may not
// see answers 404 like an unknown one, so grant ids cannot be probed; a
// grant the caller sees but may not act on answers 403. The shared view
// answers 404 alike for an unknown incident and one not shared with the
// caller.
func (s *Server) shareAPIRoutes(r *gin.Engine) {
	api := r.Group("/api/v1", s.needShare)
	api.POST("/grants", requireAPI(access.CanRequestShare), s.apiSubmitGrant)
	api.GET("/grants", requireAPI(forSelf), s.apiGrants)
	api.GET("/grants/:id", requireAPI(forSelf), s.apiGrant)
	api.PUT("/grants/:id", requireAPI(access.CanRequestShare), s.apiResubmitGrant())
	api.POST("/grants/:id/decision", requireAPI(forSelf), s.apiDecideGrant())
	api.POST("/grants/:id/withdraw", requireAPI(forSelf), s.apiWithdrawGrant())
	api.POST("/grants/:id/revoke", requireAPI(forSelf), s.apiRevokeGrant())
	api.POST("/grants/:id/reinstate", requireAPI(forSelf), s.apiReinstateGrant())
	api.GET("/grants/:id/accesses", requireAPI(forSelf), s.apiGrantAccesses)
	api.GET("/grants/:id/copies", requireAPI(forSelf), s.apiGrantCopies)
	api.POST("/grants/:id/tokens", requireAPI(access.CanRequestShare), s.apiGrantToken)
	api.GET("/share-rules", requireAPI(access.CanReadShareRules), s.apiShareRules)
	api.POST("/share-rules", requireAPI(access.CanWriteShareRules), s.apiCreateShareRule)
	api.PUT("/share-rules/:id", requireAPI(access.CanWriteShareRules), s.apiSaveShareRule)
	api.GET("/share-access", requireAPI(access.CanReadShareRules), s.apiShareAccess)
	api.GET("/shared/incidents/:ref", requireAPI(access.CanUseShared), s.apiSharedIncident)
	api.POST("/shared/incidents/:ref/copies", requireAPI(access.CanUseShared), s.apiTakeCopy)
	api.GET("/shared/copies/:id", requireAPI(access.CanUseShared), s.apiDownloadCopy)
	api.POST("/share-copies/:id/withdraw", requireAPI(forSelf), s.apiWithdrawCopy)
}

// forSelf allows the signed-in callers acting for themselves: not a token
// bound to a grant, which reaches the shared view only.
func forSelf(p access.Principal) bool { return !p.Anonymous() && p.Grant == "" }

// needShare answers 503 on a hub without sharing.
func (s *Server) needShare(c *gin.Context) {
	if s.share == nil {
		s.fail(c, errNoShare)
	}
}

// shareFail writes err, answering the service's domain validation errors
// with 422.
func (s *Server) shareFail(c *gin.Context, err error) { s.fail(c, unprocessable(err)) }

// grantIncidents loads the incidents g names, for the policies that look
// at who owns them. An incident that cannot be found is nil, so that
// nobody owns all of them.
func (s *Server) grantIncidents(c *gin.Context, g *share.Grant, cache map[string]*incident.Incident) ([]*incident.Incident, error) {
	var out []*incident.Incident
	for _, n := range g.Scope.Incidents {
		inc, ok := cache[n]
		if !ok {
			var err error
			inc, err = s.incidents.Get(c.Request.Context(), n)
			if errors.Is(err, incident.ErrNotFound) {
				inc = nil
			} else if err != nil {
				return nil, err
			}
			if cache != nil {
				cache[n] = inc
			}
		}
		out = append(out, inc)
	}
	return out, nil
}

// grantPolicy is a check of one action on a grant.
type grantPolicy func(p access.Principal, g *share.Grant, incs []*incident.Incident) bool

// seenGrant loads grant :id for the caller: share.ErrNotFound when it
// does not exist or the caller may not see it, access.ErrForbidden when
// they see it but may not do what may allows (nil: reading).
func (s *Server) seenGrant(c *gin.Context, may grantPolicy) (*share.Grant, error) {
	id := c.Param("id")
	g, err := s.share.Grant(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	incs, err := s.grantIncidents(c, g, nil)
	if err != nil {
		return nil, err
	}
	p := principal(c)
	if !access.CanSeeGrant(p, g, incs) {
		return nil, fmt.Errorf("grant %s: %w", id, share.ErrNotFound)
	}
	if may != nil && !may(p, g, incs) {
		return nil, access.ErrForbidden
	}
	return g, nil
}

func (s *Server) apiSubmitGrant(c *gin.Context) {
	var req grantRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	g, err := s.share.Submit(c.Request.Context(), req.request(s.now()), access.SharePartyOf(principal(c)))
	if err != nil {
		s.shareFail(c, err)
		return
	}
	c.Header("Location", "/api/v1/grants/"+g.ID)
	c.JSON(http.StatusCreated, toGrantJSON(g))
}

// grantStatuses reads ?status= (comma-separated, repeatable).
func grantStatuses(c *gin.Context, bad fieldErrors, l string) []share.Status {
	var out []share.Status
	known := []share.Status{share.Pending, share.Returned, share.Rejected, share.Active, share.Suspended, share.Revoked,
		share.Expired, share.Withdrawn}
	for _, v := range c.QueryArray("status") {
		for _, one := range strings.Split(v, ",") {
			if one == "" {
				continue
			}
			if st := share.Status(one); slices.Contains(known, st) {
				out = append(out, st)
			} else {
				bad["status"] = msg(l, "unknown status "+strconv.Quote(one), "未知状态 "+strconv.Quote(one))
			}
		}
	}
	return out
}

// apiGrants lists the grants the caller may see: view=mine their own
// requests, view=decide the requests waiting that they may decide,
// view=all (the default) every one they may see.
func (s *Server) apiGrants(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	bad := fieldErrors{}
	f := share.GrantFilter{Statuses: grantStatuses(c, bad, l)}
	if v := c.Query("kind"); v != "" {
		if f.Kind = share.Kind(v); f.Kind != share.Application && f.Kind != share.Emergency {
			bad["kind"] = msg(l, "kind must be application or emergency", "kind 必须是 application 或 emergency")
		}
	}
	view := c.DefaultQuery("view", "all")
	switch view {
	case "mine":
		f.Requester = p.UserID
	case "decide":
		if len(f.Statuses) == 0 {
			f.Statuses = []share.Status{share.Pending}
		}
	case "all":
	default:
		bad["view"] = msg(l, "view must be mine, decide or all", "view 必须是 mine、decide 或 all")
	}
	if len(bad) > 0 {
		s.fail(c, bad)
		return
	}
	gs, err := s.share.Grants(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	cache := map[string]*incident.Incident{}
	items := []grantJSON{}
	for _, g := range gs {
		incs, err := s.grantIncidents(c, g, cache)
		if err != nil {
			s.fail(c, err)
			return
		}
		switch {
		case !access.CanSeeGrant(p, g, incs):
			continue
		case view == "decide" && (g.Status != share.Pending || !access.CanDecideGrant(p, g, incs)):
			continue
		}
		items = append(items, toGrantJSON(g))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) apiGrant(c *gin.Context) {
	g, err := s.seenGrant(c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toGrantJSON(g))
}

// isRequester allows the grant's requester (access.CanWithdrawRequest).
func isRequester(p access.Principal, g *share.Grant, _ []*incident.Incident) bool {
	return access.CanWithdrawRequest(p, g)
}

// grantCommand is a change to grant :id: the body (a *B) is decoded
// strictly, the grant is loaded for a caller who may do it (one who may
// not even see it gets 404), and do applies it through the service,
// whose answer is the changed grant.
func grantCommand[B any](s *Server, may grantPolicy, do func(ctx context.Context, g *share.Grant, req *B, by share.Party) (*share.Grant, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		req := new(B)
		if err := decodeJSON(c.Request, req, lang(c)); err != nil {
			s.fail(c, err)
			return
		}
		g, err := s.seenGrant(c, may)
		if err != nil {
			s.fail(c, err)
			return
		}
		next, err := do(c.Request.Context(), g, req, access.SharePartyOf(principal(c)))
		if err != nil {
			s.shareFail(c, err)
			return
		}
		c.JSON(http.StatusOK, toGrantJSON(next))
	}
}

// apiResubmitGrant corrects a returned request (its requester).
func (s *Server) apiResubmitGrant() gin.HandlerFunc {
	return grantCommand(s, isRequester, func(ctx context.Context, g *share.Grant, req *resubmitRequest, by share.Party) (*share.Grant, error) {
		return s.share.Resubmit(ctx, g.ID, req.Version, req.grantRequest.request(s.now()), by)
	})
}

// apiDecideGrant approves, rejects or returns a request.
func (s *Server) apiDecideGrant() gin.HandlerFunc {
	return grantCommand(s, access.CanDecideGrant, func(ctx context.Context, g *share.Grant, req *decisionRequest, by share.Party) (*share.Grant, error) {
		d := share.Decision{Action: req.Action, Comment: req.Comment}
		if req.Until != "" {
			u, _ := time.Parse(rfc3339, req.Until) // checked by the tag
			d.Until = &u
		}
		return s.share.Decide(ctx, g.ID, req.Version, d, by)
	})
}

// apiWithdrawGrant withdraws a request (its requester).
func (s *Server) apiWithdrawGrant() gin.HandlerFunc {
	return grantCommand(s, isRequester, func(ctx context.Context, g *share.Grant, req *versionRequest, by share.Party) (*share.Grant, error) {
		return s.share.Withdraw(ctx, g.ID, req.Version, by)
	})
}

// apiRevokeGrant ends a grant at once.
func (s *Server) apiRevokeGrant() gin.HandlerFunc {
	return grantCommand(s, access.CanEndGrant, func(ctx context.Context, g *share.Grant, req *revokeRequest, by share.Party) (*share.Grant, error) {
		return s.share.Revoke(ctx, g.ID, req.Version, req.Reason, by)
	})
}

// apiReinstateGrant makes a suspended grant active again.
func (s *Server) apiReinstateGrant() gin.HandlerFunc {
	return grantCommand(s, access.CanEndGrant, func(ctx context.Context, g *share.Grant, req *reinstateRequest, by share.Party) (*share.Grant, error) {
		return s.share.Reinstate(ctx, g.ID, req.Version, req.Comment, by)
	})
}

func (s *Server) apiGrantAccesses(c *gin.Context) {
	g, err := s.seenGrant(c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.share.Accesses(c.Request.Context(), share.AccessFilter{By: g.ID, Limit: 1000})
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, list, toAccessJSON)
}

func (s *Server) apiGrantCopies(c *gin.Context) {
	g, err := s.seenGrant(c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.share.Copies(c.Request.Context(), share.CopyFilter{By: g.ID})
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, list, toCopyJSON)
}

func (s *Server) apiShareRules(c *gin.Context) {
	rules, err := s.share.Rules(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, rules, toRuleJSON)
}

func (s *Server) apiCreateShareRule(c *gin.Context) {
	var req ruleRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	rule := req.rule("")
	rule.Version = 0 // a new rule starts at 1
	r, err := s.share.SaveRule(c.Request.Context(), rule, access.SharePartyOf(principal(c)))
	if err != nil {
		s.shareFail(c, err)
		return
	}
	c.Header("Location", "/api/v1/share-rules/"+r.ID)
	c.JSON(http.StatusCreated, toRuleJSON(r))
}

func (s *Server) apiSaveShareRule(c *gin.Context) {
	l := lang(c)
	var req ruleRequest
	if err := decodeJSON(c.Request, &req, l); err != nil {
		s.fail(c, err)
		return
	}
	if req.Version < 1 {
		s.fail(c, fieldErrors{"version": msg(l, "the version you changed is required", "必须提供所修改的版本号")})
		return
	}
	r, err := s.share.SaveRule(c.Request.Context(), req.rule(c.Param("id")), access.SharePartyOf(principal(c)))
	if err != nil {
		s.shareFail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRuleJSON(r))
}

// apiShareAccess reads the whole access log: ?incident=, ?requester= (a
// username or user id), ?since= (RFC 3339), ?limit= (1-1000, 200).
func (s *Server) apiShareAccess(c *gin.Context) {
	l := lang(c)
	bad := fieldErrors{}
	f := share.AccessFilter{Incident: strings.TrimSpace(c.Query("incident")), Limit: 200}
	if len(f.Incident) > 64 {
		bad["incident"] = msg(l, "at most 64 characters", "最多 64 个字符")
	}
	if v := strings.TrimSpace(c.Query("requester")); v != "" {
		if len(v) > 64 {
			bad["requester"] = msg(l, "at most 64 characters", "最多 64 个字符")
		} else if u, err := s.access.UserByUsername(c.Request.Context(), v); err == nil {
			f.Requester = u.ID
		} else if errors.Is(err, access.ErrNotFound) {
			f.Requester = v
		} else {
			s.fail(c, err)
			return
		}
	}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad["since"] = msg(l, "use RFC 3339 (2026-03-05T08:00:00Z)", "请使用 RFC 3339 格式（2026-03-05T08:00:00Z）")
		}
		f.Since = t
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad["limit"] = msg(l, "limit must be between 1 and 1000", "limit 必须在 1 到 1000 之间")
		}
		f.Limit = n
	}
	if len(bad) > 0 {
		s.fail(c, bad)
		return
	}
	list, err := s.share.Accesses(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, list, toAccessJSON)
}

// apiSharedIncident opens the desensitized shared view of an incident:
// 404 when nothing admits the caller (an unknown incident answers the
// same), 423 when this access (or an earlier one) suspended the grant.
func (s *Server) apiSharedIncident(c *gin.Context) {
	v, verdict, err := s.share.Open(c.Request.Context(), sharedRequester(c), c.Param("ref"))
	if err != nil {
		s.fail(c, sharedErr(err))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, toSharedViewJSON(v, verdict))
}

// sharedErr makes an unknown incident or copy answer exactly like one not
// shared with the caller.
func sharedErr(err error) error {
	if errors.Is(err, share.ErrNotFound) || errors.Is(err, incident.ErrNotFound) {
		return share.ErrDenied
	}
	return err
}

func (s *Server) apiTakeCopy(c *gin.Context) {
	var req copyRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	cp, err := s.share.TakeCopy(c.Request.Context(), sharedRequester(c), c.Param("ref"), req.Format)
	if err != nil {
		s.shareFail(c, sharedErr(err))
		return
	}
	c.Header("Location", "/api/v1/shared/copies/"+cp.ID)
	c.JSON(http.StatusCreated, toCopyJSON(*cp))
}

// apiDownloadCopy sends a copy's content as an attachment to its
// requester, while what it was taken under still admits them.
func (s *Server) apiDownloadCopy(c *gin.Context) {
	cp, err := s.share.Copy(c.Request.Context(), sharedRequester(c), c.Param("id"))
	if err != nil {
		s.fail(c, sharedErr(err))
		return
	}
	sendCopy(c, cp)
}

// safeFileName keeps the characters of s that are safe in a quoted
// Content-Disposition file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// apiWithdrawCopy withdraws a copy (access.CanWithdrawCopy). A copy the
// caller could not withdraw and may not otherwise see answers 404.
func (s *Server) apiWithdrawCopy(c *gin.Context) {
	ctx := c.Request.Context()
	p := principal(c)
	cp, err := s.share.CopyInfo(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var (
		g    *share.Grant
		incs []*incident.Incident
		seen = cp.Requester.UserID == p.UserID || access.CanReadShareRules(p)
	)
	if cp.Basis != share.ByRule {
		if g, err = s.share.Grant(ctx, cp.By); err != nil && !errors.Is(err, share.ErrNotFound) {
			s.fail(c, err)
			return
		}
		if g != nil {
			if incs, err = s.grantIncidents(c, g, nil); err != nil {
				s.fail(c, err)
				return
			}
			seen = seen || access.CanSeeGrant(p, g, incs)
		}
	}
	switch {
	case access.CanWithdrawCopy(p, cp, g, incs):
	case seen:
		s.fail(c, access.ErrForbidden)
		return
	default:
		s.fail(c, fmt.Errorf("copy %s: %w", cp.ID, share.ErrNotFound))
		return
	}
	if err := s.share.WithdrawCopy(ctx, cp.ID, access.SharePartyOf(p)); err != nil {
		s.shareFail(c, err)
		return
	}
	if cp, err = s.share.CopyInfo(ctx, cp.ID); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCopyJSON(*cp))
}
