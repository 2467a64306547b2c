package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/share"
)

// The sharing collections. Grants and rules are documents changed by
// versioned replaces (like throttles: on the embedded store a read and a
// replace by _id under the document's lock); the access log is insert-only;
// copies are inserted and only ever have their content withdrawn.
const (
	colShareGrants = "share_grants"
	colShareRules  = "share_rules"
	colShareAccess = "share_access"
	colShareCopies = "share_copies"
)

// Shares keeps sharing grants, attribute rules, the access log and copies.
// It implements share.Store.
type Shares struct {
	grants, rules, accesses, copies, tallies *mongo.Collection
	embedded                                 bool
}

var _ share.Store = (*Shares)(nil)

// Shares is the store of sharing grants and rules.
func (db *DB) Shares() *Shares {
	return &Shares{grants: db.db.Collection(colShareGrants), rules: db.db.Collection(colShareRules),
		accesses: db.db.Collection(colShareAccess), copies: db.db.Collection(colShareCopies),
		tallies: db.db.Collection(colShareTallies), embedded: db.embedded}
}

// lock takes the lock of one grant or rule on the embedded store.
func (s *Shares) lock(kind, id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s.grants.Database().Name() + "\x00share-" + kind + "\x00" + id))
	m := &stripes[h.Sum32()%uint32(len(stripes))]
	m.Lock()
	return m.Unlock
}

// InsertGrant implements share.Store.
func (s *Shares) InsertGrant(ctx context.Context, g *share.Grant) error {
	g.Version = 1
	if _, err := s.grants.InsertOne(ctx, grantToDoc(g)); err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("insert grant %s: %w", g.ID, share.ErrConflict)
		}
		return fmt.Errorf("insert grant %s: %w", g.ID, err)
	}
	return nil
}

// Grant implements share.Store.
func (s *Shares) Grant(ctx context.Context, id string) (*share.Grant, error) {
	var d grantDoc
	err := s.grants.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, share.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("read grant %s: %w", id, err)
	}
	return grantFromDoc(d), nil
}

// UpdateGrant implements share.Store.
func (s *Shares) UpdateGrant(ctx context.Context, g *share.Grant) error {
	return s.replace(ctx, s.grants, "grant", g.ID, g.Version, func() any { return grantToDoc(g) })
}

// replace stores doc() as version `version` of id if the stored one is
// still version-1.
func (s *Shares) replace(ctx context.Context, col *mongo.Collection, kind, id string, version int64, doc func() any) error {
	filter := bson.D{{Key: "_id", Value: id}, {Key: "version", Value: version - 1}}
	if s.embedded {
		defer s.lock(kind, id)()
		var cur struct {
			Version int64 `bson:"version"`
		}
		err := col.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			return fmt.Errorf("update %s %s: %w", kind, id, share.ErrNotFound)
		case err != nil:
			return fmt.Errorf("update %s %s: %w", kind, id, err)
		case cur.Version != version-1:
			return fmt.Errorf("update %s %s: %w", kind, id, share.ErrConflict)
		}
		filter = bson.D{{Key: "_id", Value: id}}
	}
	res, err := col.ReplaceOne(ctx, filter, doc())
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, id, err)
	}
	if res.MatchedCount == 0 {
		n, err := col.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		if err == nil && n == 0 {
			return fmt.Errorf("update %s %s: %w", kind, id, share.ErrNotFound)
		}
		return fmt.Errorf("update %s %s: %w", kind, id, share.ErrConflict)
	}
	return nil
}

// ListGrants implements share.Store: newest first.
func (s *Shares) ListGrants(ctx context.Context, f share.GrantFilter) ([]*share.Grant, error) {
	q := bson.D{}
	if f.Requester != "" {
		q = append(q, bson.E{Key: "requester.user_id", Value: f.Requester})
	}
	if f.Owner != "" {
		q = append(q, bson.E{Key: "owner.user_id", Value: f.Owner})
	}
	if len(f.Statuses) > 0 {
		q = append(q, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: f.Statuses}}})
	}
	if f.Kind != "" {
		q = append(q, bson.E{Key: "kind", Value: f.Kind})
	}
	if f.Incident != "" {
		q = append(q, bson.E{Key: "scope.incidents", Value: f.Incident})
	}
	return s.findGrants(ctx, q, f.Limit)
}

// DueGrants implements share.Store.
func (s *Shares) DueGrants(ctx context.Context, now time.Time) ([]*share.Grant, error) {
	return s.findGrants(ctx, bson.D{
		{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{share.Active, share.Suspended}}}},
		{Key: "until", Value: bson.D{{Key: "$lte", Value: now.UTC()}}},
	}, 0)
}

func (s *Shares) findGrants(ctx context.Context, q bson.D, limit int) ([]*share.Grant, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := s.grants.Find(ctx, q, opts)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	var docs []grantDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	out := make([]*share.Grant, len(docs))
	for i, d := range docs {
		out[i] = grantFromDoc(d)
	}
	return out, nil
}

// InsertRule implements share.Store.
func (s *Shares) InsertRule(ctx context.Context, r *share.Rule) error {
	r.Version = 1
	if _, err := s.rules.InsertOne(ctx, ruleToDoc(r)); err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("insert rule %s: %w", r.ID, share.ErrConflict)
		}
		return fmt.Errorf("insert rule %s: %w", r.ID, err)
	}
	return nil
}

// Rule implements share.Store.
func (s *Shares) Rule(ctx context.Context, id string) (*share.Rule, error) {
	var d ruleDoc
	err := s.rules.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, share.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("read rule %s: %w", id, err)
	}
	return ruleFromDoc(d), nil
}

// UpdateRule implements share.Store.
func (s *Shares) UpdateRule(ctx context.Context, r *share.Rule) error {
	return s.replace(ctx, s.rules, "rule", r.ID, r.Version, func() any { return ruleToDoc(r) })
}

// ListRules implements share.Store, by name.
func (s *Shares) ListRules(ctx context.Context) ([]*share.Rule, error) {
	var docs []ruleDoc
	if err := findAll(ctx, s.rules, options.Find().SetSort(bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}), &docs); err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	out := make([]*share.Rule, len(docs))
	for i, d := range docs {
		out[i] = ruleFromDoc(d)
	}
	return out, nil
}

// LogAccess implements share.Store. Ids sort by time.
func (s *Shares) LogAccess(ctx context.Context, a *share.Access) error {
	if a.ID == "" {
		a.ID = fmt.Sprintf("%019d-%s", a.At.UnixNano(), randomHex(4))
	}
	if _, err := s.accesses.InsertOne(ctx, accessToDoc(a)); err != nil {
		return fmt.Errorf("log share access: %w", err)
	}
	return nil
}

func accessQuery(f share.AccessFilter) bson.D {
	q := bson.D{}
	if f.By != "" {
		q = append(q, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "by", Value: f.By}}, bson.D{{Key: "grants", Value: f.By}}}})
	}
	if f.Requester != "" {
		q = append(q, bson.E{Key: "requester.user_id", Value: f.Requester})
	}
	if f.Incident != "" {
		q = append(q, bson.E{Key: "incident", Value: f.Incident})
	}
	if !f.Since.IsZero() {
		q = append(q, bson.E{Key: "at", Value: bson.D{{Key: "$gte", Value: f.Since.UTC()}}})
	}
	return q
}

// Accesses implements share.Store: newest first.
func (s *Shares) Accesses(ctx context.Context, f share.AccessFilter) ([]share.Access, error) {
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}})
	if f.Limit > 0 {
		opts.SetLimit(int64(f.Limit))
	}
	cur, err := s.accesses.Find(ctx, accessQuery(f), opts)
	if err != nil {
		return nil, fmt.Errorf("list share accesses: %w", err)
	}
	var docs []accessDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list share accesses: %w", err)
	}
	out := make([]share.Access, len(docs))
	for i, d := range docs {
		out[i] = accessFromDoc(d)
	}
	return out, nil
}

// InsertCopy implements share.Store.
func (s *Shares) InsertCopy(ctx context.Context, c *share.Copy) error {
	if _, err := s.copies.InsertOne(ctx, copyToDoc(c)); err != nil {
		return fmt.Errorf("insert copy %s: %w", c.ID, err)
	}
	return nil
}

// Copy implements share.Store.
func (s *Shares) Copy(ctx context.Context, id string) (*share.Copy, error) {
	var d copyDoc
	err := s.copies.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil, share.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("read copy %s: %w", id, err)
	}
	c := copyFromDoc(d)
	return &c, nil
}

// Copies implements share.Store: newest first, without content.
func (s *Shares) Copies(ctx context.Context, f share.CopyFilter) ([]share.Copy, error) {
	q := bson.D{}
	if f.By != "" {
		q = append(q, bson.E{Key: "by", Value: f.By})
	}
	if f.Requester != "" {
		q = append(q, bson.E{Key: "requester.user_id", Value: f.Requester})
	}
	if f.Live {
		q = append(q, bson.E{Key: "withdrawn", Value: nil})
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetProjection(bson.D{{Key: "content", Value: 0}})
	cur, err := s.copies.Find(ctx, q, opts)
	if err != nil {
		return nil, fmt.Errorf("list copies: %w", err)
	}
	var docs []copyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list copies: %w", err)
	}
	out := make([]share.Copy, len(docs))
	for i, d := range docs {
		out[i] = copyFromDoc(d)
	}
	return out, nil
}

// WithdrawCopy implements share.Store.
func (s *Shares) WithdrawCopy(ctx context.Context, id string, w share.Step) error {
	step := grantStepToDoc(w)
	res, err := s.copies.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "withdrawn", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "withdrawn", Value: step}, {Key: "content", Value: []byte{}}}}})
	if err != nil {
		return fmt.Errorf("withdraw copy %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		if _, err := s.Copy(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
