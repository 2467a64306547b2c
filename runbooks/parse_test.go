package runbooks_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// valid is a small runbook with every part.
const valid = `id: test-book
title: {en: Test book, zh: 测试预案}
summary:
  en: For tests.
  zh: 用于测试。
categories: [cyber_attack, data_security]
levels: [serious]
steps:
  confirm:
    - id: facts
      title: {en: Facts, zh: 事实}
      role: coordinator
      required: true
      duration: 1h30m
      evidence: {en: A note, zh: 说明}
  plan:
    - id: decide
      title: {en: Decide, zh: 决定}
      team: response-center
      required: false
      duration: 1d
      evidence: {en: The decision, zh: 决定}
  handle:
    - id: cut
      phase: isolate
      title: {en: Cut it off, zh: 隔离}
      detail: {en: Pull the cable., zh: 拔网线。}
      role: network_engineer
      required: true
      duration: 30m
      evidence: {en: Ports, zh: 端口}
contacts:
  - name: {en: Police, zh: 公安}
    kind: police
    phone: 110
    email: wa@example.cn
    when: {en: At once, zh: 立即}
communication:
  - audience: {en: Owners, zh: 负责人}
    when: {en: When confirmed, zh: 确认时}
    within: 2h
    owner: coordinator
    required: true
`

func TestParseValid(t *testing.T) {
	rb, err := runbooks.Parse("test.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if rb.ID != "test-book" || rb.Title.ZH != "测试预案" || rb.Summary.EN != "For tests." || rb.Source != valid {
		t.Errorf("runbook = %+v", rb)
	}
	if !slices.Equal(rb.Categories, []incident.Category{incident.CyberAttack, incident.DataSecurity}) ||
		!slices.Equal(rb.Levels, []incident.Level{incident.Serious}) {
		t.Errorf("categories %v, levels %v", rb.Categories, rb.Levels)
	}
	want := []runbooks.Step{
		{ID: "facts", Stage: incident.Confirm, Title: runbooks.Text{EN: "Facts", ZH: "事实"}, Role: "coordinator", Required: true,
			Duration: 90 * time.Minute, Evidence: runbooks.Text{EN: "A note", ZH: "说明"}},
		{ID: "decide", Stage: incident.Plan, Title: runbooks.Text{EN: "Decide", ZH: "决定"}, Team: "response-center",
			Duration: 24 * time.Hour, Evidence: runbooks.Text{EN: "The decision", ZH: "决定"}},
		{ID: "cut", Stage: incident.Handle, Phase: incident.PhaseIsolate, Title: runbooks.Text{EN: "Cut it off", ZH: "隔离"},
			Detail: runbooks.Text{EN: "Pull the cable.", ZH: "拔网线。"}, Role: "network_engineer", Required: true,
			Duration: 30 * time.Minute, Evidence: runbooks.Text{EN: "Ports", ZH: "端口"}},
	}
	if !slices.Equal(rb.Steps, want) {
		t.Errorf("steps =\n%+v\nwant\n%+v", rb.Steps, want)
	}
	if c := rb.Contacts[0]; c.Phone != "110" || c.Kind != "police" || c.Email != "wa@example.cn" || c.When.ZH != "立即" {
		t.Errorf("contact = %+v", c)
	}
	if r := rb.Rules[0]; r.Within != 2*time.Hour || r.Owner != "coordinator" || !r.Required || r.Audience.EN != "Owners" {
		t.Errorf("rule = %+v", r)
	}
	if !rb.Covers(incident.DataSecurity) || rb.Covers(incident.ForceMajeure) || !rb.ForLevel(incident.Serious) || rb.ForLevel(incident.Special) {
		t.Error("Covers/ForLevel")
	}
	use := rb.Use()
	if len(use.Steps) != 3 || use.Steps[2].Expected != 30*time.Minute || use.Steps[2].Phase != incident.PhaseIsolate ||
		use.Steps[2].DetailZH != "拔网线。" || use.Rules[0].Within != 2*time.Hour || use.Contacts[0].Phone != "110" {
		t.Errorf("use = %+v", use)
	}
}

// TestParseProblems checks each kind of problem, reported at its line
// with the field's path.
func TestParseProblems(t *testing.T) {
	// replace swaps one line of the valid file (1-based) for another.
	replace := func(line int, with string) string {
		ls := strings.Split(valid, "\n")
		ls[line-1] = with
		return strings.Join(ls, "\n")
	}
	tests := []struct {
		name  string
		src   string
		line  int
		field string
		says  string
	}{
		{"syntax", replace(2, "title: 'Test book"), 2, "", "YAML syntax error"},
		{"tab", replace(12, "\trole: coordinator"), 12, "", "YAML syntax error"},
		{"unknown key", replace(7, "level: [serious]"), 7, "level", "unknown key"},
		{"key twice", replace(7, "title: {en: a, zh: b}"), 7, "title", "given twice"},
		{"bad id", replace(1, "id: Test Book"), 1, "id", "lower-case"},
		{"version in file", replace(1, "version: 3"), 1, "version", "unknown key"},
		{"unknown category", replace(6, "categories: [cyber_attack, ransomware]"), 6, "categories[1]", "unknown category"},
		{"no category", replace(6, "categories: []"), 6, "categories", "at least one category"},
		{"bad level", replace(7, "levels: [grave]"), 7, "levels[0]", "ordinary, serious or special"},
		{"missing zh", replace(2, "title: {en: Test book}"), 2, "title.zh", "Chinese"},
		{"not a mapping", replace(2, "title: Test book"), 2, "title", "expected a mapping"},
		{"bad duration", replace(14, "      duration: soon"), 14, "steps.confirm[0].duration", "not a duration"},
		{"duration too long", replace(14, "      duration: 31d"), 14, "steps.confirm[0].duration", "between"},
		{"not a boolean", replace(13, "      required: yes please"), 13, "steps.confirm[0].required", "true or false"},
		{"phase outside handling", replace(12, "      phase: isolate"), 12, "steps.confirm[0].phase", "only handling steps"},
		{"unknown phase", replace(25, "      phase: pray"), 25, "steps.handle[0].phase", "phase must be"},
		{"missing phase", replace(25, "      team: desk"), 24, "steps.handle[0].phase", "needs its phase"},
		{"duplicate step id", replace(17, "    - id: facts"), 17, "steps.plan[0].id", "another step"},
		{"no owner", replace(28, "      # nobody"), 24, "steps.handle[0].role", "say who does it"},
		{"bad role", replace(28, "      role: Network Engineer"), 28, "steps.handle[0].role", "lower-case word"},
		{"missing required", replace(13, "      # required"), 10, "steps.confirm[0].required", "missing"},
		{"unknown stage", replace(16, "  prepare:"), 16, "steps.prepare", "unknown key"},
		{"bad contact kind", replace(34, "    kind: friend"), 34, "contacts[0].kind", "kind must be"},
		{"bad phone", replace(35, "    phone: call me"), 35, "contacts[0].phone", "phone number"},
		{"bad e-mail", replace(36, "    email: wa"), 36, "contacts[0].email", "e-mail"},
		{"bad within", replace(41, "    within: 0s"), 41, "communication[0].within", "between"},
		{"anchor", replace(2, "title: &t {en: a, zh: b}"), 2, "title", "anchors"},
		{"second document", valid + "---\nid: other\n", 44, "", "one runbook per file"},
		{"list expected", replace(6, "categories: cyber_attack"), 6, "categories", "expected a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runbooks.Parse("t.yaml", []byte(tt.src))
			var ps runbooks.Problems
			if !errors.As(err, &ps) || !errors.Is(err, runbooks.ErrInvalid) {
				t.Fatalf("Parse = %v, want Problems", err)
			}
			for _, p := range ps {
				if p.Line == tt.line && p.Field == tt.field && strings.Contains(p.EN, tt.says) && p.ZH != "" && p.File == "t.yaml" {
					return
				}
			}
			t.Errorf("want a problem at line %d, field %q, saying %q; got:\n%s", tt.line, tt.field, tt.says, problemList(ps))
		})
	}
}

func problemList(ps runbooks.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// TestParseReportsEveryProblem: a file with several problems gets them
// all, in file order, not just the first.
func TestParseReportsEveryProblem(t *testing.T) {
	src := `id: x
title: {en: only English}
categories: [cyber_attack, ransomware]
steps:
  handle:
    - id: a
      title: {en: A, zh: 甲}
      role: network_engineer
      required: maybe
      duration: 5 minutes
      evidence: {en: e, zh: 证}
colour: red
`
	_, err := runbooks.Parse("many.yaml", []byte(src))
	var ps runbooks.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v", err)
	}
	got := map[string]int{}
	for _, p := range ps {
		got[p.Field] = p.Line
	}
	want := map[string]int{
		"id": 1, "title.zh": 2, "categories[1]": 3, "steps.handle[0].required": 9, "steps.handle[0].duration": 10,
		"steps.handle[0].phase": 6, "colour": 12, "summary": 1, "communication": 1,
	}
	for f, line := range want {
		if got[f] != line {
			t.Errorf("problem of %s at line %d, want %d", f, got[f], line)
		}
	}
	if !sort.SliceIsSorted(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line }) {
		t.Errorf("problems not in file order:\n%s", problemList(ps))
	}
	if s := ps[0].String(); !strings.HasPrefix(s, "many.yaml:1:") {
		t.Errorf("String() = %q, want file:line:column first", s)
	}
}

func TestParseEmptyAndHuge(t *testing.T) {
	for name, src := range map[string]string{"empty": "", "comment only": "# nothing\n", "not utf-8": "id: \xff\n"} {
		if _, err := runbooks.Parse("e.yaml", []byte(src)); !errors.Is(err, runbooks.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	huge := valid + "# " + strings.Repeat("x", runbooks.MaxSource) + "\n"
	if _, err := runbooks.Parse("h.yaml", []byte(huge)); !errors.Is(err, runbooks.ErrInvalid) {
		t.Errorf("huge: %v", err)
	}
}

// TestBuiltins: every built-in runbook loads, and together they cover the
// ten categories; each has handling steps, required steps, and rules.
func TestBuiltins(t *testing.T) {
	bs, err := runbooks.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[incident.Category]bool{}
	ids := map[string]bool{}
	for _, rb := range bs {
		if ids[rb.ID] {
			t.Errorf("id %s twice", rb.ID)
		}
		ids[rb.ID] = true
		if rb.Version != 1 || !rb.Builtin {
			t.Errorf("%s: version %d, builtin %v", rb.ID, rb.Version, rb.Builtin)
		}
		for _, c := range rb.Categories {
			covered[c] = true
		}
		if len(rb.StepsOf(incident.Handle)) < 3 || len(rb.Rules) == 0 {
			t.Errorf("%s: %d handling steps, %d rules", rb.ID, len(rb.StepsOf(incident.Handle)), len(rb.Rules))
		}
		phases := map[incident.Phase]bool{}
		required := 0
		for _, s := range rb.Steps {
			phases[s.Phase] = true
			if s.Required {
				required++
			}
		}
		if !phases[incident.PhaseCommunicate] || required == 0 {
			t.Errorf("%s: no communicate step or no required step", rb.ID)
		}
	}
	for _, ci := range incident.Categories() {
		if !covered[ci.Category] {
			t.Errorf("no built-in runbook covers %s", ci.Category)
		}
	}
	for _, id := range []string{"ransomware", "web-intrusion", "data-leak", "ddos", "phishing", "malware-spread",
		"unapproved-change", "equipment-failure", "natural-disaster"} {
		if !ids[id] {
			t.Errorf("built-in runbook %s is missing", id)
		}
	}
}

// TestSchemaAgrees: the JSON Schema for editors names the same
// categories, phases and contact kinds as the Go checks.
func TestSchemaAgrees(t *testing.T) {
	b, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties struct {
			Categories struct{ Items struct{ Enum []string } }
			Contacts   struct {
				Items struct {
					Properties struct{ Kind struct{ Enum []string } }
				}
			}
		}
		Defs struct {
			Step struct {
				Properties struct{ Phase struct{ Enum []string } }
			}
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var cats, phases []string
	for _, c := range incident.Categories() {
		cats = append(cats, string(c.Category))
	}
	for _, p := range incident.Phases() {
		phases = append(phases, string(p))
	}
	if !slices.Equal(s.Properties.Categories.Items.Enum, cats) {
		t.Errorf("schema categories %v, want %v", s.Properties.Categories.Items.Enum, cats)
	}
	if !slices.Equal(s.Defs.Step.Properties.Phase.Enum, phases) {
		t.Errorf("schema phases %v, want %v", s.Defs.Step.Properties.Phase.Enum, phases)
	}
	if !slices.Equal(s.Properties.Contacts.Items.Properties.Kind.Enum, runbooks.ContactKinds) {
		t.Errorf("schema contact kinds %v, want %v", s.Properties.Contacts.Items.Properties.Kind.Enum, runbooks.ContactKinds)
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "2h": 2 * time.Hour, "1h30m": 90 * time.Minute,
		"1d": 24 * time.Hour, "2d4h": 52 * time.Hour} {
		got, err := runbooks.ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
		if s := runbooks.FormatDuration(want); s != in {
			t.Errorf("FormatDuration(%v) = %q, want %q", want, s, in)
		}
	}
	for _, bad := range []string{"", "soon", "-1h", "1.5d", "d", "+2h"} {
		if _, err := runbooks.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

// FuzzParse: no input makes Parse panic, and a runbook it accepts has the
// parts it promises.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("id: [\n"))
	f.Add([]byte("steps: {handle: [{id: a, phase: *x}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := runbooks.Parse("f.yaml", data)
		if err != nil {
			return
		}
		if rb.ID == "" || len(rb.Categories) == 0 || len(rb.StepsOf(incident.Handle)) == 0 || len(rb.Rules) == 0 {
			t.Fatalf("accepted an incomplete runbook: %+v", rb)
		}
	})
}
