package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DefaultDatabase is the database name used when Options.Database is empty.
const DefaultDatabase = "tocsin"

// Collection names.
const (
	colIncidents = "incidents"
	colCounters  = "counters"
	colUsers     = "users"
	colSessions  = "sessions"
	colTokens    = "tokens"
)

// Options configures Open.
type Options struct {
	// URI of the MongoDB deployment. Empty starts the embedded server.
	URI string
	// Database is the database name; DefaultDatabase when empty.
	Database string
	// DataDir is the embedded server's directory. It is created if missing
	// and made absolute. Required when URI is empty; ignored otherwise. Only
	// one process may use a data directory at a time.
	DataDir string
	// Logger receives the store's own messages and the embedded server's
	// errors. Required.
	Logger *slog.Logger
}

// DB is a connection to Tocsin's database, and the embedded server behind it
// when there is one.
type DB struct {
	client   *mongo.Client
	db       *mongo.Database
	log      *slog.Logger
	embedded bool
	// owned is set on the DB that Open returned: its Close disconnects and
	// stops the embedded server. A DB from WithDatabase borrows them.
	owned bool
	// server is the embedded server, nil against MongoDB.
	server *embeddedServer
	// dir is the embedded server's data directory ("" against MongoDB),
	// where each database is the SQLite file <name>.sqlite.
	dir string
}

// Open connects to the database described by o, starting the embedded server
// first when o.URI is empty, checks the connection with a ping and creates
// the indexes. ctx bounds the start-up only; the embedded server keeps
// running until Close.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.Logger == nil {
		return nil, errors.New("open store: a logger is required")
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	db := &DB{log: o.Logger, owned: true}
	opts := options.Client().SetAppName("tocsin")
	if o.URI == "" {
		srv, err := startEmbedded(ctx, o.DataDir, o.Logger)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		db.server, db.embedded, db.dir = srv, true, srv.dir
		// FerretDB's conditional updates are atomic only through a single
		// connection, whose messages it serves in order (see doc.go).
		opts.ApplyURI(srv.uri).SetMaxPoolSize(1)
	} else {
		opts.ApplyURI(o.URI)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		db.stopServer(ctx)
		return nil, fmt.Errorf("open store: connect: %w", err)
	}
	db.client, db.db = client, client.Database(o.Database)
	if err := db.Ping(ctx); err != nil {
		_ = db.Close(ctx)
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := db.EnsureIndexes(ctx); err != nil {
		_ = db.Close(ctx)
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// WithDatabase returns a DB for the database name on the same connection
// (and the same embedded server) as db. It borrows them: its Close does
// nothing, and it stops working when db is closed. Its indexes are not
// created; call EnsureIndexes. Tests use it to give each test a database of
// its own while sharing one server and one connection pool.
func (db *DB) WithDatabase(name string) *DB {
	return &DB{client: db.client, db: db.client.Database(name), log: db.log, embedded: db.embedded, dir: db.dir}
}

// Close disconnects and, when Open started the embedded server, stops it and
// waits until it has finished. It does nothing on a DB from WithDatabase.
func (db *DB) Close(ctx context.Context) error {
	if !db.owned {
		return nil
	}
	var err error
	if db.client != nil {
		if e := db.client.Disconnect(ctx); e != nil && !errors.Is(e, mongo.ErrClientDisconnected) {
			err = fmt.Errorf("close store: %w", e)
		}
	}
	if e := db.stopServer(ctx); e != nil && err == nil {
		err = fmt.Errorf("close store: %w", e)
	}
	return err
}

func (db *DB) stopServer(ctx context.Context) error {
	if db.server == nil {
		return nil
	}
	return db.server.stop(ctx)
}

// Ping checks that the server answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Embedded reports whether the database is the in-process FerretDB server.
// Its features are narrower (no change streams), and it belongs to this one
// process.
func (db *DB) Embedded() bool { return db.embedded }

// Database is the underlying database, for packages that keep collections
// of their own. They must stay within what FerretDB supports (see the
// package documentation) and create their indexes with CreateIndexes.
func (db *DB) Database() *mongo.Database { return db.db }

// Incidents is the incident store.
func (db *DB) Incidents() *Incidents {
	return &Incidents{
		col:      db.db.Collection(colIncidents),
		counters: db.db.Collection(colCounters),
		embedded: db.embedded,
		log:      db.log,
	}
}

// Accounts is the store of users, sessions and API tokens.
func (db *DB) Accounts() *Accounts {
	return &Accounts{
		users:    db.db.Collection(colUsers),
		sessions: db.db.Collection(colSessions),
		tokens:   db.db.Collection(colTokens),
		// Sign-in throttles (throttles.go).
		throttles: db.db.Collection(colThrottles),
		embedded:  db.embedded,
	}
}
