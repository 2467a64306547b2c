package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tocsin-hub/tocsin/access"
)

// colThrottles keeps failed sign-ins, one small document per username and
// per client address, keyed by access.ThrottleKeyUser/ThrottleKeyAddr.
// Reads and writes are by _id, which is indexed on the embedded store too,
// so a sign-in costs two point reads (and a write when it fails) however
// many throttles there are; a daily job deletes the expired ones.
const colThrottles = "login_throttles"

type throttleDoc struct {
	Key         string      `bson:"_id"`
	Failures    []time.Time `bson:"failures,omitempty"`
	LockedUntil time.Time   `bson:"locked_until,omitempty"`
	Locks       int         `bson:"locks,omitempty"`
	LastLock    time.Time   `bson:"last_lock,omitempty"`
	Version     int64       `bson:"version"`
	ExpiresAt   time.Time   `bson:"expires_at"`
}

// Throttle implements access.Store.
func (a *Accounts) Throttle(ctx context.Context, key string) (access.Throttle, error) {
	var d throttleDoc
	err := a.throttles.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return access.Throttle{Key: key}, nil
	}
	if err != nil {
		return access.Throttle{}, fmt.Errorf("get throttle: %w", err)
	}
	t := access.Throttle{Key: d.Key, LockedUntil: utcOrZero(d.LockedUntil), Locks: d.Locks, LastLock: utcOrZero(d.LastLock), Version: d.Version}
	for _, f := range d.Failures {
		t.Failures = append(t.Failures, f.UTC())
	}
	return t, nil
}

// SaveThrottle implements access.Store. A new throttle is inserted (a
// concurrent insert makes the loser's a conflict); a stored one is
// replaced if it is still at t.Version: against MongoDB by a conditional
// replace, on the embedded store (one process, ADR 0002) by a read and a
// replace by _id under the key's lock, as FerretDB evaluates any other
// condition by scanning.
func (a *Accounts) SaveThrottle(ctx context.Context, t access.Throttle, expires time.Time) error {
	d := throttleDoc{Key: t.Key, LockedUntil: t.LockedUntil.UTC(), Locks: t.Locks, LastLock: t.LastLock.UTC(),
		Version: t.Version + 1, ExpiresAt: expires.UTC()}
	for _, f := range t.Failures {
		d.Failures = append(d.Failures, f.UTC())
	}
	if t.Version == 0 {
		_, err := a.throttles.InsertOne(ctx, d)
		if isDuplicate(err) {
			return fmt.Errorf("save throttle: %w", access.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("save throttle: %w", err)
		}
		return nil
	}
	filter := bson.D{{Key: "_id", Value: t.Key}, {Key: "version", Value: t.Version}}
	if a.embedded {
		defer lockThrottle(a.throttles.Database().Name(), t.Key)()
		cur, err := a.Throttle(ctx, t.Key)
		if err != nil {
			return err
		}
		if cur.Version != t.Version {
			return fmt.Errorf("save throttle: %w", access.ErrConflict)
		}
		filter = bson.D{{Key: "_id", Value: t.Key}}
	}
	res, err := a.throttles.ReplaceOne(ctx, filter, d)
	if err != nil {
		return fmt.Errorf("save throttle: %w", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("save throttle: %w", access.ErrConflict)
	}
	return nil
}

// lockThrottle takes the lock of one throttle on the embedded store.
func lockThrottle(database, key string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(database + "\x00throttle\x00" + key))
	m := &stripes[h.Sum32()%uint32(len(stripes))]
	m.Lock()
	return m.Unlock
}

// PurgeThrottles implements access.Store.
func (a *Accounts) PurgeThrottles(ctx context.Context, before time.Time) (int64, error) {
	res, err := a.throttles.DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("purge throttles: %w", err)
	}
	return res.DeletedCount, nil
}

// PurgeSessions implements access.Store.
func (a *Accounts) PurgeSessions(ctx context.Context, seenBefore, startedBefore time.Time) (int64, error) {
	res, err := a.sessions.DeleteMany(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "seen_at", Value: bson.D{{Key: "$lt", Value: seenBefore.UTC()}}}},
		bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: startedBefore.UTC()}}}},
	}}})
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return res.DeletedCount, nil
}
