package escalation

import (
	"cmp"
	"container/heap"
	"slices"
	"strings"
	"time"
	"unique"

	"github.com/tocsin-hub/tocsin/incident"
)

// entry is a pending timer in an engine's memory, with where its next
// attempt stands.
type entry struct {
	t     Timer
	slot  int       // the slot to claim next
	runs  int       // runs started so far
	runAt time.Time // not before
	busy  bool      // taken out of the queues to be claimed and fired
	local bool      // scheduled here and due soon: fired here even by a follower
	qi    int       // index in the queue of all entries; -1 while out of it
	li    int       // index in the queue of local entries; -1 while out of it
}

// schedule is what an engine knows of the timers: every pending one, in
// two queues by when to try it next (all of them, which the leader fires,
// and the local ones, which any instance fires), and the keys of finished
// ones, so that scheduling them again costs no read. A schedule is full
// once loaded from the store; events from other instances keep it so.
type schedule struct {
	full  bool
	byKey map[string]*entry
	byInc map[string]map[string]*entry
	done  map[string]time.Time // finished keys → due time, until purged
	q     queue
	lq    queue
}

func newSchedule(full bool) *schedule {
	return &schedule{
		full: full, byKey: map[string]*entry{}, byInc: map[string]map[string]*entry{}, done: map[string]time.Time{},
		q: queue{at: func(e *entry) *int { return &e.qi }}, lq: queue{at: func(e *entry) *int { return &e.li }},
	}
}

// add queues t unless its key is known (pending or finished), and returns
// the entry.
func (s *schedule) add(t Timer, slot, runs int, runAt time.Time, local bool) (*entry, bool) {
	if e, ok := s.byKey[t.Key]; ok {
		return e, false
	}
	if _, ok := s.done[t.Key]; ok {
		return nil, false
	}
	internWords(&t)
	e := &entry{t: t, slot: slot, runs: runs, runAt: runAt, qi: -1, li: -1, local: local}
	s.put(e)
	s.push(e)
	return e, true
}

// put indexes e without queueing it.
func (s *schedule) put(e *entry) {
	s.byKey[e.t.Key] = e
	m := s.byInc[e.t.Incident]
	if m == nil {
		m = map[string]*entry{}
		s.byInc[e.t.Incident] = m
	}
	m[e.t.Key] = e
}

func (s *schedule) push(e *entry) {
	if e.qi < 0 {
		heap.Push(&s.q, e)
	} else {
		heap.Fix(&s.q, e.qi)
	}
	if !e.local {
		return
	}
	if e.li < 0 {
		heap.Push(&s.lq, e)
	} else {
		heap.Fix(&s.lq, e.li)
	}
}

func (s *schedule) unqueue(e *entry) {
	if e.qi >= 0 {
		heap.Remove(&s.q, e.qi)
	}
	if e.li >= 0 {
		heap.Remove(&s.lq, e.li)
	}
}

// remove forgets e (queued or busy).
func (s *schedule) remove(e *entry) {
	if s.byKey[e.t.Key] != e {
		return
	}
	s.unqueue(e)
	delete(s.byKey, e.t.Key)
	if m := s.byInc[e.t.Incident]; m != nil {
		delete(m, e.t.Key)
		if len(m) == 0 {
			delete(s.byInc, e.t.Incident)
		}
	}
}

// finished forgets the pending entry of key, unless it is busy here, and
// remembers key as finished.
func (s *schedule) finished(key string, due time.Time) {
	if e := s.byKey[key]; e != nil {
		if e.busy {
			return
		}
		s.remove(e)
	}
	s.done[key] = due
}

// requeue puts a busy e back in the queues, to be tried in slot at runAt,
// if it is still this schedule's.
func (s *schedule) requeue(e *entry, slot, runs int, runAt time.Time) {
	e.slot, e.runs, e.runAt, e.busy = slot, runs, runAt, false
	if s.byKey[e.t.Key] == e {
		s.push(e)
	}
}

// popDue takes out up to max entries due at now, earliest first, from all
// entries or only the local ones, and marks them busy.
func (s *schedule) popDue(now time.Time, max int, localOnly bool) []*entry {
	q := &s.q
	if localOnly {
		q = &s.lq
	}
	var out []*entry
	for len(out) < max && q.Len() > 0 && !q.es[0].runAt.After(now) {
		e := q.es[0]
		s.unqueue(e)
		e.busy = true
		out = append(out, e)
	}
	return out
}

// next is when the earliest queued entry is due (of the local ones only
// with localOnly).
func (s *schedule) next(localOnly bool) (time.Time, bool) {
	q := &s.q
	if localOnly {
		q = &s.lq
	}
	if q.Len() == 0 {
		return time.Time{}, false
	}
	return q.es[0].runAt, true
}

// pending lists the timers of an incident by due time.
func (s *schedule) pending(inc string) []Timer {
	var out []Timer
	for _, e := range s.byInc[inc] {
		out = append(out, e.t)
	}
	sortTimers(out)
	return out
}

// forget drops the finished keys due before before: Schedule ignores
// timers that old anyway.
func (s *schedule) forget(before time.Time) {
	for k, due := range s.done {
		if due.Before(before) {
			delete(s.done, k)
		}
	}
}

func sortTimers(ts []Timer) {
	slices.SortFunc(ts, func(a, b Timer) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), strings.Compare(a.Key, b.Key))
	})
}

// queue is a min-heap of entries by runAt, then due time, then key; at
// gives the index field it keeps up to date in each entry.
type queue struct {
	es []*entry
	at func(*entry) *int
}

func (q *queue) Len() int { return len(q.es) }

func (q *queue) Less(i, j int) bool {
	a, b := q.es[i], q.es[j]
	if c := a.runAt.Compare(b.runAt); c != 0 {
		return c < 0
	}
	if c := a.t.DueAt.Compare(b.t.DueAt); c != 0 {
		return c < 0
	}
	return a.t.Key < b.t.Key
}

func (q *queue) Swap(i, j int) {
	q.es[i], q.es[j] = q.es[j], q.es[i]
	*q.at(q.es[i]), *q.at(q.es[j]) = i, j
}

func (q *queue) Push(x any) {
	e := x.(*entry)
	*q.at(e) = len(q.es)
	q.es = append(q.es, e)
}

func (q *queue) Pop() any {
	e := q.es[len(q.es)-1]
	q.es[len(q.es)-1] = nil
	q.es = q.es[:len(q.es)-1]
	*q.at(e) = -1
	return e
}

// internWords shares the few distinct level, kind, deadline and stage
// strings among the timers in memory instead of keeping a copy per timer.
func internWords(t *Timer) {
	t.Level = incident.Level(unique.Make(string(t.Level)).Value())
	t.Kind = TimerKind(unique.Make(string(t.Kind)).Value())
	t.Deadline = DeadlineName(unique.Make(string(t.Deadline)).Value())
	t.Stage = incident.Stage(unique.Make(string(t.Stage)).Value())
}
