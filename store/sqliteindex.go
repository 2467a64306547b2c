package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	// The SQLite driver FerretDB itself uses, imported for its registration
	// under "sqlite": indexIDs opens the embedded store's files beside it.
	_ "modernc.org/sqlite"
)

// indexIDs makes lookups by _id use an index on the embedded store.
//
// FerretDB v1.24's SQLite backend queries {_id: v} as
// `WHERE _ferretdb_sjson->'$._id' = ?` but indexes _id on
// `_ferretdb_sjson->"_id"`, an expression SQLite does not see as the same,
// so every find, update and delete by _id scanned its table: 100 ms per
// incident read and 210 ms per update at 10,000 incidents
// (docs/benchmarks.md). An index on the very expression FerretDB queries
// makes the same read 0.6 ms. FerretDB does not know of this index (its
// metadata lists the indexes it made), which is harmless: SQLite keeps it
// up to date, and dropping a collection drops its table and the index with
// it.
//
// It indexes every collection of the database that exists, so it runs
// after the collections are created (EnsureIndexes). The file is opened
// through a second SQLite connection; SQLite's own locking (WAL, with the
// busy timeout FerretDB also uses) orders it with FerretDB's writes.
func (db *DB) indexIDs(ctx context.Context) (err error) {
	if db.dir == "" {
		return nil
	}
	path := filepath.Join(db.dir, db.db.Name()+".sqlite")
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?_pragma=busy_timeout(10000)"
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("index _id in %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	conn.SetMaxOpenConns(1)

	rows, err := conn.QueryContext(ctx, `SELECT table_name FROM "_ferretdb_collections"`)
	if err != nil {
		return fmt.Errorf("index _id in %s: list tables: %w", path, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			_ = rows.Close()
			return fmt.Errorf("index _id in %s: %w", path, err)
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("index _id in %s: %w", path, err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_tocsin_id", t)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index _id of %s in %s: %w", t, path, err)
		}
	}
	return nil
}
