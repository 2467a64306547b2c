package escalation

import (
	"errors"

	"github.com/tocsin-hub/tocsin/incident"
)

// Sentinel errors of the package; callers test them with errors.Is.
var (
	// ErrNoPolicy is returned when no escalation policy exists for a level.
	ErrNoPolicy = errors.New("no escalation policy for this level")
)

// invalid adds a field error to *e, creating it on first use; the first
// message for a field is kept.
func invalid(e **incident.InvalidError, field, en, zh string) {
	if *e == nil {
		*e = &incident.InvalidError{Fields: map[string]incident.Message{}}
	}
	if _, dup := (*e).Fields[field]; !dup {
		(*e).Fields[field] = incident.Message{EN: en, ZH: zh}
	}
}

// asError turns a possibly nil *InvalidError into an error without the
// typed-nil trap.
func asError(e *incident.InvalidError) error {
	if e == nil {
		return nil
	}
	return e
}
