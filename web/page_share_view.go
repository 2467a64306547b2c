package web

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// The shared view (/shared/incidents/:ref): an incident as a requester
// admitted by an emergency grant, an attribute rule or an application
// sees it, desensitized. Whether they are admitted is decided, logged and
// watched by share.Service.Open; an incident not shared with them answers
// exactly like one that does not exist.

// sharedPage is the data of the shared view.
type sharedPage struct {
	common
	V         share.View
	Suspended bool
	Level     string
	Category  string
	Stage     string
	Reported  string
	Closed    string
	Occurred  string
	Scope     string
	Nature    string
	Basis     string
	By        string
	ByURL     string
	Masked    []maskedCount
	Shows     map[share.Section]bool
	Timeline  []sharedEntry
	Contacts  []share.ViewContact // roles named in the caller's language
	CanCopy   bool
}

type maskedCount struct {
	Class string
	N     int
}

type sharedEntry struct{ When, Actor, What, Text string }

// sharedRequester is the caller as sharing decisions see them.
func sharedRequester(c *gin.Context) share.Requester {
	r := access.ShareRequester(principal(c), c.ClientIP())
	r.Lang = lang(c)
	return r
}

func (s *Server) sharedView(c *gin.Context) {
	l := lang(c)
	ref := strings.ToUpper(strings.TrimSpace(c.Param("ref")))
	v, verdict, err := s.share.Open(c.Request.Context(), sharedRequester(c), ref)
	if err != nil {
		s.sharedFailed(c, err)
		return
	}
	page := sharedPage{common: s.common(c, T(l, "shared.title", v.Number), "sharing"), V: v,
		Level: levelName(l, v.Level), Category: categoryName(l, v.Category), Stage: stageName(l, v.Stage),
		Reported: fmtTime(v.ReportedAt), Basis: basisName(l, v.Basis), By: v.By, Shows: map[share.Section]bool{},
		CanCopy: verdict.Copies}
	if page.Basis == "" {
		page.Basis = basisName(l, verdict.Basis)
	}
	if page.By == "" {
		page.By = verdict.By
	}
	if strings.HasPrefix(page.By, "SG-") {
		page.ByURL = "/sharing/grants/" + page.By
	}
	if v.ClosedAt != nil {
		page.Closed = fmtTime(*v.ClosedAt)
	}
	for _, x := range v.Sections {
		page.Shows[x] = true
	}
	if d := v.Description; d != nil {
		if d.OccurredAt != nil {
			page.Occurred = fmtTime(*d.OccurredAt)
		}
		if d.Scope != "" {
			page.Scope = scopeName(l, d.Scope)
		}
		if d.Nature != "" {
			page.Nature = natureName(l, d.Nature)
		}
	}
	for _, cl := range share.Classes() {
		if n := v.Masked[cl]; n > 0 {
			page.Masked = append(page.Masked, maskedCount{Class: className(l, cl), N: n})
		}
	}
	for _, e := range v.Timeline {
		what := tOr(l, "tl."+string(e.Kind), string(e.Kind))
		if e.From != "" || e.To != "" {
			what += " " + strings.TrimSuffix(strings.TrimPrefix(stageOr(l, e.From)+" → "+stageOr(l, e.To), " → "), " → ")
		}
		page.Timeline = append(page.Timeline, sharedEntry{When: fmtTime(e.At), Actor: e.Actor, What: what, Text: e.Text})
	}
	for _, ct := range v.Contacts {
		page.Contacts = append(page.Contacts, share.ViewContact{Role: tOr(l, "shared.role."+ct.Role, ct.Role), Name: ct.Name})
	}
	s.render(c, http.StatusOK, "shared", page)
}

// stageOr names x in language l when it is a stage, else shows it as is.
func stageOr(l, x string) string {
	if st := incident.Stage(x); x != "" && st.Valid() {
		return stageName(l, st)
	}
	return x
}

// sharedFailed answers a refused shared access to incident ref: not
// found when nothing admits the caller (as for an unknown incident), a
// clear page when the access suspended the caller's grant or finds it
// suspended (their own grant names the incident: nothing leaks).
func (s *Server) sharedFailed(c *gin.Context, err error) {
	l := lang(c)
	switch {
	case errors.Is(err, share.ErrSuspended):
		s.render(c, http.StatusForbidden, "shared", sharedPage{common: s.common(c, T(l, "shared.suspended_title"), "sharing"), Suspended: true})
	case errors.Is(err, share.ErrDenied), errors.Is(err, share.ErrNotFound):
		s.pageError(c, http.StatusNotFound, nil)
	default:
		s.sharePageError(c, err)
	}
}

// copyFormats are the formats a copy may be taken in, with their file
// extension and content type.
var copyFormats = map[string][2]string{
	"json":     {".json", "application/json; charset=utf-8"},
	"markdown": {".md", "text/markdown; charset=utf-8"},
}

// sharedCopy takes a desensitized copy of the shared view and sends the
// browser to download it.
func (s *Server) sharedCopy(c *gin.Context) {
	l := lang(c)
	format := c.PostForm("format")
	if _, ok := copyFormats[format]; !ok {
		s.pageError(c, http.StatusBadRequest, fieldErrors{"format": msg(l, "choose JSON or Markdown", "请选择 JSON 或 Markdown")})
		return
	}
	ref := strings.ToUpper(strings.TrimSpace(c.Param("ref")))
	cp, err := s.share.TakeCopy(c.Request.Context(), sharedRequester(c), ref, format)
	if err != nil {
		s.sharedFailed(c, err)
		return
	}
	s.log.Info("shared copy taken", "incident", ref, "copy", cp.ID, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/shared/copies/"+cp.ID)
}

// sharedCopyDownload serves a copy as a file, to its requester while
// what it was taken under still admits them.
func (s *Server) sharedCopyDownload(c *gin.Context) {
	cp, err := s.share.Copy(c.Request.Context(), sharedRequester(c), c.Param("id"))
	if err != nil {
		s.sharedFailed(c, err)
		return
	}
	sendCopy(c, cp)
}

// sendCopy answers with a copy's content as a file to save (the page and
// the API alike), never to be shown inline or cached.
func sendCopy(c *gin.Context, cp *share.Copy) {
	f, ok := copyFormats[cp.Format]
	if !ok {
		f = [2]string{".txt", "text/plain; charset=utf-8"}
	}
	name := safeFileName(cp.Incident + "-" + cp.ID + f[0])
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, f[1], cp.Content)
}
