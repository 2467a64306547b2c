package share

import (
	"context"
	"time"
)

// GrantFilter narrows ListGrants; zero fields match anything.
type GrantFilter struct {
	Requester string   // user id
	Owner     string   // user id of the approver
	Statuses  []Status // any of
	Kind      Kind
	Incident  string // grants naming this incident number
	Limit     int    // 0: no limit; newest first
}

// AccessFilter narrows Accesses; zero fields match anything.
type AccessFilter struct {
	By        string // grant or rule id (or a grant in Access.Grants)
	Requester string // user id
	Incident  string
	Since     time.Time
	Limit     int // 0: no limit; newest first
}

// CopyFilter narrows Copies.
type CopyFilter struct {
	By        string // grant or rule id
	Requester string
	Live      bool // only copies not withdrawn
}

// Store keeps grants, rules, the access log and copies (store.Shares
// implements it on MongoDB).
type Store interface {
	// InsertGrant stores a new grant (Version 1).
	InsertGrant(ctx context.Context, g *Grant) error
	// Grant reads one grant; ErrNotFound.
	Grant(ctx context.Context, id string) (*Grant, error)
	// UpdateGrant replaces the stored grant if its version is still
	// g.Version-1; else ErrConflict (ErrNotFound when it is gone).
	UpdateGrant(ctx context.Context, g *Grant) error
	ListGrants(ctx context.Context, f GrantFilter) ([]*Grant, error)
	// DueGrants are the active and suspended grants whose Until is at or
	// before now.
	DueGrants(ctx context.Context, now time.Time) ([]*Grant, error)

	InsertRule(ctx context.Context, r *Rule) error
	Rule(ctx context.Context, id string) (*Rule, error)
	// UpdateRule replaces the stored rule if its version is still
	// r.Version-1; else ErrConflict.
	UpdateRule(ctx context.Context, r *Rule) error
	ListRules(ctx context.Context) ([]*Rule, error)

	// LogAccess appends a to the access log (sets a.ID when empty).
	LogAccess(ctx context.Context, a *Access) error
	Accesses(ctx context.Context, f AccessFilter) ([]Access, error)

	// Tally counts one use under key (a grant's accesses, a requester's
	// accesses under a rule, the strikes against a grant) at at, to the
	// minute, and returns the uses in the hour up to at, this one
	// included; Tallied returns them without counting.
	Tally(ctx context.Context, key string, at time.Time) (int, error)
	Tallied(ctx context.Context, key string, at time.Time) (int, error)
	// PurgeTallies forgets the counts of the days before before.
	PurgeTallies(ctx context.Context, before time.Time) (int64, error)

	InsertCopy(ctx context.Context, c *Copy) error
	Copy(ctx context.Context, id string) (*Copy, error)
	Copies(ctx context.Context, f CopyFilter) ([]Copy, error) // without Content
	// WithdrawCopy empties a live copy's content and records w; a copy
	// already withdrawn is left as it is (no error).
	WithdrawCopy(ctx context.Context, id string, w Step) error
}
