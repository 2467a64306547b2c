package incident

import "context"

// Store keeps incidents. The one implementation is MongoDB (package store);
// tests run it against the embedded server.
type Store interface {
	// NextNumber atomically allocates the next sequence number of year.
	NextNumber(ctx context.Context, year int) (int64, error)
	// Insert adds a new incident and sets inc.ID. It returns ErrDuplicateKey
	// when inc.IdempotencyKey or (for an open incident) inc.DedupKey is
	// already taken.
	Insert(ctx context.Context, inc *Incident) error
	// Get finds an incident by id or by number.
	Get(ctx context.Context, ref string) (*Incident, error)
	// FindByIdempotencyKey finds the incident created or updated by a request
	// carrying key, or returns ErrNotFound.
	FindByIdempotencyKey(ctx context.Context, key string) (*Incident, error)
	// FindOpenByDedupKey finds the open incident with dedup key, or ErrNotFound.
	FindOpenByDedupKey(ctx context.Context, key string) (*Incident, error)
	// AddOccurrence atomically records another report on the open incident
	// holding dedupKey: occurrences and version +1, entry appended to the
	// timeline, idemKey (if set) to the occurrence keys. It returns the
	// incident as changed, or ErrNotFound when no open incident holds the
	// key or idemKey is already recorded there.
	AddOccurrence(ctx context.Context, dedupKey, idemKey string, entry Entry) (*Incident, error)
	// AppendEntry atomically appends e to the timeline of incident id and
	// bumps its version, without a version check: system entries do not
	// depend on the incident's state. The people in join (ids or
	// usernames) are added to its participants, once each. It returns the
	// incident as changed.
	AppendEntry(ctx context.Context, id string, e Entry, join []string) (*Incident, error)
	// Update replaces the stored incident if its version is still version;
	// otherwise it returns ErrConflict (or ErrNotFound).
	Update(ctx context.Context, inc *Incident, version int64) error
	// List returns one page of incidents, newest first.
	List(ctx context.Context, f ListFilter) (Page, error)
}

// ListFilter selects incidents. Zero values select everything.
type ListFilter struct {
	Stages    []Stage
	Level     Level
	Category  Category
	Query     string // case-insensitive text in title or description
	Drill     *bool
	VisibleTo string // when set, only incidents this person reported or works on
	Brief     bool   // leave out description and timeline (board, lists)
	After     string // cursor from a previous Page
	Limit     int    // at most; 0 means 50

	// Audience, when set, keeps only the incidents it admits (see
	// access.AudienceOf); every list shown to a person sets it.
	Audience *Audience
}

// Page is one page of a list; Next is the cursor of the following page, empty
// at the end.
type Page struct {
	Items []*Incident
	Next  string
}
