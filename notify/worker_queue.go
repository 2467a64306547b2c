package notify

import (
	"cmp"
	"slices"
	"time"
)

// The worker's memory of what it has to send: every message it knows to be
// undelivered, grouped by destination, each destination in the order of
// its messages' creation. The worker reads the store only to fill it (at
// start, on a poll) and hears of new messages from Wake; retries stay here
// until they are due.

// item is one message waiting for, or in, a send.
type item struct {
	m     Message
	runAt time.Time     // not before (zero: now)
	every time.Duration // the destination's pace for this message
	d     *dest
	busy  bool // being claimed and sent
	// unrecorded is the outcome of a send whose result the store did not
	// take: the next turn records it again instead of claiming.
	unrecorded *unrecorded
}

// unrecorded is a claim's outcome, not yet recorded.
type unrecorded struct {
	m Message // as claimed
	v verdict
}

// dest is one destination: messages go out one at a time, in order, at
// most one per every, never while it is paused.
type dest struct {
	name   string
	items  []*item // by CreatedAt, then Key
	busy   bool
	next   time.Time // pacing: the next send not before
	paused time.Time // Retry-After: nothing before
}

// queue is the worker's memory. It is not safe for concurrent use: the
// worker holds its mutex.
type queue struct {
	items map[string]*item
	dests map[string]*dest
	busy  int // sends in flight
}

func newQueue() queue {
	return queue{items: map[string]*item{}, dests: map[string]*dest{}}
}

func byCreation(a, b *item) int {
	if c := a.m.CreatedAt.Compare(b.m.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.m.Key, b.m.Key)
}

// put records m, due at runAt, for destination name. A message being sent
// is left alone: what the store said of it is older than the send.
func (q *queue) put(m Message, runAt time.Time, name string, every time.Duration) {
	if it, ok := q.items[m.Key]; ok {
		if !it.busy {
			it.m, it.runAt = m, runAt
		}
		return
	}
	d := q.dests[name]
	if d == nil {
		d = &dest{name: name}
		q.dests[name] = d
	}
	it := &item{m: m, runAt: runAt, every: every, d: d}
	i, _ := slices.BinarySearchFunc(d.items, it, byCreation)
	d.items = slices.Insert(d.items, i, it)
	q.items[m.Key] = it
}

// take marks busy and returns up to max messages that may be sent at now:
// of each destination that is free, not paused and past its pace, the
// first of its messages that is due. Destinations whose oldest ready
// message is older go first.
func (q *queue) take(now time.Time, max int) []*item {
	var ready []*item
	for name, d := range q.dests {
		if d.busy || now.Before(d.paused) || now.Before(d.next) {
			continue
		}
		if len(d.items) == 0 {
			delete(q.dests, name) // nothing waits, and its pace and pause are over
			continue
		}
		for _, it := range d.items {
			if !now.Before(it.runAt) {
				ready = append(ready, it)
				break
			}
		}
	}
	slices.SortFunc(ready, byCreation)
	if len(ready) > max {
		ready = ready[:max]
	}
	for _, it := range ready {
		it.busy, it.d.busy = true, true
		q.busy++
	}
	return ready
}

// next is the earliest time at which take may find something, and false
// when nothing waits.
func (q *queue) next() (time.Time, bool) {
	var (
		at  time.Time
		any bool
	)
	for _, d := range q.dests {
		if d.busy {
			continue
		}
		for _, it := range d.items {
			t := it.runAt
			if t.Before(d.paused) {
				t = d.paused
			}
			if t.Before(d.next) {
				t = d.next
			}
			if !any || t.Before(at) {
				at, any = t, true
			}
		}
	}
	return at, any
}

// done ends the send of it that started at start: the destination is free
// again from start+every (and paused until now+pause). A message that is
// to be tried again (keep) stays with m and runAt; any other leaves.
func (q *queue) done(it *item, keep bool, m Message, runAt, start, now time.Time, pause time.Duration) {
	d := it.d
	d.busy, it.busy = false, false
	q.busy--
	if next := start.Add(it.every); next.After(d.next) {
		d.next = next
	}
	if p := now.Add(pause); pause > 0 && p.After(d.paused) {
		d.paused = p
	}
	if keep {
		it.m, it.runAt = m, runAt
		return
	}
	q.remove(it)
}

// release ends a busy item that was not sent (its claim failed): the
// destination's pace is untouched. The item stays, due at runAt, if keep.
func (q *queue) release(it *item, keep bool, runAt time.Time) {
	it.d.busy, it.busy = false, false
	q.busy--
	if keep {
		it.runAt = runAt
		return
	}
	q.remove(it)
}

func (q *queue) remove(it *item) {
	delete(q.items, it.m.Key)
	d := it.d
	if i := slices.Index(d.items, it); i >= 0 {
		d.items = slices.Delete(d.items, i, i+1)
	}
}

// waiting is the number of messages in memory, in a send or not.
func (q *queue) waiting() int { return len(q.items) }
