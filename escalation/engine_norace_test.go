//go:build !race

package escalation_test

// See engine_race_test.go.
const (
	slow        = 1
	multiTimers = 1000
)
