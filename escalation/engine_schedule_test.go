package escalation

import (
	"slices"
	"testing"
	"time"
)

func TestScheduleQueues(t *testing.T) {
	t.Parallel()
	s := newSchedule(true)
	at := func(m int) time.Time { return engineT0.Add(time.Duration(m) * time.Minute) }
	mk := func(key, inc string, m int) Timer { return Timer{Key: key, Incident: inc, DueAt: at(m)} }
	for _, tc := range []struct {
		t     Timer
		local bool
	}{{mk("c", "i1", 3), false}, {mk("a", "i1", 1), true}, {mk("b", "i2", 1), false}, {mk("d", "i1", 9), true}} {
		if _, ok := s.add(tc.t, 0, 0, tc.t.DueAt, tc.local); !ok {
			t.Fatalf("add %s", tc.t.Key)
		}
	}
	if _, ok := s.add(mk("a", "i1", 5), 0, 0, at(5), false); ok {
		t.Error("a key was added twice")
	}
	if next, ok := s.next(false); !ok || !next.Equal(at(1)) {
		t.Errorf("next = %v, %v", next, ok)
	}
	if local := s.popDue(at(10), 10, true); len(local) != 2 || local[0].t.Key != "a" || local[1].t.Key != "d" {
		t.Fatalf("local popDue = %v", local)
	} else {
		s.requeue(local[0], 0, 0, at(1)) // a goes back; d stays busy
	}
	due := s.popDue(at(3), 10, false)
	var keys []string
	for _, e := range due {
		keys = append(keys, e.t.Key)
		if !e.busy || e.qi != -1 || e.li != -1 {
			t.Errorf("%s taken out but busy=%v qi=%d li=%d", e.t.Key, e.busy, e.qi, e.li)
		}
	}
	if !slices.Equal(keys, []string{"a", "b", "c"}) {
		t.Errorf("popDue = %v, want a b c (by due time, then key)", keys)
	}
	if s.lq.Len() != 0 {
		t.Errorf("local queue still holds %d entries", s.lq.Len())
	}
	// a fails and waits; b is finished; c is not due again until 10.
	s.requeue(due[0], 1, 1, at(4))
	due[1].busy = false
	s.finished("b", due[1].t.DueAt)
	s.requeue(due[2], 2, 1, at(10))
	if p := s.pending("i1"); len(p) != 3 || p[0].Key != "a" || p[2].Key != "d" {
		t.Errorf("pending(i1) = %v", p)
	}
	if p := s.pending("i2"); len(p) != 0 {
		t.Errorf("pending(i2) = %v after b finished", p)
	}
	if _, ok := s.add(mk("b", "i2", 1), 0, 0, at(1), false); ok {
		t.Error("a finished key was added again")
	}
	if got := s.popDue(at(9), 1, false); len(got) != 1 || got[0].t.Key != "a" || got[0].slot != 1 {
		t.Errorf("popDue(9, 1) = %v", got)
	}
	// A busy entry stays when another instance says it finished.
	s.finished("d", at(9))
	if s.byKey["d"] == nil {
		t.Error("a busy entry was dropped")
	}
	s.forget(at(2))
	if _, ok := s.done["b"]; ok {
		t.Error("forget kept a key due before the cut")
	}
}
