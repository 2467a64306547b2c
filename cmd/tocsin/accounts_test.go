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
