package access

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ErrLockedOut is returned (inside a *LockedError) for a sign-in refused
// because the username or the address it comes from failed too often.
var ErrLockedOut = errors.New("too many failed sign-ins; try again later")

// LockedError is a refused sign-in and how long until it may be tried
// again.
type LockedError struct {
	RetryAfter time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v (in %s)", ErrLockedOut, e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrLockedOut) hold.
func (e *LockedError) Unwrap() error { return ErrLockedOut }

// LockoutPolicy says when repeated failures lock a username or an address,
// and for how long.
type LockoutPolicy struct {
	Window      time.Duration // failures count within this window
	MaxFailures int           // this many failures within Window lock
	Lock        time.Duration // the first lock; each further one doubles
	MaxLock     time.Duration // locks never last longer
	Forget      time.Duration // the lock count starts again this long after the last lock ended
}

// The lockout policies: per username (5 failures in 15 minutes lock it for
// 15 minutes, then 30, 60 … up to a day) and per address, which allows
// more (people behind one NAT share it) and guards against trying many
// usernames.
var (
	UserLockout = LockoutPolicy{Window: 15 * time.Minute, MaxFailures: 5, Lock: 15 * time.Minute, MaxLock: 24 * time.Hour, Forget: 24 * time.Hour}
	AddrLockout = LockoutPolicy{Window: 15 * time.Minute, MaxFailures: 20, Lock: 15 * time.Minute, MaxLock: 24 * time.Hour, Forget: 24 * time.Hour}
)

// Throttle is the record of failed sign-ins of one username or address.
// Its decisions are pure; the store keeps it by Key with a version.
type Throttle struct {
	Key         string      // ThrottleKeyUser or ThrottleKeyAddr
	Failures    []time.Time // within the policy's window, oldest first
	LockedUntil time.Time
	Locks       int       // locks since the count last started again
	LastLock    time.Time // when the last lock began
	Version     int64     // 0: not stored yet
}

// ThrottleKeyUser is the throttle key of a username (as typed, normalized).
// Long names are hashed so that keys stay small.
func ThrottleKeyUser(username string) string {
	if len(username) > 64 {
		sum := sha256.Sum256([]byte(username))
		username = "#" + hex.EncodeToString(sum[:16])
	}
	return "user:" + username
}

// ThrottleKeyAddr is the throttle key of a client address.
func ThrottleKeyAddr(addr string) string { return "addr:" + addr }

// Locked reports whether t is locked at now, and for how much longer.
func (t Throttle) Locked(now time.Time) (time.Duration, bool) {
	if now.Before(t.LockedUntil) {
		return t.LockedUntil.Sub(now), true
	}
	return 0, false
}

// Fail records a failure at now under p. It returns the next state and,
// when this failure locks, how long the lock lasts.
func (t Throttle) Fail(now time.Time, p LockoutPolicy) (Throttle, time.Duration) {
	next := t
	next.Failures = nil
	for _, f := range t.Failures {
		if now.Sub(f) < p.Window {
			next.Failures = append(next.Failures, f)
		}
	}
	next.Failures = append(next.Failures, now)
	if len(next.Failures) < p.MaxFailures {
		return next, 0
	}
	if !t.LockedUntil.IsZero() && now.Sub(t.LockedUntil) > p.Forget {
		next.Locks = 0
	}
	lock := p.Lock
	for i := 0; i < next.Locks && lock < p.MaxLock; i++ {
		lock *= 2
	}
	lock = min(lock, p.MaxLock)
	next.Locks++
	next.LastLock = now
	next.LockedUntil = now.Add(lock)
	next.Failures = nil // counting starts again when the lock ends
	return next, lock
}

// Succeed is t after a successful sign-in: failures and locks forgotten.
func (t Throttle) Succeed() Throttle {
	return Throttle{Key: t.Key, Version: t.Version}
}

// Expires is when t no longer matters under p, after which the store may
// delete it.
func (t Throttle) Expires(p LockoutPolicy) time.Time {
	end := t.LockedUntil
	if n := len(t.Failures); n > 0 && t.Failures[n-1].Add(p.Window).After(end) {
		end = t.Failures[n-1].Add(p.Window)
	}
	if !t.LockedUntil.IsZero() && t.LockedUntil.Add(p.Forget).After(end) {
		end = t.LockedUntil.Add(p.Forget)
	}
	return end
}
