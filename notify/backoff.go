package notify

import (
	"math/rand/v2"
	"time"
)

// Default back-off of failed sends: from 2 s, doubling, up to 10 min.
const (
	DefaultBackoffBase = 2 * time.Second
	DefaultBackoffMax  = 10 * time.Minute
)

// Backoff returns how long to wait after the attempt-th failed send of a
// message (attempt counts from 1).
type Backoff func(attempt int) time.Duration

// ExpBackoff is exponential back-off with full jitter: after the n-th
// failure it waits a uniformly random time in [0, min(max, base·2ⁿ⁻¹)), so
// that instances and messages failing together do not retry together.
// rnd returns a number in [0, 1); nil means math/rand/v2's Float64. Tests
// pass a fixed one.
func ExpBackoff(base, max time.Duration, rnd func() float64) Backoff {
	if rnd == nil {
		rnd = rand.Float64
	}
	return func(attempt int) time.Duration {
		return time.Duration(rnd() * float64(backoffCap(base, max, attempt)))
	}
}

// backoffCap is min(max, base·2^(attempt-1)), without overflowing.
func backoffCap(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}
