package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tocsin-hub/tocsin/audit"
)

// TestAuditTrailEndToEnd runs the hub binary, changes things through its
// API, stops it, and checks the trail with "tocsin audit verify": intact
// (exit 0) with every change recorded; then, with a record changed in the
// store, broken at that record (exit 1).
func TestAuditTrailEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := startHub(t, dir)
	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, hub.url+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "audit-e2e/1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
		}
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		return m
	}
	post("/api/v1/users", map[string]any{"username": "aud.itor", "password": "a-long-password-1", "roles": []string{"auditor"}})
	inc := post("/api/v1/incidents", map[string]any{"title": "Phishing wave", "description": "many mails"})
	post("/api/v1/incidents/"+inc["number"].(string)+"/restriction",
		map[string]any{"restricted": true, "version": inc["version"], "reason": "insider case", "participants": []string{"aud.itor"}})
	if err := hub.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := hub.wait(t, time.Minute); err != nil {
		t.Fatalf("hub did not stop cleanly: %v\n%s", err, hub.stderr)
	}

	verify := func() (string, int) {
		cmd := exec.Command(tocsinBinary(t), "audit", "verify")
		cmd.Env = hubEnv(dir, "127.0.0.1:1")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String() + errOut.String(), exitCode(err)
	}
	out, code := verify()
	if code != 0 || !strings.Contains(out, "audit trail intact: ") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}

	// What was recorded, and from where.
	cfg := Config{DataDir: dir, MongoDB: "tocsin"}
	ctx := context.Background()
	db, release, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.Audit().List(ctx, audit.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[audit.Action]audit.Record{}
	for _, r := range page.Items {
		actions[r.Action] = r
	}
	for _, a := range []audit.Action{audit.ActionUserCreate, "incident.reported", "incident.restricted", "audit.verify"} {
		if _, ok := actions[a]; !ok {
			t.Errorf("no %s record in %d records", a, len(page.Items))
		}
	}
	if r := actions["incident.restricted"]; r.Source.UserAgent != "audit-e2e/1.0" || r.Actor.Via != "bootstrap" ||
		r.Target.ID != inc["number"] || r.Note != "reason: insider case" {
		t.Errorf("restriction record %+v", r)
	}
	if r := actions[audit.ActionUserCreate]; r.Target.ID != "aud.itor" || r.Changes[0].After != "reporter, auditor" {
		t.Errorf("user record %+v", r)
	}

	// Someone with database access rewrites who restricted the incident.
	seq := actions["incident.restricted"].Seq
	if _, err := db.Audit().Collection().UpdateOne(ctx, bson.D{{Key: "seq", Value: seq}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "actor.name", Value: "nobody"}}}}); err != nil {
		t.Fatal(err)
	}
	release()
	out, code = verify()
	if code != 1 || !strings.Contains(out, "BROKEN at record "+strconv.FormatInt(seq, 10)+": hash mismatch") {
		t.Fatalf("verify after tampering: exit %d\n%s", code, out)
	}
}

// TestAuditCommandUsage: the command names its subcommand.
func TestAuditCommandUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"audit"}, {"audit", "check"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
		if err == nil || !strings.Contains(errOut.String(), "tocsin audit verify [flags]") || errors.Is(err, errAuditBroken) {
			t.Errorf("%v: %v\n%s", args, err, errOut.String())
		}
	}
}
