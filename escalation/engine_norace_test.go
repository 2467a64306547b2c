//go:build !race

package escalation_test

// slow stretches the real-clock tests (see engine_race_test.go).
const slow = 1
