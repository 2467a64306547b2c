package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const usage = `Tocsin: security event coordination and incident response hub.

Usage:
  tocsin [serve] [flags]      run the hub (the default)
  tocsin demo [flags]         run the hub with demo people and incidents
  tocsin user add [flags] --username U --name N --role R [--role R ...]
                              [--slack-id U0123ABCD] [--org ORG] [--dept DEPT]
                              create an account; the password is read from
                              $TOCSIN_NEW_PASSWORD or the first line of stdin
  tocsin token create [flags] --username U --name N [--system NAME]
                              [--network CIDR ...] [--expires 720h] [--grant SG-…]
                              issue an API token acting as U; printed once
  tocsin roster import [flags] FILE
                              import people, teams, rotations, departments
                              and policies from YAML, or people from CSV
  tocsin runbooks lint PATH...
                              check runbook files (YAML); every problem is
                              printed with its file and line
  tocsin audit verify [flags] check the audit trail's hash chain; names the
                              first broken record and exits 1 if there is one
  tocsin version              print the version

"user add", "token create", "roster import" and "audit verify" work on the configured
database directly. On the embedded store they need the hub stopped (its data
directory belongs to one process); with a running hub use the API instead
(POST /api/v1/users, POST /api/v1/tokens, PUT /api/v1/people/{id} ...).

Settings (flags win over the environment; secrets are environment only):
`

// run is the whole program: it reads the command line and the environment,
// and returns when the command is done or ctx is cancelled (SIGINT, SIGTERM).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if (cmd == "user" || cmd == "token") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	switch cmd {
	case "version":
		return printVersion(stdout)
	case "help":
		printUsage(stdout, flag.NewFlagSet("tocsin", flag.ContinueOnError))
		return nil
	case "roster":
		return rosterCommand(ctx, args, getenv, stdout, stderr)
	case "runbooks":
		return runbooksCommand(args, stdout, stderr)
	case "audit":
		return auditCommand(ctx, args, getenv, stdout, stderr)
	case "serve", "demo", "user add", "token create":
	default:
		printUsage(stderr, flag.NewFlagSet("tocsin", flag.ContinueOnError))
		return fmt.Errorf("unknown command %q", cmd)
	}

	fs := flag.NewFlagSet("tocsin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(stderr, fs) }
	readConfig := configFlags(fs)
	var ua userAddFlags
	var tc tokenCreateFlags
	switch cmd {
	case "user add":
		ua.register(fs)
	case "token create":
		tc.register(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags come as --name value)", cmd, fs.Arg(0))
	}
	cfg, err := readConfig(getenv)
	if err != nil {
		return err
	}
	if cmd == "demo" {
		cfg.Demo = true
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "user add":
		return userAdd(ctx, cfg, log, ua, getenv, stdin, stdout, stderr)
	case "token create":
		return tokenCreate(ctx, cfg, log, tc, stdout)
	}
	err = serve(ctx, cfg, log, stdout)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Interrupted while starting: a stop asked for, not a failure.
		log.Info("interrupted during start-up", "err", err)
		return nil
	}
	return err
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	for _, s := range settings {
		name := "(environment only)"
		if s.flag != "" {
			name = "--" + s.flag
		}
		def := ""
		if s.def != "" {
			def = " [" + s.def + "]"
		}
		fmt.Fprintf(w, "  %-24s %-20s %s%s\n", s.env, name, s.usage, def)
	}
	var own []string
	fs.VisitAll(func(f *flag.Flag) {
		for _, s := range settings {
			if s.flag == f.Name {
				return
			}
		}
		own = append(own, fmt.Sprintf("  --%-22s %s", f.Name, f.Usage))
	})
	if len(own) > 0 {
		fmt.Fprintf(w, "\nFlags of %s:\n%s\n", fs.Name(), strings.Join(own, "\n"))
	}
}

// newLogger is the one logger of the process, handed to every package.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
