package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
)

// sqliteFor opens the SQLite file of db's database beside FerretDB, for
// tests that look under the embedded store.
func sqliteFor(db *DB) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(db.dir, db.db.Name()+".sqlite"))+"?_pragma=busy_timeout(10000)")
}

// tableOf is the SQLite table holding col.
func tableOf(ctx context.Context, conn *sql.DB, col string) (string, error) {
	var t string
	err := conn.QueryRowContext(ctx, `SELECT table_name FROM "_ferretdb_collections" WHERE name = ?`, col).Scan(&t)
	return t, err
}

// IDQueryPlan is SQLite's plan for the query FerretDB makes for {_id: v}
// on col.
func IDQueryPlan(ctx context.Context, db *DB, col string) (string, error) {
	conn, err := sqliteFor(db)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	t, err := tableOf(ctx, conn, col)
	if err != nil {
		return "", err
	}
	var id, parent, unused int
	var detail string
	err = conn.QueryRowContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, t), "x").
		Scan(&id, &parent, &unused, &detail)
	return detail, err
}

// DropIDIndex removes the _id index indexIDs made on col, to measure
// without it.
func DropIDIndex(ctx context.Context, db *DB, col string) error {
	conn, err := sqliteFor(db)
	if err != nil {
		return err
	}
	defer conn.Close()
	t, err := tableOf(ctx, conn, col)
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`DROP INDEX IF EXISTS %q`, t+"_tocsin_id"))
	return err
}
