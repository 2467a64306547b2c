//go:build race

package notify_test

// The race detector also turns on FerretDB's debug build, under which a
// store call takes many times longer, and more so as the outbox grows:
// the test of two workers sharing the outbox sends fewer messages.
const onceMessages = 60
