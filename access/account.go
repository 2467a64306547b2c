package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// Sentinel errors.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrBadLogin     = errors.New("unknown user or wrong password")
	ErrUnauthorized = errors.New("authentication required")
	ErrForbidden    = errors.New("not allowed for your role")
	// ErrConflict is returned by a Store when a versioned write lost to a
	// concurrent one.
	ErrConflict = errors.New("changed concurrently")
)

// User is a local account.
type User struct {
	ID       string
	Username string // unique, lower case
	Name     string // display name
	Email    string
	SlackID  string // linked Slack user (U… or W…): what they do in Slack is done as this account
	Roles    []Role
	// Organization and Department are who the person works for: attribute
	// rules for sharing match them (another department, a partner agency).
	Organization string
	Department   string
	Lang         string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// Principal is what the rest of the system knows of a signed-in user.
func (u *User) Principal(via string) Principal {
	return Principal{UserID: u.ID, Username: u.Username, Name: u.Name, Roles: u.Roles, Lang: u.Lang, Via: via,
		Organization: u.Organization, Department: u.Department}
}

// Session is a browser sign-in. The cookie holds a random secret; the store
// keeps only its hash, so a leaked database does not leak live sessions.
type Session struct {
	Hash      string // sha256 of the cookie secret, hex
	UserID    string
	CSRF      string // synchronizer token for forms
	CreatedAt time.Time
	SeenAt    time.Time
}

// Token is an API token for integrations, kept hashed.
type Token struct {
	Hash      string // sha256 of the secret, hex
	Prefix    string // first characters, to recognise a token in lists
	Name      string
	UserID    string
	CreatedAt time.Time
	LastUsed  time.Time
	// System names the integration using the token (attribute rules for
	// sharing match it); Networks, when set, are the CIDR prefixes it may
	// be used from. Grant binds the token to one sharing grant: it then
	// reaches the shared API only, and only under that grant.
	System   string
	Networks []string
	Grant    string
	// Expires ends the token (a grant-bound token ends with its grant);
	// zero: never.
	Expires time.Time
}

// Store keeps accounts, sessions and tokens.
type Store interface {
	CreateUser(ctx context.Context, u *User) error // sets u.ID; ErrExists for a taken username or Slack id
	UserByID(ctx context.Context, id string) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	// UserBySlackID finds the account linked to a Slack user id.
	UserBySlackID(ctx context.Context, slackID string) (*User, error)
	// UserByEmail finds the one account with an e-mail address, compared
	// without regard to case; ErrNotFound when none or several have it.
	UserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	CountUsers(ctx context.Context) (int64, error)

	CreateSession(ctx context.Context, s *Session) error
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	TouchSession(ctx context.Context, hash string, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	// PurgeSessions deletes the sessions last used before seenBefore or
	// started before startedBefore, and returns how many.
	PurgeSessions(ctx context.Context, seenBefore, startedBefore time.Time) (int64, error)

	// Throttle returns the failed sign-ins kept under key, or a Throttle
	// with only its Key (version 0) when there are none.
	Throttle(ctx context.Context, key string) (Throttle, error)
	// SaveThrottle stores t as version t.Version+1 if the stored version
	// is still t.Version (0: none stored), else returns ErrConflict.
	// expires is when it may be purged.
	SaveThrottle(ctx context.Context, t Throttle, expires time.Time) error
	// PurgeThrottles deletes the throttles that expired before before.
	PurgeThrottles(ctx context.Context, before time.Time) (int64, error)

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context) ([]*Token, error)
}

// NewSecret returns a random URL-safe secret of 32 bytes of entropy.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is the stored form of a session or token secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretsEqual compares two secrets in constant time.
func SecretsEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
