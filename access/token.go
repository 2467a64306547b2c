package access

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/share"
)

// TokenPrefix starts every API token, so leaked tokens are easy to scan for.
const TokenPrefix = "tcs_"

// Limits on a token's scope.
const (
	// MaxAttribute is the longest organization, department or system name
	// (characters).
	MaxAttribute = 200
	// MaxNetworks is how many CIDR prefixes one token may name.
	MaxNetworks = 32
)

// grantIDRE is a sharing grant's id (share.Grant.ID).
var grantIDRE = regexp.MustCompile(`^SG-[0-9a-f]{12}$`)

// TokenSpec is an API token to issue.
type TokenSpec struct {
	Name string // what the token is for (required)
	// System names the integration using the token; attribute rules for
	// sharing match it.
	System string
	// Networks are CIDR prefixes (203.0.113.0/24, 2001:db8::/32) the token
	// may be used from; none: anywhere.
	Networks []string
	// Grant binds the token to one sharing grant: it then reaches the
	// shared API only, and only under that grant.
	Grant string
	// Expires ends the token; zero: never. It must be in the future.
	Expires time.Time
}

// CreateToken issues an API token acting as u, unscoped. The secret is
// returned once and never stored.
func (s *Service) CreateToken(ctx context.Context, u *User, name string) (string, *Token, error) {
	return s.CreateScopedToken(ctx, u, TokenSpec{Name: name})
}

// CreateScopedToken issues an API token acting as u within spec: a system
// name, the networks it may be used from, a grant it is bound to and an
// end. The secret is returned once and never stored. Bad input is
// ErrInvalid with a message naming the field.
func (s *Service) CreateScopedToken(ctx context.Context, u *User, spec TokenSpec) (string, *Token, error) {
	now := s.now().UTC()
	name := strings.TrimSpace(spec.Name)
	system := strings.TrimSpace(spec.System)
	grant := strings.TrimSpace(spec.Grant)
	switch {
	case name == "":
		return "", nil, fmt.Errorf("token name is required: %w", ErrInvalid)
	case utf8.RuneCountInString(name) > 100:
		return "", nil, fmt.Errorf("token name must be at most 100 characters: %w", ErrInvalid)
	case grant != "" && !grantIDRE.MatchString(grant):
		return "", nil, fmt.Errorf("grant %q: want a sharing grant id such as SG-0123456789ab: %w", grant, ErrInvalid)
	case !spec.Expires.IsZero() && !spec.Expires.After(now):
		return "", nil, fmt.Errorf("expiry %s is not in the future: %w", spec.Expires.UTC().Format(time.RFC3339), ErrInvalid)
	}
	if err := checkAttribute("system", system); err != nil {
		return "", nil, err
	}
	networks, err := ParseNetworks(spec.Networks)
	if err != nil {
		return "", nil, err
	}
	secret := TokenPrefix + NewSecret()
	t := &Token{Hash: HashSecret(secret), Prefix: secret[:len(TokenPrefix)+6], Name: name,
		UserID: u.ID, CreatedAt: now, System: system, Networks: networks, Grant: grant}
	if !spec.Expires.IsZero() {
		t.Expires = spec.Expires.UTC()
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

// Token resolves an API token to the principal of its owner, with the
// token's system, networks and grant. An unknown or expired token, or one
// whose owner is disabled, is ErrUnauthorized. Whether the caller's
// address is within the token's networks is for the caller to check
// (Principal.FromAllowed).
func (s *Service) Token(ctx context.Context, secret string) (Principal, error) {
	t, err := s.store.TokenByHash(ctx, HashSecret(secret))
	if errors.Is(err, ErrNotFound) {
		return Principal{}, ErrUnauthorized
	}
	if err != nil {
		return Principal{}, err
	}
	if !t.Expires.IsZero() && !s.now().Before(t.Expires) {
		return Principal{}, ErrUnauthorized
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if err != nil || u.Disabled {
		return Principal{}, ErrUnauthorized
	}
	p := u.Principal("token")
	p.System, p.Networks, p.Grant = t.System, t.Networks, t.Grant
	return p, nil
}

// ParseNetworks checks CIDR prefixes and returns them in canonical form
// (host bits cleared), without duplicates; ErrInvalid names a bad one.
func ParseNetworks(in []string) ([]string, error) {
	var out []string
	for _, n := range in {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("network %q: want a CIDR prefix such as 203.0.113.0/24 or 2001:db8::/32: %w", n, ErrInvalid)
		}
		c := p.Masked().String()
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) > MaxNetworks {
		return nil, fmt.Errorf("networks: at most %d prefixes, got %d: %w", MaxNetworks, len(out), ErrInvalid)
	}
	return out, nil
}

// FromAllowed reports whether p may call from addr (an IP address): always
// when its token names no networks, else only from within one of them.
// An address that does not parse is outside every network.
func (p Principal) FromAllowed(addr string) bool {
	if len(p.Networks) == 0 {
		return true
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, n := range p.Networks {
		if pr, err := netip.ParsePrefix(n); err == nil && pr.Contains(ip) {
			return true
		}
	}
	return false
}

// checkAttribute checks an organization, department or system name: at
// most MaxAttribute characters, no control characters.
func checkAttribute(field, v string) error {
	if utf8.RuneCountInString(v) > MaxAttribute {
		return fmt.Errorf("%s must be at most %d characters: %w", field, MaxAttribute, ErrInvalid)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%s must not contain control characters: %w", field, ErrInvalid)
	}
	return nil
}

// BindToGrant checks spec for a token bound to grant g acting as u, and
// returns it bound: g must be active and given to u, and the token ends
// with g (Expires is g.Until, or earlier when spec says so). A token
// bound to a grant then reaches the shared API only, under g only.
func BindToGrant(spec TokenSpec, g *share.Grant, u *User, now time.Time) (TokenSpec, error) {
	switch {
	case g.Status != share.Active || !now.Before(g.Until):
		return spec, fmt.Errorf("grant %s is %s: a token can be bound only to an active grant: %w", g.ID, g.Status, ErrInvalid)
	case g.Requester.UserID != u.ID:
		return spec, fmt.Errorf("grant %s was given to %s: a token bound to it must act as them, not %s: %w",
			g.ID, g.Requester.Username, u.Username, ErrInvalid)
	}
	spec.Grant = g.ID
	if spec.Expires.IsZero() || spec.Expires.After(g.Until) {
		spec.Expires = g.Until
	}
	return spec, nil
}

// AuditRecord is the audit trail's record of issuing t, acting as the
// account actsAs: its name and whatever limits it (system, networks,
// expiry, grant). Never the secret.
func (t *Token) AuditRecord(actsAs string) audit.Record {
	changes := []audit.Change{{Field: "name", After: t.Name}, {Field: "acts_as", After: actsAs}}
	if t.System != "" {
		changes = append(changes, audit.Change{Field: "system", After: t.System})
	}
	if len(t.Networks) > 0 {
		changes = append(changes, audit.Change{Field: "networks", After: strings.Join(t.Networks, ", ")})
	}
	if !t.Expires.IsZero() {
		changes = append(changes, audit.Change{Field: "expires", After: t.Expires.UTC().Format(time.RFC3339)})
	}
	if t.Grant != "" {
		changes = append(changes, audit.Change{Field: "grant", After: t.Grant})
	}
	return audit.Record{Action: audit.ActionTokenCreate, Target: audit.Target{Kind: "token", ID: t.Prefix}, Changes: changes}
}
