package access

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Session lifetimes: a session ends after IdleTimeout without use, and in
// any case MaxSessionAge after sign-in.
const (
	IdleTimeout   = 12 * time.Hour
	MaxSessionAge = 7 * 24 * time.Hour
	// touchEvery limits writes: a session's last use is stored at most this often.
	touchEvery = time.Minute
)

// Service manages accounts, sign-ins and tokens.
type Service struct {
	store Store
	now   func() time.Time
	cost  int
	dummy []byte // a hash to compare against when the user does not exist
}

// NewService returns a Service. cost is the bcrypt cost (bcrypt.DefaultCost
// or more in production; bcrypt.MinCost in tests).
func NewService(st Store, now func() time.Time, cost int) *Service {
	dummy, _ := bcrypt.GenerateFromPassword([]byte("tocsin-dummy-password"), cost)
	return &Service{store: st, now: now, cost: cost, dummy: dummy}
}

var (
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
	// slackIDRE is a Slack user id: U… in a workspace, W… across an
	// Enterprise Grid.
	slackIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,31}$`)
)

// ValidSlackID reports whether id looks like a Slack user id (U… or W…).
func ValidSlackID(id string) bool { return slackIDRE.MatchString(id) }

// NewUser is an account to create.
type NewUser struct {
	Username string
	Name     string
	Email    string
	SlackID  string // optional: the Slack user id to link
	Password string
	Roles    []Role
	Lang     string
	// Organization and Department are who the person works for (optional;
	// attribute rules for sharing match them).
	Organization string
	Department   string
}

// MinPassword is the shortest password accepted.
const MinPassword = 10

// CreateUser adds an account. Every account is a reporter as well.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	nu.Username = strings.ToLower(strings.TrimSpace(nu.Username))
	switch {
	case !usernameRE.MatchString(nu.Username):
		return nil, fmt.Errorf("username %q: use 2-64 lower-case letters, digits, dots, dashes or underscores: %w", nu.Username, ErrInvalid)
	case utf8.RuneCountInString(nu.Password) < MinPassword:
		return nil, fmt.Errorf("password must be at least %d characters: %w", MinPassword, ErrInvalid)
	case len(nu.Password) > 72:
		return nil, fmt.Errorf("password must be at most 72 bytes: %w", ErrInvalid)
	}
	nu.SlackID = strings.TrimSpace(nu.SlackID)
	nu.Organization = strings.TrimSpace(nu.Organization)
	nu.Department = strings.TrimSpace(nu.Department)
	if err := checkAttribute("organization", nu.Organization); err != nil {
		return nil, err
	}
	if err := checkAttribute("department", nu.Department); err != nil {
		return nil, err
	}
	if nu.SlackID != "" && !ValidSlackID(nu.SlackID) {
		return nil, fmt.Errorf("slack id %q: want a Slack user id such as U024BE7LH (profile → ⋮ → Copy member ID): %w", nu.SlackID, ErrInvalid)
	}
	roles := []Role{Reporter}
	for _, r := range nu.Roles {
		if !r.Valid() {
			return nil, fmt.Errorf("role %q: %w", r, ErrInvalid)
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(nu.Password), s.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if nu.Name == "" {
		nu.Name = nu.Username
	}
	if nu.Lang != "zh" && nu.Lang != "en" {
		nu.Lang = "" // follow the browser
	}
	u := &User{Username: nu.Username, Name: strings.TrimSpace(nu.Name), Email: strings.TrimSpace(nu.Email),
		SlackID: nu.SlackID, Roles: roles, Lang: nu.Lang, Organization: nu.Organization, Department: nu.Department,
		PasswordHash: string(hash), CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("create user %s: %w", u.Username, err)
	}
	return u, nil
}

// ErrInvalid marks account input that breaks a rule.
var ErrInvalid = errors.New("invalid account")

// Login checks a username and password given from address addr. It spends
// the same time whether or not the user exists, and says only ErrBadLogin
// on failure. Failures are counted per username and per address (existing
// or not, so a lock says nothing about who has an account); past the
// limits of UserLockout and AddrLockout the sign-in is refused with a
// *LockedError without looking at the password, until the lock ends.
func (s *Service) Login(ctx context.Context, username, password, addr string) (*User, error) {
	name := strings.ToLower(strings.TrimSpace(username))
	now := s.now().UTC()
	type limit struct {
		key    string
		policy LockoutPolicy
	}
	limits := []limit{{ThrottleKeyUser(name), UserLockout}}
	if addr != "" {
		limits = append(limits, limit{ThrottleKeyAddr(addr), AddrLockout})
	}
	var wait time.Duration
	for _, l := range limits {
		t, err := s.store.Throttle(ctx, l.key)
		if err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
		if d, locked := t.Locked(now); locked {
			wait = max(wait, d)
		}
	}
	if wait > 0 {
		return nil, &LockedError{RetryAfter: wait}
	}
	u, err := s.check(ctx, name, password)
	if errors.Is(err, ErrBadLogin) {
		for _, l := range limits {
			lock, ferr := s.throttle(ctx, l.key, func(t Throttle) (Throttle, time.Duration, bool) {
				next, lock := t.Fail(now, l.policy)
				return next, lock, true
			}, l.policy)
			if ferr != nil {
				return nil, fmt.Errorf("sign in: %w", ferr)
			}
			wait = max(wait, lock)
		}
		if wait > 0 {
			return nil, &LockedError{RetryAfter: wait}
		}
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	// The username's count starts again; the address keeps its own, or one
	// good account would let an address try others without end.
	if _, err := s.throttle(ctx, limits[0].key, func(t Throttle) (Throttle, time.Duration, bool) {
		return t.Succeed(), 0, t.Version != 0 // nothing stored: nothing to forget
	}, UserLockout); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return u, nil
}

// check compares password with username's, or with a dummy hash when
// there is no such user, so both take the time of one bcrypt comparison.
func (s *Service) check(ctx context.Context, name, password string) (*User, error) {
	u, err := s.store.UserByUsername(ctx, name)
	if errors.Is(err, ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(password))
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return nil, ErrBadLogin
	}
	return u, nil
}

// throttle applies change to the throttle of key and, when change says
// so, stores the result, trying again on a concurrent change. It returns
// the lock change reports (0: none).
func (s *Service) throttle(ctx context.Context, key string, change func(Throttle) (next Throttle, lock time.Duration, write bool), p LockoutPolicy) (time.Duration, error) {
	for range 8 {
		t, err := s.store.Throttle(ctx, key)
		if err != nil {
			return 0, err
		}
		next, lock, write := change(t)
		if !write {
			return lock, nil
		}
		err = s.store.SaveThrottle(ctx, next, next.Expires(p))
		if errors.Is(err, ErrConflict) {
			continue
		}
		return lock, err
	}
	return 0, fmt.Errorf("throttle %s: %w", key, ErrConflict)
}

// PurgeExpired deletes, as of now, the sessions that have ended (idle for
// IdleTimeout or older than MaxSessionAge) and the failed sign-in records
// that no longer matter. A daily job runs it.
func PurgeExpired(ctx context.Context, st Store, now time.Time) (sessions, throttles int64, err error) {
	sessions, err = st.PurgeSessions(ctx, now.Add(-IdleTimeout), now.Add(-MaxSessionAge))
	if err != nil {
		return 0, 0, fmt.Errorf("purge sessions: %w", err)
	}
	throttles, err = st.PurgeThrottles(ctx, now)
	if err != nil {
		return sessions, 0, fmt.Errorf("purge sign-in throttles: %w", err)
	}
	return sessions, throttles, nil
}

// StartSession signs u in and returns the cookie secret.
func (s *Service) StartSession(ctx context.Context, u *User) (string, *Session, error) {
	secret := NewSecret()
	now := s.now().UTC()
	sess := &Session{Hash: HashSecret(secret), UserID: u.ID, CSRF: NewSecret(), CreatedAt: now, SeenAt: now}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, fmt.Errorf("start session: %w", err)
	}
	return secret, sess, nil
}

// Session resolves a cookie secret to its principal, ending sessions that
// have been idle or alive too long.
func (s *Service) Session(ctx context.Context, secret string) (Principal, *Session, error) {
	if secret == "" {
		return Principal{}, nil, ErrUnauthorized
	}
	hash := HashSecret(secret)
	sess, err := s.store.SessionByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Principal{}, nil, ErrUnauthorized
	}
	if err != nil {
		return Principal{}, nil, err
	}
	now := s.now().UTC()
	if now.Sub(sess.SeenAt) > IdleTimeout || now.Sub(sess.CreatedAt) > MaxSessionAge {
		_ = s.store.DeleteSession(ctx, hash)
		return Principal{}, nil, ErrUnauthorized
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil || u.Disabled {
		return Principal{}, nil, ErrUnauthorized
	}
	if now.Sub(sess.SeenAt) > touchEvery {
		_ = s.store.TouchSession(ctx, hash, now)
	}
	return u.Principal("session"), sess, nil
}

// EndSession signs out.
func (s *Service) EndSession(ctx context.Context, secret string) error {
	return s.store.DeleteSession(ctx, HashSecret(secret))
}

// EnsureAdmin creates the first admin account when there are no accounts
// yet. An empty password is replaced by a random one, returned so that it
// can be shown once.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (created bool, pw string, err error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if password == "" {
		password = NewSecret()[:20]
	}
	_, err = s.CreateUser(ctx, NewUser{Username: "admin", Name: "Administrator", Password: password,
		Roles: []Role{Admin, Manager, Coordinator}})
	if errors.Is(err, ErrExists) { // another instance won the race
		return false, "", nil
	}
	return err == nil, password, err
}

// Users lists every account.
func (s *Service) Users(ctx context.Context) ([]*User, error) { return s.store.ListUsers(ctx) }

// User finds an account by id.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	return s.store.UserByID(ctx, id)
}

// UserByUsername finds an account by its username.
func (s *Service) UserByUsername(ctx context.Context, username string) (*User, error) {
	return s.store.UserByUsername(ctx, strings.ToLower(username))
}

// UserBySlackID finds the account linked to a Slack user id, or returns
// ErrNotFound.
func (s *Service) UserBySlackID(ctx context.Context, slackID string) (*User, error) {
	if !ValidSlackID(slackID) {
		return nil, fmt.Errorf("slack user %q: %w", slackID, ErrNotFound)
	}
	return s.store.UserBySlackID(ctx, slackID)
}

// UserByEmail finds the one account with email (any case), or returns
// ErrNotFound, also when several accounts share it: an address that does
// not name one person must not pick one.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = strings.TrimSpace(email)
	if email == "" || !strings.Contains(email, "@") {
		return nil, fmt.Errorf("e-mail %q: %w", email, ErrNotFound)
	}
	return s.store.UserByEmail(ctx, email)
}

// Tokens lists API tokens (never their secrets).
func (s *Service) Tokens(ctx context.Context) ([]*Token, error) { return s.store.ListTokens(ctx) }

// TokenFailed counts an unknown API token presented from addr with the
// address's failed sign-ins, and returns how long the address is locked
// out (0: it is not). A valid token is never refused by a lock, so that an
// integration keeps working from an address someone else abuses; guessing
// a token's 256 random bits is hopeless anyway, and the count only slows
// scanners down.
func (s *Service) TokenFailed(ctx context.Context, addr string) (time.Duration, error) {
	if addr == "" {
		return 0, nil
	}
	now := s.now().UTC()
	key := ThrottleKeyAddr(addr)
	return s.throttle(ctx, key, func(t Throttle) (Throttle, time.Duration, bool) {
		if d, locked := t.Locked(now); locked {
			return t, d, false // already locked: nothing to count
		}
		next, lock := t.Fail(now, AddrLockout)
		return next, lock, true
	}, AddrLockout)
}
