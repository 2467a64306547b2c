package store

import (
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Sentinel errors of the store. The domain packages' own sentinels
// (incident.ErrNotFound, access.ErrExists, ...) are returned where their
// interfaces promise them.
var (
	// ErrWatchUnsupported is returned by Incidents.Watch when the server
	// cannot open change streams (the embedded server, a standalone mongod).
	ErrWatchUnsupported = errors.New("store: change streams are not supported by this server")
	// ErrBadCursor is returned (wrapped) by Incidents.List for an After
	// cursor that is not of the form Page.Next has.
	ErrBadCursor = errors.New("store: invalid page cursor")
)

// isDuplicate reports whether err is a unique-index violation. MongoDB
// answers code 11000 (and FerretDB does for inserts); FerretDB answers an
// update that breaks a unique index with code 1 "UNIQUE constraint failed",
// which mongo.IsDuplicateKeyError does not recognise.
func isDuplicate(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorCodeWithMessage(1, "UNIQUE constraint failed")
}
