//go:build race

package escalation_test

// The race detector also turns on FerretDB's debug build, under which a
// store call takes several times longer (and a firing far more): the
// real-clock tests wait longer and the multi-instance test fires fewer
// timers.
const (
	slow        = 5
	multiTimers = 300
)
