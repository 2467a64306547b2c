package web

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// The sharing pages: a person's requests and what waits for their
// decision (/sharing), the application form, a grant with its history,
// actions, access log and copies, the attribute rules, and the
// desensitized shared view of an incident (/shared/...). Every role check
// is a policy of access/policy_share.go; the share.Service enforces the
// rules of the mechanisms and records every change in the audit trail.

// sharePageRoutes registers the sharing pages: requests and approvals,
// attribute rules, and the desensitized shared view.
func (s *Server) sharePageRoutes(r *gin.Engine) {
	guard := func(allowed func(access.Principal) bool) []gin.HandlerFunc {
		return []gin.HandlerFunc{s.requirePage(allowed), s.needSharePage}
	}
	with := func(allowed func(access.Principal) bool, h gin.HandlerFunc) []gin.HandlerFunc {
		return append(guard(allowed), h)
	}
	r.GET("/sharing", with(anyone, s.sharingHome)...)
	r.GET("/sharing/apply", with(access.CanRequestShare, s.shareApplyForm)...)
	r.POST("/sharing/apply", with(access.CanRequestShare, s.shareApplySubmit)...)
	r.GET("/sharing/grants/:id", with(anyone, s.grantPage)...)
	r.GET("/sharing/grants/:id/edit", with(access.CanRequestShare, s.grantEditForm)...)
	r.POST("/sharing/grants/:id/edit", with(access.CanRequestShare, s.grantEditSubmit)...)
	r.POST("/sharing/grants/:id/decision", with(anyone, s.grantDecide)...)
	r.POST("/sharing/grants/:id/withdraw", with(anyone, s.grantWithdraw)...)
	r.POST("/sharing/grants/:id/revoke", with(anyone, s.grantRevoke)...)
	r.POST("/sharing/grants/:id/reinstate", with(anyone, s.grantReinstate)...)
	r.POST("/sharing/copies/:id/withdraw", with(anyone, s.copyWithdraw)...)
	r.GET("/sharing/rules", with(access.CanReadShareRules, s.ruleList)...)
	r.GET("/sharing/rules/new", with(access.CanWriteShareRules, s.ruleNew)...)
	r.POST("/sharing/rules/new", with(access.CanWriteShareRules, s.ruleCreate)...)
	r.GET("/sharing/rules/:id/edit", with(access.CanReadShareRules, s.ruleEdit)...)
	r.POST("/sharing/rules/:id/edit", with(access.CanWriteShareRules, s.ruleSave)...)
	r.GET("/shared/incidents/:ref", with(access.CanUseShared, s.sharedView)...)
	r.POST("/shared/incidents/:ref/copies", with(access.CanUseShared, s.sharedCopy)...)
	r.GET("/shared/copies/:id", with(access.CanUseShared, s.sharedCopyDownload)...)
}

func (s *Server) needSharePage(c *gin.Context) {
	if s.share == nil {
		s.pageError(c, http.StatusServiceUnavailable, errNoShare)
		c.Abort()
	}
}

// shareStatus is the HTTP status of a sharing error on a page: that of
// statusOf, but for a suspended grant, which a page shows as a refusal
// (403) where the API answers 423.
func shareStatus(err error) int {
	if errors.Is(err, share.ErrSuspended) {
		return http.StatusForbidden
	}
	return statusOf(err)
}

// shareErrorText says what a sharing error means, in language l.
func shareErrorText(l string, status int, err error) string {
	var refused *share.RefusedError
	switch {
	case errors.As(err, &refused):
		return msg(l, refused.EN, refused.ZH)
	case errors.Is(err, share.ErrConflict):
		return T(l, "share.conflict")
	case errors.Is(err, share.ErrSuspended):
		return T(l, "share.suspended_text")
	case errors.Is(err, share.ErrForbidden):
		return T(l, "error.forbidden")
	case errors.Is(err, share.ErrNotFound), errors.Is(err, share.ErrDenied):
		return T(l, "error.not_found")
	case errors.Is(err, errNoShare):
		return T(l, "share.unavailable")
	}
	return errorText(l, status, err)
}

// sharePageError renders the error page for a sharing error.
func (s *Server) sharePageError(c *gin.Context, err error) {
	status := shareStatus(err)
	if status >= 500 || status == http.StatusNotFound || status == http.StatusForbidden && !errors.Is(err, share.ErrSuspended) {
		s.pageError(c, status, err)
		return
	}
	l := lang(c)
	heading := tOr(l, "status."+strconv.Itoa(status), http.StatusText(status))
	s.render(c, status, "error", errorPage{common: s.common(c, heading, "sharing"), Status: status, Heading: heading,
		Message: shareErrorText(l, status, err), RequestID: c.GetString(ctxRequestID)})
}

// shareFieldErrors are the field messages of err (validation in the web
// layer or *incident.InvalidError from the service) by form field name.
func shareFieldErrors(l string, err error) map[string]string {
	out := map[string]string{}
	var (
		fields  fieldErrors
		invalid *incident.InvalidError
	)
	switch {
	case errors.As(err, &fields):
		for k, v := range fields {
			if _, dup := out[shareField(k)]; !dup {
				out[shareField(k)] = v
			}
		}
	case errors.As(err, &invalid):
		keys := make([]string, 0, len(invalid.Fields))
		for k := range invalid.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f, m := shareField(k), msg(l, invalid.Fields[k].EN, invalid.Fields[k].ZH)
			if prev, dup := out[f]; dup {
				m = prev + " " + m
			}
			out[f] = m
		}
	}
	return out
}

// shareField is the form field a domain message is about: list elements
// belong to their list, and the domain's names to the form's.
func shareField(key string) string {
	f := fieldName(key)
	switch f {
	case "rate", "ratePerHour", "RatePerHour":
		return "rate_per_hour"
	case "period", "Until":
		return "until"
	case "From":
		return "from"
	case "scope":
		return "incidents"
	}
	return strings.ToLower(f)
}

// party is the caller as a side of a grant.
func party(c *gin.Context) share.Party { return access.SharePartyOf(principal(c)) }

// seeGrant loads grant id for the caller: one they may not see is not
// found, as is an unknown one.
func (s *Server) seeGrant(c *gin.Context, id string) (*share.Grant, []*incident.Incident, error) {
	g, err := s.share.Grant(c.Request.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	incs, err := s.grantIncidents(c, g, nil)
	if err != nil {
		return nil, nil, err
	}
	if !access.CanSeeGrant(principal(c), g, incs) {
		return nil, nil, share.ErrNotFound
	}
	return g, incs, nil
}

// sharingHome is GET /sharing: the caller's requests, those waiting for
// their decision, the grants they own and, for managers, admins and
// auditors, every grant (filtered by status).
type sharingHomePage struct {
	common
	CanRequest bool
	CanRules   bool
	SeesAll    bool
	Mine       grantSet
	Waiting    grantSet
	Owned      grantSet
	All        grantSet
	Copies     copySet
	Status     string
	Statuses   []option
}

// grantSet is a list of grants as the "grantrows" template draws it.
type grantSet struct {
	Lang, ID string
	Rows     []grantRow
}

// copySet is a list of copies as the "copyrows" template draws it.
type copySet struct {
	Lang string
	CSRF template.HTML
	Rows []copyRow
}

// grantRow is one grant in a list.
type grantRow struct {
	ID, URL, Kind, Status, StatusClass, Requester, Purpose, Incidents, Period string
}

func (s *Server) grantRows(l, id string, gs []*share.Grant) grantSet {
	out := grantSet{Lang: l, ID: id}
	for _, g := range gs {
		out.Rows = append(out.Rows, grantRow{ID: g.ID, URL: "/sharing/grants/" + g.ID, Kind: kindName(l, g.Kind),
			Status: statusName(l, g.Status), StatusClass: string(g.Status), Requester: partyText(g.Requester),
			Purpose: clip(g.Purpose, 120), Incidents: strings.Join(g.Scope.Incidents, ", "), Period: periodText(g)})
	}
	return out
}

func (s *Server) sharingHome(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	ctx := c.Request.Context()
	st := share.Status(c.Query("status"))
	if st != "" && !slices.Contains(allStatuses(), st) {
		s.pageError(c, http.StatusBadRequest, fieldErrors{"status": msg(l, "unknown status", "未知的状态")})
		return
	}
	page := sharingHomePage{common: s.common(c, T(l, "share.title"), "sharing"), CanRequest: access.CanRequestShare(p),
		CanRules: access.CanReadShareRules(p), SeesAll: p.Has(access.Manager, access.Admin, access.Auditor), Status: string(st)}
	page.Statuses = append(page.Statuses, option{Value: "", Label: T(l, "share.any_status"), Selected: st == ""})
	for _, x := range allStatuses() {
		page.Statuses = append(page.Statuses, option{Value: string(x), Label: statusName(l, x), Selected: x == st})
	}
	mine, err := s.share.Grants(ctx, share.GrantFilter{Requester: p.UserID, Limit: 200})
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	page.Mine = s.grantRows(l, "grants-mine", mine)
	pending, err := s.share.Grants(ctx, share.GrantFilter{Statuses: []share.Status{share.Pending}, Limit: 500})
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	var waiting []*share.Grant
	cache := map[string]*incident.Incident{}
	for _, g := range pending {
		incs, err := s.grantIncidents(c, g, cache)
		if err != nil {
			s.sharePageError(c, err)
			return
		}
		if access.CanDecideGrant(p, g, incs) {
			waiting = append(waiting, g)
		}
	}
	page.Waiting = s.grantRows(l, "grants-waiting", waiting)
	owned, err := s.share.Grants(ctx, share.GrantFilter{Owner: p.UserID, Limit: 200})
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	page.Owned = s.grantRows(l, "grants-owned", owned)
	if page.SeesAll {
		f := share.GrantFilter{Limit: 500}
		if st != "" {
			f.Statuses = []share.Status{st}
		}
		all, err := s.share.Grants(ctx, f)
		if err != nil {
			s.sharePageError(c, err)
			return
		}
		page.All = s.grantRows(l, "grants-all", all)
	}
	copies, err := s.share.Copies(ctx, share.CopyFilter{Requester: p.UserID, Live: true})
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	page.Copies = copySet{Lang: l, CSRF: page.CSRF, Rows: copyRows(l, copies, true)}
	s.render(c, http.StatusOK, "sharing", page)
}

func allStatuses() []share.Status {
	return []share.Status{share.Pending, share.Returned, share.Rejected, share.Active, share.Suspended, share.Revoked,
		share.Expired, share.Withdrawn}
}

// copyRow is one copy in a list.
type copyRow struct {
	ID, Incident, Requester, Format, Basis, By, At, Withdrawn string
	Live, CanWithdraw                                         bool
}

func copyRows(l string, cs []share.Copy, canWithdraw bool) []copyRow {
	out := make([]copyRow, 0, len(cs))
	for _, cp := range cs {
		r := copyRow{ID: cp.ID, Incident: cp.Incident, Requester: partyText(cp.Requester), Format: cp.Format,
			Basis: basisName(l, cp.Basis), By: cp.By, At: fmtTime(cp.CreatedAt), Live: cp.Withdrawn == nil, CanWithdraw: canWithdraw}
		if w := cp.Withdrawn; w != nil {
			r.Withdrawn = T(l, "share.copy_withdrawn_by", partyName(w.By), fmtTime(w.At))
			r.CanWithdraw = false
		}
		out = append(out, r)
	}
	return out
}

// copyWithdraw is POST /sharing/copies/:id/withdraw. The copy is found
// among those of the grant or rule the form names, or the caller's own;
// who may withdraw it is decided on the copy itself.
func (s *Server) copyWithdraw(c *gin.Context) {
	ctx := c.Request.Context()
	p := principal(c)
	id := c.Param("id")
	var found *share.Copy
	for _, f := range []share.CopyFilter{{By: strings.TrimSpace(c.PostForm("by"))}, {Requester: p.UserID}} {
		if f.By == "" && f.Requester == "" {
			continue
		}
		cs, err := s.share.Copies(ctx, f)
		if err != nil {
			s.sharePageError(c, err)
			return
		}
		for i := range cs {
			if cs[i].ID == id {
				found = &cs[i]
			}
		}
		if found != nil {
			break
		}
	}
	if found == nil {
		s.pageError(c, http.StatusNotFound, share.ErrNotFound)
		return
	}
	var (
		g    *share.Grant
		incs []*incident.Incident
	)
	if found.Basis != share.ByRule && found.By != "" {
		var err error
		if g, err = s.share.Grant(ctx, found.By); err != nil && !errors.Is(err, share.ErrNotFound) {
			s.sharePageError(c, err)
			return
		}
		if g != nil {
			if incs, err = s.grantIncidents(c, g, nil); err != nil {
				s.sharePageError(c, err)
				return
			}
		}
	}
	if !access.CanWithdrawCopy(p, found, g, incs) {
		// Those who may read the grant learn that they may not; others
		// learn nothing.
		status := http.StatusNotFound
		if p.Has(access.Manager, access.Admin, access.Auditor) || g != nil && access.CanSeeGrant(p, g, incs) {
			status = http.StatusForbidden
		}
		s.pageError(c, status, access.ErrForbidden)
		return
	}
	if err := s.share.WithdrawCopy(ctx, id, party(c)); err != nil {
		s.sharePageError(c, err)
		return
	}
	next := "/sharing"
	if g != nil && access.CanSeeGrant(p, g, incs) {
		next = "/sharing/grants/" + g.ID + "#copies"
	}
	c.Redirect(http.StatusSeeOther, next)
}
