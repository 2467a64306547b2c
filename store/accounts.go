package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tocsin-hub/tocsin/access"
)

// Accounts keeps users, browser sessions and API tokens. It implements
// access.Store. Sessions and tokens are keyed by the hash of their secret.
// Nothing expires here: access.Service checks ages when it reads them.
type Accounts struct {
	users    *mongo.Collection
	sessions *mongo.Collection
	tokens   *mongo.Collection
	// throttles keep failed sign-ins (throttles.go).
	throttles *mongo.Collection
	embedded  bool
}

var _ access.Store = (*Accounts)(nil)

// CreateUser adds u with a new id and sets u.ID. It returns access.ErrExists
// when the username is taken or the Slack id linked to another account.
func (a *Accounts) CreateUser(ctx context.Context, u *access.User) error {
	d := userToDoc(u, bson.NewObjectID())
	_, err := a.users.InsertOne(ctx, d)
	if isDuplicate(err) {
		// Say which key is taken: servers word the error differently.
		err = access.ErrExists
		if _, uerr := a.UserByUsername(ctx, u.Username); errors.Is(uerr, access.ErrNotFound) && u.SlackID != "" {
			err = fmt.Errorf("slack id %s is linked to another account: %w", u.SlackID, access.ErrExists)
		}
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Username, err)
	}
	u.ID = d.ID.Hex()
	return nil
}

// UserByID finds a user by id, or returns access.ErrNotFound.
func (a *Accounts) UserByID(ctx context.Context, id string) (*access.User, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, access.ErrNotFound)
	}
	u, err := a.findUser(ctx, bson.D{{Key: "_id", Value: oid}})
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// UserByUsername finds a user by username (stored lower case), or returns
// access.ErrNotFound.
func (a *Accounts) UserByUsername(ctx context.Context, username string) (*access.User, error) {
	u, err := a.findUser(ctx, bson.D{{Key: "username", Value: username}})
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", username, err)
	}
	return u, nil
}

// UserBySlackID finds the user linked to a Slack user id, or returns
// access.ErrNotFound.
func (a *Accounts) UserBySlackID(ctx context.Context, slackID string) (*access.User, error) {
	if slackID == "" {
		return nil, fmt.Errorf("get slack user: %w", access.ErrNotFound)
	}
	u, err := a.findUser(ctx, bson.D{{Key: "slack_id", Value: slackID}})
	if err != nil {
		return nil, fmt.Errorf("get slack user %s: %w", slackID, err)
	}
	return u, nil
}

// UserByEmail finds the one user whose e-mail address is email, whatever
// the case of either, or returns access.ErrNotFound when there is none or
// more than one.
func (a *Accounts) UserByEmail(ctx context.Context, email string) (*access.User, error) {
	if email == "" {
		return nil, fmt.Errorf("get user by e-mail: %w", access.ErrNotFound)
	}
	filter := bson.D{{Key: "email", Value: bson.D{
		{Key: "$regex", Value: "^" + regexp.QuoteMeta(email) + "$"}, {Key: "$options", Value: "i"}}}}
	var docs []userDoc
	cur, err := a.users.Find(ctx, filter, options.Find().SetLimit(2))
	if err == nil {
		err = cur.All(ctx, &docs)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("get user by e-mail: %w", err)
	case len(docs) != 1:
		return nil, fmt.Errorf("get user by e-mail: %d accounts have it: %w", len(docs), access.ErrNotFound)
	}
	return userFromDoc(&docs[0]), nil
}

func (a *Accounts) findUser(ctx context.Context, filter bson.D) (*access.User, error) {
	var d userDoc
	if err := a.users.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, notFound(err)
	}
	return userFromDoc(&d), nil
}

// ListUsers returns every user, by username.
func (a *Accounts) ListUsers(ctx context.Context) ([]*access.User, error) {
	var docs []userDoc
	if err := findAll(ctx, a.users, options.Find().SetSort(bson.D{{Key: "username", Value: 1}}), &docs); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users := make([]*access.User, len(docs))
	for i := range docs {
		users[i] = userFromDoc(&docs[i])
	}
	return users, nil
}

// CountUsers returns the number of users.
func (a *Accounts) CountUsers(ctx context.Context) (int64, error) {
	n, err := a.users.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateSession stores s. A session whose hash exists already gives
// access.ErrExists (secrets are random, so this does not happen).
func (a *Accounts) CreateSession(ctx context.Context, s *access.Session) error {
	_, err := a.sessions.InsertOne(ctx, sessionToDoc(s))
	if isDuplicate(err) {
		err = access.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash finds a session, or returns access.ErrNotFound.
func (a *Accounts) SessionByHash(ctx context.Context, hash string) (*access.Session, error) {
	var d sessionDoc
	if err := a.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d); err != nil {
		return nil, fmt.Errorf("get session: %w", notFound(err))
	}
	return sessionFromDoc(&d), nil
}

// TouchSession records that the session was used at at. It returns
// access.ErrNotFound when the session is gone.
func (a *Accounts) TouchSession(ctx context.Context, hash string, at time.Time) error {
	res, err := a.sessions.UpdateOne(ctx, bson.D{{Key: "_id", Value: hash}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seen_at", Value: at.UTC()}}}})
	if err == nil && res.MatchedCount == 0 {
		err = access.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes a session. Removing one that is gone is not an
// error: signing out twice is fine.
func (a *Accounts) DeleteSession(ctx context.Context, hash string) error {
	if _, err := a.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: hash}}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// CreateToken stores t. A token whose hash exists already gives
// access.ErrExists.
func (a *Accounts) CreateToken(ctx context.Context, t *access.Token) error {
	_, err := a.tokens.InsertOne(ctx, tokenToDoc(t))
	if isDuplicate(err) {
		err = access.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// TokenByHash finds a token, or returns access.ErrNotFound.
func (a *Accounts) TokenByHash(ctx context.Context, hash string) (*access.Token, error) {
	var d tokenDoc
	if err := a.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d); err != nil {
		return nil, fmt.Errorf("get token: %w", notFound(err))
	}
	return tokenFromDoc(&d), nil
}

// ListTokens returns every token, oldest first.
func (a *Accounts) ListTokens(ctx context.Context) ([]*access.Token, error) {
	var docs []tokenDoc
	if err := findAll(ctx, a.tokens, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}), &docs); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	tokens := make([]*access.Token, len(docs))
	for i := range docs {
		tokens[i] = tokenFromDoc(&docs[i])
	}
	return tokens, nil
}

// findAll decodes every document of col into docs.
func findAll(ctx context.Context, col *mongo.Collection, opts *options.FindOptionsBuilder, docs any) error {
	cur, err := col.Find(ctx, bson.D{}, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, docs)
}

// notFound maps mongo.ErrNoDocuments to access.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return access.ErrNotFound
	}
	return err
}
