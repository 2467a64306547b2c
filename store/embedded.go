package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embeddedServer is FerretDB running in this process on SQLite files.
type embeddedServer struct {
	uri    string // mongodb://127.0.0.1:port/
	dir    string // absolute data directory
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
}

// startEmbedded starts FerretDB on a free loopback port with its files in
// dir. The server outlives ctx; stop ends it.
// newServerMu serialises ferretdb.New (see startEmbedded).
var newServerMu sync.Mutex

func startEmbedded(ctx context.Context, dir string, log *slog.Logger) (*embeddedServer, error) {
	if dir == "" {
		return nil, errors.New("the embedded server needs a data directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	// The SQLite URL is parsed as a URL, so these would change its meaning.
	if strings.ContainsAny(abs, "?#%") {
		return nil, fmt.Errorf("data directory %s: the path may not contain ?, # or %%", abs)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// ferretdb.New writes a package-level variable: servers started at the
	// same time in one process (tests do) must take turns.
	newServerMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:  "sqlite",
		// The URL must name the directory and end with a slash.
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		// FerretDB logs every error reply (duplicate keys included) at WARN.
		Logger: slog.New(minLevel{slog.LevelError, log.Handler()}).With("component", "ferretdb"),
	})
	newServerMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start embedded server in %s: %w", abs, err)
	}
	// Run must not end with the start-up context: it serves until stop.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &embeddedServer{uri: f.MongoDBURI(), dir: abs, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := f.Run(runCtx); err != nil {
			log.Error("embedded server stopped", "err", err)
		}
	}()
	log.Info("embedded database server started", "dir", abs, "uri", s.uri)
	return s, nil
}

// stop ends the server and waits for it, or for ctx.
func (s *embeddedServer) stop(ctx context.Context) error {
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop embedded server: %w", ctx.Err())
	}
}

// minLevel is a slog.Handler that drops records below min.
type minLevel struct {
	min slog.Level
	h   slog.Handler
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.h.Enabled(ctx, l)
}

func (m minLevel) Handle(ctx context.Context, r slog.Record) error { return m.h.Handle(ctx, r) }

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{m.min, m.h.WithAttrs(attrs)}
}

func (m minLevel) WithGroup(name string) slog.Handler { return minLevel{m.min, m.h.WithGroup(name)} }
