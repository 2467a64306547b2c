package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Accounts()

	if n, err := st.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers on an empty store = %d, %v", n, err)
	}
	zoe := &access.User{Username: "zoe", Name: "Zoë", Email: "zoe@example.org",
		Roles: []access.Role{access.Reporter, access.Manager}, Lang: "zh", Organization: "Provincial CERT", Department: "Analysis",
		PasswordHash: "$2a$hash", CreatedAt: t0}
	if err := st.CreateUser(ctx, zoe); err != nil {
		t.Fatal(err)
	}
	if len(zoe.ID) != 24 {
		t.Fatalf("CreateUser set ID %q", zoe.ID)
	}
	adam := &access.User{Username: "adam", Name: "Adam", Roles: []access.Role{access.Reporter}, Disabled: true, CreatedAt: t0}
	if err := st.CreateUser(ctx, adam); err != nil {
		t.Fatal(err)
	}

	for name, get := range map[string]func() (*access.User, error){
		"by id":       func() (*access.User, error) { return st.UserByID(ctx, zoe.ID) },
		"by username": func() (*access.User, error) { return st.UserByUsername(ctx, "zoe") },
	} {
		got, err := get()
		if err != nil || !reflect.DeepEqual(got, zoe) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, zoe)
		}
	}
	for _, id := range []string{"0123456789abcdef01234567", "bad-id"} {
		if _, err := st.UserByID(ctx, id); !errors.Is(err, access.ErrNotFound) {
			t.Errorf("UserByID(%s) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := st.UserByUsername(ctx, "nobody"); !errors.Is(err, access.ErrNotFound) {
		t.Errorf("UserByUsername(nobody) = %v, want ErrNotFound", err)
	}

	dup := &access.User{Username: "zoe", Name: "Other Zoë", CreatedAt: t0}
	if err := st.CreateUser(ctx, dup); !errors.Is(err, access.ErrExists) {
		t.Errorf("CreateUser with a taken username = %v, want ErrExists", err)
	}

	users, err := st.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Username != "adam" || users[1].Username != "zoe" || !users[0].Disabled {
		t.Errorf("ListUsers = %+v, %v; want adam (disabled), zoe", users, err)
	}
	if n, err := st.CountUsers(ctx); err != nil || n != 2 {
		t.Errorf("CountUsers = %d, %v; want 2", n, err)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Accounts()

	s := &access.Session{Hash: access.HashSecret("secret"), UserID: "u1", CSRF: "csrf", CreatedAt: t0, SeenAt: t0}
	if err := st.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, s); !errors.Is(err, access.ErrExists) {
		t.Errorf("CreateSession twice = %v, want ErrExists", err)
	}
	got, err := st.SessionByHash(ctx, s.Hash)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("SessionByHash = %+v, %v; want %+v", got, err, s)
	}
	if err := st.TouchSession(ctx, s.Hash, at(30)); err != nil {
		t.Fatal(err)
	}
	if got, err := st.SessionByHash(ctx, s.Hash); err != nil || !got.SeenAt.Equal(at(30)) || !got.CreatedAt.Equal(t0) {
		t.Errorf("after TouchSession: %+v, %v; want seen at %v", got, err, at(30))
	}
	if err := st.TouchSession(ctx, "gone", at(30)); !errors.Is(err, access.ErrNotFound) {
		t.Errorf("TouchSession of a missing session = %v, want ErrNotFound", err)
	}
	if err := st.DeleteSession(ctx, s.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByHash(ctx, s.Hash); !errors.Is(err, access.ErrNotFound) {
		t.Errorf("SessionByHash after delete = %v, want ErrNotFound", err)
	}
	if err := st.DeleteSession(ctx, s.Hash); err != nil {
		t.Errorf("deleting a deleted session = %v, want nil", err)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Accounts()

	if list, err := st.ListTokens(ctx); err != nil || len(list) != 0 {
		t.Fatalf("ListTokens on an empty store = %v, %v", list, err)
	}
	first := &access.Token{Hash: access.HashSecret("t1"), Prefix: "tcs_abcdef", Name: "siem", UserID: "u1", CreatedAt: t0}
	second := &access.Token{Hash: access.HashSecret("t2"), Prefix: "tcs_ghijkl", Name: "edr", UserID: "u2",
		CreatedAt: at(1), LastUsed: at(2)}
	for _, tok := range []*access.Token{second, first} {
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateToken(ctx, first); !errors.Is(err, access.ErrExists) {
		t.Errorf("CreateToken twice = %v, want ErrExists", err)
	}
	got, err := st.TokenByHash(ctx, first.Hash)
	if err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("TokenByHash = %+v, %v; want %+v", got, err, first)
	}
	if _, err := st.TokenByHash(ctx, "gone"); !errors.Is(err, access.ErrNotFound) {
		t.Errorf("TokenByHash of a missing token = %v, want ErrNotFound", err)
	}
	list, err := st.ListTokens(ctx)
	if err != nil || !reflect.DeepEqual(list, []*access.Token{first, second}) {
		t.Errorf("ListTokens = %+v, %v; want oldest first", list, err)
	}
}
