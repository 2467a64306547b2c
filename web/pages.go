package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
)

// content holds the page templates and the static files (one stylesheet, a
// little plain JavaScript, an icon). Nothing is fetched from elsewhere.
//
//go:embed templates/*.html static/*
var content embed.FS

// pages are the parsed templates and the static files, ready to serve.
type pages struct {
	tmpl   map[string]*template.Template // by page name; each holds the layout and partials
	assets map[string]*staticFile        // by file name
}

// staticFile is one embedded file with its content type and a short hash
// that versions its URL, so browsers may cache it for long.
type staticFile struct {
	body    []byte
	ctype   string
	version string
}

// pageNames are the templates/<name>.html files that are whole pages.
var pageNames = []string{"login", "report", "incidents", "incident", "board", "error", "roster", "roster_edit", "roster_policies",
	"outbox", "runbooks", "runbook", "runbook_edit", "audit", "review", "reports",
	"sharing", "sharing_apply", "sharing_grant", "sharing_rules", "sharing_rule", "shared"}

// partials are parsed with every page.
var partials = []string{"templates/layout.html", "templates/forms.html", "templates/card.html", "templates/tasks.html",
	"templates/sharing_parts.html"}

// loadPages parses the templates and prepares the static files. It fails
// when a template refers to a message key missing from the catalog, so a
// typo breaks start-up and tests rather than showing a raw key to users.
func loadPages() (*pages, error) {
	p := &pages{tmpl: map[string]*template.Template{}, assets: map[string]*staticFile{}}
	files, err := fs.ReadDir(content, "static")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		body, err := content.ReadFile("static/" + f.Name())
		if err != nil {
			return nil, err
		}
		if f.Name() == "app.css" {
			body = append(body, levelCSS()...)
		}
		sum := sha256.Sum256(body)
		p.assets[f.Name()] = &staticFile{body: body, ctype: contentType(f.Name()), version: hex.EncodeToString(sum[:6])}
	}
	funcs := templateFuncs(p)
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(content, append(slices.Clone(partials), "templates/"+name+".html")...)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	if err := checkTemplateKeys(); err != nil {
		return nil, err
	}
	return p, nil
}

// templateKeyRE finds message keys used as {{T .Lang "key"}} or {{T $.Lang "key"}}.
var templateKeyRE = regexp.MustCompile(`\bT\s+\$?\.?[A-Za-z.]*\s+"([^"]+)"`)

func checkTemplateKeys() error {
	files, err := fs.Glob(content, "templates/*.html")
	if err != nil {
		return err
	}
	var missing []string
	for _, f := range files {
		b, err := content.ReadFile(f)
		if err != nil {
			return err
		}
		for _, m := range templateKeyRE.FindAllSubmatch(b, -1) {
			if _, ok := catalog[string(m[1])]; !ok {
				missing = append(missing, path.Base(f)+": "+string(m[1]))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("message keys missing from the catalog: %s", strings.Join(missing, ", "))
	}
	return nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	}
	return "application/octet-stream"
}

var colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// levelCSS gives each level's class its colour from incident.Levels, with
// the ink (white or near-black) that reads best on it, so the palette is
// defined once, in the domain.
func levelCSS() []byte {
	var b bytes.Buffer
	b.WriteString("\n/* Level colours, generated from incident.Levels(). */\n")
	for _, li := range incident.Levels() {
		if !colourRE.MatchString(li.Colour) {
			continue
		}
		fmt.Fprintf(&b, ".level-%s { --level: %s; --level-ink: %s; }\n", li.Level, li.Colour, inkOn(li.Colour))
	}
	return b.Bytes()
}

// inkOn picks white or near-black text for background colour hex (#rrggbb),
// whichever has the higher WCAG contrast.
func inkOn(hex string) string {
	var r, g, bl int
	_, _ = fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &bl)
	lin := func(c int) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	lum := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(bl)
	const darkLum = 0.0103 // #1c1f24
	if (1.05)/(lum+0.05) >= (lum+0.05)/(darkLum+0.05) {
		return "#ffffff"
	}
	return "#1c1f24"
}

// pageRoutes registers the HTML pages, the board's event stream and the
// static files.
func (s *Server) pageRoutes(r *gin.Engine) {
	r.GET("/static/:name", s.static)
	r.GET("/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusFound, s.asset("favicon.svg")) })
	r.GET("/lang", s.switchLang)
	r.GET("/login", s.loginForm)
	r.POST("/login", s.loginSubmit)
	r.POST("/logout", s.requirePage(anyone), s.logout)
	r.GET("/", s.requirePage(anyone), s.home)
	r.GET("/report", s.requirePage(access.CanReport), s.reportForm)
	r.POST("/report", s.requirePage(access.CanReport), s.reportSubmit)
	r.GET("/incidents", s.requirePage(anyone), s.incidentList)
	r.GET("/incidents/:ref", s.requirePage(anyone), s.ticket)
	r.POST("/incidents/:ref/transition", s.requirePage(anyone), s.ticketTransition)
	r.POST("/incidents/:ref/level", s.requirePage(anyone), s.ticketLevel)
	r.POST("/incidents/:ref/restriction", s.requirePage(anyone), s.ticketRestrict)
	r.GET("/board", s.requirePage(access.CanSeeBoard), s.board)
	r.GET("/board/events", s.requirePage(access.CanSeeBoard), s.boardEvents)
}

// asset is the versioned URL of a static file.
func (s *Server) asset(name string) string { return s.pages.url(name) }

func (p *pages) url(name string) string {
	if f, ok := p.assets[name]; ok {
		return "/static/" + name + "?v=" + f.version
	}
	return "/static/" + name
}

func (s *Server) static(c *gin.Context) {
	f, ok := s.pages.assets[c.Param("name")]
	if !ok {
		s.notFound(c)
		return
	}
	if v := c.Query("v"); v != "" && v == f.version {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	c.Header("ETag", `"`+f.version+`"`)
	if c.GetHeader("If-None-Match") == `"`+f.version+`"` {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, f.ctype, f.body)
}

// common is what every page's layout needs: language, navigation, the
// signed-in person and the CSRF field for forms.
type common struct {
	Lang          string
	HTMLLang      string
	OtherLang     string
	OtherLangName string
	LangURL       string
	Title         string
	Active        string // the navigation entry of this page
	User          access.Principal
	SignedIn      bool
	CanBoard      bool
	CanOutbox     bool
	SeesAll       bool
	CanReports    bool
	CSRF          template.HTML // the hidden csrf_token input

	CanReport bool // may use the report form (auditors may not)
	Sharing   bool // the sharing pages are on
	CanAudit  bool // may read the audit trail
}

const ctxHere = "tocsin.here"

// common builds the layout data. title is already in the page's language.
func (s *Server) common(c *gin.Context, title, active string) common {
	l := lang(c)
	p := principal(c)
	cm := common{
		Lang: l, HTMLLang: "en", OtherLang: "zh", OtherLangName: "中文",
		Title: title, Active: active, User: p, SignedIn: !p.Anonymous(),
		CanBoard: access.CanSeeBoard(p), CanOutbox: access.CanManageOutbox(p), SeesAll: access.SeesAll(p), CanReport: access.CanReport(p),
		CanAudit: access.CanReadAudit(p), CanReports: access.CanSeeReports(p), Sharing: s.share != nil,
		CSRF: csrfInput(csrfToken(c)),
	}
	if l == "zh" {
		cm.HTMLLang, cm.OtherLang, cm.OtherLangName = "zh-CN", "en", "English"
	}
	cm.LangURL = "/lang?to=" + cm.OtherLang + "&next=" + url.QueryEscape(here(c))
	return cm
}

// here is the local address to come back to after switching language: the
// page itself for a GET, otherwise what the handler named (the ticket a
// form was posted from), otherwise the start page. A ?lang= is dropped so
// that it does not override the new choice.
func here(c *gin.Context) string {
	if h := c.GetString(ctxHere); h != "" {
		return h
	}
	if c.Request.Method != http.MethodGet {
		return "/"
	}
	u := *c.Request.URL
	q := u.Query()
	if q.Has("lang") || q.Has("partial") {
		q.Del("lang")
		q.Del("partial")
		u.RawQuery = q.Encode()
	}
	return u.RequestURI()
}

// csrfInput is the hidden form field carrying token.
func csrfInput(token string) template.HTML {
	if token == "" {
		return ""
	}
	return template.HTML(`<input type="hidden" name="` + CSRFField + `" value="` + template.HTMLEscapeString(token) + `">`)
}

// render writes page name with data and status. The page is rendered to a
// buffer first, so a template error becomes a clean 500, not half a page.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	s.renderTemplate(c, status, name, "layout", data)
}

func (s *Server) renderTemplate(c *gin.Context, status int, page, tmpl string, data any) {
	var buf bytes.Buffer
	t := s.pages.tmpl[page]
	if t == nil {
		s.log.Error("render page", "request_id", c.GetString(ctxRequestID), "page", page, "err", "no such page")
		c.String(http.StatusInternalServerError, "internal error\n")
		return
	}
	if err := t.ExecuteTemplate(&buf, tmpl, data); err != nil {
		s.log.Error("render page", "request_id", c.GetString(ctxRequestID), "page", page, "err", err)
		c.String(http.StatusInternalServerError, "internal error\n")
		return
	}
	// Pages show incident details: never keep them in shared caches or
	// the browser's history cache after sign-out.
	c.Header("Cache-Control", "no-store")
	c.Header("Vary", "Cookie, Accept-Language")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage is the data of the error page.
type errorPage struct {
	common
	Status    int
	Heading   string
	Message   string
	RequestID string
}

// pageError renders a friendly error page in the caller's language. The
// message is the user-facing meaning of err; an internal error's text is
// logged with the request id, never shown.
func (s *Server) pageError(c *gin.Context, status int, err error) {
	l := lang(c)
	if status >= 500 {
		s.log.Error("page failed", "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path, "err", err)
	}
	heading := tOr(l, fmt.Sprintf("status.%d", status), http.StatusText(status))
	data := errorPage{
		common: s.common(c, heading, ""), Status: status, Heading: heading,
		Message: errorText(l, status, err), RequestID: c.GetString(ctxRequestID),
	}
	s.render(c, status, "error", data)
}

// errorText is what an error means to the person who met it.
func errorText(l string, status int, err error) string {
	var (
		fields  fieldErrors
		invalid *incident.InvalidError
		blocked *incident.BlockedError
	)
	switch {
	case errors.Is(err, errNoAudit):
		return T(l, "error.audit_down")
	case status == http.StatusTooManyRequests:
		return T(l, "error.locked")
	case status >= 500:
		return T(l, "error.internal")
	case status == http.StatusNotFound:
		return T(l, "error.not_found")
	case errors.Is(err, errCSRF):
		return T(l, "error.csrf")
	case status == http.StatusForbidden:
		return T(l, "error.forbidden")
	case err == nil:
		return T(l, "error.generic")
	case errors.As(err, &fields):
		return T(l, "error.invalid") + " " + fields.sorted()
	case errors.As(err, &invalid):
		return T(l, "error.invalid") + " " + invalidText(l, invalid)
	case errors.As(err, &blocked):
		var parts []string
		for _, m := range blocked.Missing {
			parts = append(parts, msg(l, m.EN, m.ZH))
		}
		return T(l, "ticket.blocked", stageName(l, blocked.To)) + " " + strings.Join(parts, "; ")
	case errors.Is(err, incident.ErrConflict):
		return T(l, "ticket.conflict")
	case errors.As(err, new(*incident.RefusedError)):
		var r *incident.RefusedError
		errors.As(err, &r)
		return msg(l, r.EN, r.ZH)
	case errors.Is(err, incident.ErrTaskNotFound):
		return T(l, "error.not_found")
	case errors.Is(err, incident.ErrNotAllowed):
		return T(l, "ticket.not_allowed")
	case errors.Is(err, store.ErrBadCursor):
		return T(l, "error.bad_cursor")
	case errors.As(err, new(*http.MaxBytesError)):
		return T(l, "error.too_big")
	case errors.Is(err, errBadRequest):
		if _, after, ok := strings.Cut(err.Error(), errBadRequest.Error()+": "); ok {
			return after
		}
	}
	return T(l, "error.generic")
}

// sorted renders field errors in a stable order.
func (f fieldErrors) sorted() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + f[k]
	}
	return strings.Join(parts, "; ")
}

func invalidText(l string, e *incident.InvalidError) string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + msg(l, e.Fields[k].EN, e.Fields[k].ZH)
	}
	return strings.Join(parts, "; ")
}

// home sends people where their work is: the board for the response
// center and responders, their own reports for everyone else.
func (s *Server) home(c *gin.Context) {
	if access.CanSeeBoard(principal(c)) {
		c.Redirect(http.StatusSeeOther, "/board")
		return
	}
	c.Redirect(http.StatusSeeOther, "/incidents")
}
