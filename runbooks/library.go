package runbooks

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Sentinel errors of the library.
var (
	ErrNotFound = errors.New("no such runbook")
	ErrExists   = errors.New("a runbook with this id exists")
	// ErrStale is returned when saving over a version that is no longer the
	// current one: someone else saved meanwhile.
	ErrStale = errors.New("the runbook was changed by someone else; reload it and edit the current version")
)

// Stored is one saved version of a runbook: its YAML as written, and who
// saved it. Versions are never changed once stored.
type Stored struct {
	ID      string
	Version int
	Source  string
	Edit    Edit
}

// Store keeps edited runbooks, one insert-only record per version. The one
// implementation is store.Runbooks.
type Store interface {
	// Insert stores a new version; ErrStale when that id and version are
	// taken (two people saved at once: the second loses).
	Insert(ctx context.Context, s Stored) error
	// Version returns one version, or ErrNotFound.
	Version(ctx context.Context, id string, version int) (Stored, error)
	// Versions returns every version of id, oldest first.
	Versions(ctx context.Context, id string) ([]Stored, error)
	// Latest returns the highest version of every stored runbook.
	Latest(ctx context.Context) ([]Stored, error)
}

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtins parses the runbooks shipped with Tocsin, each as version 1.
func Builtins() ([]*Runbook, error) {
	files, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*Runbook
	var errs []error
	for _, f := range files {
		data, err := builtinFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rb, err := Parse(path.Base(f), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rb.Version, rb.Builtin = 1, true
		out = append(out, rb)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("built-in runbooks: %w", err)
	}
	return out, nil
}

// Library is every runbook Tocsin knows: the built-ins, and the versions
// saved through the web UI and API, of which the highest is current. A
// built-in not edited yet is version 1; its first edit is version 2.
type Library struct {
	st       Store
	now      func() time.Time
	builtins map[string]*Runbook

	mu     sync.Mutex
	parsed map[string]*Runbook // by "id@version": versions never change
}

// NewLibrary returns the library over st, reading time from now.
func NewLibrary(st Store, now func() time.Time) (*Library, error) {
	bs, err := Builtins()
	if err != nil {
		return nil, err
	}
	l := &Library{st: st, now: now, builtins: map[string]*Runbook{}, parsed: map[string]*Runbook{}}
	for _, rb := range bs {
		l.builtins[rb.ID] = rb
	}
	return l, nil
}

// fromStored parses a stored version, once.
func (l *Library) fromStored(s Stored) (*Runbook, error) {
	ref := incident.RunbookRef(s.ID, s.Version)
	l.mu.Lock()
	rb, ok := l.parsed[ref]
	l.mu.Unlock()
	if ok {
		return rb, nil
	}
	rb, err := Parse(ref+".yaml", []byte(s.Source))
	if err != nil {
		return nil, fmt.Errorf("stored runbook %s: %w", ref, err)
	}
	rb.Version = s.Version
	rb.Builtin = l.builtins[s.ID] != nil
	e := s.Edit
	rb.Edited = &e
	l.mu.Lock()
	l.parsed[ref] = rb
	l.mu.Unlock()
	return rb, nil
}

// List returns the current version of every runbook, by title.
func (l *Library) List(ctx context.Context) ([]*Runbook, error) {
	latest, err := l.st.Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	cur := map[string]*Runbook{}
	for id, rb := range l.builtins {
		cur[id] = rb
	}
	for _, s := range latest {
		rb, err := l.fromStored(s)
		if err != nil {
			return nil, err
		}
		cur[s.ID] = rb
	}
	out := make([]*Runbook, 0, len(cur))
	for _, rb := range cur {
		out = append(out, rb)
	}
	slices.SortFunc(out, func(a, b *Runbook) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Get returns version of runbook id, or its current version for 0.
func (l *Library) Get(ctx context.Context, id string, version int) (*Runbook, error) {
	if version < 0 {
		return nil, fmt.Errorf("runbook %s version %d: %w", id, version, ErrNotFound)
	}
	if version == 0 {
		vs, err := l.st.Versions(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("runbook %s: %w", id, err)
		}
		if len(vs) > 0 {
			return l.fromStored(vs[len(vs)-1])
		}
		version = 1
	}
	if b := l.builtins[id]; b != nil && version == 1 {
		return b, nil
	}
	s, err := l.st.Version(ctx, id, version)
	if err != nil {
		return nil, fmt.Errorf("runbook %s: %w", incident.RunbookRef(id, version), err)
	}
	return l.fromStored(s)
}

// VersionInfo describes one version in a runbook's history.
type VersionInfo struct {
	Version int
	Builtin bool
	Edit    *Edit // nil for the built-in version
}

// History lists every version of runbook id, newest first.
func (l *Library) History(ctx context.Context, id string) ([]VersionInfo, error) {
	vs, err := l.st.Versions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("runbook %s: %w", id, err)
	}
	var out []VersionInfo
	for i := len(vs) - 1; i >= 0; i-- {
		e := vs[i].Edit
		out = append(out, VersionInfo{Version: vs[i].Version, Edit: &e})
	}
	if l.builtins[id] != nil {
		out = append(out, VersionInfo{Version: 1, Builtin: true})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("runbook %s: %w", id, ErrNotFound)
	}
	return out, nil
}

// Suggest returns the current runbooks that apply to an incident of
// category c and level lv: those covering c and meant for lv, then those
// covering c for other levels (a coordinator may still want them), marked
// by Fits. Nothing is suggested without a category.
func (l *Library) Suggest(ctx context.Context, c incident.Category, lv incident.Level) ([]Suggestion, error) {
	if c == "" {
		return nil, nil
	}
	all, err := l.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Suggestion
	for _, rb := range all {
		if rb.Covers(c) {
			out = append(out, Suggestion{Runbook: rb, Fits: rb.ForLevel(lv)})
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		switch {
		case a.Fits && !b.Fits:
			return -1
		case b.Fits && !a.Fits:
			return 1
		}
		// Narrower runbooks first: one written for this category alone
		// before one that covers several.
		return cmp.Compare(len(a.Runbook.Categories), len(b.Runbook.Categories))
	})
	return out, nil
}

// Suggestion is a runbook suggested for an incident.
type Suggestion struct {
	Runbook *Runbook
	Fits    bool // meant for the incident's level too, not only its category
}

// Create stores a new runbook from its YAML as version 1. Its id must not
// be taken, by a built-in or by a stored runbook.
func (l *Library) Create(ctx context.Context, source, note string, by incident.Actor) (*Runbook, error) {
	rb, err := Parse("runbook.yaml", []byte(source))
	if err != nil {
		return nil, err
	}
	if l.builtins[rb.ID] != nil {
		return nil, fmt.Errorf("runbook %s: %w", rb.ID, ErrExists)
	}
	vs, err := l.st.Versions(ctx, rb.ID)
	if err != nil {
		return nil, fmt.Errorf("runbook %s: %w", rb.ID, err)
	}
	if len(vs) > 0 {
		return nil, fmt.Errorf("runbook %s: %w", rb.ID, ErrExists)
	}
	return l.insert(ctx, rb.ID, 1, source, note, by)
}

// Save stores an edit of runbook id as a new version. base is the version
// the editor started from; when it is no longer the current one the edit
// is refused with ErrStale rather than silently overwriting someone
// else's. The YAML must keep the runbook's id.
func (l *Library) Save(ctx context.Context, id string, base int, source, note string, by incident.Actor) (*Runbook, error) {
	rb, err := Parse(id+".yaml", []byte(source))
	if err != nil {
		return nil, err
	}
	if rb.ID != id {
		line := 0
		for i, ln := range strings.Split(source, "\n") {
			if strings.HasPrefix(ln, "id:") {
				line = i + 1
				break
			}
		}
		return nil, Problems{{File: id + ".yaml", Line: line, Column: 1, Field: "id",
			EN: "the id cannot change (it is " + id + "); create a new runbook instead",
			ZH: "编号不能更改（原为 " + id + "）；如需新预案请新建"}}
	}
	cur, err := l.Get(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	if base != cur.Version {
		return nil, fmt.Errorf("runbook %s is at version %d, not %d: %w", id, cur.Version, base, ErrStale)
	}
	return l.insert(ctx, id, cur.Version+1, source, note, by)
}

func (l *Library) insert(ctx context.Context, id string, version int, source, note string, by incident.Actor) (*Runbook, error) {
	if len(note) > 2000 {
		return nil, Problems{{Field: "note", EN: "the change note is at most 2000 bytes", ZH: "修改说明最多 2000 字节"}}
	}
	s := Stored{ID: id, Version: version, Source: source, Edit: Edit{By: by, At: l.now().UTC(), Note: strings.TrimSpace(note)}}
	if err := l.st.Insert(ctx, s); err != nil {
		return nil, fmt.Errorf("save runbook %s: %w", incident.RunbookRef(id, version), err)
	}
	return l.fromStored(s)
}
