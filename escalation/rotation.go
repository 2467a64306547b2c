package escalation

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Interval is how often a rotation hands off.
type Interval string

// The rotation intervals.
const (
	// Daily hands off every day at HandoffTime, local time.
	Daily Interval = "daily"
	// Weekly hands off every week on HandoffWeekday at HandoffTime, local time.
	Weekly Interval = "weekly"
	// Custom hands off every Length, a fixed duration (12h, 72h for three
	// days). It does not follow the wall clock across daylight-saving changes.
	Custom Interval = "custom"
)

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool { return i == Daily || i == Weekly || i == Custom }

// Rotation is a team's on-call schedule: Participants take turns, in order,
// one shift each, starting over after the last.
//
// The first shift begins at the first hand-off at or after Start. A daily or
// weekly hand-off happens at HandoffTime on the wall clock of TimeZone, so on
// the day of a daylight-saving change a daily shift lasts 23 or 25 hours and
// the next one still begins at HandoffTime. A custom rotation's first
// hand-off is the first HandoffTime at or after Start (Start itself when
// HandoffTime is empty), and every shift then lasts exactly Length.
//
// Who is on call at a moment is computed from the calendar, not by walking
// shifts from Start, so any moment past or future costs the same.
type Rotation struct {
	Participants   []string // person ids, in order; one may appear more than once
	Interval       Interval
	Length         Duration     // Custom only: the length of every shift, whole minutes
	HandoffTime    string       // "HH:MM", 24-hour, local to TimeZone
	HandoffWeekday time.Weekday // Weekly only
	TimeZone       string       // IANA name, e.g. Asia/Shanghai; "Local" is refused
	Start          time.Time
}

// Shift is one participant's turn: on call from Start until End.
type Shift struct {
	Index  int // 0 for the first shift of the rotation
	Person string
	Start  time.Time
	End    time.Time
}

// OnCall says who the rotation puts on call at the moment at, and the shift
// that moment falls in (shiftStart <= at < shiftEnd). ok is false before the
// first shift and for a rotation that does not validate.
func (r Rotation) OnCall(at time.Time) (person string, shiftStart, shiftEnd time.Time, ok bool) {
	c, ok := r.cadence()
	if !ok {
		return "", time.Time{}, time.Time{}, false
	}
	k := c.index(at)
	if k < 0 {
		return "", time.Time{}, time.Time{}, false
	}
	return r.Participants[k%len(r.Participants)], c.handoff(k), c.handoff(k + 1), true
}

// Shifts returns every shift that overlaps [from, to), in order and whole
// (the first may begin before from and the last end after to). It is empty
// when to is not after from or the rotation does not validate.
func (r Rotation) Shifts(from, to time.Time) []Shift {
	c, ok := r.cadence()
	if !ok || !to.After(from) {
		return nil
	}
	var out []Shift
	k := max(c.index(from), 0)
	for s := c.handoff(k); s.Before(to); k++ {
		e := c.handoff(k + 1)
		if e.After(s) && e.After(from) { // a zone that skips a whole day can make a shift empty
			out = append(out, Shift{Index: k, Person: r.Participants[k%len(r.Participants)], Start: s, End: e})
		}
		s = e
	}
	return out
}

// FirstHandoff is when the first shift begins; ok is false for a rotation
// that does not validate.
func (r Rotation) FirstHandoff() (time.Time, bool) {
	c, ok := r.cadence()
	if !ok {
		return time.Time{}, false
	}
	return c.handoff(0), true
}

// nextHandoff is the first hand-off strictly after t; ok is false for a
// rotation that does not validate.
func (r Rotation) nextHandoff(t time.Time) (time.Time, bool) {
	c, ok := r.cadence()
	if !ok {
		return time.Time{}, false
	}
	return c.handoff(c.index(t) + 1), true
}

// Validate checks the rotation on its own; Team.Validate also checks that
// its participants are members.
func (r Rotation) Validate() error {
	var e *incident.InvalidError
	validateRotation(&e, "", r)
	return asError(e)
}

// MaxShift bounds a custom shift's length.
const MaxShift = 366 * 24 * time.Hour

func validateRotation(e **incident.InvalidError, at string, r Rotation) {
	if len(r.Participants) == 0 || len(r.Participants) > MaxMembers {
		invalid(e, at+"participants", fmt.Sprintf("a rotation needs 1 to %d participants", MaxMembers), fmt.Sprintf("轮换需要 1 到 %d 名人员", MaxMembers))
	}
	for i, p := range r.Participants {
		checkID(e, fmt.Sprintf("%sparticipants[%d]", at, i), p)
	}
	_, _, clockOK := parseClock(r.HandoffTime)
	switch r.Interval {
	case Daily, Weekly:
		if !clockOK {
			invalid(e, at+"handoff_time", "hand-off time must be HH:MM, 24-hour", "交接时间格式须为 HH:MM（24 小时制）")
		}
		if r.Interval == Weekly && (r.HandoffWeekday < time.Sunday || r.HandoffWeekday > time.Saturday) {
			invalid(e, at+"handoff_weekday", "hand-off weekday must be 0 (Sunday) to 6 (Saturday)", "交接星期须为 0（星期日）到 6（星期六）")
		}
	case Custom:
		if r.HandoffTime != "" && !clockOK {
			invalid(e, at+"handoff_time", "hand-off time must be HH:MM, 24-hour, or empty", "交接时间格式须为 HH:MM（24 小时制）或留空")
		}
		if d := r.Length.Std(); d < time.Minute || d > MaxShift || d%time.Minute != 0 {
			invalid(e, at+"length", "a custom shift lasts whole minutes, from 1m to 366 days", "自定义班次时长须为整分钟，1 分钟到 366 天")
		}
	default:
		invalid(e, at+"interval", "interval must be daily, weekly or custom", "轮换周期须为 daily、weekly 或 custom")
	}
	if _, err := loadZone(r.TimeZone); err != nil {
		invalid(e, at+"time_zone", "unknown time zone; use an IANA name such as Asia/Shanghai", "未知时区，请使用 IANA 名称，如 Asia/Shanghai")
	}
	if r.Start.IsZero() {
		invalid(e, at+"start", "a rotation needs a start time", "轮换需要开始时间")
	}
}

// cadence is a rotation reduced to arithmetic: hand-off k (0 = the first)
// is either a calendar date plus k×days at hh:mm local, or first + k×step.
type cadence struct {
	loc    *time.Location
	days   int   // 1 or 7 for calendar rotations, 0 for fixed ones
	step   int64 // seconds per shift of a fixed rotation
	hh, mm int
	y      int // calendar date of the first hand-off, as given to time.Date
	m      time.Month
	d      int
	first  time.Time
}

func (r Rotation) cadence() (cadence, bool) {
	if r.Validate() != nil {
		return cadence{}, false
	}
	loc, _ := loadZone(r.TimeZone)
	c := cadence{loc: loc}
	hh, mm, clock := parseClock(r.HandoffTime)
	c.hh, c.mm = hh, mm
	start := r.Start.In(loc)
	y, m, d := start.Date()
	switch r.Interval {
	case Daily:
		c.days = 1
	case Weekly:
		c.days = 7
		d += (int(r.HandoffWeekday) - int(start.Weekday()) + 7) % 7
	case Custom:
		c.step = int64(r.Length.Std() / time.Second)
		if !clock {
			c.first = r.Start
			return c, true
		}
	}
	if time.Date(y, m, d, hh, mm, 0, 0, loc).Before(r.Start) {
		d += max(c.days, 1)
	}
	c.y, c.m, c.d = y, m, d
	c.first = time.Date(y, m, d, hh, mm, 0, 0, loc)
	return c, true
}

// handoff is the moment shift k begins. Calendar rotations go through
// time.Date so that the wall-clock time holds across offset changes; fixed
// ones count seconds, which cannot overflow the way a Duration would.
func (c cadence) handoff(k int) time.Time {
	if c.days > 0 {
		return time.Date(c.y, c.m, c.d+k*c.days, c.hh, c.mm, 0, 0, c.loc)
	}
	return time.Unix(c.first.Unix()+int64(k)*c.step, int64(c.first.Nanosecond())).In(c.loc)
}

// index is the number of the shift containing at: the largest k with
// handoff(k) <= at, negative before the first hand-off. The estimate from
// calendar days (or elapsed seconds) is off by at most one shift, which the
// two loops correct, so the cost does not depend on the distance from Start.
func (c cadence) index(at time.Time) int {
	var k int
	if c.days > 0 {
		l := at.In(c.loc)
		k = int(floorDiv(civilDay(l.Date())-civilDay(c.y, c.m, c.d), int64(c.days)))
	} else {
		k = int(floorDiv(at.Unix()-c.first.Unix(), c.step))
	}
	for c.handoff(k).After(at) {
		k--
	}
	for !c.handoff(k + 1).After(at) {
		k++
	}
	return k
}

// civilDay numbers calendar dates consecutively (days since 1970-01-01);
// it normalizes out-of-range days the way time.Date does.
func civilDay(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// parseClock reads "HH:MM" (24-hour, two digits each).
func parseClock(s string) (hh, mm int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
	}
	hh = int(s[0]-'0')*10 + int(s[1]-'0')
	mm = int(s[3]-'0')*10 + int(s[4]-'0')
	if hh > 23 || mm > 59 {
		return 0, 0, false
	}
	return hh, mm, true
}

// errLocalZone refuses "Local": a rotation must not change with the machine
// it is computed on.
var errLocalZone = errors.New(`time zone "Local" depends on the machine; name the zone`)

// zones caches loaded locations: time.LoadLocation reads the zone database
// on every call, and rotations are evaluated many times per request.
var zones sync.Map // name → *time.Location

// loadZone loads an IANA time zone by name, refusing "" and "Local".
func loadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	switch name {
	case "":
		return nil, errors.New("time zone required")
	case "Local":
		return nil, errLocalZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
