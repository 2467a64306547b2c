package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/escalation"
)

// problemLines renders a parsed and checked file's problems as
// "LINE: field: message" for comparison (the file name dropped).
func problemLines(f *rosterFile) []string {
	var out []string
	for _, p := range f.sortedProblems() {
		out = append(out, strings.TrimPrefix(p.String(), p.file+":"))
	}
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantProblems checks that got has, for each want entry ("LINE: field"
// or "LINE: field: part of the message"), a problem, and nothing else.
func wantProblems(t *testing.T, got []string, want []string) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && strings.HasPrefix(g, w) || !used[i] && strings.Count(w, ": ") == 2 && matchesWithMessage(g, w) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no problem %q among:\n%s", w, strings.Join(got, "\n"))
		}
	}
	for i, g := range got {
		if !used[i] {
			t.Errorf("unexpected problem %q", g)
		}
	}
}

// matchesWithMessage: "7: people[1].phone: phone" matches
// "7: people[1].phone: not a phone number".
func matchesWithMessage(got, want string) bool {
	parts := strings.SplitN(want, ": ", 3)
	return strings.HasPrefix(got, parts[0]+": "+parts[1]+": ") && strings.Contains(got[len(parts[0])+len(parts[1])+4:], parts[2])
}

func TestRosterFileEveryProblemWithItsLine(t *testing.T) {
	t.Parallel()
	f := parseRosterFile("roster_bad.yaml", readTestdata(t, "roster_bad.yaml"))
	f.check(storedRoster{})
	wantProblems(t, problemLines(f), []string{
		"5: people[1].id: an id is",
		"7: people[1].phone: not a phone number",
		"8: people[1].department: no such department",
		"9: people[2].id: another person has this id",
		"11: people[2].pager: unknown key",
		"15: teams[0].kind: team kind must be",
		"16: teams[0].members[1]: no such person",
		"17: teams[0].rotation.handoff_weekday: a weekly rotation needs",
		"20: teams[0].rotation.handoff_time: HH:MM",
		"21: teams[0].rotation.time_zone: unknown time zone",
		"22: teams[0].rotation.start: expected a time",
		"25: departments[0].liaison: no such person",
		"29: policies[0].steps[0].target.team: no such team",
		"30: policies[0].steps[0].delay: expected a Go duration",
		"31: policies[0].deadlines.confirm: must not be shorter than the ack deadline",
	})

	f = parseRosterFile("roster_bad.csv", readTestdata(t, "roster_bad.csv"))
	f.check(storedRoster{departments: []escalation.Department{{Name: "IT", Liaison: "someone"}},
		people: []escalation.Person{{ID: "someone", Name: "Some One"}}})
	wantProblems(t, problemLines(f), []string{
		"3: id: an id is",
		"4: roles: a role is a lower-case word",
		"4: department: no such department",
		"4: timezone: unknown time zone",
		"4: email: not an e-mail address",
		"4: phone: not a phone number",
		"5: 2 fields, but the header has 7",
		"6: id: another person has this id",
		"7: id: an id is",
	})
}

func TestRosterFileShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, data string
		want             []string
	}{
		{"unknown type", "roster.json", `{}`, []string{"1: unknown file type"}},
		{"yaml syntax", "r.yaml", "people:\n  - id: a\n   name: b\n", []string{"1: YAML syntax error at or after this line: did not find expected '-' indicator"}},
		{"empty yaml", "r.yaml", "", []string{"1: the file is empty"}},
		{"top level", "r.yaml", "people:\n  - id: a\n    name: A\nvendors: []\n", []string{"4: vendors: unknown key; expected one of departments, people, policies, teams"}},
		{"not a list", "r.yaml", "teams:\n  id: x\n", []string{"2: teams: expected a list"}},
		{"aliases", "r.yaml", "people:\n  - &p {id: a, name: A}\n  - *p\n", []string{"2: people[0]: anchors and aliases", "3: people[1]: anchors and aliases"}},
		{"twice", "r.yaml", "people:\n  - id: a\n    name: A\n    name: B\n", []string{"4: people[0].name: given twice"}},
		{"csv header", "r.csv", "id,name,pager\n", []string{"1: pager: unknown column"}},
		{"csv without name", "r.csv", "id,email\na,a@example.cn\n", []string{"1: name: required column missing"}},
		{"csv empty", "r.csv", "", []string{"1: the file is empty"}},
		{"csv no rows", "r.csv", "id,name\n", []string{"1: no people in the file"}},
		{"csv bad quote", "r.csv", "id,name\na,\"A\nb,B\n", []string{"2: "}},
	}
	for _, tt := range tests {
		f := parseRosterFile(tt.file, []byte(tt.data))
		f.check(storedRoster{})
		got := problemLines(f)
		if len(got) != len(tt.want) {
			t.Errorf("%s: problems %q, want %q", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tt.want[i]) {
				t.Errorf("%s: problem %q, want it to start with %q", tt.name, got[i], tt.want[i])
			}
		}
	}
}

func TestRosterFileExampleAndCSVParse(t *testing.T) {
	t.Parallel()
	f := parseRosterFile("roster.example.yaml", readTestdataPath(t, "roster.example.yaml"))
	f.check(storedRoster{})
	if len(f.problems) > 0 {
		t.Fatalf("the example has problems:\n%s", strings.Join(problemLines(f), "\n"))
	}
	if len(f.people) != 11 || len(f.teams) != 6 || len(f.departments) != 3 || len(f.policies) != 3 {
		t.Fatalf("example: %d people, %d teams, %d departments, %d policies", len(f.people), len(f.teams), len(f.departments), len(f.policies))
	}
	kinds := map[escalation.TeamKind]bool{}
	for _, tm := range f.teams {
		kinds[tm.Kind] = true
		if tm.ID == "assessment" {
			r := tm.Rotation
			if r == nil || r.Interval != escalation.Weekly || r.HandoffWeekday != time.Monday || r.TimeZone != "Asia/Shanghai" {
				t.Fatalf("assessment rotation: %+v", r)
			}
		}
	}
	for _, k := range []escalation.TeamKind{escalation.ResponseCenter, escalation.AssessmentGroup, escalation.SupportTeam,
		escalation.ManagementTeam, escalation.VendorTeam, escalation.AgencyTeam} {
		if !kinds[k] {
			t.Errorf("the example has no %s team", k)
		}
	}
	var priya escalation.Person
	for _, p := range f.people {
		if p.ID == "priya.nair" {
			priya = p
		}
	}
	if len(priya.Contacts) != 3 || priya.Contacts[2].Kind != escalation.ContactPhone || priya.Contacts[2].Value != "+91 98 7654 3210" {
		t.Fatalf("contacts, keyed and listed: %+v", priya.Contacts)
	}

	f = parseRosterFile("people.csv", readTestdata(t, "roster_people.csv"))
	f.check(storedRoster{departments: []escalation.Department{{Name: "信息技术部 IT", Liaison: "x"}}, people: []escalation.Person{{ID: "x", Name: "X"}}})
	if len(f.problems) > 0 || len(f.people) != 2 {
		t.Fatalf("csv: %d people, problems %q", len(f.people), problemLines(f))
	}
	zy, mc := f.people[0], f.people[1]
	if len(zy.Roles) != 2 || zy.Roles[1] != escalation.RoleCoordinator || len(zy.Contacts) != 4 || zy.Department != "信息技术部 IT" {
		t.Fatalf("csv person: %+v", zy)
	}
	if mc.Name != "Ma Chao, night shift" || len(mc.Contacts) != 3 || mc.Contacts[2].Kind != escalation.ContactFeishu {
		t.Fatalf("csv person with a quoted comma: %+v", mc)
	}
}

func readTestdataPath(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runRoster runs "tocsin roster ARGS" in this process on dataDir.
func runRoster(t *testing.T, dataDir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env := map[string]string{"TOCSIN_DATA_DIR": dataDir, "TOCSIN_LOG_LEVEL": "warn"}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = run(ctx, append([]string{"roster"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// storedPeople opens the store on dataDir and lists its people.
func storedPeople(t *testing.T, dataDir string) []escalation.Person {
	t.Helper()
	ctx := context.Background()
	cfg := Config{DataDir: dataDir, MongoDB: "tocsin"}
	db, release, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	people, err := db.Rosters().People(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return people
}

// TestRosterImportCommand imports through the command on an embedded
// store: a file with problems writes nothing, the example and a CSV of
// people are imported, and the data directory's lock is respected.
func TestRosterImportCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join("testdata", "roster_bad.yaml")
	_, stderr, err := runRoster(t, dir, "import", bad)
	if err == nil || !strings.Contains(err.Error(), "15 problems; nothing was imported") {
		t.Fatalf("bad file: err %v\n%s", err, stderr)
	}
	for _, want := range []string{bad + ":5: people[1].id: ", bad + ":31: policies[0].deadlines.confirm: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if people := storedPeople(t, dir); len(people) != 0 {
		t.Fatalf("a refused import wrote %d people", len(people))
	}

	example := "roster.example.yaml"
	out, stderr, err := runRoster(t, dir, "import", "--dry-run", example)
	if err != nil || !strings.Contains(out, "dry run") {
		t.Fatalf("dry run: %v\n%s%s", err, out, stderr)
	}
	if people := storedPeople(t, dir); len(people) != 0 {
		t.Fatalf("a dry run wrote %d people", len(people))
	}
	out, stderr, err = runRoster(t, dir, "import", example)
	if err != nil || !strings.Contains(out, "11 people, 6 teams, 3 departments, 3 escalation policies") {
		t.Fatalf("example: %v\n%s%s", err, out, stderr)
	}
	// The CSV's department is the example's: references reach the store.
	out, stderr, err = runRoster(t, dir, "import", filepath.Join("testdata", "roster_people.csv"), "--log-level", "error")
	if err != nil || !strings.Contains(out, "2 people, 0 teams") {
		t.Fatalf("csv: %v\n%s%s", err, out, stderr)
	}
	people := storedPeople(t, dir)
	byID := map[string]escalation.Person{}
	for _, p := range people {
		byID[p.ID] = p
	}
	if len(people) != 13 || byID["zhaoyun"].Department != "信息技术部 IT" || byID["lina"].Name != "李娜" {
		t.Fatalf("stored people: %d %+v", len(people), byID["zhaoyun"])
	}

	// With the data directory held by another process (the hub), the
	// import says so and points at the API.
	lock, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	_, _, err = runRoster(t, dir, "import", example)
	if err == nil || !strings.Contains(err.Error(), "in use by another Tocsin process") || !strings.Contains(err.Error(), "PUT /api/v1/people/{id}") {
		t.Fatalf("import beside a running hub: %v", err)
	}
}

func TestRosterCommandUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"export"}, {"import"}, {"import", "a.yaml", "b.yaml"}} {
		_, stderr, err := runRoster(t, t.TempDir(), args...)
		if err == nil || !strings.Contains(stderr, "tocsin roster import [flags] FILE") {
			t.Errorf("roster %v: err %v\n%s", args, err, stderr)
		}
	}
	_, _, err := runRoster(t, t.TempDir(), "import", filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}
