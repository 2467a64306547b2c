package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
)

// switchLang remembers the chosen language in a cookie and returns to the
// page it was chosen on.
func (s *Server) switchLang(c *gin.Context) {
	to := c.Query("to")
	if to != "zh" {
		to = "en"
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: "tocsin_lang", Value: to, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
		Secure: s.secure(), SameSite: http.SameSiteLaxMode,
	})
	c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
}

func (s *Server) secure() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

// safeNext returns next when it is a path on this site, else "/". It is
// what stops ?next= from sending someone to another site after signing in.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\\\r\n\t\x00") {
		return "/"
	}
	u, err := url.Parse(next)
	switch {
	case err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/login":
		return "/"
	case u.Path == "/board/events": // the board's stream, met by a signed-out board
		return "/board"
	}
	return next
}

const loginCSRFCookie = "tocsin_login_csrf"

// loginPage is the data of the sign-in page.
type loginPage struct {
	common
	Username string
	Next     string
	Error    string
	Token    string
}

func (s *Server) loginForm(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if !principal(c).Anonymous() {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	s.renderLogin(c, http.StatusOK, "", next, "")
}

// renderLogin shows the sign-in form. There is no session yet, so the form
// is protected by a double-submit token: a random cookie only this site can
// set, echoed in a hidden field.
func (s *Server) renderLogin(c *gin.Context, status int, username, next, problem string) {
	token := cookie(c, loginCSRFCookie)
	if len(token) != 43 {
		token = access.NewSecret()
		http.SetCookie(c.Writer, &http.Cookie{
			Name: loginCSRFCookie, Value: token, Path: "/login", MaxAge: 2 * 3600, HttpOnly: true,
			Secure: s.secure(), SameSite: http.SameSiteStrictMode,
		})
	}
	l := lang(c)
	data := loginPage{common: s.common(c, T(l, "login.title"), "login"), Username: username, Next: next, Error: problem, Token: token}
	s.render(c, status, "login", data)
}

func (s *Server) loginSubmit(c *gin.Context) {
	l := lang(c)
	next := safeNext(c.PostForm("next"))
	username := strings.TrimSpace(c.PostForm("username"))
	token := cookie(c, loginCSRFCookie)
	if token == "" || !access.SecretsEqual(token, c.PostForm(CSRFField)) {
		s.renderLogin(c, http.StatusForbidden, username, next, T(l, "login.expired"))
		return
	}
	ctx := c.Request.Context()
	u, err := s.access.Login(ctx, username, c.PostForm("password"), c.ClientIP())
	if wait := lockedFor(err); wait > 0 {
		s.log.Warn("sign-in refused: locked out", "request_id", c.GetString(ctxRequestID), "remote", c.ClientIP(),
			"retry_after_s", int(wait.Seconds()))
		s.trail.Record(ctx, loginRecord(audit.ActionLoginLocked, username, "retry after "+retryAfter(wait)+"s"))
		c.Header("Retry-After", retryAfter(wait))
		s.renderLogin(c, http.StatusTooManyRequests, username, next, T(l, "login.locked", minutes(wait)))
		return
	}
	if errors.Is(err, access.ErrBadLogin) {
		s.log.Info("sign-in failed", "request_id", c.GetString(ctxRequestID), "remote", c.ClientIP())
		s.trail.Record(ctx, loginRecord(audit.ActionLoginFailure, username, ""))
		s.renderLogin(c, http.StatusUnauthorized, username, next, T(l, "login.failed"))
		return
	}
	if err != nil {
		s.pageError(c, http.StatusInternalServerError, err)
		return
	}
	// Rotate: whatever session this browser had ends before the new one
	// starts, so a planted or old cookie never becomes a signed-in one.
	if old := cookie(c, SessionCookie); old != "" {
		if err := s.access.EndSession(ctx, old); err != nil && !errors.Is(err, access.ErrNotFound) {
			s.log.Warn("end old session", "request_id", c.GetString(ctxRequestID), "err", err)
		}
		s.clearSessionCookie(c)
	}
	secret, _, err := s.access.StartSession(ctx, u)
	if err != nil {
		s.pageError(c, http.StatusInternalServerError, err)
		return
	}
	s.setSessionCookie(c, secret)
	s.trail.Record(ctx, audit.Record{Action: audit.ActionLoginSuccess,
		Actor:  audit.Actor{UserID: u.ID, Username: u.Username, Name: u.Name, Via: "session"},
		Target: audit.Target{Kind: "user", ID: u.Username}})
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(), SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, next)
}

// loginRecord is the record of a refused sign-in as username (as typed:
// the person may not exist). The password is never recorded.
func loginRecord(action audit.Action, username, note string) audit.Record {
	name := strings.ToLower(strings.TrimSpace(username))
	return audit.Record{Action: action, Actor: audit.Actor{Username: name, Via: "session"},
		Target: audit.Target{Kind: "user", ID: name}, Note: note}
}

func (s *Server) logout(c *gin.Context) {
	if secret := cookie(c, SessionCookie); secret != "" {
		if err := s.access.EndSession(c.Request.Context(), secret); err != nil && !errors.Is(err, access.ErrNotFound) {
			s.log.Warn("end session", "request_id", c.GetString(ctxRequestID), "err", err)
		}
	}
	s.trail.Record(c.Request.Context(), audit.Record{Action: audit.ActionLogout, Target: audit.Target{Kind: "user", ID: principal(c).Username}})
	s.clearSessionCookie(c)
	c.Redirect(http.StatusSeeOther, "/login")
}
