package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// The grant page: the request or grant, its whole history (the
// correction loop visible step by step), the forms of the actions the
// caller may take, its access log and its copies.

// sharingGrantPage is the data of the grant page.
type sharingGrantPage struct {
	common
	ID          string
	Kind        string
	Emergency   bool
	Status      string
	StatusClass string
	Requester   share.Party
	Purpose     string
	Incidents   []grantIncident
	Sections    string
	Reveal      string
	Copies      bool
	Period      string
	Rate        int
	Owner       string
	Reason      string
	Created     string
	History     []historyRow
	Forms       []formView
	EditURL     string // the correction form, for the requester of a returned request
	ContinueURL string // apply to continue an emergency grant
	Accesses    []accessRow
	CopyRows    copySet
	Problem     string
}

// grantIncident is one incident a grant names, with where to read it.
type grantIncident struct {
	Number, URL string
}

type historyRow struct {
	When, WhenISO, Who, What, FromTo, Comment, Action string
}

type accessRow struct {
	When, Incident, Who, Action, Result, Basis, Addr, Reason string
	Allowed                                                  bool
}

func (s *Server) grantPage(c *gin.Context) {
	g, incs, err := s.seeGrant(c, c.Param("id"))
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	s.renderGrant(c, http.StatusOK, g, incs, shareState{})
}

// renderGrant draws the grant page; st.Values["form"] names the form that
// was posted and refused, drawn again with its values and messages.
func (s *Server) renderGrant(c *gin.Context, status int, g *share.Grant, incs []*incident.Incident, st shareState) {
	l := lang(c)
	p := principal(c)
	ctx := c.Request.Context()
	c.Set(ctxHere, "/sharing/grants/"+g.ID)
	page := sharingGrantPage{common: s.common(c, T(l, "share.grant_title", g.ID), "sharing"), ID: g.ID, Kind: kindName(l, g.Kind),
		Emergency: g.Kind == share.Emergency, Status: statusName(l, g.Status), StatusClass: string(g.Status), Requester: g.Requester,
		Purpose: g.Purpose, Sections: sectionsText(l, withOverview(g.Scope.Sections)), Reveal: classesText(l, g.Scope.Reveal),
		Copies: g.Scope.Copies, Period: periodText(g), Rate: g.RatePerHour, Reason: g.Reason, Created: fmtTime(g.CreatedAt)}
	if page.Rate == 0 {
		page.Rate = share.DefaultRate
	}
	if g.Owner.UserID != "" {
		page.Owner = partyText(g.Owner)
	}
	for i, n := range g.Scope.Incidents {
		gi := grantIncident{Number: n}
		switch {
		case i < len(incs) && incs[i] != nil && access.CanView(p, incs[i]):
			gi.URL = "/incidents/" + n
		case g.Requester.UserID == p.UserID && g.Status == share.Active:
			gi.URL = "/shared/incidents/" + n
		}
		page.Incidents = append(page.Incidents, gi)
	}
	for _, h := range g.History {
		row := historyRow{When: fmtTime(h.At), WhenISO: h.At.UTC().Format(time.RFC3339), Who: partyText(h.By), What: actionName(l, h.Action),
			Comment: h.Comment, Action: h.Action}
		if h.From != "" && h.From != h.To {
			row.FromTo = statusName(l, h.From) + " → " + statusName(l, h.To)
		} else if h.To != "" {
			row.FromTo = statusName(l, h.To)
		}
		page.History = append(page.History, row)
	}
	page.Forms = s.grantForms(c, g, incs, st)
	// A refused form that the grant's state no longer offers (it was
	// decided meanwhile) says why above the page.
	if st.Problem != "" && !slices.ContainsFunc(page.Forms, func(f formView) bool { return f.ID == st.get("form") }) {
		page.Problem = st.Problem
	}
	if g.Status == share.Returned && access.CanWithdrawRequest(p, g) {
		page.EditURL = "/sharing/grants/" + g.ID + "/edit"
	}
	if g.Kind == share.Emergency && g.Requester.UserID == p.UserID && access.CanRequestShare(p) &&
		(g.Status == share.Active || g.Status == share.Expired) {
		page.ContinueURL = "/sharing/apply?from=" + url.QueryEscape(g.ID)
	}
	accesses, err := s.share.Accesses(ctx, share.AccessFilter{By: g.ID, Limit: 200})
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	for _, a := range accesses {
		row := accessRow{When: fmtTime(a.At), Incident: a.Incident, Who: partyText(a.Requester), Action: tOr(l, "share.access."+a.Action, a.Action),
			Allowed: a.Allowed, Basis: basisName(l, a.Basis), Addr: a.Addr, Reason: a.Reason}
		if a.By != "" && a.By != g.ID {
			row.Basis += " " + a.By
		}
		row.Result = T(l, "share.refused")
		if a.Allowed {
			row.Result = T(l, "share.allowed")
		}
		page.Accesses = append(page.Accesses, row)
	}
	copies, err := s.share.Copies(ctx, share.CopyFilter{By: g.ID})
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	page.CopyRows = copySet{Lang: l, CSRF: page.CSRF, Rows: copyRows(l, copies, false)}
	for i := range page.CopyRows.Rows {
		page.CopyRows.Rows[i].CanWithdraw = page.CopyRows.Rows[i].Live && access.CanWithdrawCopy(p, &copies[i], g, incs)
	}
	s.render(c, status, "sharing_grant", page)
}

// withOverview is xs with the overview first, as every view shows it.
func withOverview(xs []share.Section) []share.Section {
	out := []share.Section{share.Overview}
	for _, x := range xs {
		if x != share.Overview {
			out = append(out, x)
		}
	}
	return out
}

// grantForms are the forms of the actions the caller may take on g now.
func (s *Server) grantForms(c *gin.Context, g *share.Grant, incs []*incident.Incident, st shareState) []formView {
	l := lang(c)
	p := principal(c)
	csrf := csrfInput(csrfToken(c))
	version := strconv.FormatInt(g.Version, 10)
	posted := st.get("form")
	val := func(form, name, def string) string {
		if posted == form {
			return st.get(name)
		}
		return def
	}
	var out []formView
	mk := func(id, action, title, submit string, danger bool) formView {
		f := formView{ID: id, Action: "/sharing/grants/" + g.ID + "/" + action, Title: title, Submit: submit, Danger: danger, CSRF: csrf,
			Hidden: []hiddenField{{Name: "form", Value: id}, {Name: "version", Value: version}}}
		return f
	}
	finish := func(f formView) {
		if posted == f.ID {
			f.Error = st.Problem
			for i := range f.Fields {
				f.Fields[i].Error = st.Errors[f.Fields[i].Name]
			}
			for name, m := range st.Errors {
				if !f.has(name) {
					f.Error = strings.TrimSpace(f.Error + " " + m)
				}
			}
		}
		out = append(out, f)
	}
	if g.Status == share.Pending && access.CanDecideGrant(p, g, incs) {
		f := mk("decide", "decision", T(l, "share.decide_title"), T(l, "share.decide_submit"), false)
		f.Intro = T(l, "share.decide_intro")
		act := val("decide", "action", "")
		f.add(field{Name: "action", Kind: "radio", Label: T(l, "share.field.decision"), Required: true, Options: []option{
			{Value: share.ActApprove, Label: T(l, "share.act.approve"), Hint: T(l, "share.approve_hint"), Selected: act == share.ActApprove},
			{Value: share.ActReturn, Label: T(l, "share.act.return"), Hint: T(l, "share.return_hint"), Selected: act == share.ActReturn},
			{Value: share.ActReject, Label: T(l, "share.act.reject"), Hint: T(l, "share.reject_hint"), Selected: act == share.ActReject},
		}})
		f.add(field{Name: "comment", Kind: "textarea", Rows: 3, Label: T(l, "share.field.comment"), Help: T(l, "share.help.comment"),
			MaxLen: share.MaxComment, Value: val("decide", "comment", "")})
		f.add(field{Name: "until", Kind: "date", Label: T(l, "share.field.shorter_until"), Help: T(l, "share.help.shorter_until", dateValue(g.Until)),
			Value: val("decide", "until", "")})
		finish(f)
	}
	if (g.Status == share.Pending || g.Status == share.Returned) && access.CanWithdrawRequest(p, g) {
		f := mk("withdraw", "withdraw", T(l, "share.withdraw_title"), T(l, "share.withdraw_submit"), true)
		f.Intro = T(l, "share.withdraw_intro")
		finish(f)
	}
	if g.Status == share.Suspended && access.CanEndGrant(p, g, incs) {
		f := mk("reinstate", "reinstate", T(l, "share.reinstate_title"), T(l, "share.reinstate_submit"), false)
		f.Intro = T(l, "share.reinstate_intro")
		f.add(field{Name: "comment", Kind: "textarea", Rows: 2, Label: T(l, "share.field.comment"), MaxLen: share.MaxComment,
			Value: val("reinstate", "comment", "")})
		finish(f)
	}
	if (g.Status == share.Active || g.Status == share.Suspended) && access.CanEndGrant(p, g, incs) {
		f := mk("revoke", "revoke", T(l, "share.revoke_title"), T(l, "share.revoke_submit"), true)
		f.Intro = T(l, "share.revoke_intro")
		f.add(field{Name: "reason", Kind: "textarea", Rows: 2, Label: T(l, "share.field.reason"), Required: true, MaxLen: share.MaxComment,
			Value: val("revoke", "reason", "")})
		finish(f)
	}
	return out
}

// grantAction runs one of the grant page's commands: the caller must see
// the grant (else 404) and be allowed the action (else 403); a refusal by
// the service draws the page again with the form as posted.
func (s *Server) grantAction(c *gin.Context, form string, allowed func(access.Principal, *share.Grant, []*incident.Incident) bool,
	run func(ctx context.Context, g *share.Grant, version int64) error) {
	g, incs, err := s.seeGrant(c, c.Param("id"))
	if err != nil {
		s.sharePageError(c, err)
		return
	}
	if !allowed(principal(c), g, incs) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	_ = c.Request.ParseForm()
	st := shareState{Values: url.Values{}}
	for k, v := range c.Request.PostForm {
		if k != CSRFField {
			st.Values[k] = v
		}
	}
	st.Values.Set("form", form)
	if err := run(c.Request.Context(), g, formVersion(c)); err != nil {
		status := shareStatus(err)
		if status >= 500 || status == http.StatusNotFound || status == http.StatusForbidden {
			s.sharePageError(c, err)
			return
		}
		l := lang(c)
		st.Errors = shareFieldErrors(l, err)
		if len(st.Errors) > 0 {
			st.Problem = T(l, "form.fix_fields")
		} else {
			st.Problem = shareErrorText(l, status, err)
		}
		if fresh, ferr := s.share.Grant(c.Request.Context(), g.ID); ferr == nil {
			g = fresh
		}
		s.renderGrant(c, status, g, incs, st)
		return
	}
	s.log.Info("share grant changed", "grant", g.ID, "action", form, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/sharing/grants/"+g.ID)
}

func (s *Server) grantDecide(c *gin.Context) {
	l := lang(c)
	s.grantAction(c, "decide", access.CanDecideGrant, func(ctx context.Context, g *share.Grant, version int64) error {
		d := share.Decision{Action: c.PostForm("action"), Comment: strings.TrimSpace(c.PostForm("comment"))}
		bad := fieldErrors{}
		switch d.Action {
		case share.ActApprove, share.ActReject, share.ActReturn:
		default:
			bad["action"] = msg(l, "choose approve, return or reject", "请选择批准、退回补正或拒绝")
		}
		if (d.Action == share.ActReject || d.Action == share.ActReturn) && d.Comment == "" {
			bad["comment"] = msg(l, "say why, so the requester knows what to do", "请说明理由，以便申请人知道如何处理")
		}
		if u := strings.TrimSpace(c.PostForm("until")); u != "" {
			day, ok := parseDay(u)
			if !ok {
				bad["until"] = msg(l, "must be a date like 2026-03-31", "必须是日期，如 2026-03-31")
			} else {
				from := g.From.Local()
				until := time.Date(day.Year(), day.Month(), day.Day(), from.Hour(), from.Minute(), from.Second(), 0, time.Local)
				if until.After(g.Until) {
					bad["until"] = msg(l, "may only shorten the period (it ends "+dateValue(g.Until)+")", "只能缩短期限（原截止于 "+dateValue(g.Until)+"）")
				}
				d.Until = &until
			}
		}
		if len(bad) > 0 {
			return bad
		}
		_, err := s.share.Decide(ctx, g.ID, version, d, party(c))
		return err
	})
}

func (s *Server) grantWithdraw(c *gin.Context) {
	s.grantAction(c, "withdraw", func(p access.Principal, g *share.Grant, _ []*incident.Incident) bool {
		return access.CanWithdrawRequest(p, g)
	}, func(ctx context.Context, g *share.Grant, version int64) error {
		_, err := s.share.Withdraw(ctx, g.ID, version, party(c))
		return err
	})
}

func (s *Server) grantRevoke(c *gin.Context) {
	l := lang(c)
	s.grantAction(c, "revoke", access.CanEndGrant, func(ctx context.Context, g *share.Grant, version int64) error {
		reason := strings.TrimSpace(c.PostForm("reason"))
		if reason == "" {
			return fieldErrors{"reason": msg(l, "say why the grant ends", "请说明撤销理由")}
		}
		_, err := s.share.Revoke(ctx, g.ID, version, reason, party(c))
		return err
	})
}

func (s *Server) grantReinstate(c *gin.Context) {
	s.grantAction(c, "reinstate", access.CanEndGrant, func(ctx context.Context, g *share.Grant, version int64) error {
		_, err := s.share.Reinstate(ctx, g.ID, version, strings.TrimSpace(c.PostForm("comment")), party(c))
		return err
	})
}
