package access

import (
	"testing"
	"time"
)

var tz = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)

func TestThrottleLocksAndGrows(t *testing.T) {
	p := UserLockout
	th := Throttle{Key: ThrottleKeyUser("li.na")}
	at := tz
	fail := func(d time.Duration) time.Duration {
		t.Helper()
		at = at.Add(d)
		var lock time.Duration
		th, lock = th.Fail(at, p)
		return lock
	}
	for i := range 4 {
		if lock := fail(time.Minute); lock != 0 {
			t.Fatalf("failure %d locked for %s", i+1, lock)
		}
	}
	if lock := fail(time.Minute); lock != 15*time.Minute {
		t.Fatalf("the fifth failure locked for %s, want 15m", lock)
	}
	if d, locked := th.Locked(at.Add(14 * time.Minute)); !locked || d != time.Minute {
		t.Fatalf("14 minutes in: %s %v", d, locked)
	}
	if _, locked := th.Locked(at.Add(15 * time.Minute)); locked {
		t.Fatal("still locked after 15 minutes")
	}
	// After the lock, five more failures lock for twice as long, and so on
	// up to a day.
	want := []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	for _, w := range want {
		at = th.LockedUntil
		var lock time.Duration
		for range 5 {
			lock = fail(time.Second)
		}
		if lock != w {
			t.Fatalf("lock %d lasts %s, want %s", th.Locks, lock, w)
		}
	}
	// A day without a lock: the count starts again.
	at = th.LockedUntil.Add(25 * time.Hour)
	for range 4 {
		fail(0)
	}
	if lock := fail(0); lock != 15*time.Minute {
		t.Fatalf("after a quiet day the lock is %s, want 15m", lock)
	}
	// Success forgets everything but the key and version.
	th.Version = 9
	if s := th.Succeed(); s.Key != th.Key || s.Version != 9 || len(s.Failures) != 0 || s.Locks != 0 || !s.LockedUntil.IsZero() {
		t.Fatalf("after success: %+v", s)
	}
}

func TestThrottleWindowSlides(t *testing.T) {
	th := Throttle{}
	at := tz
	var lock time.Duration
	// One failure every four minutes never makes five within 15 minutes.
	for range 20 {
		at = at.Add(4 * time.Minute)
		th, lock = th.Fail(at, UserLockout)
		if lock != 0 {
			t.Fatalf("locked at %s with failures %v", at, th.Failures)
		}
	}
	if len(th.Failures) != 4 {
		t.Fatalf("%d failures kept, want those of the last 15 minutes (4)", len(th.Failures))
	}
	if exp := th.Expires(UserLockout); !exp.Equal(at.Add(15 * time.Minute)) {
		t.Fatalf("expires %s", exp)
	}
}

func TestThrottleKeys(t *testing.T) {
	long := ThrottleKeyUser(string(make([]byte, 5000)))
	if len(long) > 64 || ThrottleKeyUser("li.na") != "user:li.na" || ThrottleKeyAddr("10.0.0.1") != "addr:10.0.0.1" {
		t.Fatalf("keys: %q", long)
	}
}
