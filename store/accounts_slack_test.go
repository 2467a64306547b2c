package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestUsersBySlackIDAndEmail: accounts are found by their linked Slack id
// and by e-mail in any case; a Slack id links one account only, any number
// of accounts may have none, and an address two accounts share finds
// neither.
func TestUsersBySlackIDAndEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Accounts()

	li := &access.User{Username: "li.na", Name: "Li Na", Email: "Li.Na@Example.org", SlackID: "U024BE7LH",
		Roles: []access.Role{access.Reporter, access.Responder}, CreatedAt: t0}
	for _, u := range []*access.User{
		li,
		{Username: "plain1", Name: "No Slack 1", Email: "a+b@example.org", CreatedAt: t0},
		{Username: "plain2", Name: "No Slack 2", CreatedAt: t0},
		{Username: "twin1", Email: "shared@example.org", CreatedAt: t0},
		{Username: "twin2", Email: "SHARED@example.org", CreatedAt: t0},
	} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatalf("create %s: %v", u.Username, err)
		}
	}

	got, err := st.UserBySlackID(ctx, "U024BE7LH")
	if err != nil || !reflect.DeepEqual(got, li) {
		t.Errorf("UserBySlackID = %+v, %v; want %+v", got, err, li)
	}
	for _, id := range []string{"U999", ""} {
		if _, err := st.UserBySlackID(ctx, id); !errors.Is(err, access.ErrNotFound) {
			t.Errorf("UserBySlackID(%q) = %v, want ErrNotFound", id, err)
		}
	}
	err = st.CreateUser(ctx, &access.User{Username: "thief", SlackID: "U024BE7LH", CreatedAt: t0})
	if !errors.Is(err, access.ErrExists) || !strings.Contains(err.Error(), "slack id") {
		t.Errorf("a second account with the same Slack id: %v, want ErrExists naming the Slack id", err)
	}

	for _, email := range []string{"li.na@example.org", "LI.NA@EXAMPLE.ORG", "Li.Na@Example.org"} {
		if got, err := st.UserByEmail(ctx, email); err != nil || got.Username != "li.na" {
			t.Errorf("UserByEmail(%q) = %+v, %v; want li.na", email, got, err)
		}
	}
	for name, email := range map[string]string{
		"shared by two":              "shared@example.org",
		"unknown":                    "nobody@example.org",
		"regexp characters are text": "aab@example.org",
		"a prefix is not a match":    "li.na@example.or",
	} {
		if got, err := st.UserByEmail(ctx, email); !errors.Is(err, access.ErrNotFound) {
			t.Errorf("%s: UserByEmail(%q) = %+v, %v; want ErrNotFound", name, email, got, err)
		}
	}
	if got, err := st.UserByEmail(ctx, "a+b@example.org"); err != nil || got.Username != "plain1" {
		t.Errorf("UserByEmail with a plus = %+v, %v", got, err)
	}
}
