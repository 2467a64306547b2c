package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/notify"
)

// envMap is a getenv over a fixed set of variables.
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func readConfig(t *testing.T, args []string, getenv func(string) string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	read := configFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return read(getenv)
}

func TestConfigDefaults(t *testing.T) {
	c, err := readConfig(t, nil, envMap())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:8080", DataDir: "./data", MongoDB: "tocsin", BaseURL: "http://127.0.0.1:8080",
		LogLevel: slog.LevelInfo, LogFormat: "text", ManagerReports: []notify.Period{notify.Weekly, notify.Monthly}}
	if c.String() != want.String() || !c.Embedded() {
		t.Errorf("defaults:\n got %s\nwant %s", c, want)
	}
}

func TestConfigFlagsWinOverEnvironment(t *testing.T) {
	env := envMap(
		"TOCSIN_ADDR", "0.0.0.0:9000",
		"TOCSIN_DATA_DIR", "/env/data",
		"TOCSIN_DEMO", "true",
		"TOCSIN_LOG_LEVEL", "debug",
		"TOCSIN_LOG_FORMAT", "json",
		"TOCSIN_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1",
		"TOCSIN_BOOTSTRAP_TOKEN", "0123456789abcdef",
	)
	c, err := readConfig(t, []string{"--addr", "127.0.0.1:9001", "--demo=false", "--log-format", "text"}, env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"addr (flag)", c.Addr, "127.0.0.1:9001"},
		{"base URL (from the flag's addr)", c.BaseURL, "http://127.0.0.1:9001"},
		{"data dir (env)", c.DataDir, "/env/data"},
		{"log format (flag)", c.LogFormat, "text"},
		{"log level (env)", c.LogLevel.String(), "DEBUG"},
		{"proxies (env)", strings.Join(c.TrustedProxies, "|"), "10.0.0.0/8|192.168.1.1"},
		{"bootstrap token (env)", c.BootstrapToken, "0123456789abcdef"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.Demo {
		t.Error("--demo=false did not win over TOCSIN_DEMO=true")
	}

	c, err = readConfig(t, []string{"--demo"}, envMap("TOCSIN_ADDR", "0.0.0.0:8443"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo || c.BaseURL != "http://localhost:8443" {
		t.Errorf("--demo alone: demo %v, base URL %q (want true, http://localhost:8443 for a wildcard address)", c.Demo, c.BaseURL)
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	const (
		dbPassword = "s3cr3t-db-pw"
		token      = "bootstrap-0123456789-abcdef"
		adminPW    = "admin-password-42"
	)
	c, err := readConfig(t, []string{"--base-url", "https://tocsin.example.com/"}, envMap(
		"TOCSIN_MONGO_URI", "mongodb://tocsin:"+dbPassword+"@db1:27017,db2:27017/?replicaSet=rs0&authSource=admin",
		"TOCSIN_BOOTSTRAP_TOKEN", token,
		"TOCSIN_ADMIN_PASSWORD", adminPW,
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://tocsin.example.com" || c.Embedded() {
		t.Errorf("base URL %q (want no trailing slash), embedded %v", c.BaseURL, c.Embedded())
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("starting", "config", c)
	for name, out := range map[string]string{"String": c.String(), "log": logged.String()} {
		for _, secret := range []string{dbPassword, token, adminPW} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows a secret %q:\n%s", name, secret, out)
			}
		}
		if !strings.Contains(out, "mongodb://tocsin:xxxxx@db1:27017,db2:27017/?replicaSet=rs0") {
			t.Errorf("%s does not show the masked URI:\n%s", name, out)
		}
		if !strings.Contains(out, "(set, 27 characters)") {
			t.Errorf("%s does not say the bootstrap token is set:\n%s", name, out)
		}
	}
}

func TestMaskURI(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"mongodb://localhost:27017":         "mongodb://localhost:27017",
		"mongodb://user@host/db":            "mongodb://user@host/db",
		"mongodb://u:p@host/db":             "mongodb://u:xxxxx@host/db",
		"mongodb+srv://u:p%40ss@c.x.net/?w": "mongodb+srv://u:xxxxx@c.x.net/?w",
		"mongodb://u:p@ss@h1,h2/?a=b@c":     "mongodb://u:xxxxx@h1,h2/?a=b@c",
	} {
		if got := maskURI(in); got != want {
			t.Errorf("maskURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigRejectsBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"addr without port", nil, []string{"TOCSIN_ADDR", "nonsense"}, []string{`TOCSIN_ADDR "nonsense" (from TOCSIN_ADDR)`, "host:port"}},
		{"addr flag", []string{"--addr", "127.0.0.1:99999"}, nil, []string{"(from --addr)", "1 to 65535"}},
		{"short token", nil, []string{"TOCSIN_BOOTSTRAP_TOKEN", "short"}, []string{"TOCSIN_BOOTSTRAP_TOKEN (set, 5 characters)", "at least 16"}},
		{"log level", nil, []string{"TOCSIN_LOG_LEVEL", "loud"}, []string{"TOCSIN_LOG_LEVEL", "debug, info, warn or error"}},
		{"log format", nil, []string{"TOCSIN_LOG_FORMAT", "xml"}, []string{"text or json"}},
		{"demo", nil, []string{"TOCSIN_DEMO", "maybe"}, []string{"TOCSIN_DEMO", "true or false"}},
		{"proxy", nil, []string{"TOCSIN_TRUSTED_PROXIES", "10.0.0.1,proxy.local"}, []string{`"proxy.local" is neither`}},
		{"base url", []string{"--base-url", "tocsin.example.com"}, nil, []string{"TOCSIN_BASE_URL", "absolute http"}},
		{"mongo uri", nil, []string{"TOCSIN_MONGO_URI", "postgres://u:pw@h/db"}, []string{"mongodb://"}},
		{"admin password", nil, []string{"TOCSIN_ADMIN_PASSWORD", "short"}, []string{"TOCSIN_ADMIN_PASSWORD (set, 5 characters)", "10 to 72"}},
		{"database", []string{"--mongo-db", "my.db"}, nil, []string{"TOCSIN_MONGO_DB"}},
		{"data dir", []string{"--data-dir", " "}, nil, []string{"TOCSIN_DATA_DIR", "required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readConfig(t, tc.args, envMap(tc.env...))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error shows a password: %v", err)
			}
		})
	}
}

// TestRunFailsOnBadSettings checks that run refuses bad settings before it
// touches anything, and says what is wrong.
func TestRunFailsOnBadSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), nil,
		envMap("TOCSIN_ADDR", "nonsense", "TOCSIN_BOOTSTRAP_TOKEN", "tooshort", "TOCSIN_DATA_DIR", dir),
		strings.NewReader(""), &stdout, &stderr)
	if err == nil {
		t.Fatal("run accepted TOCSIN_ADDR=nonsense")
	}
	for _, w := range []string{"invalid configuration", "TOCSIN_ADDR", "host:port", "TOCSIN_BOOTSTRAP_TOKEN", "at least 16"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "tooshort") {
		t.Errorf("error shows the token: %v", err)
	}
	if _, statErr := os.Stat(dir); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("the data directory was created despite the bad settings")
	}

	err = run(context.Background(), []string{"frobnicate"}, envMap(), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %v", err)
	}
	err = run(context.Background(), []string{"serve", "extra"}, envMap(), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `unexpected argument "extra"`) {
		t.Errorf("stray argument: %v", err)
	}
	err = run(context.Background(), []string{"user", "add", "--role", "wizard"}, envMap(), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `unknown role "wizard"`) {
		t.Errorf("bad role: %v", err)
	}
}

func TestRunVersionAndHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envMap(), nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "tocsin ") {
		t.Errorf("version printed %q", stdout.String())
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"help"}, envMap(), nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !strings.Contains(stdout.String(), s.env) {
			t.Errorf("help does not list %s", s.env)
		}
	}
	if err := run(context.Background(), []string{"token", "create", "-h"}, envMap(), nil, &stdout, &stderr); err != nil {
		t.Errorf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "--username") {
		t.Errorf("token create -h does not show its flags:\n%s", stderr.String())
	}
}
