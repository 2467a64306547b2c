package escalation

import (
	"context"
	"errors"
	"time"
)

// ErrNoRecord is returned (wrapped) by a TimerStore for a timer, attempt
// record, event or lease that is not stored.
var ErrNoRecord = errors.New("escalation: no such record")

// TimerStore persists timers and claims (store.Timers implements it).
//
// Every write the engine relies on for correctness is an insert that fails
// when its key is taken: that is the one operation that is atomic across
// connections on both MongoDB and the embedded FerretDB, and the only one
// whose cost does not grow with the collection on FerretDB, where any read,
// update or delete scans its table, even by _id. Timers are written once
// and never updated; what happened to them is a sequence of attempt
// records, each inserted into a slot of its own (see engine.go). The engine
// reads by key only when an insert found its slot taken, and polls Event
// and Lease by number on collections kept small; the listings (Timers,
// Attempts, LastEvent, LastLease) are for start-up, takeover and rare
// checks, and the purges for the retention job.
type TimerStore interface {
	// InsertTimers stores each timer whose key is absent and returns the
	// keys it stored. A key that is taken (even by a concurrent call) is
	// left alone and not returned. On error some timers may be stored:
	// calling again with the same timers is safe.
	InsertTimers(ctx context.Context, ts []Timer, now time.Time) (inserted []string, err error)
	// Timer returns the stored timer with key, or an error wrapping
	// ErrNoRecord.
	Timer(ctx context.Context, key string) (Timer, error)
	// Timers lists the stored timers of an incident, or every stored timer
	// when incident is "", whatever their state.
	Timers(ctx context.Context, incident string) ([]Timer, error)

	// InsertAttempts inserts each record into its slot (Key, Slot) unless
	// the slot is taken; stored[i] says whether as[i] was stored.
	InsertAttempts(ctx context.Context, as []Attempt) (stored []bool, err error)
	// Attempt returns the record in slot of key, or an error wrapping
	// ErrNoRecord.
	Attempt(ctx context.Context, key string, slot int) (Attempt, error)
	// Attempts lists the records of keys, or every record when keys is nil.
	Attempts(ctx context.Context, keys []string) ([]Attempt, error)

	// InsertEvent stores ev under ev.Seq unless that number is taken.
	InsertEvent(ctx context.Context, ev TimerEvent) (bool, error)
	// Event returns the event numbered seq, or an error wrapping ErrNoRecord.
	Event(ctx context.Context, seq int64) (TimerEvent, error)
	// LastEvent returns the highest stored event number, 0 when none.
	LastEvent(ctx context.Context) (int64, error)

	// InsertLease stores l under l.Epoch unless that epoch is taken.
	InsertLease(ctx context.Context, l Lease) (bool, error)
	// Lease returns the lease of epoch, or an error wrapping ErrNoRecord.
	Lease(ctx context.Context, epoch int64) (Lease, error)
	// LastLease returns the lease with the highest epoch, or an error
	// wrapping ErrNoRecord when there is none.
	LastLease(ctx context.Context) (Lease, error)

	// PurgeTimers deletes the timers due in [from, to) (from zero: before
	// to) and their records, except the timers of keep (pending ones) and
	// their records, and returns how many timers it deleted. The caller
	// keeps each span small enough for one delete: FerretDB's SQLite takes
	// at most 32,766 parameters in a statement, one per document.
	PurgeTimers(ctx context.Context, from, to time.Time, keep []string) (int64, error)
	// PurgeLog deletes events and leases written before before, except the
	// last of each, which numbering goes on from.
	PurgeLog(ctx context.Context, before time.Time) (int64, error)
}

// TimerState is where a stored timer is in its life.
type TimerState string

// The states of a timer. Only pending timers may still fire.
const (
	TimerPending   TimerState = "pending"
	TimerFired     TimerState = "fired"
	TimerCancelled TimerState = "cancelled"
	// TimerDead: every allowed attempt failed or did not finish.
	TimerDead TimerState = "dead"
)

// AttemptKind says what an attempt record holds its slot for.
type AttemptKind string

// The kinds of attempt record.
const (
	// AttemptRun: Owner is firing the timer until Until (its lease).
	AttemptRun AttemptKind = "run"
	// AttemptRetry: the run before failed with Error; nobody runs the
	// timer again before Until.
	AttemptRetry AttemptKind = "retry"
	// AttemptDone: the timer is finished, as Outcome says.
	AttemptDone AttemptKind = "done"
)

// Attempt is one record in the life of a timer: slot 0 is the first claim,
// and each record is written by whoever held the slot before it (the owner
// of a run finishing it) or by whoever found that slot's hold expired.
// Records are never changed.
type Attempt struct {
	Key     string
	Slot    int
	Kind    AttemptKind
	Outcome TimerState // done: fired, cancelled or dead
	Owner   string
	At      time.Time // when written
	Until   time.Time // run: end of the lease; retry: no run before
	Runs    int       // runs started so far, this one included
	Error   string    // retry and dead: why the last run failed
	DueAt   time.Time // the timer's, so that records are purged with it
	FiredAt time.Time // done and fired: when the run that fired began
}

// TimerEvent tells the other instances what one scheduled, cancelled or
// finished, so that every instance's memory of the schedule stays whole.
// Events are numbered 1, 2, 3... with no gaps: a writer takes the next
// free number by inserting.
type TimerEvent struct {
	Seq       int64
	Owner     string
	At        time.Time
	Scheduled []Timer
	Cancelled []string
	Finished  []string // fired or dead
}

// Lease is one term of the instance that keeps the schedule and fires
// timers (the leader). Epochs are numbered 1, 2, 3... with no gaps: the
// leader renews by inserting the next epoch, and another instance takes
// over by inserting it once the last one has expired.
type Lease struct {
	Epoch int64
	Owner string
	At    time.Time
	Until time.Time
}
