package escalation

import (
	"os"
	"testing"
	"time"
	_ "time/tzdata" // the tests need the zones even where the machine has no database
)

// TestMain runs the tests under a local zone that none of them names
// (UTC+05:45, no daylight saving), so that any reliance on time.Local shows.
func TestMain(m *testing.M) {
	time.Local = time.FixedZone("Elsewhere", 5*3600+45*60)
	os.Exit(m.Run())
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	shanghai = mustZone("Asia/Shanghai")
	newYork  = mustZone("America/New_York")
	berlin   = mustZone("Europe/Berlin")
)

// wall is a wall-clock time in loc.
func wall(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, loc)
}
