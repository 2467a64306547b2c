package web

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
)

const (
	// SessionCookie holds the browser session secret.
	SessionCookie = "tocsin_session"
	// CSRFField is the form field, and CSRFHeader the header, that carry the
	// session's CSRF token on unsafe requests authenticated by cookie.
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"

	ctxPrincipal = "tocsin.principal"
	ctxSession   = "tocsin.session"
)

// bootstrapPrincipal is the caller presenting TOCSIN_BOOTSTRAP_TOKEN.
var bootstrapPrincipal = access.Principal{UserID: "bootstrap", Name: "bootstrap token",
	Roles: []access.Role{access.Admin, access.Manager, access.Coordinator}, Via: "bootstrap", Lang: "en"}

// authenticate resolves the caller from a bearer token or a session cookie.
// It rejects nothing itself (the route's requirement does), except an
// unknown token from an address locked out for failing too often (429).
// It fills in the teams of those who see incidents through them, and puts
// who and where into the request's context for the audit trail.
func (s *Server) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		secret = strings.TrimSpace(secret)
		switch {
		case !ok || secret == "":
		case s.cfg.BootstrapToken != "" && access.SecretsEqual(secret, s.cfg.BootstrapToken):
			c.Set(ctxPrincipal, bootstrapPrincipal)
		default:
			p, err := s.access.Token(ctx, secret)
			if err == nil && !p.FromAllowed(c.ClientIP()) {
				// Outside the token's networks it is no credential at all:
				// answered and counted like an unknown token.
				s.log.Warn("api token used from outside its networks", "request_id", c.GetString(ctxRequestID),
					"user", p.Username, "remote", c.ClientIP())
				err = access.ErrUnauthorized
			}
			switch {
			case err == nil:
				if p.Grant != "" && !underShared(c.Request.URL.Path) {
					c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": errGrantBound.Error()})
					return
				}
				c.Set(ctxPrincipal, p)
			case errors.Is(err, access.ErrUnauthorized):
				wait, err := s.access.TokenFailed(ctx, c.ClientIP())
				if err != nil {
					s.log.Error("count a failed token", "err", err)
				}
				if wait > 0 {
					s.tooMany(c, wait)
					return
				}
			default:
				s.log.Error("token lookup", "err", err)
			}
		}
	} else if ck, err := c.Cookie(SessionCookie); err == nil && ck != "" {
		p, sess, err := s.access.Session(ctx, ck)
		switch {
		case err == nil:
			c.Set(ctxPrincipal, p)
			c.Set(ctxSession, sess)
		case errors.Is(err, access.ErrUnauthorized):
			s.clearSessionCookie(c)
		default:
			s.log.Error("session lookup", "err", err)
		}
	}
	p := principal(c)
	if access.SeesByTeam(p) {
		p.Teams = s.teamsOf(ctx, p.Username)
		c.Set(ctxPrincipal, p)
	}
	ctx = audit.WithSource(ctx, audit.Source{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	if !p.Anonymous() {
		ctx = audit.WithActor(ctx, auditActor(p))
	}
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// sharedAPI is where a grant-bound token may go: the shared views and
// copies of the grant it is bound to.
const sharedAPI = "/api/v1/shared/"

// errGrantBound refuses a grant-bound token anywhere but sharedAPI.
var errGrantBound = errors.New("this token is bound to a sharing grant: it may only be used under " + sharedAPI)

// underShared reports whether p, cleaned or not, is under sharedAPI, so
// that dot segments cannot lead a grant-bound token elsewhere.
func underShared(p string) bool {
	return strings.HasPrefix(p, sharedAPI) && strings.HasPrefix(path.Clean(p)+"/", sharedAPI) && !strings.Contains(p, "/../")
}

// auditActor is p as the audit trail names people.
func auditActor(p access.Principal) audit.Actor {
	return audit.Actor{UserID: p.UserID, Username: p.Username, Name: p.Name, Via: p.Via}
}

// principal is the authenticated caller, or the zero (anonymous) Principal.
func principal(c *gin.Context) access.Principal {
	p, _ := c.Get(ctxPrincipal)
	pr, _ := p.(access.Principal)
	return pr
}

// session is the caller's browser session, nil for token callers.
func session(c *gin.Context) *access.Session {
	v, _ := c.Get(ctxSession)
	sess, _ := v.(*access.Session)
	return sess
}

// csrfToken is the token forms must echo, empty without a session.
func csrfToken(c *gin.Context) string {
	if sess := session(c); sess != nil {
		return sess.CSRF
	}
	return ""
}

// actor is the caller as the incident timeline records it.
func actor(p access.Principal) incident.Actor {
	return incident.Actor{ID: p.UserID, Name: p.Name, Username: p.Username}
}

// csrfOK checks the synchronizer token of an unsafe request authenticated by
// cookie. Token-authenticated requests carry no ambient credentials and need
// none.
func csrfOK(c *gin.Context) bool {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	sess := session(c)
	if sess == nil {
		return true
	}
	got := c.GetHeader(CSRFHeader)
	if got == "" {
		got = c.PostForm(CSRFField)
	}
	return got != "" && access.SecretsEqual(got, sess.CSRF)
}

// errCSRF refuses an unsafe request whose CSRF token is missing or wrong.
var errCSRF = errors.New("missing or invalid CSRF token")

// requireAPI guards an API route: 401 without credentials, 403 when allowed
// returns false, 403 on a bad CSRF token.
func requireAPI(allowed func(access.Principal) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		switch {
		case p.Anonymous():
			c.Header("WWW-Authenticate", `Bearer realm="tocsin"`)
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "authentication required: send Authorization: Bearer <token>"})
		case !csrfOK(c):
			c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": errCSRF.Error()})
		case !allowed(p):
			c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "not allowed for your role"})
		}
	}
}

// requirePage guards a page: anonymous callers are sent to sign in and come
// back afterwards; others without the role get a 403 page.
func (s *Server) requirePage(allowed func(access.Principal) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		switch {
		case p.Anonymous():
			if c.Request.Method == http.MethodGet {
				c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			} else {
				c.Redirect(http.StatusSeeOther, "/login")
			}
			c.Abort()
		case !csrfOK(c):
			s.pageError(c, http.StatusForbidden, errCSRF)
			c.Abort()
		case !allowed(p):
			s.pageError(c, http.StatusForbidden, access.ErrForbidden)
			c.Abort()
		}
	}
}

// anyone allows every signed-in caller.
func anyone(p access.Principal) bool { return !p.Anonymous() }

func (s *Server) setSessionCookie(c *gin.Context, secret string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(s.cfg.BaseURL, "https://"), SameSite: http.SameSiteLaxMode,
		MaxAge: int(access.MaxSessionAge.Seconds()),
	})
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(s.cfg.BaseURL, "https://"), SameSite: http.SameSiteLaxMode, MaxAge: -1,
	})
}

// lang picks the response language: an explicit ?lang=, the language
// cookie, then for browsers the person's stated preference before
// Accept-Language; API callers set the language with Accept-Language.
func lang(c *gin.Context) string {
	p := principal(c)
	header := c.GetHeader("Accept-Language")
	order := []string{c.Query("lang"), cookie(c, "tocsin_lang"), p.Lang}
	if p.Via != "session" && header != "" {
		order[2] = ""
	}
	for _, v := range order {
		if v == "en" || v == "zh" {
			return v
		}
	}
	return acceptLanguage(header)
}

func cookie(c *gin.Context, name string) string {
	v, _ := c.Cookie(name)
	return v
}

// acceptLanguage returns "zh" when Chinese is preferred over English in an
// Accept-Language header, else "en".
func acceptLanguage(h string) string {
	for _, part := range strings.Split(h, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if strings.HasSuffix(part, ";q=0") {
			continue
		}
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}
