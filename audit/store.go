package audit

import (
	"context"
	"time"
)

// Store keeps the trail; store.Audit is the implementation.
type Store interface {
	// Insert stores r under r.Seq and reports false, without error, when
	// that number is taken.
	Insert(ctx context.Context, r Record) (bool, error)
	// Get returns the record numbered seq, or an error wrapping
	// ErrNoRecord.
	Get(ctx context.Context, seq int64) (Record, error)
	// Scan calls fn with every record numbered from on, in ascending
	// order of number, until fn returns an error (returned as is).
	Scan(ctx context.Context, from int64, fn func(Record) error) error
	// List returns the records f selects, newest first.
	List(ctx context.Context, f Filter) (Page, error)
}

// Filter selects records; zero values select everything.
type Filter struct {
	Incident string    // target incident number
	Actor    string    // user id or username of the actor
	From, To time.Time // At in [From, To)
	Before   int64     // cursor: only records numbered below it
	Limit    int       // at most; 0 means 50, more than 1000 means 1000
}

// Page is one page of records; Next is the cursor of the following page,
// 0 at the end.
type Page struct {
	Items []Record
	Next  int64
}
