package escalation

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// ContactKind is a channel through which a person can be reached.
type ContactKind string

// The contact channels Tocsin knows. Chat ids are the user id on that
// platform, not a display name.
const (
	ContactSlack    ContactKind = "slack"
	ContactEmail    ContactKind = "email"
	ContactPhone    ContactKind = "phone"
	ContactWeCom    ContactKind = "wecom"
	ContactDingTalk ContactKind = "dingtalk"
	ContactFeishu   ContactKind = "feishu"
)

// Valid reports whether k is a known contact channel.
func (k ContactKind) Valid() bool {
	switch k {
	case ContactSlack, ContactEmail, ContactPhone, ContactWeCom, ContactDingTalk, ContactFeishu:
		return true
	}
	return false
}

// Contact is one way to reach a person.
type Contact struct {
	Kind  ContactKind
	Value string
}

// Role is what a person does; policies can page by role (for example the
// security manager). Roles are open-ended lower-case words; the ones below
// are those the built-in policies and the domain documents use.
type Role string

// Well-known roles.
const (
	RoleCoordinator         Role = "coordinator"          // response center
	RoleNetworkEngineer     Role = "network_engineer"     // assessment group
	RoleTerminalEngineer    Role = "terminal_engineer"    // assessment group: terminal and device maintenance
	RoleApplicationEngineer Role = "application_engineer" // assessment group
	RoleSecurityManager     Role = "security_manager"
	RoleLeadership          Role = "leadership"
)

// Person is someone who can be paged.
type Person struct {
	ID         string
	Name       string
	Roles      []Role
	Department string // Department.Name
	TimeZone   string // IANA name, for showing times in the person's own zone
	Contacts   []Contact
}

// HasRole reports whether p holds role r.
func (p Person) HasRole(r Role) bool {
	for _, x := range p.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// TeamKind classifies teams (DOMAIN.md, "Who uses it").
type TeamKind string

// The kinds of team.
const (
	ResponseCenter  TeamKind = "response_center"
	AssessmentGroup TeamKind = "assessment"
	SupportTeam     TeamKind = "support"
	ManagementTeam  TeamKind = "management"
	VendorTeam      TeamKind = "vendor"
	AgencyTeam      TeamKind = "agency"
)

// Valid reports whether k is a known team kind.
func (k TeamKind) Valid() bool {
	switch k {
	case ResponseCenter, AssessmentGroup, SupportTeam, ManagementTeam, VendorTeam, AgencyTeam:
		return true
	}
	return false
}

// Team is a group of people with an optional on-call rotation.
type Team struct {
	ID       string
	Name     string
	Kind     TeamKind
	Members  []string // person ids
	Lead     string   // person id, one of Members; "" when the team has none
	Critical bool     // someone must be on duty at all times (CheckCoverage); a critical team without a rotation is reported, not refused
	Rotation *Rotation
}

// HasMember reports whether person id belongs to t.
func (t Team) HasMember(id string) bool {
	for _, m := range t.Members {
		if m == id {
			return true
		}
	}
	return false
}

// Department is an organizational unit with its designated liaison.
type Department struct {
	Name    string
	Liaison string // person id
}

// Limits on roster input, so one bad form cannot store an unbounded document.
const (
	MaxName     = 200
	MaxContacts = 20
	MaxMembers  = 500
)

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	rolePattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{3,30}$`)
)

// Validate checks p on its own; ValidateRoster also checks references.
func (p Person) Validate() error {
	var e *incident.InvalidError
	validatePerson(&e, "", p)
	return asError(e)
}

func validatePerson(e **incident.InvalidError, at string, p Person) {
	checkID(e, at+"id", p.ID)
	checkName(e, at+"name", p.Name)
	for i, r := range p.Roles {
		if !rolePattern.MatchString(string(r)) {
			invalid(e, fmt.Sprintf("%sroles[%d]", at, i), "a role is a lower-case word such as security_manager", "角色须为小写英文词，如 security_manager")
		}
	}
	if p.TimeZone != "" {
		if _, err := loadZone(p.TimeZone); err != nil {
			invalid(e, at+"time_zone", "unknown time zone; use an IANA name such as Asia/Shanghai", "未知时区，请使用 IANA 名称，如 Asia/Shanghai")
		}
	}
	if len(p.Contacts) > MaxContacts {
		invalid(e, at+"contacts", fmt.Sprintf("at most %d contact methods", MaxContacts), fmt.Sprintf("联系方式最多 %d 个", MaxContacts))
	}
	for i, c := range p.Contacts {
		f := fmt.Sprintf("%scontacts[%d]", at, i)
		v := strings.TrimSpace(c.Value)
		switch {
		case !c.Kind.Valid():
			invalid(e, f+".kind", "contact kind must be slack, email, phone, wecom, dingtalk or feishu", "联系方式类型须为 slack、email、phone、wecom、dingtalk 或 feishu")
		case v == "" || len(v) > MaxName:
			invalid(e, f+".value", "a contact method needs a value", "联系方式不能为空")
		case c.Kind == ContactEmail && (strings.Count(v, "@") != 1 || strings.HasPrefix(v, "@") || strings.HasSuffix(v, "@") || strings.ContainsAny(v, " \t")):
			invalid(e, f+".value", "not an e-mail address", "不是有效的电子邮件地址")
		case c.Kind == ContactPhone && !phonePattern.MatchString(v):
			invalid(e, f+".value", "not a phone number", "不是有效的电话号码")
		}
	}
}

// Validate checks t on its own, its rotation included; ValidateRoster also
// checks that the people it names exist.
func (t Team) Validate() error {
	var e *incident.InvalidError
	validateTeam(&e, "", t)
	return asError(e)
}

func validateTeam(e **incident.InvalidError, at string, t Team) {
	checkID(e, at+"id", t.ID)
	checkName(e, at+"name", t.Name)
	if !t.Kind.Valid() {
		invalid(e, at+"kind", "team kind must be response_center, assessment, support, management, vendor or agency", "团队类型须为 response_center、assessment、support、management、vendor 或 agency")
	}
	if len(t.Members) > MaxMembers {
		invalid(e, at+"members", fmt.Sprintf("at most %d members", MaxMembers), fmt.Sprintf("成员最多 %d 人", MaxMembers))
	}
	seen := map[string]bool{}
	for i, m := range t.Members {
		if seen[m] {
			invalid(e, fmt.Sprintf("%smembers[%d]", at, i), "listed twice", "重复列出")
		}
		seen[m] = true
	}
	if t.Lead != "" && !seen[t.Lead] {
		invalid(e, at+"lead", "the lead must be a member of the team", "负责人必须是团队成员")
	}
	if t.Rotation != nil {
		validateRotation(e, at+"rotation.", *t.Rotation)
		for i, p := range t.Rotation.Participants {
			if p != "" && !seen[p] {
				invalid(e, fmt.Sprintf("%srotation.participants[%d]", at, i), "a participant must be a member of the team", "轮换人员必须是团队成员")
			}
		}
	}
}

// Validate checks d on its own.
func (d Department) Validate() error {
	var e *incident.InvalidError
	validateDepartment(&e, "", d)
	return asError(e)
}

func validateDepartment(e **incident.InvalidError, at string, d Department) {
	checkName(e, at+"name", d.Name)
	if d.Liaison == "" {
		invalid(e, at+"liaison", "each department needs a designated liaison", "每个部门必须指定联络人员")
	}
}

// ValidateRoster checks every person, team and department and the
// references between them: unique ids and names, members, leads, liaisons
// and departments that exist. Field names are paths such as
// "teams[2].members[0]".
func ValidateRoster(people []Person, teams []Team, departments []Department) error {
	var e *incident.InvalidError
	persons := map[string]bool{}
	depts := map[string]bool{}
	for i, d := range departments {
		at := fmt.Sprintf("departments[%d].", i)
		validateDepartment(&e, at, d)
		if depts[d.Name] {
			invalid(&e, at+"name", "another department has this name", "部门名称重复")
		}
		depts[d.Name] = true
	}
	for i, p := range people {
		at := fmt.Sprintf("people[%d].", i)
		validatePerson(&e, at, p)
		if persons[p.ID] {
			invalid(&e, at+"id", "another person has this id", "人员编号重复")
		}
		persons[p.ID] = true
		if p.Department != "" && !depts[p.Department] {
			invalid(&e, at+"department", "no such department", "部门不存在")
		}
	}
	teamIDs := map[string]bool{}
	for i, t := range teams {
		at := fmt.Sprintf("teams[%d].", i)
		validateTeam(&e, at, t)
		if teamIDs[t.ID] {
			invalid(&e, at+"id", "another team has this id", "团队编号重复")
		}
		teamIDs[t.ID] = true
		for j, m := range t.Members {
			if !persons[m] {
				invalid(&e, fmt.Sprintf("%smembers[%d]", at, j), "no such person", "人员不存在")
			}
		}
	}
	for i, d := range departments {
		if d.Liaison != "" && !persons[d.Liaison] {
			invalid(&e, fmt.Sprintf("departments[%d].liaison", i), "no such person", "人员不存在")
		}
	}
	return asError(e)
}

func checkID(e **incident.InvalidError, field, id string) {
	if !idPattern.MatchString(id) {
		invalid(e, field, "an id is 1 to 128 letters, digits or . _ : @ -, starting with a letter or digit", "编号须为 1 到 128 个字母、数字或 . _ : @ -，以字母或数字开头")
	}
}

func checkName(e **incident.InvalidError, field, name string) {
	if n := strings.TrimSpace(name); n == "" || len(n) > MaxName {
		invalid(e, field, fmt.Sprintf("a name is required, at most %d bytes", MaxName), fmt.Sprintf("名称必填，最多 %d 字节", MaxName))
	}
}
