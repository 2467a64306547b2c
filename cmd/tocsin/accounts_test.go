package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

// TestScopedAccountsCLI: "user add --org --dept" and "token create
// --system --network --expires" store what sharing rules match; a bad
// network is refused with its value and nothing is stored.
func TestScopedAccountsCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := envMap("TOCSIN_DATA_DIR", dir, "TOCSIN_LOG_LEVEL", "error", "TOCSIN_NEW_PASSWORD", "a-long-password-1")
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"user", "add", "--username", "liaison", "--org", "Provincial CERT", "--dept", "协调处"}, env,
		strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("user add: %v\n%s", err, stderr.String())
	}
	err := run(ctx, []string{"token", "create", "--username", "liaison", "--name", "soc", "--network", "10.0.0.0/33"}, env,
		strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `network "10.0.0.0/33"`) {
		t.Fatalf("a bad network: %v", err)
	}
	stdout.Reset()
	before := time.Now()
	if err := run(ctx, []string{"token", "create", "--username", "liaison", "--name", "soc", "--system", "soc-platform",
		"--network", "203.0.113.9/24,2001:db8::/32", "--network", "198.51.100.0/24", "--expires", "720h"}, env,
		strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("token create: %v\n%s", err, stderr.String())
	}
	secret := strings.TrimSpace(stdout.String())

	cfg, err := readConfig(t, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	db, release, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	tokens, err := acc.Tokens(ctx)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens: %v, %v; want the one good token", tokens, err)
	}
	tok := tokens[0]
	wantNets := []string{"203.0.113.0/24", "2001:db8::/32", "198.51.100.0/24"}
	if tok.System != "soc-platform" || !reflect.DeepEqual(tok.Networks, wantNets) ||
		tok.Expires.Before(before.Add(719*time.Hour)) || tok.Expires.After(time.Now().Add(721*time.Hour)) {
		t.Fatalf("token = %+v", tok)
	}
	p, err := acc.Token(ctx, secret)
	if err != nil || p.Organization != "Provincial CERT" || p.Department != "协调处" || p.System != "soc-platform" {
		t.Fatalf("principal = %+v, %v", p, err)
	}
}

// TestGrantTokenCLI: "token create --grant" binds a token to an active
// grant given to the account, ending with it; an unknown grant or one
// given to someone else is refused.
func TestGrantTokenCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := envMap("TOCSIN_DATA_DIR", dir, "TOCSIN_LOG_LEVEL", "error", "TOCSIN_NEW_PASSWORD", "a-long-password-1")
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	for _, name := range []string{"partner", "other"} {
		if err := run(ctx, []string{"user", "add", "--username", name}, env, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("user add: %v\n%s", err, stderr.String())
		}
	}
	cfg, err := readConfig(t, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	acc := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost)
	partner, err := acc.UserByUsername(ctx, "partner")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	g := &share.Grant{ID: "SG-0123456789ab", Kind: share.Emergency, Status: share.Active, Version: 1,
		Requester: share.Party{UserID: partner.ID, Username: "partner"}, Scope: share.Scope{Incidents: []string{"INC-2026-000001"}},
		From: now, Until: now.Add(72 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := db.Shares().InsertGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	release()

	for _, tc := range []struct{ username, grant, want string }{
		{"partner", "SG-ffffffffffff", `no sharing grant "SG-ffffffffffff"`},
		{"other", g.ID, "must act as them"},
	} {
		err := run(ctx, []string{"token", "create", "--username", tc.username, "--name", "soc", "--grant", tc.grant}, env,
			strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("grant %s for %s: %v; want %q", tc.grant, tc.username, err, tc.want)
		}
	}
	stdout.Reset()
	if err := run(ctx, []string{"token", "create", "--username", "partner", "--name", "soc", "--grant", g.ID, "--expires", "720h"}, env,
		strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("token create --grant: %v\n%s", err, stderr.String())
	}
	db, release, err = openStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	p, err := access.NewService(db.Accounts(), time.Now, bcrypt.MinCost).Token(ctx, strings.TrimSpace(stdout.String()))
	if err != nil || p.Grant != g.ID {
		t.Fatalf("the bound token: %+v, %v", p, err)
	}
	tokens, err := db.Accounts().ListTokens(ctx)
	if err != nil || len(tokens) != 1 || !tokens[0].Expires.Equal(g.Until) {
		t.Fatalf("tokens %+v, %v; want one ending with the grant at %s", tokens, err, g.Until)
	}
}
