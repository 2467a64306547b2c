package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/share"
)

// MaxBody is the largest request body accepted anywhere.
const MaxBody = 1 << 20

// Config is what the web layer needs to know about its deployment.
type Config struct {
	BaseURL        string   // absolute URL of the hub, for links
	BootstrapToken string   // if set, accepted as an admin API token
	TrustedProxies []string // addresses whose X-Forwarded-For is believed; none by default
	Logger         *slog.Logger
	Now            func() time.Time
}

// Deps are the services the web layer drives.
type Deps struct {
	Incidents *incident.Service
	Access    *access.Service
	Hub       *Hub                            // live updates for the board
	Ready     func(ctx context.Context) error // nil error when the store answers
	// Board, when set, serves the board's open incidents from memory (a
	// BoardCache, for the embedded store); nil asks the store each time.
	Board BoardSource
	// Rosters keeps people, teams, rotations, overrides, handovers and
	// escalation policies; without it the roster API and pages answer 503.
	Rosters escalation.RosterStore
	// Slack is the Slack app (slash command, buttons, modals); nil when
	// chat is off, and its endpoints answer 404.
	Slack *SlackApp
	// Outbox shows and retries notifications, and tells the board which
	// incidents have failed ones; without it the outbox API and page
	// answer 503 and the board shows no delivery failures.
	Outbox Outbox
	// Runbooks is the library of emergency plans; without it the runbook
	// API and pages answer 503 and the plan offers no runbooks.
	Runbooks *runbooks.Library
	// Evidence keeps the files attached to tasks; without it uploads
	// answer 503.
	Evidence EvidenceStore
	// Audit records changes, sign-ins and sensitive reads, and AuditLog
	// is what the audit pages read; without them nothing is recorded and
	// the audit pages answer 503.
	Audit    *audit.Trail
	AuditLog audit.Store
	// Scanner reads every incident of a period for the statistics and the
	// manager reports; without it they answer 503.
	Scanner IncidentScanner
	// Share governs sharing incident information with other departments
	// and organizations; without it the sharing API and pages answer 503.
	Share *share.Service
}

// Server serves Tocsin over HTTP.
type Server struct {
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	incidents *incident.Service
	access    *access.Service
	hub       *Hub
	ready     func(ctx context.Context) error
	boardSrc  BoardSource
	rosters   escalation.RosterStore
	slack     *SlackApp
	outbox    Outbox
	runbooks  *runbooks.Library
	evidence  EvidenceStore
	trail     *audit.Trail
	auditLog  audit.Store
	teams     teamCache
	scanner   IncidentScanner
	share     *share.Service
	pages     *pages
	handler   http.Handler
	engine    *gin.Engine
}

// New builds the server and its routes.
func New(cfg Config, d Deps) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, now: cfg.Now,
		incidents: d.Incidents, access: d.Access, hub: d.Hub, ready: d.Ready, rosters: d.Rosters,
		boardSrc: d.Board, slack: d.Slack, outbox: d.Outbox, runbooks: d.Runbooks, evidence: d.Evidence,
		trail: d.Audit, auditLog: d.AuditLog,
		scanner: d.Scanner, share: d.Share,
	}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	r.HandleMethodNotAllowed = true
	r.Use(s.recoverPanics, s.requestID, s.logRequests, securityHeaders(strings.HasPrefix(cfg.BaseURL, "https://")), limitBody, s.authenticate,
		s.auditChanges)
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET("/readyz", s.readyz)
	s.apiRoutes(r)
	s.pageRoutes(r)
	s.rosterRoutes(r)
	s.slackRoutes(r)
	s.outboxRoutes(r)
	s.taskRoutes(r)
	s.runbookRoutes(r)
	s.auditRoutes(r)
	s.reviewRoutes(r)
	s.reportRoutes(r)
	s.shareAPIRoutes(r)
	s.sharePageRoutes(r)
	r.NoRoute(s.notFound)
	s.engine = r

	// Browsers send Sec-Fetch-Site/Origin: cross-origin unsafe requests are
	// refused before any handler runs. Form posts also carry a CSRF token.
	cop := http.NewCrossOriginProtection()
	s.handler = cop.Handler(r)
	return s, nil
}

// Handler is the root handler to give an http.Server.
func (s *Server) Handler() http.Handler { return s.handler }

// Route is one registered method and path.
type Route struct{ Method, Path string }

// Routes lists every registered route, for tests that must cover each.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}

// HTTPServer returns an http.Server for addr with timeouts suited to an API
// with a long-lived event stream (no WriteTimeout; the stream sets its own).
func (s *Server) HTTPServer(addr string) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Shutdown waits for open requests; event streams would never end on
	// their own, so they are told to close.
	srv.RegisterOnShutdown(s.hub.Close)
	return srv
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		c.String(http.StatusServiceUnavailable, "store unavailable\n")
		return
	}
	c.String(http.StatusOK, "ready\n")
}

func (s *Server) notFound(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.JSON(http.StatusNotFound, gin.H{"error": "no such endpoint"})
		return
	}
	s.pageError(c, http.StatusNotFound, nil)
}
