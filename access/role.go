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
)

// Roles lists every role, least privileged first.
func Roles() []Role { return []Role{Reporter, Responder, Coordinator, Manager, Admin} }

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
