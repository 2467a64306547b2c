package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/share"
)

// rolesFlag collects repeated --role flags (a comma-separated list works too).
type rolesFlag []access.Role

func (r *rolesFlag) String() string {
	s := make([]string, len(*r))
	for i, role := range *r {
		s[i] = string(role)
	}
	return strings.Join(s, ",")
}

func (r *rolesFlag) Set(v string) error {
	for _, one := range strings.Split(v, ",") {
		role := access.Role(strings.TrimSpace(one))
		if !role.Valid() {
			return fmt.Errorf("unknown role %q: want one of %v", one, access.Roles())
		}
		*r = append(*r, role)
	}
	return nil
}

type userAddFlags struct {
	username, name, email, lang, slackID string
	org, dept                            string
	roles                                rolesFlag
}

func (f *userAddFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.username, "username", "", "login name: 2-64 lower-case letters, digits, dots, dashes or underscores (required)")
	fs.StringVar(&f.name, "name", "", "display name")
	fs.StringVar(&f.email, "email", "", "e-mail address")
	fs.StringVar(&f.lang, "lang", "en", "preferred language: en or zh")
	fs.StringVar(&f.slackID, "slack-id", "", "Slack member id (U…) to link, so the person can act from Slack")
	fs.Var(&f.roles, "role", "role, repeatable: reporter, responder, coordinator, manager, auditor, admin")
	fs.StringVar(&f.org, "org", "", "organization the person works for (attribute rules for sharing match it)")
	fs.StringVar(&f.dept, "dept", "", "department the person works in (attribute rules for sharing match it)")
}

// userAdd creates an account in the configured database. The password never
// comes from a flag (flags show in process lists): it is read from
// TOCSIN_NEW_PASSWORD or the first line of stdin.
func userAdd(ctx context.Context, cfg Config, log *slog.Logger, f userAddFlags, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	if f.username == "" {
		return errors.New("user add: --username is required")
	}
	if f.lang != "en" && f.lang != "zh" {
		return errors.New("user add: --lang must be en or zh")
	}
	pw := getenv("TOCSIN_NEW_PASSWORD")
	if pw == "" {
		var err error
		if pw, err = readPassword(stdin, stderr); err != nil {
			return fmt.Errorf("user add: %w", err)
		}
	}
	if pw == "" {
		return errors.New("user add: no password: set TOCSIN_NEW_PASSWORD or give it on stdin")
	}
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer release()
	acc := access.NewService(db.Accounts(), time.Now, bcryptCost)
	u, err := acc.CreateUser(ctx, access.NewUser{Username: f.username, Name: f.name, Email: f.email,
		SlackID: f.slackID, Password: pw, Roles: f.roles, Lang: f.lang, Organization: f.org, Department: f.dept})
	if errors.Is(err, access.ErrExists) {
		if _, uerr := acc.UserByUsername(ctx, f.username); uerr != nil && f.slackID != "" {
			return fmt.Errorf("user add: the Slack id %s is linked to another account", f.slackID)
		}
		return fmt.Errorf("user add: the username %q is taken", f.username)
	}
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	var roles []string
	for _, r := range u.Roles {
		roles = append(roles, string(r))
	}
	changes := []audit.Change{{Field: "roles", After: strings.Join(roles, ", ")}}
	if u.Organization != "" {
		changes = append(changes, audit.Change{Field: "organization", After: u.Organization})
	}
	if u.Department != "" {
		changes = append(changes, audit.Change{Field: "department", After: u.Department})
	}
	if err := cliRecord(ctx, db, log, audit.Record{Action: audit.ActionUserCreate, Target: audit.Target{Kind: "user", ID: u.Username},
		Changes: changes}); err != nil {
		return fmt.Errorf("user add: %s was created, but recording it in the audit trail failed: %w", u.Username, err)
	}
	log.Info("account created", "user", u.Username, "roles", u.Roles, "slack_id", u.SlackID)
	_, err = fmt.Fprintf(stdout, "created %s (%s) with roles %v\n", u.Username, u.Name, u.Roles)
	return err
}

// readPassword reads one line from stdin. On a terminal it asks for it and
// does not echo it.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password for the new account: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return strings.TrimSpace(string(b)), err
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

type tokenCreateFlags struct {
	username, name, system, grant string
	networks                      stringsFlag
	expires                       time.Duration
}

func (f *tokenCreateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.username, "username", "", "the account the token acts as (required)")
	fs.StringVar(&f.name, "name", "", "what the token is for, e.g. siem-integration (required)")
	fs.StringVar(&f.system, "system", "", "name of the system using the token (attribute rules for sharing match it)")
	fs.Var(&f.networks, "network", "CIDR prefix the token may be used from, repeatable (e.g. 203.0.113.0/24); none: anywhere")
	fs.DurationVar(&f.expires, "expires", 0, "how long the token lasts, e.g. 720h; 0: until removed")
	fs.StringVar(&f.grant, "grant", "", "bind the token to this active sharing grant (SG-…) given to the account: it reaches the shared API only and ends with the grant")
}

// stringsFlag collects a repeated flag (a comma-separated list works too).
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	for _, one := range strings.Split(v, ",") {
		if one = strings.TrimSpace(one); one != "" {
			*s = append(*s, one)
		}
	}
	return nil
}

// tokenCreate issues an API token and prints it, once: only its hash is kept.
func tokenCreate(ctx context.Context, cfg Config, log *slog.Logger, f tokenCreateFlags, stdout io.Writer) error {
	if f.username == "" || strings.TrimSpace(f.name) == "" {
		return errors.New("token create: --username and --name are required")
	}
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer release()
	acc := access.NewService(db.Accounts(), time.Now, bcryptCost)
	u, err := acc.UserByUsername(ctx, f.username)
	if errors.Is(err, access.ErrNotFound) {
		return fmt.Errorf("token create: no account %q (create it with: tocsin user add --username %s ...)", f.username, f.username)
	}
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	spec := access.TokenSpec{Name: f.name, System: f.system, Networks: f.networks}
	if f.expires < 0 {
		return errors.New("token create: --expires must be a positive duration such as 720h")
	}
	if f.expires > 0 {
		spec.Expires = time.Now().Add(f.expires)
	}
	if f.grant != "" {
		g, err := db.Shares().Grant(ctx, strings.TrimSpace(f.grant))
		if errors.Is(err, share.ErrNotFound) {
			return fmt.Errorf("token create: no sharing grant %q", f.grant)
		}
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		if spec, err = access.BindToGrant(spec, g, u, time.Now()); err != nil {
			return fmt.Errorf("token create: %w", err)
		}
	}
	secret, t, err := acc.CreateScopedToken(ctx, u, spec)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	if err := cliRecord(ctx, db, log, t.AuditRecord(u.Username)); err != nil {
		return fmt.Errorf("token create: the token was created, but recording it in the audit trail failed: %w", err)
	}
	log.Info("api token created", "user", u.Username, "token_prefix", t.Prefix, "token_name", t.Name,
		"system", t.System, "networks", t.Networks, "grant", t.Grant)
	_, err = fmt.Fprintf(stdout, "%s\n", secret)
	return err
}
