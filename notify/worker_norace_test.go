//go:build !race

package notify_test

// See worker_race_test.go.
const onceMessages = 200
