package escalation

import (
	"testing"
	"time"
)

func daily(zone, at string, start time.Time, people ...string) Rotation {
	return Rotation{Participants: people, Interval: Daily, HandoffTime: at, TimeZone: zone, Start: start}
}

func weekly(zone, at string, wd time.Weekday, start time.Time, people ...string) Rotation {
	return Rotation{Participants: people, Interval: Weekly, HandoffTime: at, HandoffWeekday: wd, TimeZone: zone, Start: start}
}

func custom(zone, at string, length time.Duration, start time.Time, people ...string) Rotation {
	return Rotation{Participants: people, Interval: Custom, Length: Duration(length), HandoffTime: at, TimeZone: zone, Start: start}
}

func TestRotationOnCall(t *testing.T) {
	sh := daily("Asia/Shanghai", "09:00", wall(shanghai, 2026, 3, 1, 10, 0), "a", "b", "c")
	ny := daily("America/New_York", "09:00", wall(newYork, 2026, 3, 1, 0, 0), "a", "b")
	nyWeek := weekly("America/New_York", "09:00", time.Monday, wall(newYork, 2026, 2, 25, 12, 0), "a", "b", "c")
	beWeek := weekly("Europe/Berlin", "10:00", time.Sunday, wall(berlin, 2026, 3, 22, 10, 0), "a", "b")
	nyHalf := custom("America/New_York", "09:00", 12*time.Hour, wall(newYork, 2026, 3, 1, 0, 0), "a", "b")
	sh3d := custom("Asia/Shanghai", "", 72*time.Hour, wall(shanghai, 2026, 3, 1, 18, 30), "a", "b")

	tests := []struct {
		name       string
		r          Rotation
		at         time.Time
		want       string
		start, end time.Time // zero when !ok
	}{
		{"shanghai before start", sh, wall(shanghai, 2026, 2, 1, 12, 0), "", time.Time{}, time.Time{}},
		{"shanghai after start, before first hand-off", sh, wall(shanghai, 2026, 3, 2, 8, 59), "", time.Time{}, time.Time{}},
		{"shanghai first hand-off", sh, wall(shanghai, 2026, 3, 2, 9, 0), "a", wall(shanghai, 2026, 3, 2, 9, 0), wall(shanghai, 2026, 3, 3, 9, 0)},
		{"shanghai last second of first shift", sh, wall(shanghai, 2026, 3, 3, 9, 0).Add(-time.Second), "a", wall(shanghai, 2026, 3, 2, 9, 0), wall(shanghai, 2026, 3, 3, 9, 0)},
		{"shanghai second shift", sh, wall(shanghai, 2026, 3, 3, 9, 0), "b", wall(shanghai, 2026, 3, 3, 9, 0), wall(shanghai, 2026, 3, 4, 9, 0)},
		{"shanghai wraps around", sh, wall(shanghai, 2026, 3, 5, 23, 0), "a", wall(shanghai, 2026, 3, 5, 9, 0), wall(shanghai, 2026, 3, 6, 9, 0)},
		{"shanghai asked in UTC", sh, time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC), "b", wall(shanghai, 2026, 3, 3, 9, 0), wall(shanghai, 2026, 3, 4, 9, 0)},
		{"shanghai asked in New York time", sh, wall(newYork, 2026, 3, 2, 20, 30), "b", wall(shanghai, 2026, 3, 3, 9, 0), wall(shanghai, 2026, 3, 4, 9, 0)},

		{"new york 23h shift into DST", ny, wall(newYork, 2026, 3, 8, 8, 30), "a", wall(newYork, 2026, 3, 7, 9, 0), wall(newYork, 2026, 3, 8, 9, 0)},
		{"new york first shift in DST", ny, wall(newYork, 2026, 3, 8, 9, 0), "b", wall(newYork, 2026, 3, 8, 9, 0), wall(newYork, 2026, 3, 9, 9, 0)},
		{"new york 25h shift out of DST", ny, wall(newYork, 2026, 11, 1, 8, 0), "a", wall(newYork, 2026, 10, 31, 9, 0), wall(newYork, 2026, 11, 1, 9, 0)},
		{"new york after DST", ny, wall(newYork, 2026, 11, 1, 9, 0), "b", wall(newYork, 2026, 11, 1, 9, 0), wall(newYork, 2026, 11, 2, 9, 0)},

		{"weekly: first monday after start", nyWeek, wall(newYork, 2026, 3, 3, 12, 0), "a", wall(newYork, 2026, 3, 2, 9, 0), wall(newYork, 2026, 3, 9, 9, 0)},
		{"weekly: before first monday", nyWeek, wall(newYork, 2026, 3, 2, 8, 59), "", time.Time{}, time.Time{}},
		{"weekly: 169h week out of DST", nyWeek, wall(newYork, 2026, 11, 1, 12, 0), "b", wall(newYork, 2026, 10, 26, 9, 0), wall(newYork, 2026, 11, 2, 9, 0)},
		{"weekly: start on the hand-off instant", beWeek, wall(berlin, 2026, 3, 22, 10, 0), "a", wall(berlin, 2026, 3, 22, 10, 0), wall(berlin, 2026, 3, 29, 10, 0)},
		{"weekly: berlin 167h week", beWeek, wall(berlin, 2026, 3, 29, 9, 59), "a", wall(berlin, 2026, 3, 22, 10, 0), wall(berlin, 2026, 3, 29, 10, 0)},
		{"weekly: berlin after the change", beWeek, wall(berlin, 2026, 3, 29, 10, 0), "b", wall(berlin, 2026, 3, 29, 10, 0), wall(berlin, 2026, 4, 5, 10, 0)},

		{"custom 12h before DST", nyHalf, wall(newYork, 2026, 3, 7, 22, 0), "b", wall(newYork, 2026, 3, 7, 21, 0), wall(newYork, 2026, 3, 8, 10, 0)},
		{"custom 12h drifts to 10:00 in DST", nyHalf, wall(newYork, 2026, 3, 9, 12, 0), "a", wall(newYork, 2026, 3, 9, 10, 0), wall(newYork, 2026, 3, 9, 22, 0)},
		{"custom 72h from start itself", sh3d, wall(shanghai, 2026, 3, 1, 18, 30), "a", wall(shanghai, 2026, 3, 1, 18, 30), wall(shanghai, 2026, 3, 4, 18, 30)},
		{"custom 72h third shift", sh3d, wall(shanghai, 2026, 3, 8, 0, 0), "a", wall(shanghai, 2026, 3, 7, 18, 30), wall(shanghai, 2026, 3, 10, 18, 30)},
		{"custom 72h before start", sh3d, wall(shanghai, 2026, 3, 1, 18, 29), "", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s, e, ok := tt.r.OnCall(tt.at)
			if ok != !tt.start.IsZero() || got != tt.want || !s.Equal(tt.start) || !e.Equal(tt.end) {
				t.Fatalf("OnCall(%s) = %q [%s, %s) %v; want %q [%s, %s)", tt.at, got, s, e, ok, tt.want, tt.start, tt.end)
			}
		})
	}
}

// TestDSTShiftLengths checks, for both 2026 changes in New York and
// Berlin, that daily and weekly hand-offs stay on the local hand-off time
// and that the shift spanning the change is an hour shorter or longer.
func TestDSTShiftLengths(t *testing.T) {
	tests := []struct {
		name  string
		r     Rotation
		loc   *time.Location
		day   time.Time // a moment inside the shift spanning the change
		want  time.Duration
		local string // the hand-off on the wall clock, both ends
	}{
		{"new york spring daily", daily("America/New_York", "09:00", wall(newYork, 2026, 1, 1, 0, 0), "a", "b"), newYork, wall(newYork, 2026, 3, 8, 4, 0), 23 * time.Hour, "09:00"},
		{"new york autumn daily", daily("America/New_York", "09:00", wall(newYork, 2026, 1, 1, 0, 0), "a", "b"), newYork, wall(newYork, 2026, 11, 1, 4, 0), 25 * time.Hour, "09:00"},
		{"berlin spring daily", daily("Europe/Berlin", "08:00", wall(berlin, 2026, 1, 1, 0, 0), "a", "b"), berlin, wall(berlin, 2026, 3, 29, 4, 0), 23 * time.Hour, "08:00"},
		{"berlin autumn daily", daily("Europe/Berlin", "08:00", wall(berlin, 2026, 1, 1, 0, 0), "a", "b"), berlin, wall(berlin, 2026, 10, 25, 4, 0), 25 * time.Hour, "08:00"},
		{"new york spring weekly", weekly("America/New_York", "09:00", time.Monday, wall(newYork, 2026, 1, 1, 0, 0), "a", "b"), newYork, wall(newYork, 2026, 3, 8, 4, 0), 167 * time.Hour, "09:00"},
		{"new york autumn weekly", weekly("America/New_York", "09:00", time.Monday, wall(newYork, 2026, 1, 1, 0, 0), "a", "b"), newYork, wall(newYork, 2026, 11, 1, 4, 0), 169 * time.Hour, "09:00"},
		{"berlin spring weekly", weekly("Europe/Berlin", "18:30", time.Friday, wall(berlin, 2026, 1, 1, 0, 0), "a", "b"), berlin, wall(berlin, 2026, 3, 29, 4, 0), 167 * time.Hour, "18:30"},
		{"berlin autumn weekly", weekly("Europe/Berlin", "18:30", time.Friday, wall(berlin, 2026, 1, 1, 0, 0), "a", "b"), berlin, wall(berlin, 2026, 10, 25, 4, 0), 169 * time.Hour, "18:30"},
		{"shanghai has no change", daily("Asia/Shanghai", "09:00", wall(shanghai, 2026, 1, 1, 0, 0), "a", "b"), shanghai, wall(shanghai, 2026, 3, 29, 4, 0), 24 * time.Hour, "09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s, e, ok := tt.r.OnCall(tt.day)
			if !ok {
				t.Fatal("nobody on call")
			}
			if got := e.Sub(s); got != tt.want {
				t.Errorf("shift [%s, %s) lasts %s, want %s", s, e, got, tt.want)
			}
			for _, x := range []time.Time{s, e} {
				if got := x.In(tt.loc).Format("15:04"); got != tt.local {
					t.Errorf("hand-off at %s local, want %s", got, tt.local)
				}
			}
			// The shifts either side are ordinary.
			_, ps, _, _ := tt.r.OnCall(s.Add(-time.Minute))
			_, _, ne, _ := tt.r.OnCall(e)
			normal := 24 * time.Hour
			if tt.r.Interval == Weekly {
				normal = 7 * 24 * time.Hour
			}
			if s.Sub(ps) != normal || ne.Sub(e) != normal {
				t.Errorf("neighbouring shifts last %s and %s, want %s", s.Sub(ps), ne.Sub(e), normal)
			}
		})
	}
}

// TestCustomKeepsFixedLength: a custom rotation's shifts are exactly
// Length long, so across a change its local hand-off time moves.
func TestCustomKeepsFixedLength(t *testing.T) {
	r := custom("Europe/Berlin", "07:00", 12*time.Hour, wall(berlin, 2026, 3, 27, 0, 0), "a", "b", "c")
	shifts := r.Shifts(wall(berlin, 2026, 3, 27, 0, 0), wall(berlin, 2026, 3, 31, 0, 0))
	if len(shifts) != 8 {
		t.Fatalf("got %d shifts, want 8", len(shifts))
	}
	for i, s := range shifts {
		if s.End.Sub(s.Start) != 12*time.Hour || s.Index != i || s.Person != r.Participants[i%3] {
			t.Errorf("shift %d = %+v", i, s)
		}
	}
	if got := shifts[len(shifts)-1].Start.In(berlin).Format("15:04"); got != "20:00" {
		t.Errorf("after the change the hand-off is at %s local, want 20:00 (was 19:00)", got)
	}
}

// TestHandoffInDSTGap: a hand-off time that does not exist on the day of
// the spring change still gives contiguous shifts and returns to the
// configured wall-clock time the day after.
func TestHandoffInDSTGap(t *testing.T) {
	r := daily("America/New_York", "02:30", wall(newYork, 2026, 3, 1, 0, 0), "a", "b")
	shifts := r.Shifts(wall(newYork, 2026, 3, 6, 12, 0), wall(newYork, 2026, 3, 11, 0, 0))
	for i, s := range shifts {
		if i > 0 && !s.Start.Equal(shifts[i-1].End) {
			t.Fatalf("shift %d starts at %s, previous ended at %s", i, s.Start, shifts[i-1].End)
		}
		if d := s.End.Sub(s.Start); d < 22*time.Hour || d > 25*time.Hour {
			t.Errorf("shift %d lasts %s", i, d)
		}
		if d := s.Start.In(newYork); d.Day() != 8 && d.Format("15:04") != "02:30" {
			t.Errorf("shift %d starts at %s", i, d)
		}
	}
}

// TestFarFuture checks the calendar arithmetic against plain stepping,
// one shift at a time from the first hand-off to 2036.
func TestFarFuture(t *testing.T) {
	start := wall(newYork, 2026, 3, 1, 0, 0)
	rotations := []Rotation{
		daily("America/New_York", "09:00", start, "a", "b", "c"),
		weekly("Europe/Berlin", "08:00", time.Wednesday, start, "a", "b", "c", "d"),
		custom("America/New_York", "09:00", 12*time.Hour, start, "a", "b", "c"),
		custom("Asia/Shanghai", "", 3*24*time.Hour+7*time.Minute, start, "a", "b"),
	}
	targets := []time.Time{
		time.Date(2036, 3, 9, 13, 0, 0, 0, time.UTC),
		time.Date(2036, 11, 2, 6, 30, 0, 0, time.UTC),
		time.Date(2036, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for _, r := range rotations {
		loc, _ := time.LoadLocation(r.TimeZone)
		first, ok := r.FirstHandoff()
		if !ok {
			t.Fatalf("%s: invalid", r.Interval)
		}
		step := func(h time.Time) time.Time {
			switch r.Interval {
			case Daily:
				return h.In(loc).AddDate(0, 0, 1)
			case Weekly:
				return h.In(loc).AddDate(0, 0, 7)
			}
			return h.Add(r.Length.Std())
		}
		for _, at := range targets {
			k, s := 0, first
			for e := step(s); !e.After(at); e = step(s) {
				k, s = k+1, e
			}
			person, gs, ge, ok := r.OnCall(at)
			want := r.Participants[k%len(r.Participants)]
			if !ok || person != want || !gs.Equal(s) || !ge.Equal(step(s)) {
				t.Errorf("%s %s: OnCall = %q [%s, %s); stepping gives %q [%s, %s) (shift %d)",
					r.Interval, at, person, gs, ge, want, s, step(s), k)
			}
		}
		// Shifts over the ten years agree with OnCall at every start.
		all := r.Shifts(first, targets[0])
		for i, s := range all {
			p, gs, ge, _ := r.OnCall(s.Start)
			if s.Index != i || p != s.Person || !gs.Equal(s.Start) || !ge.Equal(s.End) || (i > 0 && !all[i-1].End.Equal(s.Start)) {
				t.Fatalf("%s: shift %d %+v disagrees with OnCall %q [%s, %s)", r.Interval, i, s, p, gs, ge)
			}
		}
	}
}

func TestShiftsWindow(t *testing.T) {
	r := daily("Asia/Shanghai", "09:00", wall(shanghai, 2026, 3, 1, 0, 0), "a", "b")
	got := r.Shifts(wall(shanghai, 2026, 2, 27, 0, 0), wall(shanghai, 2026, 3, 3, 9, 0))
	if len(got) != 2 || !got[0].Start.Equal(wall(shanghai, 2026, 3, 1, 9, 0)) || !got[1].End.Equal(wall(shanghai, 2026, 3, 3, 9, 0)) {
		t.Fatalf("Shifts = %+v", got)
	}
	// Whole shifts: the one containing from is included from its start.
	got = r.Shifts(wall(shanghai, 2026, 3, 2, 12, 0), wall(shanghai, 2026, 3, 2, 13, 0))
	if len(got) != 1 || got[0].Person != "b" || !got[0].Start.Equal(wall(shanghai, 2026, 3, 2, 9, 0)) {
		t.Fatalf("Shifts = %+v", got)
	}
	if got := r.Shifts(wall(shanghai, 2026, 3, 2, 0, 0), wall(shanghai, 2026, 3, 2, 0, 0)); got != nil {
		t.Fatalf("empty window gave %+v", got)
	}
}

func TestRotationValidate(t *testing.T) {
	ok := daily("Asia/Shanghai", "09:00", wall(shanghai, 2026, 3, 1, 0, 0), "a", "b")
	tests := []struct {
		name  string
		edit  func(*Rotation)
		field string // "" = valid
	}{
		{"valid", func(*Rotation) {}, ""},
		{"no participants", func(r *Rotation) { r.Participants = nil }, "participants"},
		{"empty participant", func(r *Rotation) { r.Participants = []string{"a", ""} }, "participants[1]"},
		{"unknown interval", func(r *Rotation) { r.Interval = "hourly" }, "interval"},
		{"bad hand-off time", func(r *Rotation) { r.HandoffTime = "9:00" }, "handoff_time"},
		{"hand-off 24:00", func(r *Rotation) { r.HandoffTime = "24:00" }, "handoff_time"},
		{"daily needs a hand-off time", func(r *Rotation) { r.HandoffTime = "" }, "handoff_time"},
		{"weekday out of range", func(r *Rotation) { r.Interval, r.HandoffWeekday = Weekly, 7 }, "handoff_weekday"},
		{"custom without length", func(r *Rotation) { r.Interval = Custom }, "length"},
		{"custom not whole minutes", func(r *Rotation) { r.Interval, r.Length = Custom, Duration(90*time.Second) }, "length"},
		{"custom 12h", func(r *Rotation) { r.Interval, r.Length = Custom, Duration(12*time.Hour) }, ""},
		{"custom without hand-off time", func(r *Rotation) { r.Interval, r.Length, r.HandoffTime = Custom, Duration(12*time.Hour), "" }, ""},
		{"no zone", func(r *Rotation) { r.TimeZone = "" }, "time_zone"},
		{"machine zone", func(r *Rotation) { r.TimeZone = "Local" }, "time_zone"},
		{"unknown zone", func(r *Rotation) { r.TimeZone = "Mars/Olympus_Mons" }, "time_zone"},
		{"no start", func(r *Rotation) { r.Start = time.Time{} }, "start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			r.Participants = append([]string(nil), ok.Participants...)
			tt.edit(&r)
			checkFields(t, r.Validate(), tt.field)
			if _, _, _, got := r.OnCall(wall(shanghai, 2026, 6, 1, 0, 0)); got != (tt.field == "") {
				t.Errorf("OnCall ok = %v for a rotation valid = %v", got, tt.field == "")
			}
		})
	}
}

// FuzzRotationOnCall checks that OnCall is consistent with itself whatever
// the rotation and moment: the shift contains the moment, asking at its
// start gives the same answer, the next shift starts where it ends with the
// next participant, and a miss means the moment is before the first shift.
func FuzzRotationOnCall(f *testing.F) {
	f.Add(uint8(0), uint8(2), uint8(9), uint8(0), uint8(1), uint32(720), uint8(3), int64(1772323200), int64(86400*400))
	f.Add(uint8(1), uint8(3), uint8(2), uint8(30), uint8(0), uint32(60), uint8(2), int64(1772323200), int64(-3600))
	f.Add(uint8(2), uint8(1), uint8(0), uint8(0), uint8(6), uint32(4327), uint8(5), int64(1800000000), int64(86400*3650))
	f.Add(uint8(0), uint8(5), uint8(0), uint8(0), uint8(0), uint32(1), uint8(1), int64(1317000000), int64(86400*100))
	zoneNames := []string{"UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia", "Asia/Kathmandu"}
	f.Fuzz(func(t *testing.T, kind, zone, hh, mm, wd uint8, lengthMin uint32, n uint8, startUnix, offset int64) {
		const span = 60 * 366 * 86400 // starts 1910–2030, moments 1850–2090
		startUnix %= span
		offset %= span
		r := Rotation{
			Interval:       []Interval{Daily, Weekly, Custom}[int(kind)%3],
			HandoffTime:    time.Date(0, 1, 1, int(hh)%24, int(mm)%60, 0, 0, time.UTC).Format("15:04"),
			HandoffWeekday: time.Weekday(wd % 7),
			Length:         Duration(time.Duration(lengthMin%(366*24*60)+1) * time.Minute),
			TimeZone:       zoneNames[int(zone)%len(zoneNames)],
			Start:          time.Unix(startUnix, 0),
		}
		for i := 0; i < int(n%6)+1; i++ {
			r.Participants = append(r.Participants, string(rune('a'+i)))
		}
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		at := time.Unix(startUnix+offset, 0)
		person, s, e, ok := r.OnCall(at)
		first, _ := r.FirstHandoff()
		if !ok {
			if !at.Before(first) {
				t.Fatalf("nobody on call at %s, after the first hand-off %s", at, first)
			}
			if _, _, _, ok := r.OnCall(first); !ok {
				t.Fatalf("nobody on call at the first hand-off %s", first)
			}
			return
		}
		if first.After(s) || at.Before(s) || !at.Before(e) {
			t.Fatalf("at %s: shift [%s, %s) does not contain it or precedes the first hand-off %s", at, s, e, first)
		}
		p2, s2, e2, ok2 := r.OnCall(s)
		if !ok2 || p2 != person || !s2.Equal(s) || !e2.Equal(e) {
			t.Fatalf("OnCall(shift start) = %q [%s, %s), want %q [%s, %s)", p2, s2, e2, person, s, e)
		}
		shifts := r.Shifts(at, at.Add(time.Nanosecond))
		if len(shifts) != 1 || shifts[0].Person != person || !shifts[0].Start.Equal(s) {
			t.Fatalf("Shifts around %s = %+v", at, shifts)
		}
		p3, s3, _, _ := r.OnCall(e)
		if !s3.Equal(e) || p3 != r.Participants[(shifts[0].Index+1)%len(r.Participants)] {
			t.Fatalf("after shift %d [%s, %s) comes %q from %s", shifts[0].Index, s, e, p3, s3)
		}
		if r.Interval == Custom && e.Sub(s) != r.Length.Std() {
			t.Fatalf("custom shift lasts %s, want %s", e.Sub(s), r.Length)
		}
		if r.Interval == Daily && r.TimeZone != "Pacific/Apia" && (e.Sub(s) < 22*time.Hour || e.Sub(s) > 26*time.Hour) {
			t.Fatalf("daily shift [%s, %s) lasts %s", s, e, e.Sub(s))
		}
	})
}
