package escalation

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// day2 is a wall-clock time on 2 March 2026 in Shanghai, bob's day in
// assessmentTeam's rotation (alice has 1, 3, 5 March; bob 2, 4, 6).
func day2(hh, mm int) time.Time { return wall(shanghai, 2026, 3, 2, hh, mm) }

func assessmentTeam() Team {
	r := daily("Asia/Shanghai", "09:00", wall(shanghai, 2026, 3, 1, 0, 0), "alice", "bob")
	return Team{ID: "assessment", Name: "Assessment", Kind: AssessmentGroup, Members: []string{"alice", "bob", "carol", "dave", "erin"}, Lead: "carol", Critical: true, Rotation: &r}
}

func ov(id, person, replaces string, start, end time.Time) Override {
	return Override{ID: id, Team: "assessment", Person: person, Replaces: replaces, Start: start, End: end}
}

func TestOnCallAt(t *testing.T) {
	team := assessmentTeam()
	week := ov("w", "carol", "bob", wall(shanghai, 2026, 3, 1, 0, 0), wall(shanghai, 2026, 3, 8, 0, 0))
	tests := []struct {
		name string
		ovs  []Override
		at   time.Time
		want []string
	}{
		{"rotation only", nil, day2(12, 0), []string{"bob"}},
		{"replace the scheduled person", []Override{ov("o", "carol", "bob", day2(12, 0), day2(14, 0))}, day2(13, 0), []string{"carol"}},
		{"override starts inclusive", []Override{ov("o", "carol", "bob", day2(12, 0), day2(14, 0))}, day2(12, 0), []string{"carol"}},
		{"override ends exclusive", []Override{ov("o", "carol", "bob", day2(12, 0), day2(14, 0))}, day2(14, 0), []string{"bob"}},
		{"replacing someone not on duty does nothing", []Override{ov("o", "carol", "alice", day2(12, 0), day2(14, 0))}, day2(13, 0), []string{"bob"}},
		{"take over from whoever is on", []Override{ov("o", "erin", "", day2(12, 0), day2(14, 0))}, day2(13, 0), []string{"erin"}},
		{"remove the scheduled person", []Override{ov("o", "", "bob", day2(12, 0), day2(14, 0))}, day2(13, 0), nil},
		{"remove whoever is on", []Override{ov("o", "", "", day2(12, 0), day2(14, 0))}, day2(13, 0), nil},
		{"removing someone not on duty does nothing", []Override{ov("o", "", "alice", day2(12, 0), day2(14, 0))}, day2(13, 0), []string{"bob"}},
		{"another team's override is ignored", []Override{{ID: "x", Team: "network", Person: "erin", Start: day2(12, 0), End: day2(14, 0)}}, day2(13, 0), []string{"bob"}},
		{"an override with end before start is ignored", []Override{ov("o", "erin", "", day2(14, 0), day2(12, 0))}, day2(13, 0), []string{"bob"}},

		{"wide override in force", []Override{week}, day2(11, 0), []string{"carol"}},
		{"wide override only replaces bob", []Override{week}, wall(shanghai, 2026, 3, 3, 11, 0), []string{"alice"}},
		{"narrower wins: replaces the scheduled person", []Override{ov("n", "dave", "bob", day2(12, 0), day2(13, 0)), week}, day2(12, 30), []string{"dave"}},
		{"narrower wins: replaces the wide override's person", []Override{week, ov("n", "erin", "carol", day2(15, 0), day2(16, 0))}, day2(15, 30), []string{"erin"}},
		{"narrower wins: removal inside a replacement", []Override{week, ov("n", "", "", day2(15, 0), day2(16, 0))}, day2(15, 30), nil},
		{"narrower wins: cover inside a removal", []Override{ov("w", "", "bob", wall(shanghai, 2026, 3, 1, 0, 0), wall(shanghai, 2026, 3, 8, 0, 0)), ov("n", "dave", "bob", day2(15, 0), day2(16, 0))}, day2(15, 30), []string{"dave"}},
		{"outside the narrow one the wide one holds", []Override{week, ov("n", "erin", "carol", day2(15, 0), day2(16, 0))}, day2(16, 0), []string{"carol"}},
		{"equal length: the later start wins", []Override{ov("x", "carol", "", day2(12, 0), day2(14, 0)), ov("y", "dave", "", day2(13, 0), day2(15, 0))}, day2(13, 30), []string{"dave"}},
		{"equal length: order given does not matter", []Override{ov("y", "dave", "", day2(13, 0), day2(15, 0)), ov("x", "carol", "", day2(12, 0), day2(14, 0))}, day2(13, 30), []string{"dave"}},
		{"same window: the greater id wins", []Override{ov("o-b", "dave", "", day2(12, 0), day2(14, 0)), ov("o-a", "carol", "", day2(12, 0), day2(14, 0))}, day2(13, 0), []string{"dave"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OnCallAt(team, tt.ovs, tt.at); !slices.Equal(got, tt.want) {
				t.Fatalf("OnCallAt = %v, want %v", got, tt.want)
			}
		})
	}

	noRotation := Team{ID: "assessment", Name: "Ad hoc", Kind: SupportTeam}
	cover := []Override{ov("o", "erin", "", day2(12, 0), day2(14, 0))}
	if got := OnCallAt(noRotation, cover, day2(13, 0)); !slices.Equal(got, []string{"erin"}) {
		t.Errorf("team without rotation, covered: %v", got)
	}
	if got := OnCallAt(noRotation, cover, day2(15, 0)); got != nil {
		t.Errorf("team without rotation, uncovered: %v", got)
	}
}

func TestSchedule(t *testing.T) {
	team := assessmentTeam()
	ovs := []Override{
		ov("swap", "carol", "bob", day2(12, 0), day2(14, 0)),
		ov("gap", "", "bob", day2(20, 0), day2(22, 0)),
		ov("noop", "dave", "alice", day2(15, 0), day2(16, 0)), // alice is not on: no slot of its own
	}
	got := Schedule(team, ovs, day2(0, 0), wall(shanghai, 2026, 3, 3, 12, 0))
	want := []Slot{
		{Start: day2(0, 0), End: day2(9, 0), People: []string{"alice"}},
		{Start: day2(9, 0), End: day2(12, 0), People: []string{"bob"}},
		{Start: day2(12, 0), End: day2(14, 0), People: []string{"carol"}, Override: "swap"},
		{Start: day2(14, 0), End: day2(20, 0), People: []string{"bob"}},
		{Start: day2(20, 0), End: day2(22, 0), Override: "gap"},
		{Start: day2(22, 0), End: wall(shanghai, 2026, 3, 3, 9, 0), People: []string{"bob"}},
		{Start: wall(shanghai, 2026, 3, 3, 9, 0), End: wall(shanghai, 2026, 3, 3, 12, 0), People: []string{"alice"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Schedule =\n%v\nwant\n%v", got, want)
	}

	// One participant: the hand-offs change nobody, so the slots merge.
	solo := team
	r := *team.Rotation
	r.Participants = []string{"alice"}
	solo.Rotation = &r
	got = Schedule(solo, nil, day2(0, 0), wall(shanghai, 2026, 3, 6, 0, 0))
	if len(got) != 1 || !got[0].Start.Equal(day2(0, 0)) || !got[0].End.Equal(wall(shanghai, 2026, 3, 6, 0, 0)) {
		t.Fatalf("one-person schedule = %v", got)
	}
	if got := Schedule(team, nil, day2(5, 0), day2(5, 0)); got != nil {
		t.Fatalf("empty window gave %v", got)
	}
}

func TestGaps(t *testing.T) {
	team := assessmentTeam()
	r := *team.Rotation
	r.Start = day2(15, 0) // first shift: 3 March 09:00, alice
	team.Rotation = &r
	ovs := []Override{
		ov("late", "", "alice", wall(shanghai, 2026, 3, 3, 9, 0), wall(shanghai, 2026, 3, 3, 10, 0)),      // extends the gap before the start
		ov("away", "", "bob", wall(shanghai, 2026, 3, 4, 10, 0), wall(shanghai, 2026, 3, 4, 12, 0)),       // a gap of its own
		ov("cover", "erin", "alice", wall(shanghai, 2026, 3, 5, 8, 0), wall(shanghai, 2026, 3, 5, 10, 0)), // no gap: alice is not on before 09:00
	}
	from, to := day2(0, 0), wall(shanghai, 2026, 3, 6, 0, 0)
	got := Gaps(team, ovs, from, to)
	want := []Window{
		{Start: day2(0, 0), End: wall(shanghai, 2026, 3, 3, 10, 0), Overrides: []string{"late"}},
		{Start: wall(shanghai, 2026, 3, 4, 10, 0), End: wall(shanghai, 2026, 3, 4, 12, 0), Overrides: []string{"away"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Gaps =\n%v\nwant\n%v", got, want)
	}

	calm := Team{ID: "support", Name: "Support", Kind: SupportTeam}
	unrotated := Team{ID: "vendor", Name: "Vendor", Kind: VendorTeam, Critical: true}
	cov := CheckCoverage([]Team{team, calm, unrotated}, ovs, from, to)
	wantCov := []TeamGap{{Team: "assessment", Window: want[0]}, {Team: "assessment", Window: want[1]}, {Team: "vendor", Window: Window{Start: from, End: to}}}
	if !reflect.DeepEqual(cov, wantCov) {
		t.Fatalf("CheckCoverage =\n%v\nwant\n%v", cov, wantCov)
	}
}

func TestNextHandoffs(t *testing.T) {
	team := assessmentTeam()
	d3 := func(hh int) time.Time { return wall(shanghai, 2026, 3, 3, hh, 0) }
	ovs := []Override{
		ov("swap", "carol", "bob", day2(12, 0), day2(14, 0)),
		ov("hold", "erin", "", d3(8), d3(10)), // erin holds the duty across the 09:00 hand-off
	}
	got := NextHandoffs(team, ovs, day2(10, 0), 5)
	want := []Handoff{
		{At: day2(12, 0), From: []string{"bob"}, To: []string{"carol"}},
		{At: day2(14, 0), From: []string{"carol"}, To: []string{"bob"}},
		{At: d3(8), From: []string{"bob"}, To: []string{"erin"}},
		{At: d3(10), From: []string{"erin"}, To: []string{"alice"}},
		{At: wall(shanghai, 2026, 3, 4, 9, 0), From: []string{"alice"}, To: []string{"bob"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NextHandoffs =\n%v\nwant\n%v", got, want)
	}
	if got := NextHandoffs(team, ovs, day2(10, 0), 2); len(got) != 2 {
		t.Fatalf("n=2 gave %d", len(got))
	}
	// From exactly a hand-off, that hand-off is not "next".
	if got := NextHandoffs(team, nil, day2(9, 0), 1); len(got) != 1 || !got[0].At.Equal(d3(9)) {
		t.Fatalf("from a hand-off: %v", got)
	}

	// Nothing ever changes for one participant: the walk stops.
	solo := team
	r := *team.Rotation
	r.Participants = []string{"alice"}
	solo.Rotation = &r
	if got := NextHandoffs(solo, nil, day2(10, 0), 3); len(got) != 0 {
		t.Fatalf("one-person rotation: %v", got)
	}
	got = NextHandoffs(solo, []Override{ov("swap", "bob", "alice", d3(12), d3(13))}, day2(10, 0), 5)
	if len(got) != 2 || !got[0].At.Equal(d3(12)) || !got[1].At.Equal(d3(13)) {
		t.Fatalf("one-person rotation with an override: %v", got)
	}
	// A team with neither rotation nor overrides has no hand-offs.
	if got := NextHandoffs(Team{ID: "x"}, nil, day2(10, 0), 3); got != nil {
		t.Fatalf("no rotation: %v", got)
	}
}

func TestOverrideValidate(t *testing.T) {
	ok := ov("o", "carol", "bob", day2(12, 0), day2(14, 0))
	tests := []struct {
		name  string
		edit  func(*Override)
		field string
	}{
		{"valid", func(*Override) {}, ""},
		{"removal", func(o *Override) { o.Person = "" }, ""},
		{"no team", func(o *Override) { o.Team = "" }, "team"},
		{"replaces self", func(o *Override) { o.Replaces = "carol" }, "person"},
		{"no start", func(o *Override) { o.Start = time.Time{} }, "start"},
		{"end before start", func(o *Override) { o.End = day2(11, 0) }, "end"},
		{"empty window", func(o *Override) { o.End = o.Start }, "end"},
		{"over a year", func(o *Override) { o.End = o.Start.AddDate(2, 0, 0) }, "end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			checkFields(t, o.Validate(), tt.field)
		})
	}
}
