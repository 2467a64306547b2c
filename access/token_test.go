package access_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

// TestScopedToken: a token carries its system, networks (canonical) and
// grant into the principal, with the owner's organization and department,
// and stops working when it expires.
func TestScopedToken(t *testing.T) {
	t.Parallel()
	svc, clk, _ := newService(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, access.NewUser{Username: "partner", Password: password,
		Organization: " Provincial CERT ", Department: "应急处置科"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Organization != "Provincial CERT" || u.Department != "应急处置科" {
		t.Fatalf("CreateUser kept %q / %q", u.Organization, u.Department)
	}
	expires := clk.Now().Add(14 * 24 * time.Hour)
	secret, tok, err := svc.CreateScopedToken(ctx, u, access.TokenSpec{Name: "partner soc", System: "soc-platform",
		Networks: []string{"203.0.113.7/24", " 2001:db8::1/32", "203.0.113.0/24", ""}, Grant: "SG-0123456789ab", Expires: expires})
	if err != nil {
		t.Fatal(err)
	}
	wantNets := []string{"203.0.113.0/24", "2001:db8::/32"}
	if !strings.HasPrefix(secret, access.TokenPrefix) || !reflect.DeepEqual(tok.Networks, wantNets) || tok.Expires != expires {
		t.Fatalf("CreateScopedToken = %q, %+v", secret, tok)
	}
	p, err := svc.Token(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	want := access.Principal{UserID: u.ID, Username: "partner", Name: "partner", Roles: []access.Role{access.Reporter},
		Via: "token", Organization: "Provincial CERT", Department: "应急处置科", System: "soc-platform",
		Networks: wantNets, Grant: "SG-0123456789ab"}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("Token = %+v\nwant %+v", p, want)
	}
	clk.Advance(14*24*time.Hour - time.Second)
	if _, err := svc.Token(ctx, secret); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := svc.Token(ctx, secret); !errors.Is(err, access.ErrUnauthorized) {
		t.Fatalf("at expiry: %v, want ErrUnauthorized", err)
	}

	// An unscoped token has none of it and never ends.
	plain, _, err := svc.CreateToken(ctx, u, "siem")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * 365 * 24 * time.Hour)
	if p, err := svc.Token(ctx, plain); err != nil || p.System != "" || p.Networks != nil || p.Grant != "" {
		t.Fatalf("unscoped token = %+v, %v", p, err)
	}
}

// TestScopedTokenInvalid: each bad field is refused with a message naming it.
func TestScopedTokenInvalid(t *testing.T) {
	t.Parallel()
	svc, clk, st := newService(t)
	ctx := context.Background()
	u, err := svc.UserByUsername(ctx, "li.na")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec access.TokenSpec
		want string
	}{
		{access.TokenSpec{Name: " "}, "token name is required"},
		{access.TokenSpec{Name: strings.Repeat("n", 101)}, "token name must be at most 100"},
		{access.TokenSpec{Name: "x", Networks: []string{"10.0.0.1"}}, `network "10.0.0.1": want a CIDR prefix`},
		{access.TokenSpec{Name: "x", Networks: []string{"10.0.0.0/33"}}, `network "10.0.0.0/33"`},
		{access.TokenSpec{Name: "x", Networks: []string{"intranet"}}, `network "intranet"`},
		{access.TokenSpec{Name: "x", System: strings.Repeat("系", 201)}, "system must be at most 200"},
		{access.TokenSpec{Name: "x", System: "soc\nplatform"}, "system must not contain control characters"},
		{access.TokenSpec{Name: "x", Grant: "grant-1"}, `grant "grant-1"`},
		{access.TokenSpec{Name: "x", Expires: clk.Now()}, "is not in the future"},
	} {
		_, _, err := svc.CreateScopedToken(ctx, u, tc.spec)
		if !errors.Is(err, access.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CreateScopedToken(%+v) = %v, want ErrInvalid saying %q", tc.spec, err, tc.want)
		}
	}
	var many []string
	for i := range access.MaxNetworks + 1 {
		many = append(many, fmt.Sprintf("10.%d.0.0/16", i))
	}
	if _, _, err := svc.CreateScopedToken(ctx, u, access.TokenSpec{Name: "x", Networks: many}); !errors.Is(err, access.ErrInvalid) {
		t.Errorf("%d networks = %v, want ErrInvalid", len(many), err)
	}
	if list, err := st.ListTokens(ctx); err != nil || len(list) != 0 {
		t.Errorf("refused tokens were stored: %v, %v", list, err)
	}
	for _, nu := range []access.NewUser{
		{Username: "a.b", Password: password, Organization: strings.Repeat("o", 201)},
		{Username: "a.c", Password: password, Department: "ops\x00"},
	} {
		if _, err := svc.CreateUser(ctx, nu); !errors.Is(err, access.ErrInvalid) {
			t.Errorf("CreateUser(%q, %q) = %v, want ErrInvalid", nu.Organization, nu.Department, err)
		}
	}
}

// TestFromAllowed: a token's networks bound where it may be used from.
func TestFromAllowed(t *testing.T) {
	t.Parallel()
	open := access.Principal{UserID: "u"}
	scoped := access.Principal{UserID: "u", Networks: []string{"203.0.113.0/24", "2001:db8::/32"}}
	for _, tc := range []struct {
		p    access.Principal
		addr string
		want bool
	}{
		{open, "198.51.100.1", true},
		{open, "", true},
		{scoped, "203.0.113.200", true},
		{scoped, "::ffff:203.0.113.9", true},
		{scoped, "2001:db8:1::5", true},
		{scoped, "203.0.114.1", false},
		{scoped, "2001:db9::1", false},
		{scoped, "", false},
		{scoped, "not-an-ip", false},
	} {
		if got := tc.p.FromAllowed(tc.addr); got != tc.want {
			t.Errorf("%v.FromAllowed(%q) = %v, want %v", tc.p.Networks, tc.addr, got, tc.want)
		}
	}
}

// TestBindToGrant: a bound token ends with its grant (or earlier), and
// only an active grant given to the token's account can be bound.
func TestBindToGrant(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC)
	u := &access.User{ID: "u1", Username: "partner"}
	g := &share.Grant{ID: "SG-0123456789ab", Status: share.Active, Requester: share.Party{UserID: "u1", Username: "partner"},
		From: now.Add(-time.Hour), Until: now.Add(48 * time.Hour)}
	spec, err := access.BindToGrant(access.TokenSpec{Name: "soc"}, g, u, now)
	if err != nil || spec.Grant != g.ID || !spec.Expires.Equal(g.Until) {
		t.Errorf("no expiry asked: %+v, %v; want the grant's end", spec, err)
	}
	spec, err = access.BindToGrant(access.TokenSpec{Name: "soc", Expires: now.Add(time.Hour)}, g, u, now)
	if err != nil || !spec.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("an earlier expiry: %+v, %v; want it kept", spec, err)
	}
	spec, err = access.BindToGrant(access.TokenSpec{Name: "soc", Expires: now.Add(72 * time.Hour)}, g, u, now)
	if err != nil || !spec.Expires.Equal(g.Until) {
		t.Errorf("a later expiry: %+v, %v; want the grant's end", spec, err)
	}
	for name, tc := range map[string]struct {
		g    share.Grant
		u    *access.User
		want string
	}{
		"suspended": {share.Grant{ID: g.ID, Status: share.Suspended, Requester: g.Requester, Until: g.Until}, u, "only to an active grant"},
		"past":      {share.Grant{ID: g.ID, Status: share.Active, Requester: g.Requester, Until: now}, u, "only to an active grant"},
		"another":   {*g, &access.User{ID: "u2", Username: "other"}, "must act as them, not other"},
	} {
		if _, err := access.BindToGrant(access.TokenSpec{Name: "soc"}, &tc.g, tc.u, now); !errors.Is(err, access.ErrInvalid) ||
			!strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", name, err, tc.want)
		}
	}
}
