package storetest

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/store"
)

// NewClients returns n stores on one fresh database, each through a client
// of its own, as n Tocsin instances sharing a database would have: against
// the embedded server each client has a single connection, so the n
// clients are n connections, and only what is atomic across connections
// (unique-key inserts) keeps them consistent. The database is dropped and
// the clients are closed when the test ends. A test may Close a client
// earlier to make its instance die.
func NewClients(t testing.TB, n int) []*store.DB {
	t.Helper()
	base := New(t)
	uri := os.Getenv(EnvMongoURI)
	if uri == "" {
		uri = start().db.EmbeddedURI()
		if uri == "" {
			t.Fatal("storetest: the shared embedded server has no address")
		}
		uri = withParam(uri, "maxPoolSize=1")
	}
	out := make([]*store.DB, n)
	for i := range out {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		db, err := store.Open(ctx, store.Options{
			URI:      uri,
			Database: base.Database().Name(),
			Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		cancel()
		if err != nil {
			t.Fatalf("storetest: open client %d: %v", i, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = db.Close(ctx)
		})
		out[i] = db
	}
	return out
}

// withParam adds a query parameter to a mongodb:// URI.
func withParam(uri, param string) string {
	if !strings.Contains(uri, "?") {
		if !strings.HasSuffix(uri, "/") {
			uri += "/"
		}
		return uri + "?" + param
	}
	return uri + "&" + param
}
