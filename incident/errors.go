package incident

import (
	"errors"
	"sort"
	"strings"
)

// Sentinel errors. Callers test them with errors.Is; the web layer maps them
// to HTTP statuses in one place.
var (
	ErrNotFound            = errors.New("incident not found")
	ErrConflict            = errors.New("incident was changed by someone else; reload and retry")
	ErrNotAllowed          = errors.New("transition not allowed")
	ErrIdempotencyMismatch = errors.New("idempotency key was used with a different request")
	// ErrDuplicateKey is returned by a Store when an insert collides with a
	// unique idempotency or open dedup key; the Service resolves it.
	ErrDuplicateKey = errors.New("duplicate key")
)

// Message is a user-facing text in both languages.
type Message struct {
	EN string
	ZH string
}

// InvalidError reports input that breaks a domain rule, field by field.
// Field names are the API's JSON names.
type InvalidError struct {
	Fields map[string]Message
}

// invalid adds a field error to *e, creating it on first use.
func invalid(e **InvalidError, field, en, zh string) {
	if *e == nil {
		*e = &InvalidError{Fields: map[string]Message{}}
	}
	if _, dup := (*e).Fields[field]; !dup {
		(*e).Fields[field] = Message{EN: en, ZH: zh}
	}
}

func (e *InvalidError) Error() string {
	fields := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var b strings.Builder
	b.WriteString("invalid input:")
	for _, f := range fields {
		b.WriteString(" " + f + ": " + e.Fields[f].EN + ";")
	}
	return b.String()
}

// BlockedError says a move is allowed in principle but the target stage's
// entry conditions are not met.
type BlockedError struct {
	From, To Stage
	Missing  []Condition
}

func (e *BlockedError) Error() string {
	codes := make([]string, len(e.Missing))
	for i, c := range e.Missing {
		codes[i] = c.Code
	}
	return "cannot enter " + string(e.To) + " from " + string(e.From) + ": missing " + strings.Join(codes, ", ")
}

// ErrTaskNotFound is returned for a task id the incident does not have.
var ErrTaskNotFound = errors.New("task not found")

// RefusedError says a plan or task command cannot be done now (the stage
// is wrong, the task is not in a state that allows it), in both languages.
// It wraps ErrNotAllowed.
type RefusedError struct {
	EN, ZH string
}

func (e *RefusedError) Error() string { return e.EN }

// Unwrap makes a refusal an ErrNotAllowed.
func (e *RefusedError) Unwrap() error { return ErrNotAllowed }

func refused(en, zh string) error { return &RefusedError{EN: en, ZH: zh} }
