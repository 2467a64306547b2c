package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/store"
)

const auditUsage = `Usage:
  tocsin audit verify [flags]

Reads the whole audit trail and checks its hash chain: every record's hash
over its fields, every record's link to the one before, and that no number
is missing. Prints how many records hold, or names the first broken record
and why (hash mismatch: the record was changed; prev mismatch: the record
before it was replaced; gap: a record was removed), and then exits with
status 1. The check itself is recorded in the trail.

Like "user add", it works on the configured database directly: on the
embedded store the hub must be stopped.
`

// errAuditBroken makes the command exit with status 1.
var errAuditBroken = errors.New("the audit trail is broken")

// auditCommand runs "tocsin audit verify [flags]".
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditUsage)
		if len(args) == 0 {
			return errors.New("audit: name a subcommand: tocsin audit verify")
		}
		return fmt.Errorf("audit: unknown subcommand %q (want verify)", args[0])
	}
	fs := flag.NewFlagSet("tocsin audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	readConfig := configFlags(fs)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); printUsage(stderr, fs) }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audit verify: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := readConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, release, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer release()
	rep, err := audit.Verify(ctx, db.Audit())
	if err != nil {
		return err
	}
	note := fmt.Sprintf("intact: %d records", rep.Records)
	if rep.Break != nil {
		note = fmt.Sprintf("broken at record %d: %s", rep.Break.Seq, rep.Break.Reason)
	}
	if err := cliRecord(ctx, db, log, audit.Record{Action: "audit.verify", Target: audit.Target{Kind: "audit"}, Note: note}); err != nil {
		log.Error("record the verification in the audit trail", "err", err)
	}
	if rep.Break != nil {
		fmt.Fprintf(stdout, "audit trail BROKEN at record %d: %s: %s\n(%d records before it hold)\n",
			rep.Break.Seq, rep.Break.Reason, rep.Break.Detail, rep.Records)
		return fmt.Errorf("%w at record %d (%s)", errAuditBroken, rep.Break.Seq, rep.Break.Reason)
	}
	_, err = fmt.Fprintf(stdout, "audit trail intact: %d records, the last is number %d\n", rep.Records, rep.Last)
	return err
}

// cliTimeout bounds writing the record of a command-line change.
const cliTimeout = 30 * time.Second

// cliRecord appends r to the audit trail and waits until it is stored. The
// actor is the operating-system user who ran the command.
func cliRecord(ctx context.Context, db *store.DB, log *slog.Logger, r audit.Record) error {
	if r.Actor == (audit.Actor{}) {
		r.Actor.Via = "cli"
		if u, err := user.Current(); err == nil {
			r.Actor.Name = u.Username
		}
	}
	tr := audit.NewTrail(db.Audit(), time.Now, log)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = tr.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(ctx, cliTimeout)
	defer wcancel()
	return tr.Write(wctx, r)
}
