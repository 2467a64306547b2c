package escalation

import (
	"testing"
	"time"
)

func TestLastActivation(t *testing.T) {
	t.Parallel()
	at := func(h, m, s, ms int) time.Time { return time.Date(2026, 3, 21, h, m, s, ms*1e6, time.UTC) }
	for _, tc := range []struct {
		spec string
		now  time.Time
		want time.Time
	}{
		{"@every 1s", at(9, 0, 5, 3), at(9, 0, 5, 0)},
		{"@every 10m", at(9, 27, 0, 40), at(9, 20, 0, 0)},
		{"@every 24h", at(9, 27, 0, 40), at(0, 0, 0, 0)},
		{"*/5 * * * *", at(9, 15, 0, 12), at(9, 15, 0, 0)},
		{"*/5 * * * *", at(9, 19, 59, 900), at(9, 15, 0, 0)},
		{"17 3 * * *", at(3, 17, 2, 0), at(3, 17, 0, 0)},
		{"17 3 * * *", at(9, 0, 0, 0), at(3, 17, 0, 0)},
		{"17 3 1 1 *", at(9, 0, 0, 300), at(9, 0, 0, 0)}, // no activation within a day: now, to the second
		{"@hourly", at(9, 0, 0, 5), at(9, 0, 0, 0)},
	} {
		s, err := parseSpec(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := lastActivation(s, tc.now); !got.Equal(tc.want) {
			t.Errorf("lastActivation(%q, %s) = %s, want %s", tc.spec, tc.now.Format(time.TimeOnly), got.Format(time.TimeOnly), tc.want.Format(time.TimeOnly))
		}
	}
	// Every instance computes the same activations of "@every".
	s, _ := parseSpec("@every 7s")
	if a, b := s.Next(at(9, 0, 1, 0)), s.Next(at(9, 0, 3, 500)); !a.Equal(b) {
		t.Errorf("@every 7s: next after 9:00:01 is %s, after 9:00:03.5 is %s", a, b)
	}
}
