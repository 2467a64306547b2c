package escalation

import (
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
)

// checkFields expects err to be nil when want is empty, and otherwise an
// *incident.InvalidError naming every field in want (and maybe others).
func checkFields(t *testing.T, err error, want ...string) {
	t.Helper()
	want = slices.DeleteFunc(want, func(s string) bool { return s == "" })
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var inv *incident.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error = %v, want *incident.InvalidError on %v", err, want)
	}
	for _, f := range want {
		m, ok := inv.Fields[f]
		if !ok {
			got := make([]string, 0, len(inv.Fields))
			for g := range inv.Fields {
				got = append(got, g)
			}
			sort.Strings(got)
			t.Fatalf("no error on %q; errors on %v", f, got)
		}
		if m.EN == "" || m.ZH == "" {
			t.Errorf("field %q: message not in both languages: %+v", f, m)
		}
	}
}

func TestPersonValidate(t *testing.T) {
	ok := Person{ID: "alice", Name: "Alice Wang", Roles: []Role{RoleNetworkEngineer}, Department: "IT", TimeZone: "Asia/Shanghai",
		Contacts: []Contact{{ContactSlack, "U123"}, {ContactEmail, "alice@example.org"}, {ContactPhone, "+86 10 1234 5678"}, {ContactWeCom, "wangli"}, {ContactDingTalk, "d1"}, {ContactFeishu, "ou_1"}}}
	tests := []struct {
		name  string
		edit  func(*Person)
		field string
	}{
		{"valid", func(*Person) {}, ""},
		{"no id", func(p *Person) { p.ID = "" }, "id"},
		{"id with space", func(p *Person) { p.ID = "a b" }, "id"},
		{"no name", func(p *Person) { p.Name = "  " }, "name"},
		{"role not a word", func(p *Person) { p.Roles = []Role{"Security Manager"} }, "roles[0]"},
		{"unknown zone", func(p *Person) { p.TimeZone = "Asia/Atlantis" }, "time_zone"},
		{"no zone is fine", func(p *Person) { p.TimeZone = "" }, ""},
		{"unknown contact kind", func(p *Person) { p.Contacts[0].Kind = "telegram" }, "contacts[0].kind"},
		{"empty contact", func(p *Person) { p.Contacts[3].Value = " " }, "contacts[3].value"},
		{"bad e-mail", func(p *Person) { p.Contacts[1].Value = "alice.example.org" }, "contacts[1].value"},
		{"bad phone", func(p *Person) { p.Contacts[2].Value = "call me" }, "contacts[2].value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			p.Contacts = slices.Clone(ok.Contacts)
			tt.edit(&p)
			checkFields(t, p.Validate(), tt.field)
		})
	}
}

func TestTeamValidate(t *testing.T) {
	rot := daily("Asia/Shanghai", "09:00", wall(shanghai, 2026, 3, 1, 0, 0), "alice", "bob")
	ok := Team{ID: "assessment", Name: "Assessment group", Kind: AssessmentGroup, Members: []string{"alice", "bob", "lena"}, Lead: "lena", Critical: true, Rotation: &rot}
	tests := []struct {
		name  string
		edit  func(*Team)
		field string
	}{
		{"valid", func(*Team) {}, ""},
		{"unknown kind", func(t *Team) { t.Kind = "helpdesk" }, "kind"},
		{"member twice", func(t *Team) { t.Members = []string{"alice", "bob", "alice", "lena"} }, "members[2]"},
		{"lead not a member", func(t *Team) { t.Lead = "zoe" }, "lead"},
		{"participant not a member", func(t *Team) { r := rot; r.Participants = []string{"alice", "zoe"}; t.Rotation = &r }, "rotation.participants[1]"},
		{"bad rotation", func(t *Team) { r := rot; r.TimeZone = "Local"; t.Rotation = &r }, "rotation.time_zone"},
		{"critical without rotation is allowed (coverage reports it)", func(t *Team) { t.Rotation = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			team := ok
			tt.edit(&team)
			checkFields(t, team.Validate(), tt.field)
		})
	}
}

func TestValidateRoster(t *testing.T) {
	people := []Person{
		{ID: "alice", Name: "Alice", Department: "IT"},
		{ID: "bob", Name: "Bob", Department: "Finance"},
	}
	teams := []Team{{ID: "assessment", Name: "Assessment", Kind: AssessmentGroup, Members: []string{"alice", "bob"}, Lead: "alice"}}
	depts := []Department{{Name: "IT", Liaison: "alice"}, {Name: "Finance", Liaison: "bob"}}
	checkFields(t, ValidateRoster(people, teams, depts))

	badPeople := append(slices.Clone(people), Person{ID: "alice", Name: "Alice again", Department: "Sales"})
	badTeams := append(slices.Clone(teams), Team{ID: "assessment", Name: "Dup", Kind: SupportTeam, Members: []string{"carol"}})
	badDepts := append(slices.Clone(depts), Department{Name: "IT", Liaison: "dave"}, Department{Name: "Legal"})
	checkFields(t, ValidateRoster(badPeople, badTeams, badDepts),
		"people[2].id", "people[2].department", "teams[1].id", "teams[1].members[0]",
		"departments[2].name", "departments[2].liaison", "departments[3].liaison")
}

func TestDepartmentValidate(t *testing.T) {
	checkFields(t, Department{Name: "IT", Liaison: "alice"}.Validate())
	checkFields(t, Department{Name: "IT"}.Validate(), "liaison")
	checkFields(t, Department{Liaison: "alice"}.Validate(), "name")
}
