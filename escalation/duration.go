package escalation

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("90s",
// "15m", "4h", "336h") in JSON, YAML and forms. On input a leading whole
// number of days is also accepted as a convenience: "14d", "1d12h".
//
// It marshals through encoding.TextMarshaler, which encoding/json and
// gopkg.in/yaml.v3 both honour, so the package needs no YAML dependency.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String writes d the way time.ParseDuration reads it, without zero
// trailing units: "15m" rather than "15m0s", "336h", "1h30m", "0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ParseDuration reads a Go duration, optionally preceded by whole days:
// "15m", "4h", "14d", "1d12h".
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(in, 'd'); i > 0 {
		n, err := strconv.ParseInt(in[:i], 10, 64)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("duration %q: days must be a whole number", s)
		}
		days, in = n, in[i+1:]
		if in == "" {
			return Duration(time.Duration(days) * 24 * time.Hour), nil
		}
		if in[0] == '-' || in[0] == '+' {
			return 0, fmt.Errorf("duration %q: no sign after the days", s)
		}
	}
	d, err := time.ParseDuration(in)
	if err != nil {
		return 0, fmt.Errorf("duration %q: write it like 90s, 15m, 4h or 14d", s)
	}
	whole := time.Duration(days) * 24 * time.Hour
	if d > 0 && d > math.MaxInt64-whole {
		return 0, fmt.Errorf("duration %q: too long", s)
	}
	return Duration(whole + d), nil
}

// MarshalText writes d as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what ParseDuration reads.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
