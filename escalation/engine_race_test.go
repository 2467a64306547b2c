//go:build race

package escalation_test

// slow stretches the real-clock tests under the race detector, which also
// turns on FerretDB's debug build: store calls take several times longer.
const slow = 5
