package share

import (
	"context"
	"log/slog"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
)

// Incidents finds incidents by number (incident.Service implements it).
type Incidents interface {
	Get(ctx context.Context, ref string) (*incident.Incident, error)
}

// Auditor records changes and sensitive reads (audit.Trail implements it).
type Auditor interface {
	Record(ctx context.Context, r audit.Record)
}

// Notice kinds: what a Notice tells its reader.
const (
	NoticeSubmitted  = "submitted" // to deciders: a request waits for them
	NoticeApproved   = "approved"  // to the requester
	NoticeRejected   = "rejected"  // to the requester
	NoticeReturned   = "returned"  // to the requester: correct and resubmit
	NoticeSuspended  = "suspended" // to the owner (an alert) and the requester
	NoticeReinstated = "reinstated"
	NoticeRevoked    = "revoked"   // to the requester
	NoticeExpired    = "expired"   // to both sides; for an emergency grant it says continued use needs an application
	NoticeRuleRate   = "rule_rate" // to a rule's author: a requester went beyond its rate
)

// Notice is a message about a grant to one person.
type Notice struct {
	Key    string // idempotency key: "share/<grant>/<kind>/<version>/<user id>"
	Kind   string
	Grant  *Grant // nil for NoticeRuleRate
	Rule   *Rule  // for NoticeRuleRate
	To     Party
	Reason string
	// Deciders are told of a submitted request by user id; the Notifier
	// finds them (managers, or the incidents' owners).
}

// Notifier delivers notices (through the outbox, at wiring).
type Notifier interface {
	Notify(ctx context.Context, ns ...Notice) error
}

// Request is what a requester fills in to apply, or to ask for emergency
// access.
type Request struct {
	Kind        Kind
	Purpose     string
	Incidents   []string
	Sections    []Section
	Reveal      []Class
	Copies      bool
	From, Until time.Time
	RatePerHour int
}

// Decision is a decider's answer to a request.
type Decision struct {
	Action  string // ActApprove, ActReject or ActReturn
	Comment string // required to reject or return
	// Until shortens the grant when set (never lengthens it).
	Until *time.Time
}

// Service applies sharing commands, decides accesses and supervises them.
// Who may do what is decided by the caller (access/policy_share.go); the
// Service enforces the rules of the mechanisms and records everything.
type Service struct {
	store     Store
	incidents Incidents
	masker    *Masker
	notifier  Notifier
	audit     Auditor
	now       func() time.Time
	log       *slog.Logger
}

// NewService returns a Service. notifier and auditor may be nil (nothing
// is sent or recorded).
func NewService(st Store, incs Incidents, m *Masker, n Notifier, a Auditor, now func() time.Time, log *slog.Logger) *Service {
	return &Service{store: st, incidents: incs, masker: m, notifier: n, audit: a, now: now, log: log}
}

// Submit files an application or an emergency request by by. Input is
// checked field by field (*incident.InvalidError, en and zh): purpose,
// 1..MaxIncidents existing incidents, known sections and classes, a period
// starting no earlier than now-1h and within the kind's limit, a rate
// within MaxRate. The deciders are notified.
func (s *Service) Submit(ctx context.Context, r Request, by Party) (*Grant, error) {
	panic("not built")
}

// Resubmit corrects a returned request (by its requester) and puts it
// back to pending.
func (s *Service) Resubmit(ctx context.Context, id string, version int64, r Request, by Party) (*Grant, error) {
	panic("not built")
}

// Decide approves, rejects or returns a pending request. The decider
// becomes the grant's owner on approval. A requester cannot decide their
// own request (ErrForbidden).
func (s *Service) Decide(ctx context.Context, id string, version int64, d Decision, by Party) (*Grant, error) {
	panic("not built")
}

// Withdraw ends a pending or returned request (its requester).
func (s *Service) Withdraw(ctx context.Context, id string, version int64, by Party) (*Grant, error) {
	panic("not built")
}

// Revoke ends an active or suspended grant at once, with a reason.
func (s *Service) Revoke(ctx context.Context, id string, version int64, reason string, by Party) (*Grant, error) {
	panic("not built")
}

// Reinstate makes a suspended grant active again (before its Until).
func (s *Service) Reinstate(ctx context.Context, id string, version int64, comment string, by Party) (*Grant, error) {
	panic("not built")
}

// Grant reads one grant.
func (s *Service) Grant(ctx context.Context, id string) (*Grant, error) {
	return s.store.Grant(ctx, id)
}

// Grants lists grants.
func (s *Service) Grants(ctx context.Context, f GrantFilter) ([]*Grant, error) {
	return s.store.ListGrants(ctx, f)
}

// SaveRule creates (ID empty) or changes (versioned) an attribute rule,
// checked field by field.
func (s *Service) SaveRule(ctx context.Context, r Rule, by Party) (*Rule, error) {
	panic("not built")
}

// Rules lists the attribute rules.
func (s *Service) Rules(ctx context.Context) ([]*Rule, error) { return s.store.ListRules(ctx) }

// Open decides whether req may see incident number (emergency grants,
// then rules, then applications), logs the access either way, watches the
// grant's use (suspending it and alerting its owner on abnormal use) and
// returns the desensitized view. An unknown incident is refused like one
// not shared (ErrDenied), so probing learns nothing.
func (s *Service) Open(ctx context.Context, req Requester, number string) (View, Verdict, error) {
	panic("not built")
}

// TakeCopy stores a desensitized snapshot of the view (format json or
// markdown) when the deciding grant or rule allows copies, and logs it.
func (s *Service) TakeCopy(ctx context.Context, req Requester, number, format string) (*Copy, error) {
	panic("not built")
}

// Copy returns a copy with its content to its requester while what it
// was taken under still admits them; logged. Withdrawn copies are gone
// (ErrNotFound).
func (s *Service) Copy(ctx context.Context, req Requester, id string) (*Copy, error) {
	panic("not built")
}

// Copies lists copies (without content).
func (s *Service) Copies(ctx context.Context, f CopyFilter) ([]Copy, error) {
	return s.store.Copies(ctx, f)
}

// WithdrawCopy deletes a copy's content and records who withdrew it.
func (s *Service) WithdrawCopy(ctx context.Context, id string, by Party) error {
	panic("not built")
}

// Accesses lists the access log.
func (s *Service) Accesses(ctx context.Context, f AccessFilter) ([]Access, error) {
	return s.store.Accesses(ctx, f)
}

// ExpireDue ends the grants whose period is over (the periodic job),
// tells both sides (for emergency grants: further use needs an
// application), withdraws nothing by itself but lists live copies in the
// notice. It returns how many grants it ended.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	panic("not built")
}
