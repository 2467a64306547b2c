// Package storetest gives tests a store of their own: a fresh database on a
// server shared by the whole test binary.
//
// The server is the embedded FerretDB, started once on first use in a
// temporary directory, or the MongoDB at TOCSIN_TEST_MONGO_URI when that is
// set (use a replica set to run the change-stream tests too). All databases
// share one client, so against the embedded server every test goes through
// its single connection, as the application does.
//
// A package whose tests use New should call Main from TestMain, which stops
// the server and removes its directory at the end. Without it the directory
// stays in the system's temporary folder until a later test run finds that
// the process that made it has ended, and removes it.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/store"
)

// EnvMongoURI names the environment variable with a MongoDB URI to test
// against instead of the embedded server.
const EnvMongoURI = "TOCSIN_TEST_MONGO_URI"

// server is what the test binary shares.
type server struct {
	db   *store.DB // on a base database that no test uses
	dir  string    // the embedded server's directory, "" for MongoDB
	tag  string    // distinguishes this process's databases on a shared MongoDB
	err  error
	next atomic.Int64
}

var (
	shared     *server
	sharedOnce sync.Once
)

// start returns the shared server, starting it on first use.
func start() *server {
	sharedOnce.Do(func() {
		shared = &server{}
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		shared.tag = hex.EncodeToString(b)
		o := store.Options{
			URI:      os.Getenv(EnvMongoURI),
			Database: "storetest_" + shared.tag,
			Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		}
		if o.URI == "" {
			removeStale()
			shared.dir, shared.err = os.MkdirTemp("", fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
			if shared.err != nil {
				return
			}
			o.DataDir = shared.dir
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared.db, shared.err = store.Open(ctx, o)
	})
	return shared
}

// dirPrefix starts the name of each server directory, followed by the
// process id of the test binary that made it.
const dirPrefix = "tocsin-storetest-"

// removeStale removes the server directories of test binaries that have
// ended, which is how directories are cleaned when a package does not call
// Main (or its tests panicked).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), dirPrefix), "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n == os.Getpid() {
			continue
		}
		if p, err := os.FindProcess(n); err == nil && errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone) {
			_ = os.RemoveAll(dir)
		}
	}
}

// New returns a store on a fresh database of its own, with its indexes,
// dropped when the test ends. It is safe to call from parallel tests.
func New(t testing.TB) *store.DB {
	t.Helper()
	s := start()
	if s.err != nil {
		t.Fatalf("start test database server: %v", s.err)
	}
	db := s.db.WithDatabase(s.name(t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.EnsureIndexes(ctx); err != nil {
		t.Fatalf("create indexes: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := db.Database().Drop(ctx); err != nil {
			t.Errorf("drop test database %s: %v", db.Database().Name(), err)
		}
	})
	return db
}

// name makes a database name that is unique in this process (a counter) and
// among processes sharing a MongoDB (the tag), and readable (the test name).
// Names keep to lower-case letters, digits and underscores, under 64 bytes.
func (s *server) name(test string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '_'
	}, test)
	name := fmt.Sprintf("t%s_%d_%s", s.tag, s.next.Add(1), clean)
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Main runs the tests of m, then stops the shared server and removes its
// directory. Call it from TestMain:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
//
// The exit code is the one m.Run returned.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil && shared.db != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if shared.dir == "" { // on a shared MongoDB, remove the base database too
			_ = shared.db.Database().Drop(ctx)
		}
		if err := shared.db.Close(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
		}
		cancel()
	}
	if shared != nil && shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
