package store

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tocsin-hub/tocsin/access"
)

// userDoc is an account as stored in users.
type userDoc struct {
	ID           bson.ObjectID `bson:"_id"`
	Username     string        `bson:"username"`
	Name         string        `bson:"name"`
	Email        string        `bson:"email,omitempty"`
	SlackID      string        `bson:"slack_id,omitempty"` // absent when unlinked: the unique index ignores it then
	Roles        []string      `bson:"roles"`
	Lang         string        `bson:"lang,omitempty"`
	Organization string        `bson:"organization,omitempty"`
	Department   string        `bson:"department,omitempty"`
	PasswordHash string        `bson:"password_hash"`
	Disabled     bool          `bson:"disabled"`
	CreatedAt    time.Time     `bson:"created_at"`
}

// sessionDoc is a browser session as stored in sessions, keyed by the hash
// of its secret.
type sessionDoc struct {
	Hash      string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	CSRF      string    `bson:"csrf"`
	CreatedAt time.Time `bson:"created_at"`
	SeenAt    time.Time `bson:"seen_at"`
}

// tokenDoc is an API token as stored in tokens, keyed by the hash of its
// secret.
type tokenDoc struct {
	Hash      string    `bson:"_id"`
	Prefix    string    `bson:"prefix"`
	Name      string    `bson:"name"`
	UserID    string    `bson:"user_id"`
	CreatedAt time.Time `bson:"created_at"`
	LastUsed  time.Time `bson:"last_used,omitempty"`
}

func userToDoc(u *access.User, id bson.ObjectID) *userDoc {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	return &userDoc{ID: id, Username: u.Username, Name: u.Name, Email: u.Email, SlackID: u.SlackID, Roles: roles, Lang: u.Lang,
		Organization: u.Organization, Department: u.Department,
		PasswordHash: u.PasswordHash, Disabled: u.Disabled, CreatedAt: u.CreatedAt.UTC()}
}

func userFromDoc(d *userDoc) *access.User {
	var roles []access.Role
	for _, r := range d.Roles {
		roles = append(roles, access.Role(r))
	}
	return &access.User{ID: d.ID.Hex(), Username: d.Username, Name: d.Name, Email: d.Email, SlackID: d.SlackID, Roles: roles,
		Lang: d.Lang, Organization: d.Organization, Department: d.Department,
		PasswordHash: d.PasswordHash, Disabled: d.Disabled, CreatedAt: d.CreatedAt.UTC()}
}

func sessionToDoc(s *access.Session) *sessionDoc {
	return &sessionDoc{Hash: s.Hash, UserID: s.UserID, CSRF: s.CSRF, CreatedAt: s.CreatedAt.UTC(), SeenAt: s.SeenAt.UTC()}
}

func sessionFromDoc(d *sessionDoc) *access.Session {
	return &access.Session{Hash: d.Hash, UserID: d.UserID, CSRF: d.CSRF, CreatedAt: d.CreatedAt.UTC(), SeenAt: d.SeenAt.UTC()}
}

func tokenToDoc(t *access.Token) *tokenDoc {
	return &tokenDoc{Hash: t.Hash, Prefix: t.Prefix, Name: t.Name, UserID: t.UserID,
		CreatedAt: t.CreatedAt.UTC(), LastUsed: t.LastUsed.UTC()}
}

func tokenFromDoc(d *tokenDoc) *access.Token {
	t := &access.Token{Hash: d.Hash, Prefix: d.Prefix, Name: d.Name, UserID: d.UserID, CreatedAt: d.CreatedAt.UTC()}
	if !d.LastUsed.IsZero() {
		t.LastUsed = d.LastUsed.UTC()
	}
	return t
}
