package notify

import (
	"testing"
	"time"
)

func TestExpBackoff(t *testing.T) {
	half := ExpBackoff(DefaultBackoffBase, DefaultBackoffMax, func() float64 { return 0.5 })
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second},       // half of 2 s
		{2, 2 * time.Second},   // half of 4 s
		{3, 4 * time.Second},   // half of 8 s
		{9, 256 * time.Second}, // half of 512 s
		{10, 5 * time.Minute},  // half of the 10 min cap
		{1000, 5 * time.Minute},
	} {
		if got := half(tc.attempt); got != tc.want {
			t.Errorf("attempt %d: %s, want %s", tc.attempt, got, tc.want)
		}
	}
	// Full jitter: the whole range, from nothing to just under the cap.
	if got := ExpBackoff(time.Second, time.Minute, func() float64 { return 0 })(5); got != 0 {
		t.Errorf("rnd 0: %s", got)
	}
	if got := ExpBackoff(time.Second, time.Minute, func() float64 { return 0.999 })(5); got <= 15*time.Second || got >= 16*time.Second {
		t.Errorf("rnd 0.999 at attempt 5: %s, want just under 16s", got)
	}
	// The default source stays within the cap.
	def := ExpBackoff(time.Second, time.Minute, nil)
	for range 100 {
		if d := def(3); d < 0 || d >= 4*time.Second {
			t.Fatalf("default rnd: %s outside [0, 4s)", d)
		}
	}
}
