package access

import "slices"

// Role is a set of duties. A person may hold several.
type Role string

// The roles of DOMAIN.md. Every staff member is a reporter.
const (
	Reporter    Role = "reporter"    // reports, sees own reports
	Responder   Role = "responder"   // works the incidents assigned to them
	Coordinator Role = "coordinator" // response center: sees and works all incidents
	Manager     Role = "manager"     // approves, signs off, reads statistics
	Admin       Role = "admin"       // manages accounts, tokens and settings

	// Auditor reads every incident and the audit trail and changes
	// nothing: whoever holds it is refused every change, whatever other
	// roles they hold (separation of duties).
	Auditor Role = "auditor"
)

// Roles lists every role, least privileged first.
func Roles() []Role { return []Role{Reporter, Responder, Coordinator, Manager, Auditor, Admin} }

// RoleInfo names a role in English and Chinese.
type RoleInfo struct {
	Role   Role   `json:"role"`
	NameEN string `json:"name_en"`
	NameZH string `json:"name_zh"`
}

// roleNames are the roles' names, in the order of Roles.
var roleNames = map[Role][2]string{
	Reporter:    {"reporter", "报告人"},
	Responder:   {"responder", "处置人员"},
	Coordinator: {"coordinator", "应急响应中心协调员"},
	Manager:     {"manager", "管理人员"},
	Auditor:     {"auditor", "审计员"},
	Admin:       {"administrator", "系统管理员"},
}

// Info returns r's names; an unknown role is named by its value.
func (r Role) Info() RoleInfo {
	n, ok := roleNames[r]
	if !ok {
		return RoleInfo{Role: r, NameEN: string(r), NameZH: string(r)}
	}
	return RoleInfo{Role: r, NameEN: n[0], NameZH: n[1]}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Principal is an authenticated caller: a person signed in through the web,
// the owner of an API token, or the bootstrap token.
type Principal struct {
	UserID   string
	Username string // also the id of the person in the contact roster
	Name     string
	Roles    []Role
	Lang     string // preferred language: en or zh
	// Via says how the caller authenticated: session, token or bootstrap.
	Via string
	// Teams are the ids and names of the roster teams the person belongs
	// to (by Username); a responder sees the incidents assigned to them.
	// The web layer fills it in for those who need it.
	Teams []string
	// Organization and Department are the account's; System, Networks
	// and Grant are its API token's (Token), for sharing decisions.
	Organization string
	Department   string
	System       string
	Networks     []string
	Grant        string
}

// Has reports whether p holds any of roles.
func (p Principal) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// Anonymous reports whether nobody is signed in.
func (p Principal) Anonymous() bool { return p.UserID == "" }
