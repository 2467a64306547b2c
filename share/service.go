package share

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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
}

// A NoticeSubmitted is addressed to nobody (To is empty, the key ends in
// "deciders"): the Notifier finds who may decide it (managers; for an
// application also the owners of all its incidents) and tells each.

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
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{store: st, incidents: incs, masker: m, notifier: n, audit: a, now: now, log: log}
}

// Submit files an application or an emergency request by by. Input is
// checked field by field (*incident.InvalidError, en and zh): purpose,
// 1..MaxIncidents existing incidents, known sections and classes, a period
// starting no earlier than now-1h and within the kind's limit, a rate
// within MaxRate. The deciders are notified.
func (s *Service) Submit(ctx context.Context, r Request, by Party) (*Grant, error) {
	now := s.now()
	r, err := s.checkRequest(ctx, r, now)
	if err != nil {
		return nil, err
	}
	g := NewGrant(newGrantID(), r, by, now)
	if err := s.store.InsertGrant(ctx, g); err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	s.grantChanged(ctx, nil, g)
	return g, nil
}

// checkRequest validates r and resolves its incidents to their numbers
// (unknown ones are a field error on "incidents").
func (s *Service) checkRequest(ctx context.Context, r Request, now time.Time) (Request, error) {
	if err := ValidateRequest(r, now); err != nil {
		return r, err
	}
	numbers := make([]string, 0, len(r.Incidents))
	var unknown []string
	for _, n := range uniq(r.Incidents) {
		n = strings.TrimSpace(n)
		inc, err := s.incidents.Get(ctx, n)
		switch {
		case errors.Is(err, incident.ErrNotFound):
			unknown = append(unknown, n)
			continue
		case err != nil:
			return r, fmt.Errorf("incident %s: %w", n, err)
		}
		numbers = append(numbers, inc.Number)
	}
	if len(unknown) > 0 {
		list := strings.Join(unknown, ", ")
		return r, invalid("incidents", "no incident "+list, "没有这些事件："+list)
	}
	r.Incidents = uniq(numbers)
	return r, nil
}

// Resubmit corrects a returned request (by its requester) and puts it
// back to pending.
func (s *Service) Resubmit(ctx context.Context, id string, version int64, r Request, by Party) (*Grant, error) {
	return s.change(ctx, id, version, func(g *Grant, now time.Time) (*Grant, error) {
		r.Kind = g.Kind
		if by.UserID != g.Requester.UserID {
			return nil, ErrForbidden
		}
		if g.Status != Returned {
			return nil, refusal(ActResubmit, g.Status)
		}
		r, err := s.checkRequest(ctx, r, now)
		if err != nil {
			return nil, err
		}
		return Resubmit(g, r, by, now)
	})
}

// Decide approves, rejects or returns a pending request. The decider
// becomes the grant's owner on approval. A requester cannot decide their
// own request (ErrForbidden).
func (s *Service) Decide(ctx context.Context, id string, version int64, d Decision, by Party) (*Grant, error) {
	return s.change(ctx, id, version, func(g *Grant, now time.Time) (*Grant, error) {
		switch d.Action {
		case ActApprove:
			return Approve(g, d.Until, d.Comment, by, now)
		case ActReject, ActReturn:
			return Apply(g, d.Action, by, d.Comment, now)
		}
		return nil, invalid("action", "must be approve, reject or return", "必须为 approve（批准）、reject（拒绝）或 return（退回）")
	})
}

// Withdraw ends a pending or returned request (its requester).
func (s *Service) Withdraw(ctx context.Context, id string, version int64, by Party) (*Grant, error) {
	return s.change(ctx, id, version, func(g *Grant, now time.Time) (*Grant, error) {
		return Apply(g, ActWithdraw, by, "", now)
	})
}

// Revoke ends an active or suspended grant at once, with a reason.
func (s *Service) Revoke(ctx context.Context, id string, version int64, reason string, by Party) (*Grant, error) {
	return s.change(ctx, id, version, func(g *Grant, now time.Time) (*Grant, error) {
		return Apply(g, ActRevoke, by, reason, now)
	})
}

// Reinstate makes a suspended grant active again (before its Until).
func (s *Service) Reinstate(ctx context.Context, id string, version int64, comment string, by Party) (*Grant, error) {
	return s.change(ctx, id, version, func(g *Grant, now time.Time) (*Grant, error) {
		return Apply(g, ActReinstate, by, comment, now)
	})
}

// change applies fn to grant id as of version (ErrConflict when it has
// moved on), stores the result, and records and announces it.
func (s *Service) change(ctx context.Context, id string, version int64, fn func(*Grant, time.Time) (*Grant, error)) (*Grant, error) {
	g, err := s.store.Grant(ctx, id)
	if err != nil {
		return nil, err
	}
	if g.Version != version {
		return nil, ErrConflict
	}
	next, err := fn(g, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateGrant(ctx, next); err != nil {
		return nil, err
	}
	s.grantChanged(ctx, g, next)
	return next, nil
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
	if err := ValidateRule(r); err != nil {
		return nil, err
	}
	now := s.now()
	var before Rule
	if r.ID == "" {
		r.ID, r.Version, r.CreatedBy, r.CreatedAt, r.UpdatedAt = newRuleID(), 1, by, now, now
		if err := s.store.InsertRule(ctx, &r); err != nil {
			return nil, fmt.Errorf("save rule: %w", err)
		}
	} else {
		old, err := s.store.Rule(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if old.Version != r.Version {
			return nil, ErrConflict
		}
		before = *old
		r.Version++
		r.CreatedBy, r.CreatedAt, r.UpdatedAt = old.CreatedBy, old.CreatedAt, now
		if err := s.store.UpdateRule(ctx, &r); err != nil {
			return nil, err
		}
	}
	s.record(ctx, audit.Record{Action: "share.rule.save", Target: audit.Target{Kind: "rule", ID: r.ID},
		Changes: ruleChanges(before, r), Note: r.Name}, by)
	return &r, nil
}

// Rules lists the attribute rules.
func (s *Service) Rules(ctx context.Context) ([]*Rule, error) { return s.store.ListRules(ctx) }

// Open decides whether req may see incident number (emergency grants,
// then rules, then applications), logs the access either way, watches the
// grant's use (suspending it and alerting its owner on abnormal use) and
// returns the desensitized view. An unknown incident is refused like one
// not shared (ErrDenied), so probing learns nothing.
func (s *Service) Open(ctx context.Context, req Requester, number string) (View, Verdict, error) {
	inc, v, err := s.admit(ctx, req, number, AccessView)
	if err != nil {
		return View{}, v, err
	}
	return BuildView(inc, v, s.masker), v, nil
}

// Copy formats.
const (
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// TakeCopy stores a desensitized snapshot of the view (format json or
// markdown, in req.Lang) when the deciding grant or rule allows copies,
// and logs it.
func (s *Service) TakeCopy(ctx context.Context, req Requester, number, format string) (*Copy, error) {
	if format != FormatJSON && format != FormatMarkdown {
		return nil, invalid("format", "must be json or markdown", "必须为 json 或 markdown")
	}
	inc, v, err := s.admit(ctx, req, number, AccessCopy)
	if err != nil {
		return nil, err
	}
	view := BuildView(inc, v, s.masker)
	var content []byte
	if format == FormatJSON {
		if content, err = json.Marshal(view); err != nil {
			return nil, fmt.Errorf("copy %s: %w", inc.Number, err)
		}
	} else {
		lang := "en"
		if req.Lang == "zh" {
			lang = "zh"
		}
		content = view.Markdown(lang)
	}
	sum := sha256.Sum256(content)
	c := &Copy{ID: newCopyID(), Incident: inc.Number, Requester: req.Party, Basis: v.Basis, By: v.By, Format: format,
		Content: content, SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.now()}
	if err := s.store.InsertCopy(ctx, c); err != nil {
		return nil, fmt.Errorf("copy %s: %w", inc.Number, err)
	}
	return c, nil
}

// Copy returns a copy with its content to its requester while what it
// was taken under still admits them; logged. Withdrawn copies are gone
// (ErrNotFound), and so are other people's.
func (s *Service) Copy(ctx context.Context, req Requester, id string) (*Copy, error) {
	c, err := s.store.Copy(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Withdrawn != nil || c.Requester.UserID != req.UserID || req.UserID == "" {
		return nil, ErrNotFound
	}
	if _, _, err := s.admit(ctx, req, c.Incident, AccessDownload); err != nil {
		return nil, err
	}
	return c, nil
}

// Copies lists copies (without content).
func (s *Service) Copies(ctx context.Context, f CopyFilter) ([]Copy, error) {
	return s.store.Copies(ctx, f)
}

// WithdrawCopy deletes a copy's content and records who withdrew it.
// Withdrawing a withdrawn copy does nothing.
func (s *Service) WithdrawCopy(ctx context.Context, id string, by Party) error {
	c, err := s.store.Copy(ctx, id)
	if err != nil {
		return err
	}
	if c.Withdrawn != nil {
		return nil
	}
	if err := s.store.WithdrawCopy(ctx, id, Step{At: s.now(), By: by, Action: ActWithdraw}); err != nil {
		return fmt.Errorf("withdraw copy %s: %w", id, err)
	}
	s.record(ctx, audit.Record{Action: "share.copy.withdraw", Target: audit.Target{Kind: "copy", ID: id},
		Note: fmt.Sprintf("%s %s %s", c.Incident, c.Basis, c.By)}, by)
	return nil
}

// Accesses lists the access log.
func (s *Service) Accesses(ctx context.Context, f AccessFilter) ([]Access, error) {
	return s.store.Accesses(ctx, f)
}

// ExpireDue ends the grants whose period is over (the periodic job),
// tells both sides (for emergency grants: further use needs an
// application), withdraws nothing by itself but lists live copies in the
// notice. It returns how many grants it ended; run again, it ends none.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	now := s.now()
	due, err := s.store.DueGrants(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("due grants: %w", err)
	}
	n := 0
	var errs []error
	for _, g := range due {
		ok, err := s.expire(ctx, g, now)
		if err != nil {
			s.log.Error("expire grant", "grant", g.ID, "err", err)
			errs = append(errs, fmt.Errorf("expire %s: %w", g.ID, err))
		}
		if ok {
			n++
		}
	}
	// The rate and scope counts older than the hour they look back on
	// are of no use: forget them after two days.
	if _, err := s.store.PurgeTallies(ctx, now.Add(-48*time.Hour)); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// expire ends g, re-reading it once when someone changed it meanwhile.
func (s *Service) expire(ctx context.Context, g *Grant, now time.Time) (bool, error) {
	for attempt := 1; ; attempt++ {
		next, err := Apply(g, ActExpire, SystemParty, "", now)
		if errors.Is(err, ErrNotAllowed) {
			return false, nil // ended or extended by someone else
		}
		if err != nil {
			return false, err
		}
		err = s.store.UpdateGrant(ctx, next)
		if err == nil {
			s.grantChanged(ctx, g, next)
			return true, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == 2 {
			return false, err
		}
		s.log.Info("grant changed while expiring; retrying", "grant", g.ID, "attempt", attempt)
		if g, err = s.store.Grant(ctx, g.ID); err != nil {
			return false, err
		}
	}
}
