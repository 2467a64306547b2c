//go:build unix

package main

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary on the embedded store. They are not
// skipped in -short mode: a hub that loses acknowledged reports is broken.

// TestCrashKeepsAcknowledgedReports kills the hub with SIGKILL while reports
// are in flight, restarts it on the same data directory, and checks that
// every report it had answered 201 Created is there.
func TestCrashKeepsAcknowledgedReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	res := postReports(ctx, hub.url, 8, 150, func() { _ = hub.cmd.Process.Signal(syscall.SIGKILL) })
	if err := hub.wait(t, 10*time.Second); exitCode(err) != -1 {
		t.Fatalf("hub was not killed by the signal: %v", err)
	}
	if len(res.acks) < 150 {
		t.Fatalf("only %d reports acknowledged before the hub stopped; want at least 150", len(res.acks))
	}
	if len(res.otherCodes) > 0 {
		t.Errorf("answers other than 201 before the crash: %v", res.otherCodes)
	}
	t.Logf("%d reports acknowledged; %d requests cut off by the crash", len(res.acks), res.errors)

	// The kernel released the data directory's lock with the process.
	restarted := startHub(t, dir)
	checkStored(t, restarted.url, res.acks)
}

// TestGracefulShutdownFinishesRequests sends SIGTERM while reports are in
// flight: every request that got an answer got 201, all of them are stored,
// and the process exits 0.
func TestGracefulShutdownFinishesRequests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	res := postReports(ctx, hub.url, 8, 100, func() { _ = hub.cmd.Process.Signal(syscall.SIGTERM) })
	if err := hub.wait(t, 30*time.Second); err != nil {
		t.Fatalf("hub did not exit cleanly after SIGTERM: %v\nstderr:\n%s", err, hub.stderr)
	}
	if len(res.otherCodes) > 0 {
		t.Errorf("requests answered with something else than 201 during shutdown: %v", res.otherCodes)
	}
	if len(res.acks) < 100 {
		t.Fatalf("only %d reports acknowledged; want at least 100", len(res.acks))
	}
	t.Logf("%d reports acknowledged; %d requests refused after shutdown began", len(res.acks), res.errors)

	restarted := startHub(t, dir)
	checkStored(t, restarted.url, res.acks)
}

// TestSecondProcessOnDataDir checks that the embedded store's data
// directory belongs to one process: commands that open it while the hub runs
// fail with a clear message, and work once it has stopped.
func TestSecondProcessOnDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir)

	userAdd := func() (string, error) {
		cmd := exec.Command(tocsinBinary(t), "user", "add", "--username", "ops", "--name", "Ops Bot", "--role", "coordinator")
		cmd.Env = hubEnv(dir, "127.0.0.1:1")
		cmd.Stdin = strings.NewReader("a-long-enough-password\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := userAdd()
	if exitCode(err) != 1 || !strings.Contains(out, "in use by another Tocsin process") || !strings.Contains(out, "POST /api/v1/users") {
		t.Fatalf("user add beside a running hub: err %v, output:\n%s", err, out)
	}

	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := hub.wait(t, 30*time.Second); err != nil {
		t.Fatalf("hub exit: %v", err)
	}
	if out, err := userAdd(); err != nil || !strings.Contains(out, "created ops") {
		t.Fatalf("user add on a stopped hub's data: err %v, output:\n%s", err, out)
	}
	cmd := exec.Command(tocsinBinary(t), "token", "create", "--username", "ops", "--name", "siem")
	cmd.Env = hubEnv(dir, "127.0.0.1:1")
	tok, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(tok), "tcs_") {
		t.Fatalf("token create: %v, output %q", err, tok)
	}

	// The new token works against the restarted hub.
	restarted := startHub(t, dir)
	status, body := get(t, restarted.url+"/api/v1/me", strings.TrimSpace(string(tok)))
	if status != 200 || !strings.Contains(body, `"Ops Bot"`) || !strings.Contains(body, "coordinator") {
		t.Fatalf("GET /api/v1/me with the new token: %d %s", status, body)
	}
}
