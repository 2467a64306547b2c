package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name → content under dir, making directories.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// builtinRunbooks copies the built-in runbooks into dir, as a team that
// keeps its runbooks in git would have them.
func builtinRunbooks(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob("../../runbooks/builtin/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("built-in runbooks: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, map[string]string{"ops/" + filepath.Base(f): string(b)})
	}
	return len(files)
}

const lintBad = `id: lan-worm
title: {en: LAN worm, zh: 局域网蠕虫}
summary: {en: x, zh: x}
categories: [malware]
steps:
  handle:
    - id: cut
      phase: isolate
      title: {en: Cut, zh: 断开}
      role: network_engineer
      required: true
      duration: soonish
      evidence: {en: e, zh: 证}
communication:
  - audience: {en: a, zh: 甲}
    when: {en: w, zh: 时}
    owner: coordinator
    required: true
`

func TestRunbooksLint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := t.TempDir()
	n := builtinRunbooks(t, good)
	writeFiles(t, good, map[string]string{"README.md": "not a runbook", ".git/x.yaml": "ignored: true"})
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"runbooks", "lint", good}, envMap(), strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("lint of the built-ins: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "13 runbook files checked: no problems") || n != 13 {
		t.Errorf("output: %q / %q", stdout.String(), stderr.String())
	}

	bad := t.TempDir()
	ransom, err := os.ReadFile("../../runbooks/builtin/ransomware.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, bad, map[string]string{
		"a/ransomware.yaml":      string(ransom),
		"b/ransomware-copy.yml":  string(ransom),
		"c/lan-worm.yaml":        lintBad,
		"c/broken.yaml":          "id: x\ntitle: [\n",
		"ok/unapproved.yaml.bak": "not checked",
	})
	stdout.Reset()
	stderr.Reset()
	err = run(ctx, []string{"runbooks", "lint", bad}, envMap(), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "4 problems in 3 of 4 files") {
		t.Fatalf("lint of bad files: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := []string{
		filepath.Join(bad, "b/ransomware-copy.yml") + ":5:1: id: id ransomware is also the id of " + filepath.Join(bad, "a/ransomware.yaml"),
		filepath.Join(bad, "c/broken.yaml") + ":2:1: YAML syntax error",
		filepath.Join(bad, "c/lan-worm.yaml") + ":4:14: categories[0]: unknown category \"malware\"",
		filepath.Join(bad, "c/lan-worm.yaml") + ":12:17: steps.handle[0].duration: not a duration",
	}
	if len(lines) != len(want) {
		t.Fatalf("output:\n%s", stdout.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], w)
		}
	}
	// One file, in Chinese.
	stdout.Reset()
	err = run(ctx, []string{"runbooks", "lint", "--lang", "zh", filepath.Join(bad, "c/lan-worm.yaml")}, envMap(), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(stdout.String(), "未知的事件类别") || !strings.Contains(stdout.String(), "lan-worm.yaml:12:17:") {
		t.Errorf("zh: %v\n%s", err, stdout.String())
	}
	for _, args := range [][]string{{"runbooks"}, {"runbooks", "check"}, {"runbooks", "lint"}, {"runbooks", "lint", t.TempDir()},
		{"runbooks", "lint", filepath.Join(bad, "nope")}, {"runbooks", "lint", "--lang", "fr", bad}} {
		if err := run(ctx, args, envMap(), strings.NewReader(""), &stdout, &stderr); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestRunbooksLintExitStatus runs the built binary, as a CI job would.
func TestRunbooksLintExitStatus(t *testing.T) {
	t.Parallel()
	bin := tocsinBinary(t)
	good := t.TempDir()
	builtinRunbooks(t, good)
	if out, err := exec.Command(bin, "runbooks", "lint", good).CombinedOutput(); err != nil {
		t.Fatalf("good files: %v\n%s", err, out)
	}
	bad := t.TempDir()
	writeFiles(t, bad, map[string]string{"lan-worm.yaml": lintBad})
	out, err := exec.Command(bin, "runbooks", "lint", bad).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("bad files: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "lan-worm.yaml:12:17: steps.handle[0].duration: not a duration") {
		t.Errorf("output:\n%s", out)
	}
}
