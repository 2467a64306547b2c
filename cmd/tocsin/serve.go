package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/web"
)

const (
	// bcryptCost is the cost of password hashes in production.
	bcryptCost = 12
	// startTimeout bounds opening the database at start.
	startTimeout = 30 * time.Second
	// shutdownTimeout is how long requests in flight get to finish after
	// SIGTERM; the store is closed only after they have.
	shutdownTimeout = 20 * time.Second
	// closeTimeout bounds closing the database.
	closeTimeout = 10 * time.Second
)

// serve runs the hub until ctx is cancelled, then stops taking connections,
// lets the requests in flight finish (so every answered report is stored)
// and closes the store.
func serve(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) (err error) {
	log.Info("starting tocsin", "version", versionString(), "config", cfg)

	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer release()

	hub := web.NewHub()
	var esc escalationWorkers
	// On the embedded store this process makes every change (ADR 0002), so
	// the board is served from memory, kept current by the same events as
	// the hub; against MongoDB board is nil and the board reads the store.
	var board *web.BoardCache
	// Statistics likewise: from memory on the embedded store, from the
	// store (a projection) against MongoDB.
	var stats *web.StatsCache
	var scanner web.IncidentScanner = db.Incidents()
	if db.Embedded() {
		board = web.NewBoardCache()
		stats = web.NewStatsCache(db.Incidents())
		scanner = stats
	}
	accounts := access.NewService(db.Accounts(), time.Now, bcryptCost)
	var notifications notifyWorkers
	// Every change to an incident is recorded in the audit trail, whose
	// writer runs until the requests in flight have finished.
	trail := audit.NewTrail(db.Audit(), time.Now, log)
	incidents := incident.NewService(db.Incidents(), time.Now, board, stats, hub, esc.Observer(), notifications.Observer(),
		audit.IncidentObserver(trail))
	out := notifications.outbox(db, log)
	// E-mail, webhooks and robots, then Slack: each gives the worker its
	// sender and the announcer its planners, before any change is made.
	chans, err := buildChannels(cfg, log, channelDeps{incidents: incidents, accounts: accounts, rosters: db.Rosters(),
		out: out, slack: cfg.Slack()})
	if err != nil {
		return fmt.Errorf("notification channels: %w", err)
	}
	for ch, s := range chans.senders {
		notifications.addSender(ch, s)
	}
	for _, p := range chans.planners {
		notifications.addPlanner(p)
	}
	slackSender, slackPlanner, slackApp, err := buildSlack(cfg, slackDeps{Incidents: incidents, Accounts: accounts,
		Rosters: db.Rosters(), Outbox: out, Refs: db.Outbox(), Log: log})
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	if slackSender != nil {
		notifications.addSender(notify.ChannelSlack, slackSender)
		notifications.addPlanner(slackPlanner)
	}
	// Task assignments, declines and plan approvals reach the people
	// concerned through their roster contacts.
	notifications.addPlanner(escalation.NewTaskNotices(db.Rosters(), cfg.BaseURL, time.Now))
	if err := notifications.build(db, incidents, log); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	notifications.ann.SetBaseURL(cfg.BaseURL)
	if err := esc.build(db, incidents, out, log); err != nil {
		return fmt.Errorf("escalation: %w", err)
	}
	esc.esc.SetBaseURL(cfg.BaseURL)
	if err := errors.Join(notifications.addJobs(esc.jobs), chans.addJobs(esc.jobs),
		addReviewJobs(cfg, esc.jobs, db, scanner, accounts, out, log)); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	log.Info("notification channels", "channels", chans)
	sharing, err := buildShare(cfg, shareDeps{store: db.Shares(), incidents: incidents, accounts: accounts, rosters: db.Rosters(),
		out: out, audit: trail, contacts: accountContacts{acc: accounts, email: cfg.SMTPAddr != "", slack: cfg.Slack()},
		jobs: esc.jobs, log: log})
	if err != nil {
		return fmt.Errorf("sharing: %w", err)
	}

	created, pw, err := accounts.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create the admin account: %w", err)
	}
	if created {
		// The password itself goes to stdout once and never to the log.
		log.Info("admin account created", "user", "admin", "password_from", passwordSource(cfg))
		printAdminBox(stdout, cfg, pw)
	}
	if cfg.Demo {
		if err := loadDemo(ctx, incidents, accounts, db.Rosters(), cfg, log, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	library, err := runbooks.NewLibrary(db.Runbooks(), time.Now)
	if err != nil {
		return fmt.Errorf("runbooks: %w", err)
	}

	srv, err := web.New(web.Config{
		BaseURL:        cfg.BaseURL,
		BootstrapToken: cfg.BootstrapToken,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         log,
		Now:            time.Now,
	}, web.Deps{Incidents: incidents, Access: accounts, Hub: hub, Rosters: db.Rosters(), Ready: db.Ping, Board: board,
		Outbox: notifications.admin, Slack: slackApp, Runbooks: library, Evidence: db.Evidence(), Scanner: scanner,
		Audit: trail, AuditLog: db.Audit(), Share: sharing})
	if err != nil {
		return fmt.Errorf("web server: %w", err)
	}
	httpSrv := srv.HTTPServer(cfg.Addr)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (TOCSIN_ADDR): %w", cfg.Addr, err)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopWatch()
	wg.Go(func() { _ = trail.Run(watchCtx) })
	wg.Go(func() { watchIncidents(watchCtx, db.Incidents(), hub, log) })
	if board != nil {
		// One page, one scan: the embedded store reads every incident for
		// any list.
		wg.Go(func() { board.Run(watchCtx, db.Incidents().ListAll, log) })
		wg.Go(func() { stats.Run(watchCtx, log) })
	}
	wg.Go(func() { backfillKeys(watchCtx, db.Incidents(), log) })
	esc.start(watchCtx, &wg)
	notifications.start(watchCtx, &wg)

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "url", cfg.BaseURL)

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing the requests in flight", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		_ = httpSrv.Close()
		return fmt.Errorf("shutdown: requests still open after %s were cut off: %w", shutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("stopped")
	return nil
}

// backfillKeys writes the lookup keys of incidents stored before the store
// kept them (store.Incidents.BackfillKeys); it does nothing after its first
// complete run.
func backfillKeys(ctx context.Context, st *store.Incidents, log *slog.Logger) {
	n, err := st.BackfillKeys(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("backfill incident keys; lookups repair missing keys one by one meanwhile", "err", err)
	case n > 0:
		log.Info("incident keys backfilled", "keys", n)
	}
}

// openStore opens the configured database. For the embedded store it first
// takes the data directory's lock, so that a second process fails clearly
// instead of corrupting the first one's consistency. release closes the
// database and frees the lock.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (db *store.DB, release func(), err error) {
	var lock *dirLock
	if cfg.Embedded() {
		lock, err = lockDataDir(cfg.DataDir)
		if errors.Is(err, errDataDirBusy) {
			return nil, nil, fmt.Errorf("%w\nThe embedded database belongs to one process. Stop the other Tocsin "+
				"(or, for accounts and tokens, use its API: POST /api/v1/users, POST /api/v1/tokens), "+
				"or choose another TOCSIN_DATA_DIR; several hubs on one database need MongoDB (TOCSIN_MONGO_URI)", err)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	octx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	db, err = store.Open(octx, store.Options{URI: cfg.MongoURI, Database: cfg.MongoDB, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		lock.release()
		if !cfg.Embedded() {
			return nil, nil, fmt.Errorf("%w (TOCSIN_MONGO_URI %s)", err, maskURI(cfg.MongoURI))
		}
		return nil, nil, err
	}
	return db, func() {
		cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := db.Close(cctx); err != nil {
			log.Error("close the store", "err", err)
		}
		lock.release()
	}, nil
}

func passwordSource(cfg Config) string {
	if cfg.AdminPassword != "" {
		return "TOCSIN_ADMIN_PASSWORD"
	}
	return "random (printed on stdout)"
}

// printAdminBox shows the first admin's credentials, once.
func printAdminBox(w io.Writer, cfg Config, pw string) {
	shown := pw
	if cfg.AdminPassword != "" {
		shown = "(the one in TOCSIN_ADMIN_PASSWORD)"
	}
	printBox(w, []string{
		"Tocsin: the first admin account was created.",
		"",
		"  sign in at  " + cfg.BaseURL + "/login",
		"  username    admin",
		"  password    " + shown,
		"",
		"This password is shown only this once. Keep it safe.",
	})
}

// printBox frames lines so that they stand out in a terminal.
func printBox(w io.Writer, lines []string) {
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	bar := strings.Repeat("=", width+4)
	var b strings.Builder
	b.WriteString("\n" + bar + "\n")
	for _, l := range lines {
		b.WriteString("| " + l + strings.Repeat(" ", width-utf8.RuneCountInString(l)) + " |\n")
	}
	b.WriteString(bar + "\n\n")
	_, _ = io.WriteString(w, b.String())
}
