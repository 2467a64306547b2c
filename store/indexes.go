package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// indexes lists every collection's indexes. Names are explicit so that
// creating them again is a no-op. It builds them afresh on each call: the
// driver changes the options builders it is given (it appends the name), so
// models must not be shared between goroutines.
//
// Unique indexes are the store's consistency tool; the others only help
// MongoDB (FerretDB scans and sorts in memory and uses indexes only to
// enforce uniqueness).
//
// Sparse unique indexes hold keys that are present only while they must be
// unique: idempotency_key when the request had one, open_dedup_key while
// the incident is open. FerretDB ignores sparse but lets any number of
// documents lack a uniquely indexed field, which is the same thing here.
func indexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		colIncidents: {
			unique("number_unique", "number"),
			uniqueSparse("idempotency_key_unique", "idempotency_key"),
			uniqueSparse("open_dedup_key_unique", "open_dedup_key"),
			plain("stage", "stage"),
			plain("created_at", "created_at"),
			plain("reporter_id", "reporter.id"),
			plain("participants", "participants"),
			plain("occurrence_keys", "occurrence_keys"),
		},
		colUsers: {
			unique("username_unique", "username"),
			uniqueSparse("slack_id_unique", "slack_id"),
		},
		colSessions: {
			plain("user_id", "user_id"),
			plain("seen_at", "seen_at"),
		},
		colTokens: {
			plain("user_id", "user_id"),
		},
		colOverrides: {
			plain("team", "team"),
			plain("end", "end"),
		},
		colHandovers: {
			plain("team", "team"),
		},
		// The worker's Due and the retention job read by status and time;
		// the admin listing by incident. (The older "status" index, a
		// prefix of status_next_at, is left where it exists.)
		colOutbox: {
			compound("status_next_at", "status", "next_at"),
			compound("incident_created_at", "incident", "created_at"),
		},
		// The timer engine's collections (timers.go, jobs.go) are keyed by
		// _id; these help MongoDB's listings and the retention job.
		colTimers:      {plain("incident", "incident"), plain("due_at", "due_at")},
		colTimerClaims: {plain("key", "key"), plain("due_at", "due_at")},
		colTimerEvents: {plain("seq", "seq"), plain("at", "at")},
		colTimerLeases: {plain("epoch", "epoch"), plain("at", "at")},
		colJobRuns:     {plain("scheduled", "scheduled")},
		colRunbooks:    {plain("runbook", "runbook")},
		colEvidence:    {plain("incident", "incident")},
		colThrottles:   {plain("expires_at", "expires_at")},
		// The audit trail is keyed by its sequence number (audit.go).
		colAudit: {plain("at", "at"), plain("target", "target.id"), plain("actor", "actor.user_id")},
		// Sharing (shares.go): grants by requester, and by status and end
		// for the expiry job; the access log by time and grant.
		colShareGrants:  {plain("requester", "requester.user_id"), compound("status_until", "status", "until")},
		colShareAccess:  {plain("at", "at"), plain("by", "by"), plain("incident", "incident")},
		colShareCopies:  {plain("by", "by"), plain("requester", "requester.user_id")},
		colShareTallies: {plain("day", "day")},
	}
}

func unique(name, field string) mongo.IndexModel {
	return mongo.IndexModel{Keys: bson.D{{Key: field, Value: 1}}, Options: options.Index().SetName(name).SetUnique(true)}
}

func uniqueSparse(name, field string) mongo.IndexModel {
	return mongo.IndexModel{Keys: bson.D{{Key: field, Value: 1}}, Options: options.Index().SetName(name).SetUnique(true).SetSparse(true)}
}

func plain(name, field string) mongo.IndexModel {
	return mongo.IndexModel{Keys: bson.D{{Key: field, Value: 1}}, Options: options.Index().SetName(name)}
}

// compound is an ascending index on fields, in order.
func compound(name string, fields ...string) mongo.IndexModel {
	keys := bson.D{}
	for _, f := range fields {
		keys = append(keys, bson.E{Key: f, Value: 1})
	}
	return mongo.IndexModel{Keys: keys, Options: options.Index().SetName(name)}
}

// EnsureIndexes creates the indexes of every collection, and on the
// embedded store the SQLite indexes that make lookups by _id fast (see
// indexIDs): collections of other packages must be created before it runs
// to get theirs. It is idempotent, and Open calls it.
func (db *DB) EnsureIndexes(ctx context.Context) error {
	all := indexes()
	for _, col := range collections {
		if err := db.ensureCollection(ctx, col); err != nil {
			return err
		}
		if err := CreateIndexes(ctx, db.db.Collection(col), all[col]...); err != nil {
			return err
		}
	}
	return db.indexIDs(ctx)
}

// collections are every collection the store keeps. EnsureIndexes creates
// them all at start, so that each has its indexes (on the embedded store
// also the one for _id) before its first document.
var collections = []string{colIncidents, colIncidentKeys, colCounters, colUsers, colSessions, colTokens,
	colPeople, colTeams, colDepartments, colOverrides, colHandovers, colPolicies, colOutbox,
	colTimers, colTimerClaims, colTimerEvents, colTimerLeases, colJobRuns, colRunbooks, colEvidence,
	colThrottles, colAudit, colShareGrants, colShareRules, colShareAccess, colShareCopies, colShareTallies}

// ensureCollection creates col unless it exists.
func (db *DB) ensureCollection(ctx context.Context, col string) error {
	err := db.db.CreateCollection(ctx, col)
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Code == codeNamespaceExists {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create collection %s: %w", col, err)
	}
	return nil
}

// codeNamespaceExists is the server's error code for a collection created
// twice.
const codeNamespaceExists = 48

// CreateIndexes creates the indexes on col, one command each; indexes that
// exist already with the same name and keys are left alone. Packages that
// keep collections of their own should use it rather than CreateMany:
// FerretDB v1.24 drops the connection (a panic in its handler) when one
// createIndexes command names two or more indexes that already exist.
// Give every index an explicit name, so that creating it again is a no-op,
// and build the models for each call: the driver modifies their options.
func CreateIndexes(ctx context.Context, col *mongo.Collection, models ...mongo.IndexModel) error {
	for _, m := range models {
		if _, err := col.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index on %s: %w", col.Name(), err)
		}
	}
	return nil
}
