package share

import (
	"errors"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Sentinel errors; the web layer maps them to HTTP statuses.
var (
	ErrNotFound = errors.New("share: not found")
	// ErrConflict: the grant or rule was changed by someone else since the
	// version the caller saw.
	ErrConflict = errors.New("share: changed by someone else; reload and retry")
	// ErrForbidden: the caller may not take this decision (not the owner,
	// not a leader, deciding their own request).
	ErrForbidden = errors.New("share: not allowed")
	// ErrDenied: no emergency grant, rule or application admits the access.
	ErrDenied = errors.New("share: no grant or rule admits this access")
	// ErrSuspended: the access suspended (or found suspended) its grant.
	ErrSuspended = errors.New("share: grant suspended")
)

// RefusedError says a command cannot be done in the grant's present state
// (approving a rejected grant, resubmitting an active one), in both
// languages; errors.Is(err, ErrNotAllowed) holds for it.
type RefusedError struct{ EN, ZH string }

func (e *RefusedError) Error() string { return e.EN }

// ErrNotAllowed is what a RefusedError is (errors.Is).
var ErrNotAllowed = errors.New("share: not allowed in this state")

// Unwrap makes errors.Is(err, ErrNotAllowed) true.
func (e *RefusedError) Unwrap() error { return ErrNotAllowed }

// Limits of the requirements.
const (
	// MaxApplicationYears is the longest an application grant lasts.
	MaxApplicationYears = 3
	// MaxEmergency is the longest an emergency grant lasts.
	MaxEmergency = 14 * 24 * time.Hour
	// DefaultRate is the accesses per hour a grant or rule allows when it
	// names none; more in an hour is abnormal and suspends a grant.
	DefaultRate = 60
	// MaxRate is the highest rate a grant or rule may name.
	MaxRate = 3600
	// ScopeStrikes refused attempts within StrikeWindow (the hour up to
	// the attempt, to the minute, like the rates) (incidents or
	// sections outside what the requester's grants cover) suspend the
	// grants the requester holds.
	ScopeStrikes = 3
	StrikeWindow = time.Hour
	// MaxIncidents is how many incidents one application may name.
	MaxIncidents = 50
	// MaxPurpose and MaxComment bound free text (characters).
	MaxPurpose = 2000
	MaxComment = 2000
)

// Kind is the mechanism a grant was given under.
type Kind string

// Grant kinds.
const (
	Application Kind = "application" // 申请授权
	Emergency   Kind = "emergency"   // 应急授权
)

// Basis is what decided an access: a grant's kind, or an attribute rule.
type Basis string

// Bases, in the order they are asked.
const (
	ByEmergency   Basis = "emergency"
	ByRule        Basis = "rule"
	ByApplication Basis = "application"
)

// Status is where a grant is in its life.
type Status string

// Grant statuses. Pending and Returned are requests; Active grants admit
// accesses between From and Until; the rest are ended (Suspended until an
// owner reinstates or revokes it).
const (
	Pending   Status = "pending"   // waiting for a decision
	Returned  Status = "returned"  // sent back for correction (退回补正)
	Rejected  Status = "rejected"  // refused; final
	Active    Status = "active"    // approved
	Suspended Status = "suspended" // stopped on abnormal use (中止)
	Revoked   Status = "revoked"   // ended by its owner; final
	Expired   Status = "expired"   // its period ended; final
	Withdrawn Status = "withdrawn" // the requester withdrew the request; final
)

// Section is a part of an incident's information that sharing can cover.
type Section string

// Sections. The overview (number, title, level, category, stage, report
// and close times) is part of every shared view.
const (
	Overview    Section = "overview"
	Description Section = "description" // description, scope, nature, occurred at
	Assets      Section = "assets"      // affected assets
	Timeline    Section = "timeline"
	Measures    Section = "measures" // plan and tasks, without evidence files
	ReviewPart  Section = "review"   // the post-incident report and its actions
	Contacts    Section = "contacts" // reporter, participants, assignees
)

// Sections lists every section in display order.
func Sections() []Section {
	return []Section{Overview, Description, Assets, Timeline, Measures, ReviewPart, Contacts}
}

// Class is a kind of sensitive data that shared views mask.
type Class string

// Classes of sensitive data.
const (
	Names       Class = "name"
	Phones      Class = "phone"
	Emails      Class = "email"
	IDNumbers   Class = "id_number"
	Credentials Class = "credential"
	Internal    Class = "internal_address" // private IPs, internal host names
)

// Classes lists every class.
func Classes() []Class { return []Class{Names, Phones, Emails, IDNumbers, Credentials, Internal} }

// Party is a person on one side of a grant.
type Party struct {
	UserID       string
	Username     string
	Name         string
	Organization string
	Department   string
}

// Scope is what a grant covers.
type Scope struct {
	Incidents []string  // incident numbers, 1..MaxIncidents
	Sections  []Section // Overview is implied
	Reveal    []Class   // classes shown unmasked
	Copies    bool      // copies (downloads) may be taken
}

// Step is one decision in a grant's history.
type Step struct {
	At      time.Time
	By      Party // the system for expiry and suspension
	Action  string
	From    Status
	To      Status
	Comment string
}

// Grant actions, as recorded in Step.Action and the audit trail.
const (
	ActSubmit    = "submit"
	ActResubmit  = "resubmit"
	ActApprove   = "approve"
	ActReject    = "reject"
	ActReturn    = "return"
	ActWithdraw  = "withdraw"
	ActRevoke    = "revoke"
	ActSuspend   = "suspend"
	ActReinstate = "reinstate"
	ActExpire    = "expire"
)

// Grant is an application or emergency request and, once approved, the
// permission it gives.
type Grant struct {
	ID        string // "SG-" + 12 hex, random
	Kind      Kind
	Status    Status
	Version   int64 // bumped by every change; changes name the version they saw
	Requester Party
	Purpose   string
	Scope     Scope
	// From and Until bound the grant; asked for by the requester, Until
	// may be shortened by the approver. Until ≤ From + the kind's limit.
	From, Until time.Time
	RatePerHour int   // 0: DefaultRate
	Owner       Party // who approved it; alerts go to them
	History     []Step
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Reason is why it was suspended, revoked or rejected (the last one).
	Reason string
}

// Rule is an attribute rule (属性授权). A requester matches when every
// attribute the rule names matches (an empty list matches anything) and
// the rule names at least one requester or system attribute.
type Rule struct {
	ID      string // "SR-" + 12 hex
	Name    string
	Enabled bool
	Version int64
	// Information attributes.
	Categories        []incident.Category
	Levels            []incident.Level
	IncludeRestricted bool // restricted incidents match only when set
	// Requester attributes.
	Organizations []string
	Departments   []string
	Roles         []string
	// System attributes: the API token's system name and the caller's
	// network (CIDR prefixes). A rule naming either admits API tokens only.
	Systems  []string
	Networks []string
	// What it admits to.
	Sections    []Section
	Reveal      []Class
	Copies      bool
	RatePerHour int       // per requester; 0: DefaultRate
	Until       time.Time // zero: no end
	CreatedBy   Party
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Requester is who asks for a shared view, with the attributes rules look at.
type Requester struct {
	Party
	Roles  []string
	System string // the API token's system; "" through the web
	Addr   string // the caller's IP address
	// Grant is the grant an API token is bound to: only it is asked.
	Grant string
	// Lang is the requester's language (en or zh), for copies in Markdown.
	Lang string
}

// Verdict is the outcome of Decide.
type Verdict struct {
	Allowed  bool
	Basis    Basis  // what decided it, when allowed
	By       string // the grant or rule id that decided it
	Sections []Section
	Reveal   []Class
	Copies   bool
	// Reason says why it was refused (en), for the log and the requester.
	Reason string
}

// Access is one logged use of shared information, allowed or refused.
type Access struct {
	ID        string
	At        time.Time
	Requester Party
	System    string
	Addr      string
	Incident  string
	Sections  []Section // asked for
	Action    string    // view, copy, download
	Allowed   bool
	Basis     Basis
	By        string // grant or rule id
	Reason    string
	// Grants are the requester's active grants a refused access counts
	// against (scope strikes).
	Grants []string
}

// Copy is a desensitized snapshot taken under a grant or rule, kept so it
// can be listed and withdrawn when sharing ends.
type Copy struct {
	ID        string // "SC-" + 12 hex
	Incident  string
	Requester Party
	Basis     Basis
	By        string // grant or rule id
	Format    string // json or markdown
	Content   []byte // emptied when withdrawn
	SHA256    string
	CreatedAt time.Time
	Withdrawn *Step
}
