package notify_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// env is a getenv over a fixed set of variables.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var goodEnv = env(
	"TEST_SIEM_SECRET", "siem-signing-secret",
	"TEST_DINGTALK_LEADERSHIP_URL", "https://oapi.dingtalk.com/robot/send?access_token=leader-token",
	"TEST_DINGTALK_LEADERSHIP_SECRET", "SECleader",
	"TEST_WECOM_NETOPS_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=netops-key",
	"TEST_FEISHU_DPO_URL", "https://open.feishu.cn/open-apis/bot/v2/hook/dpo-hook",
	"TEST_FEISHU_DPO_SECRET", "dpo-secret",
)

func loadGood(t *testing.T) *notify.Routes {
	t.Helper()
	r, err := notify.LoadRoutes(filepath.Join("testdata", "channels", "routes_good.yaml"), goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadRoutesGood(t *testing.T) {
	r := loadGood(t)
	var names []string
	for _, e := range r.Endpoints() {
		names = append(names, e.Name)
	}
	if want := []string{"dpo-feishu", "leadership-dingtalk", "netops-wecom", "siem", "soc-mail"}; !slices.Equal(names, want) {
		t.Fatalf("endpoints %v, want %v", names, want)
	}
	mail, _ := r.Endpoint("soc-mail")
	if mail.Kind != notify.ChannelEmail || len(mail.To) != 2 || mail.To[0].Name != "SOC" || mail.To[1].Address != "ciso@example.com" {
		t.Errorf("soc-mail = %+v", mail)
	}
	// Secrets come from the environment variables the file names.
	ding, _ := r.Endpoint("leadership-dingtalk")
	if ding.URL != "https://oapi.dingtalk.com/robot/send?access_token=leader-token" || ding.Secret != "SECleader" {
		t.Errorf("leadership-dingtalk URL and secret not read from the environment: %+v", ding)
	}
	siem, _ := r.Endpoint("siem")
	if siem.URL != "https://siem.example.com/hooks/tocsin" || siem.Secret != "siem-signing-secret" {
		t.Errorf("siem = %+v", siem)
	}
	if d, ok := r.Default(notify.ChannelWeCom); !ok || d.Name != "netops-wecom" {
		t.Errorf("default wecom = %v, %v", d, ok)
	}
	if _, ok := r.Default(notify.ChannelDingTalk); ok {
		t.Error("no dingtalk robot is the default")
	}
	// Logging an endpoint shows neither its key nor its secret.
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("endpoint", "destination", ding)
	if s := logged.String(); strings.Contains(s, "leader-token") || strings.Contains(s, "SECleader") || !strings.Contains(s, "host=https://oapi.dingtalk.com") {
		t.Errorf("an endpoint's log line shows a secret, or not its host: %s", s)
	}
}

func TestRoutesSelect(t *testing.T) {
	r := loadGood(t)
	base := incident.Incident{Number: "INC-2026-000001", Level: incident.Serious, Category: incident.CyberAttack}
	for _, tc := range []struct {
		name string
		edit func(*incident.Incident)
		ch   notify.Change
		want []string
	}{
		{"everyone's destinations", nil, notify.ChangeReported, []string{"siem", "soc-mail"}},
		{"soc-mail does not want stage changes", nil, notify.ChangeStage, []string{"siem"}},
		{"special also reaches leadership", func(i *incident.Incident) { i.Level = incident.Special },
			notify.ChangeReported, []string{"leadership-dingtalk", "siem", "soc-mail"}},
		{"a team assigned by name, any case", func(i *incident.Incident) {
			i.Assignees = []incident.Assignee{{Kind: "team", Name: "network TEAM"}, {Kind: "person", Name: "机房运维组"}}
		}, notify.ChangeStage, []string{"netops-wecom", "siem"}},
		{"two teams with one robot: once", func(i *incident.Incident) {
			i.Assignees = []incident.Assignee{{Kind: "team", Name: "Network team"}, {Kind: "team", Name: "机房运维组"}}
		}, notify.ChangeStage, []string{"netops-wecom", "siem"}},
		{"by category, for the events it wants", func(i *incident.Incident) { i.Category = incident.DataSecurity },
			notify.ChangeReported, []string{"dpo-feishu", "siem", "soc-mail"}},
		{"by category, not the others", func(i *incident.Incident) { i.Category = incident.DataSecurity },
			notify.ChangeClosed, []string{"siem", "soc-mail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := base
			if tc.edit != nil {
				tc.edit(&inc)
			}
			var got []string
			for _, e := range r.Select(&inc, tc.ch) {
				got = append(got, e.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Select = %v, want %v", got, tc.want)
			}
		})
	}
	var none *notify.Routes
	if got := none.Select(&base, notify.ChangeReported); got != nil {
		t.Errorf("nil routes select %v", got)
	}
}

// TestLoadRoutesBad: every problem is reported at once, each with its line.
func TestLoadRoutesBad(t *testing.T) {
	path := filepath.Join("testdata", "channels", "routes_bad.yaml")
	_, err := notify.LoadRoutes(path, env("TEST_WECOM_NO_KEY", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"))
	var re *notify.RoutesError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RoutesError", err)
	}
	want := map[int]string{
		4:  `"not-an-address" is not an e-mail address`,
		5:  `destination name "Bad Name"`,
		9:  `unknown kind "sms"`,
		10: "a webhook needs secret_env",
		12: "not an absolute http(s) URL",
		13: "secrets are not written in this file",
		16: "a robot's URL carries its key",
		19: "environment variable TEST_UNSET_URL (url_env) is not set",
		22: "a WeCom robot URL has its key in the query",
		23: `unknown key "colour"`,
		24: `destination "soc-mail" is defined twice (first at line 2)`,
		27: "destination hook2: a webhook needs secret_env",
		30: `unknown event "escalated"`,
		32: `unknown destination "nobody"`,
		34: `unknown level "critical"`,
		36: `unknown category "phishing"`,
		37: `unknown key "schedule" in routes`,
	}
	for line, text := range want {
		prefix := fmt.Sprintf("%s:%d: ", path, line)
		if !slices.ContainsFunc(re.Problems, func(p string) bool { return strings.HasPrefix(p, prefix) && strings.Contains(p, text) }) {
			t.Errorf("no problem %q at line %d", text, line)
		}
	}
	if len(re.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(re.Problems), len(want), err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Error("the error repeats an inline secret")
	}
}

func TestParseRoutesMore(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		env  func(string) string
		want string // "" for valid
	}{
		"empty file":         {yaml: "", want: ""},
		"only comments":      {yaml: "# nothing yet\n", want: ""},
		"not yaml":           {yaml: "destinations: [\n", want: "x.yaml: yaml:"},
		"two default robots": {yaml: "destinations:\n  - {name: a, kind: feishu, url_env: U, default: true}\n  - {name: b, kind: feishu, url_env: U, default: true}\n", env: env("U", "https://open.feishu.cn/open-apis/bot/v2/hook/x"), want: "x.yaml:3: b is a second default feishu robot (a, line 2"},
		"default e-mail":     {yaml: "destinations:\n  - {name: a, kind: email, to: [a@b.example], default: true}\n", want: "x.yaml:2: destination a: only a robot"},
		"wecom signs not":    {yaml: "destinations:\n  - {name: a, kind: wecom, url_env: U, secret_env: S}\n", env: env("U", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "S", "s"), want: "WeCom robots do not sign"},
		"dingtalk token":     {yaml: "destinations:\n  - {name: a, kind: dingtalk, url_env: U}\n", env: env("U", "https://oapi.dingtalk.com/robot/send"), want: "access_token"},
		"e-mail with a url":  {yaml: "destinations:\n  - {name: a, kind: email, to: a@b.example, url: https://x.example}\n", want: "an e-mail destination has no url"},
		"no to":              {yaml: "destinations:\n  - {name: a, kind: email}\n", want: "needs to:"},
		"bad env name":       {yaml: "destinations:\n  - {name: a, kind: feishu, url_env: 'not a name'}\n", want: "is not an environment variable name"},
		"unknown top key":    {yaml: "destination: []\n", want: `x.yaml:1: unknown key "destination"`},
		"team twice":         {yaml: "routes:\n  teams:\n    Net: []\n    net: []\n", want: `x.yaml:4: routes.teams: team "net" is given twice`},
	} {
		t.Run(name, func(t *testing.T) {
			getenv := tc.env
			if getenv == nil {
				getenv = env()
			}
			r, err := notify.ParseRoutes("x.yaml", []byte(tc.yaml), getenv)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want == "" && len(r.Endpoints()) != 0:
				t.Fatalf("endpoints from nothing: %v", r.Endpoints())
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// FuzzParseRoutes: any input is either refused with problems or gives
// routes whose rules name only configured destinations; nothing panics.
func FuzzParseRoutes(f *testing.F) {
	for _, name := range []string{"routes_good.yaml", "routes_bad.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "channels", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("destinations: {a: b}\nroutes: [x]\n"))
	f.Add([]byte("destinations:\n  - &a {name: x, kind: webhook, url: 'http://h', secret_env: S}\n  - *a\n"))
	getenv := func(k string) string {
		if k == "S" || strings.HasPrefix(k, "TEST_") {
			return "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k&access_token=t"
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := notify.ParseRoutes("fuzz.yaml", data, getenv)
		if err != nil {
			var re *notify.RoutesError
			if !errors.As(err, &re) || len(re.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		inc := &incident.Incident{Level: incident.Special, Category: incident.DataSecurity,
			Assignees: []incident.Assignee{{Kind: "team", Name: "network"}}}
		for _, ch := range notify.Changes() {
			for _, e := range r.Select(inc, ch) {
				if got, ok := r.Endpoint(e.Name); !ok || got != e {
					t.Fatalf("selected %q, which is not configured", e.Name)
				}
			}
		}
	})
}
