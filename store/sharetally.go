package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// colShareTallies counts the uses of grants and rules per minute, for the
// rate and scope checks: one small document per key and UTC day, keyed
// "<key>@<day>", whose field m holds a count per minute ("t0930"). A
// count is a point update by _id and a read is two point reads (the day
// and the one before), however long the access log grows: counting the
// log itself scans it on the embedded store (1.6 s an access at 10,000
// logged accesses).
const colShareTallies = "share_tallies"

type tallyDoc struct {
	ID      string         `bson:"_id"`
	Day     time.Time      `bson:"day"`
	Minutes map[string]int `bson:"m"`
}

// tallyID is the document of key on the UTC day of at.
func tallyID(key string, at time.Time) string { return key + "@" + at.UTC().Format("2006-01-02") }

// minuteField is the field of at's minute within its day.
func minuteField(at time.Time) string { return at.UTC().Format("t1504") }

// Tally implements share.Store: it counts one use under key at at and
// returns the uses in the hour up to at, this one included.
func (s *Shares) Tally(ctx context.Context, key string, at time.Time) (int, error) {
	day := at.UTC().Truncate(24 * time.Hour)
	_, err := s.tallies.UpdateOne(ctx, bson.D{{Key: "_id", Value: tallyID(key, at)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "m." + minuteField(at), Value: 1}}}, {Key: "$set", Value: bson.D{{Key: "day", Value: day}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return 0, fmt.Errorf("tally %s: %w", key, err)
	}
	return s.Tallied(ctx, key, at)
}

// Tallied implements share.Store: the uses under key in the hour up to
// at (the minute of at and the 59 before it).
func (s *Shares) Tallied(ctx context.Context, key string, at time.Time) (int, error) {
	at = at.UTC()
	from := at.Truncate(time.Minute).Add(-59 * time.Minute)
	n := 0
	for _, day := range []time.Time{from, at} {
		if day.Equal(from) && tallyID(key, from) == tallyID(key, at) {
			continue // both ends on one day: read it once
		}
		var d tallyDoc
		err := s.tallies.FindOne(ctx, bson.D{{Key: "_id", Value: tallyID(key, day)}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("tally %s: %w", key, err)
		}
		start := day.Truncate(24 * time.Hour)
		for f, c := range d.Minutes {
			m, err := time.Parse("t1504", f)
			if err != nil {
				continue
			}
			t := start.Add(time.Duration(m.Hour())*time.Hour + time.Duration(m.Minute())*time.Minute)
			if !t.Before(from) && !t.After(at) {
				n += c
			}
		}
	}
	return n, nil
}

// PurgeTallies implements share.Store: it deletes the days before before.
func (s *Shares) PurgeTallies(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.tallies.DeleteMany(ctx, bson.D{{Key: "day", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("purge tallies: %w", err)
	}
	return res.DeletedCount, nil
}
