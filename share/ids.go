package share

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Id prefixes.
const (
	grantPrefix  = "SG-"
	rulePrefix   = "SR-"
	copyPrefix   = "SC-"
	accessPrefix = "SA-"
)

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// newGrantID, newRuleID and newCopyID are random ids: guessing one
// learns nothing, and none says how many others exist.
func newGrantID() string { return grantPrefix + randomHex(6) }
func newRuleID() string  { return rulePrefix + randomHex(6) }
func newCopyID() string  { return copyPrefix + randomHex(6) }

// newAccessID is an access log id that sorts by time (nanoseconds since
// 1970 in fixed-width hex, then random bits against collisions).
func newAccessID(at time.Time) string {
	return fmt.Sprintf("%s%016x-%s", accessPrefix, uint64(at.UnixNano()), randomHex(4))
}
