package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// MaxRosterFile bounds the size of a roster file.
const MaxRosterFile = 8 << 20

const rosterUsage = `Usage:
  tocsin roster import [flags] FILE

Imports people, teams with their rotations, departments with their liaisons
and escalation policies from a YAML file (.yaml, .yml; see
cmd/tocsin/roster.example.yaml), or people alone from a CSV file (.csv) with the
header

  id,name,roles,department,timezone,email,phone,slack,wecom,dingtalk,feishu

(roles separated by ";"). Everything is checked first, against the file and
the roster already stored; every problem is reported as FILE:LINE: field:
message and then nothing is written. Otherwise each entry is created or
replaced by its id (a department by its name, a policy by its level).

Like "user add", it works on the configured database directly: on the
embedded store the hub must be stopped. With a running hub use the API
(PUT /api/v1/people/{id}, /api/v1/teams/{id}, /api/v1/departments/{name},
/api/v1/policies/{level}).
`

// rosterCommand runs "tocsin roster import [flags] FILE".
func rosterCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprint(stderr, rosterUsage)
		if len(args) == 0 {
			return errors.New("roster: name a subcommand: tocsin roster import FILE")
		}
		return fmt.Errorf("roster: unknown subcommand %q (want import)", args[0])
	}
	fs := flag.NewFlagSet("tocsin roster import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	readConfig := configFlags(fs)
	dryRun := fs.Bool("dry-run", false, "check the file against the stored roster and write nothing")
	fs.Usage = func() { fmt.Fprint(stderr, rosterUsage); printUsage(stderr, fs) }
	// Flags may come before or after the file.
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprint(stderr, rosterUsage)
		return errors.New("roster import: name exactly one file")
	}
	name := files[0]
	cfg, err := readConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	data, err := readRosterFile(name)
	if err != nil {
		return fmt.Errorf("roster import: %w", err)
	}
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		if errors.Is(err, errDataDirBusy) {
			return fmt.Errorf("roster import: %w\nTo change the roster of a running hub use its API: PUT /api/v1/people/{id}, /api/v1/teams/{id}, "+
				"/api/v1/departments/{name}, /api/v1/policies/{level}", err)
		}
		return err
	}
	defer release()
	res, err := importRoster(ctx, db.Rosters(), name, data, *dryRun)
	var bad *importProblems
	if errors.As(err, &bad) {
		for _, p := range bad.list {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("roster import: %s; nothing was imported", bad.Error())
	}
	if err != nil {
		return fmt.Errorf("roster import: %w", err)
	}
	verb := "imported"
	if *dryRun {
		verb = "checked (dry run, nothing written)"
	}
	if !*dryRun {
		if err := cliRecord(ctx, db, log, audit.Record{Action: "roster.import", Target: audit.Target{Kind: "roster", ID: filepath.Base(name)},
			Note: fmt.Sprintf("%d people, %d teams, %d departments, %d escalation policies", res.people, res.teams, res.departments, res.policies)}); err != nil {
			return fmt.Errorf("roster import: imported, but recording it in the audit trail failed: %w", err)
		}
	}
	log.Info("roster imported", "file", name, "people", res.people, "teams", res.teams, "departments", res.departments,
		"policies", res.policies, "dry_run", *dryRun)
	_, err = fmt.Fprintf(stdout, "%s %s: %d people, %d teams, %d departments, %d escalation policies\n",
		verb, name, res.people, res.teams, res.departments, res.policies)
	return err
}

func readRosterFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRosterFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxRosterFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, MaxRosterFile>>20)
	}
	return data, nil
}

// importCounts says how much an import wrote (or would write).
type importCounts struct{ people, teams, departments, policies int }

// importProblems is every problem found in a roster file.
type importProblems struct{ list []problem }

func (e *importProblems) Error() string {
	if len(e.list) == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", len(e.list))
}

// importRoster reads a roster file, checks all of it against itself and
// the stored roster, and only when nothing is wrong writes it: people, then
// departments (whose liaisons must exist), then teams (whose members must),
// then policies. Problems come back as *importProblems.
func importRoster(ctx context.Context, rs escalation.RosterStore, name string, data []byte, dryRun bool) (importCounts, error) {
	f := parseRosterFile(name, data)
	var stored storedRoster
	var err error
	if stored.people, err = rs.People(ctx); err != nil {
		return importCounts{}, err
	}
	if stored.teams, err = rs.Teams(ctx); err != nil {
		return importCounts{}, err
	}
	if stored.departments, err = rs.Departments(ctx); err != nil {
		return importCounts{}, err
	}
	f.check(stored)
	if len(f.problems) > 0 {
		return importCounts{}, &importProblems{list: f.sortedProblems()}
	}
	n := importCounts{people: len(f.people), teams: len(f.teams), departments: len(f.departments), policies: len(f.policies)}
	if dryRun {
		return n, nil
	}
	// Without transactions a failure here leaves what was written so far;
	// the file is whole and valid, so running the import again completes it.
	for _, p := range f.people {
		if err := rs.SavePerson(ctx, p); err != nil {
			return n, fmt.Errorf("write person %s: %w", p.ID, err)
		}
	}
	for _, d := range f.departments {
		if err := rs.SaveDepartment(ctx, d); err != nil {
			return n, fmt.Errorf("write department %s: %w", d.Name, err)
		}
	}
	for _, t := range f.teams {
		if err := rs.SaveTeam(ctx, t); err != nil {
			return n, fmt.Errorf("write team %s: %w", t.ID, err)
		}
	}
	for _, p := range f.policies {
		if err := rs.SavePolicy(ctx, p); err != nil {
			return n, fmt.Errorf("write the %s policy: %w", p.Level, err)
		}
	}
	return n, nil
}

// --- the file and its problems ---

// rosterFile is what a roster file holds and where each part was written.
type rosterFile struct {
	name        string
	people      []escalation.Person
	teams       []escalation.Team
	departments []escalation.Department
	policies    []escalation.Policy
	pos         map[string]position // by the domain's field path, e.g. "teams[1].rotation.start"
	problems    []problem
	// broken are the paths whose value could not be read at all; the
	// checks say nothing more about them (one problem, not two).
	broken map[string]bool
}

// position is where a field was written and how to name it to the person
// who wrote it ("people[3].email" rather than "people[3].contacts[0]";
// a CSV column's header).
type position struct {
	line int
	name string
}

// problem is one thing wrong with a roster file.
type problem struct {
	file    string
	line    int
	field   string
	message string
}

func (p problem) String() string {
	if p.field == "" {
		return fmt.Sprintf("%s:%d: %s", p.file, p.line, p.message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.file, p.line, p.field, p.message)
}

func (f *rosterFile) at(path string, line int, name string) {
	if _, ok := f.pos[path]; !ok {
		f.pos[path] = position{line: line, name: name}
	}
}

func (f *rosterFile) fail(line int, field, message string) {
	f.problems = append(f.problems, problem{file: f.name, line: line, field: field, message: message})
}

// failAt reports a problem with the field at path, on the line of the
// nearest part of it that was written; nothing when a part of it could not
// be read (that was reported already).
func (f *rosterFile) failAt(path, message string) {
	for p := path; p != ""; p = parentPath(p) {
		if f.broken[p] {
			return
		}
	}
	name := path
	for p := path; p != ""; p = parentPath(p) {
		if pos, ok := f.pos[p]; ok {
			if p == path && pos.name != "" {
				name = pos.name
			}
			f.fail(pos.line, name, message)
			return
		}
	}
	f.fail(1, name, message)
}

// parentPath drops the last element of a field path:
// "teams[1].rotation.start" → "teams[1].rotation" → "teams[1]" → "teams".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

func (f *rosterFile) sortedProblems() []problem {
	out := slices.Clone(f.problems)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].line != out[j].line {
			return out[i].line < out[j].line
		}
		return out[i].field < out[j].field
	})
	return slices.CompactFunc(out, func(a, b problem) bool { return a == b })
}

// storedRoster is the roster already in the store, which the file's
// references may point into.
type storedRoster struct {
	people      []escalation.Person
	teams       []escalation.Team
	departments []escalation.Department
}

var indexed = regexp.MustCompile(`^(people|teams|departments|policies)\[(\d+)\]`)

// check validates the file merged over the stored roster (the file's
// entries first, replacing stored ones with the same id), keeping the
// problems of the file's own entries, then the policies on their own and
// the teams and people they page.
func (f *rosterFile) check(stored storedRoster) {
	people := slices.Clone(f.people)
	ids := map[string]bool{}
	for _, p := range f.people {
		ids[p.ID] = true
	}
	for _, p := range stored.people {
		if !ids[p.ID] {
			people = append(people, p)
		}
	}
	teams := slices.Clone(f.teams)
	tids := map[string]bool{}
	for _, t := range f.teams {
		tids[t.ID] = true
	}
	for _, t := range stored.teams {
		if !tids[t.ID] {
			teams = append(teams, t)
		}
	}
	depts := slices.Clone(f.departments)
	names := map[string]bool{}
	for _, d := range f.departments {
		names[d.Name] = true
	}
	for _, d := range stored.departments {
		if !names[d.Name] {
			depts = append(depts, d)
		}
	}
	var inv *incident.InvalidError
	if errors.As(escalation.ValidateRoster(people, teams, depts), &inv) {
		for path, m := range inv.Fields {
			mm := indexed.FindStringSubmatch(path)
			if mm == nil {
				continue
			}
			i, _ := strconv.Atoi(mm[2])
			if (mm[1] == "people" && i < len(f.people)) || (mm[1] == "teams" && i < len(f.teams)) ||
				(mm[1] == "departments" && i < len(f.departments)) {
				f.failAt(path, m.EN)
			}
		}
	}

	dir := escalation.NewRoster(people, teams, nil)
	levels := map[incident.Level]bool{}
	for i, p := range f.policies {
		at := fmt.Sprintf("policies[%d]", i)
		if errors.As(p.Validate(), &inv) {
			for field, m := range inv.Fields {
				f.failAt(at+"."+field, m.EN)
			}
		}
		if levels[p.Level] {
			f.failAt(at+".level", "another policy in this file has this level")
		}
		levels[p.Level] = true
		for j, s := range p.Steps {
			tp := fmt.Sprintf("%s.steps[%d].target", at, j)
			switch {
			case s.Target.Kind == escalation.TargetPerson && s.Target.Person != "":
				if _, ok := dir.Person(s.Target.Person); !ok {
					f.failAt(tp+".person", "no such person")
				}
			case s.Target.Team != "":
				if _, ok := dir.Team(s.Target.Team); !ok {
					f.failAt(tp+".team", "no such team")
				}
			}
		}
	}
}

// parseRosterFile reads a YAML or CSV roster, by the name's extension.
func parseRosterFile(name string, data []byte) *rosterFile {
	f := &rosterFile{name: name, pos: map[string]position{}, broken: map[string]bool{}}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark, as spreadsheets write
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		parseYAML(f, data)
	case ".csv":
		parseCSV(f, data)
	default:
		f.fail(1, "", "unknown file type: name it .yaml, .yml or .csv")
	}
	return f
}

// contactFields are the contact columns of a CSV file and keys of a YAML
// person, in the order their contacts are stored.
var contactFields = []escalation.ContactKind{escalation.ContactEmail, escalation.ContactPhone, escalation.ContactSlack,
	escalation.ContactWeCom, escalation.ContactDingTalk, escalation.ContactFeishu}

// --- CSV ---

// csvColumns is the header of a CSV roster.
var csvColumns = []string{"id", "name", "roles", "department", "timezone", "email", "phone", "slack", "wecom", "dingtalk", "feishu"}

// parseCSV reads people, one a row, under a header naming some or all of
// csvColumns in any order (id and name are required). Roles are separated
// by ";".
func parseCSV(f *rosterFile, data []byte) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		f.fail(1, "", "the file is empty; the first line must be the header "+strings.Join(csvColumns, ","))
		return
	}
	if err != nil {
		f.fail(csvLine(err, 1), "", "cannot read the header: "+csvMessage(err))
		return
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(csvColumns, h):
			f.fail(1, h, "unknown column; the columns are "+strings.Join(csvColumns, ","))
		case col[h] != 0:
			f.fail(1, h, "column given twice")
		default:
			col[h] = i + 1 // 0 means absent
		}
	}
	for _, need := range []string{"id", "name"} {
		if col[need] == 0 {
			f.fail(1, need, "required column missing from the header")
		}
	}
	if len(f.problems) > 0 {
		return
	}
	for {
		before := r.InputOffset()
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.fail(csvLine(err, 0), "", csvMessage(err))
			if r.InputOffset() == before {
				break // no progress: stop rather than report the same line forever
			}
			continue
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			f.fail(line, "", fmt.Sprintf("%d fields, but the header has %d", len(rec), len(header)))
			continue
		}
		cell := func(name string) (string, int) {
			i := col[name]
			if i == 0 {
				return "", line
			}
			l, _ := r.FieldPos(i - 1)
			return strings.TrimSpace(rec[i-1]), l
		}
		at := fmt.Sprintf("people[%d]", len(f.people))
		f.at(at, line, "")
		var p escalation.Person
		var l int
		p.ID, l = cell("id")
		f.at(at+".id", l, "id")
		p.Name, l = cell("name")
		f.at(at+".name", l, "name")
		p.Department, l = cell("department")
		f.at(at+".department", l, "department")
		p.TimeZone, l = cell("timezone")
		f.at(at+".time_zone", l, "timezone")
		roles, l := cell("roles")
		for _, role := range strings.Split(roles, ";") {
			if role = strings.TrimSpace(role); role != "" {
				f.at(fmt.Sprintf("%s.roles[%d]", at, len(p.Roles)), l, "roles")
				p.Roles = append(p.Roles, escalation.Role(role))
			}
		}
		for _, kind := range contactFields {
			v, l := cell(string(kind))
			if v == "" {
				continue
			}
			cp := fmt.Sprintf("%s.contacts[%d]", at, len(p.Contacts))
			f.at(cp, l, string(kind))
			f.at(cp+".value", l, string(kind))
			p.Contacts = append(p.Contacts, escalation.Contact{Kind: kind, Value: v})
		}
		f.people = append(f.people, p)
	}
	if len(f.people) == 0 && len(f.problems) == 0 {
		f.fail(1, "", "no people in the file: one a line under the header")
	}
}

func csvLine(err error, def int) int {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe) && pe.StartLine > 0:
		return pe.StartLine // where the record began, e.g. an unclosed quote
	case errors.As(err, &pe):
		return pe.Line
	}
	return def
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// --- YAML ---

// yamlLineRE finds the line in yaml.v3's syntax errors.
var (
	yamlLineRE     = regexp.MustCompile(`line (\d+)`)
	yamlLinePrefix = regexp.MustCompile(`^line \d+: `)
)

// yamlReader walks a YAML roster node by node, so that every value keeps
// its line and every problem is reported, not only the first.
type yamlReader struct{ f *rosterFile }

func parseYAML(f *rosterFile, data []byte) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		// yaml.v3 names the line where the construct holding the error
		// begins, which may be a line or two before the error itself.
		f.fail(line, "", "YAML syntax error at or after this line: "+yamlLinePrefix.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), ""))
		return
	}
	if len(doc.Content) == 0 {
		f.fail(1, "", "the file is empty")
		return
	}
	y := yamlReader{f: f}
	y.fields(doc.Content[0], "", map[string]func(*yaml.Node){
		"people":      func(v *yaml.Node) { y.list(v, "people", y.person) },
		"teams":       func(v *yaml.Node) { y.list(v, "teams", y.team) },
		"departments": func(v *yaml.Node) { y.list(v, "departments", y.department) },
		"policies":    func(v *yaml.Node) { y.list(v, "policies", y.policy) },
	})
}

// usable reports whether n can be read at all: anchors and aliases are
// refused (they would let a small file expand without bound).
func (y yamlReader) usable(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		y.bad(n, path, "anchors and aliases (& and *) are not supported; write the value out")
		return false
	}
	return true
}

// bad reports a value that cannot be read.
func (y yamlReader) bad(n *yaml.Node, path, message string) {
	y.f.fail(n.Line, path, message)
	y.f.broken[path] = true
}

// fields reads mapping n, calling each key's reader; an unknown key is a
// problem naming the keys allowed.
func (y yamlReader) fields(n *yaml.Node, path string, readers map[string]func(v *yaml.Node)) {
	if !y.usable(n, path) {
		return
	}
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			where = "the file"
		}
		y.bad(n, path, "expected a mapping of keys to values in "+where)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		read, ok := readers[key]
		if seen[key] {
			y.f.fail(k.Line, sub, "given twice")
			continue
		}
		seen[key] = true
		if !ok {
			known := make([]string, 0, len(readers))
			for name := range readers {
				known = append(known, name)
			}
			sort.Strings(known)
			y.f.fail(k.Line, sub, "unknown key; expected one of "+strings.Join(known, ", "))
			continue
		}
		y.f.at(sub, k.Line, "")
		read(v)
	}
}

// list reads sequence n, calling item for each element with its path.
func (y yamlReader) list(n *yaml.Node, path string, item func(path string, v *yaml.Node)) {
	if !y.usable(n, path) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		y.bad(n, path, "expected a list (lines starting with -)")
		return
	}
	for i, v := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		y.f.at(p, v.Line, "")
		item(p, v)
	}
}

// str reads a scalar as written ("09:00", "+86 138 …" stay as they are).
func (y yamlReader) str(n *yaml.Node, path string) string {
	if !y.usable(n, path) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		y.bad(n, path, "expected a single value")
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// strs reads a list of scalars; a single scalar is a list of one.
func (y yamlReader) strs(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode {
		if v := y.str(n, path); v != "" {
			y.f.at(path+"[0]", n.Line, "")
			return []string{v}
		}
		return nil
	}
	var out []string
	y.list(n, path, func(p string, v *yaml.Node) { out = append(out, y.str(v, p)) })
	return out
}

func (y yamlReader) boolean(n *yaml.Node, path string) bool {
	v := y.str(n, path)
	b, err := strconv.ParseBool(v)
	if err != nil && v != "" {
		y.bad(n, path, "expected true or false")
	}
	return b
}

func (y yamlReader) integer(n *yaml.Node, path string) int {
	v := y.str(n, path)
	i, err := strconv.Atoi(v)
	if err != nil && v != "" {
		y.bad(n, path, "expected a whole number")
	}
	return i
}

func (y yamlReader) duration(n *yaml.Node, path string) escalation.Duration {
	v := y.str(n, path)
	if v == "" {
		return 0
	}
	d, err := escalation.ParseDuration(v)
	if err != nil {
		y.bad(n, path, "expected a Go duration such as 15m, 4h or 14d")
	}
	return d
}

func (y yamlReader) timestamp(n *yaml.Node, path string) time.Time {
	v := y.str(n, path)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		y.bad(n, path, "expected a time such as 2026-03-02T09:00:00+08:00")
	}
	return t
}

func (y yamlReader) person(at string, n *yaml.Node) {
	var p escalation.Person
	var extra []*yaml.Node // contacts: entries, after the one-per-kind keys
	flat := map[escalation.ContactKind]*yaml.Node{}
	readers := map[string]func(*yaml.Node){
		"id":         func(v *yaml.Node) { p.ID = y.str(v, at+".id") },
		"name":       func(v *yaml.Node) { p.Name = y.str(v, at+".name") },
		"department": func(v *yaml.Node) { p.Department = y.str(v, at+".department") },
		"time_zone":  func(v *yaml.Node) { p.TimeZone = y.str(v, at+".time_zone") },
		"roles": func(v *yaml.Node) {
			for _, r := range y.strs(v, at+".roles") {
				p.Roles = append(p.Roles, escalation.Role(r))
			}
		},
		"contacts": func(v *yaml.Node) {
			y.list(v, at+".contacts", func(_ string, item *yaml.Node) { extra = append(extra, item) })
		},
	}
	for _, kind := range contactFields {
		readers[string(kind)] = func(v *yaml.Node) { flat[kind] = v }
	}
	y.fields(n, at, readers)
	for _, kind := range contactFields {
		v, ok := flat[kind]
		if !ok {
			continue
		}
		name := at + "." + string(kind)
		if value := y.str(v, name); value != "" {
			cp := fmt.Sprintf("%s.contacts[%d]", at, len(p.Contacts))
			y.f.at(cp, v.Line, name)
			y.f.at(cp+".value", v.Line, name)
			p.Contacts = append(p.Contacts, escalation.Contact{Kind: kind, Value: value})
		}
	}
	for i, item := range extra {
		cp := fmt.Sprintf("%s.contacts[%d]", at, len(p.Contacts))
		written := fmt.Sprintf("%s.contacts[%d]", at, i)
		y.f.at(cp, item.Line, written)
		var c escalation.Contact
		y.fields(item, written, map[string]func(*yaml.Node){
			"kind": func(v *yaml.Node) {
				c.Kind = escalation.ContactKind(y.str(v, written+".kind"))
				y.f.at(cp+".kind", v.Line, written+".kind")
			},
			"value": func(v *yaml.Node) {
				c.Value = y.str(v, written+".value")
				y.f.at(cp+".value", v.Line, written+".value")
			},
		})
		p.Contacts = append(p.Contacts, c)
	}
	y.f.people = append(y.f.people, p)
}

func (y yamlReader) team(at string, n *yaml.Node) {
	var t escalation.Team
	y.fields(n, at, map[string]func(*yaml.Node){
		"id":       func(v *yaml.Node) { t.ID = y.str(v, at+".id") },
		"name":     func(v *yaml.Node) { t.Name = y.str(v, at+".name") },
		"kind":     func(v *yaml.Node) { t.Kind = escalation.TeamKind(y.str(v, at+".kind")) },
		"members":  func(v *yaml.Node) { t.Members = y.strs(v, at+".members") },
		"lead":     func(v *yaml.Node) { t.Lead = y.str(v, at+".lead") },
		"critical": func(v *yaml.Node) { t.Critical = y.boolean(v, at+".critical") },
		"rotation": func(v *yaml.Node) { t.Rotation = y.rotation(at+".rotation", v) },
	})
	y.f.teams = append(y.f.teams, t)
}

var weekdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

func (y yamlReader) rotation(at string, n *yaml.Node) *escalation.Rotation {
	r := &escalation.Rotation{HandoffWeekday: -1}
	y.fields(n, at, map[string]func(*yaml.Node){
		"participants": func(v *yaml.Node) { r.Participants = y.strs(v, at+".participants") },
		"interval":     func(v *yaml.Node) { r.Interval = escalation.Interval(y.str(v, at+".interval")) },
		"length":       func(v *yaml.Node) { r.Length = y.duration(v, at+".length") },
		"handoff_time": func(v *yaml.Node) { r.HandoffTime = y.str(v, at+".handoff_time") },
		"handoff_weekday": func(v *yaml.Node) {
			s := strings.ToLower(y.str(v, at+".handoff_weekday"))
			if i := slices.Index(weekdayNames, s); i >= 0 {
				r.HandoffWeekday = time.Weekday(i)
			} else if d, err := strconv.Atoi(s); err == nil && d >= 0 && d <= 6 {
				r.HandoffWeekday = time.Weekday(d)
			} else {
				y.bad(v, at+".handoff_weekday", "expected a day such as monday (or 0 for Sunday to 6)")
				r.HandoffWeekday = 0
			}
		},
		"time_zone": func(v *yaml.Node) { r.TimeZone = y.str(v, at+".time_zone") },
		"start":     func(v *yaml.Node) { r.Start = y.timestamp(v, at+".start") },
	})
	if r.HandoffWeekday < 0 {
		if r.Interval == escalation.Weekly {
			y.f.failAt(at+".handoff_weekday", "a weekly rotation needs handoff_weekday, e.g. monday")
		}
		r.HandoffWeekday = 0
	}
	return r
}

func (y yamlReader) department(at string, n *yaml.Node) {
	var d escalation.Department
	y.fields(n, at, map[string]func(*yaml.Node){
		"name":    func(v *yaml.Node) { d.Name = y.str(v, at+".name") },
		"liaison": func(v *yaml.Node) { d.Liaison = y.str(v, at+".liaison") },
	})
	y.f.departments = append(y.f.departments, d)
}

func (y yamlReader) policy(at string, n *yaml.Node) {
	var p escalation.Policy
	y.fields(n, at, map[string]func(*yaml.Node){
		"level": func(v *yaml.Node) { p.Level = incident.Level(y.str(v, at+".level")) },
		"steps": func(v *yaml.Node) {
			y.list(v, at+".steps", func(sp string, item *yaml.Node) {
				var s escalation.Step
				y.fields(item, sp, map[string]func(*yaml.Node){
					"target": func(v *yaml.Node) {
						y.fields(v, sp+".target", map[string]func(*yaml.Node){
							"kind":   func(v *yaml.Node) { s.Target.Kind = escalation.TargetKind(y.str(v, sp+".target.kind")) },
							"team":   func(v *yaml.Node) { s.Target.Team = y.str(v, sp+".target.team") },
							"person": func(v *yaml.Node) { s.Target.Person = y.str(v, sp+".target.person") },
							"role":   func(v *yaml.Node) { s.Target.Role = escalation.Role(y.str(v, sp+".target.role")) },
						})
					},
					"delay":  func(v *yaml.Node) { s.Delay = y.duration(v, sp+".delay") },
					"repeat": func(v *yaml.Node) { s.Repeat = y.integer(v, sp+".repeat") },
				})
				p.Steps = append(p.Steps, s)
			})
		},
		"deadlines": func(v *yaml.Node) {
			dp := at + ".deadlines"
			y.fields(v, dp, map[string]func(*yaml.Node){
				"ack":      func(v *yaml.Node) { p.Deadlines.Ack = y.duration(v, dp+".ack") },
				"confirm":  func(v *yaml.Node) { p.Deadlines.Confirm = y.duration(v, dp+".confirm") },
				"dispatch": func(v *yaml.Node) { p.Deadlines.Dispatch = y.duration(v, dp+".dispatch") },
				"handle":   func(v *yaml.Node) { p.Deadlines.Handle = y.duration(v, dp+".handle") },
			})
		},
	})
	y.f.policies = append(y.f.policies, p)
}
