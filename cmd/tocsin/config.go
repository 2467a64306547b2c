package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/share"
)

// Config is every setting of the hub, read once at start from flags and the
// environment (flags win), with defaults, and validated before anything runs.
type Config struct {
	Addr           string   // listen address, host:port
	DataDir        string   // the embedded store's directory
	MongoURI       string   // empty: the embedded store
	MongoDB        string   // database name
	BaseURL        string   // absolute URL of the hub, no trailing slash
	AdminPassword  string   // password of the first admin; empty: random, printed once
	BootstrapToken string   // accepted as an admin API token when set
	TrustedProxies []string // IPs or CIDRs whose X-Forwarded-For is believed
	LogLevel       slog.Level
	LogFormat      string // text or json
	Demo           bool   // load the demo data set into an empty database

	// Notification channels other than Slack (channels.go).
	NotifyFile   string         // YAML file of destinations and the routes choosing them; empty: no broadcasts
	Routes       *notify.Routes // read from NotifyFile at start, its secrets from the environment
	SMTPAddr     string         // host:port of the SMTP server; empty: no e-mail
	SMTPUser     string         // AUTH PLAIN user; empty: no authentication
	SMTPPassword string         // secret
	SMTPFrom     string         // sender of e-mail
	SMTPNoTLS    bool           // TOCSIN_SMTP_STARTTLS=off: no STARTTLS, for a local relay
	// Slack: chat is on when the bot token is set.
	SlackBotToken      string // xoxb-…; a secret
	SlackSigningSecret string // verifies requests from Slack; a secret
	SlackChannel       string // the response center's channel id
	SlackAPIURL        string // empty: Slack's; tests point it at a fake server

	// ManagerReports are the periods of the report sent to managers.
	ManagerReports []notify.Period

	// MaskFile is the YAML file of masking rules for shared views (share.go);
	// empty: the built-in rules only. Mask is what it says.
	MaskFile string
	Mask     share.MaskConfig
}

// Slack reports whether chat is on.
func (c Config) Slack() bool { return c.SlackBotToken != "" }

// Embedded reports whether the hub runs its own in-process database.
func (c Config) Embedded() bool { return c.MongoURI == "" }

// MinBootstrapToken is the shortest bootstrap token accepted: it is an admin
// credential.
const MinBootstrapToken = 16

// setting is one configuration entry: its environment variable, its flag
// (empty for secrets, which must not appear in process lists), its default
// and how it is parsed into a Config.
type setting struct {
	env   string
	flag  string
	def   string
	usage string
	bool  bool // a boolean flag: --demo alone means true
	parse func(c *Config, v string) error
}

var settings = []setting{
	{env: "TOCSIN_ADDR", flag: "addr", def: "127.0.0.1:8080", usage: "address to listen on, host:port",
		parse: func(c *Config, v string) error { c.Addr = v; return validAddr(v) }},
	{env: "TOCSIN_DATA_DIR", flag: "data-dir", def: "./data", usage: "directory of the embedded database (when no MongoDB URI is set)",
		parse: func(c *Config, v string) error { c.DataDir = v; return nil }},
	{env: "TOCSIN_MONGO_URI", flag: "mongo-uri", usage: "MongoDB connection string; empty runs the embedded FerretDB",
		parse: func(c *Config, v string) error { c.MongoURI = v; return validMongoURI(v) }},
	{env: "TOCSIN_MONGO_DB", flag: "mongo-db", def: "tocsin", usage: "database name",
		parse: func(c *Config, v string) error { c.MongoDB = v; return validDBName(v) }},
	{env: "TOCSIN_BASE_URL", flag: "base-url", usage: "public URL of the hub, for links (default http://<addr>)",
		parse: func(c *Config, v string) error { c.BaseURL = strings.TrimRight(v, "/"); return validBaseURL(v) }},
	{env: "TOCSIN_ADMIN_PASSWORD", usage: "password of the first admin account; empty: random, printed once",
		parse: func(c *Config, v string) error { c.AdminPassword = v; return validAdminPassword(v) }},
	{env: "TOCSIN_BOOTSTRAP_TOKEN", usage: "if set, accepted as an admin API token (at least 16 characters)",
		parse: func(c *Config, v string) error { c.BootstrapToken = v; return validBootstrapToken(v) }},
	{env: "TOCSIN_TRUSTED_PROXIES", flag: "trusted-proxies", usage: "comma-separated IPs or CIDRs of reverse proxies; empty: none",
		parse: parseProxies},
	{env: "TOCSIN_LOG_LEVEL", flag: "log-level", def: "info", usage: "debug, info, warn or error",
		parse: func(c *Config, v string) error {
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return errors.New("want debug, info, warn or error")
			}
			return nil
		}},
	{env: "TOCSIN_LOG_FORMAT", flag: "log-format", def: "text", usage: "text or json",
		parse: func(c *Config, v string) error {
			c.LogFormat = v
			if v != "text" && v != "json" {
				return errors.New("want text or json")
			}
			return nil
		}},
	{env: "TOCSIN_SLACK_BOT_TOKEN", usage: "Slack bot token (xoxb-…); unset: chat off",
		parse: func(c *Config, v string) error { c.SlackBotToken = v; return validSlackToken(v) }},
	{env: "TOCSIN_SLACK_SIGNING_SECRET", usage: "Slack app signing secret; verifies /slack/* requests",
		parse: func(c *Config, v string) error { c.SlackSigningSecret = v; return validSlackSecret(v) }},
	{env: "TOCSIN_SLACK_CHANNEL", flag: "slack-channel", usage: "Slack channel id of the response center (cards go there)",
		parse: func(c *Config, v string) error { c.SlackChannel = v; return validSlackChannel(v) }},
	{env: "TOCSIN_SLACK_API_URL", flag: "slack-api-url", usage: "Slack Web API URL; empty: Slack's (https://slack.com/api/)",
		parse: func(c *Config, v string) error { c.SlackAPIURL = v; return validSlackAPIURL(v) }},
	{env: "TOCSIN_DEMO", flag: "demo", def: "false", bool: true, usage: "load demo people and incidents into an empty database",
		parse: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("want true or false")
			}
			c.Demo = b
			return nil
		}},

	// Notification channels other than Slack (channels.go).
	{env: "TOCSIN_NOTIFY_FILE", flag: "notify-file", usage: "YAML file of notification destinations (e-mail lists, webhooks, WeCom/DingTalk/Feishu robots) and the routes choosing them; empty: no broadcasts",
		parse: func(c *Config, v string) error { c.NotifyFile = v; return nil }},
	{env: "TOCSIN_SMTP_ADDR", flag: "smtp-addr", usage: "SMTP server for e-mail, host:port; empty: no e-mail",
		parse: func(c *Config, v string) error { c.SMTPAddr = v; return validSMTPAddr(v) }},
	{env: "TOCSIN_SMTP_USER", flag: "smtp-user", usage: "SMTP user (AUTH PLAIN); empty: no authentication",
		parse: func(c *Config, v string) error { c.SMTPUser = v; return nil }},
	{env: "TOCSIN_SMTP_PASSWORD", usage: "SMTP password",
		parse: func(c *Config, v string) error { c.SMTPPassword = v; return nil }},
	{env: "TOCSIN_SMTP_FROM", flag: "smtp-from", usage: `sender of e-mail, e.g. "Tocsin <tocsin@example.com>"`,
		parse: func(c *Config, v string) error { c.SMTPFrom = v; return validSMTPFrom(v) }},
	{env: "TOCSIN_SMTP_STARTTLS", flag: "smtp-starttls", def: "required", usage: "required, or off for a relay that does not offer STARTTLS",
		parse: parseStartTLS},
	{env: "TOCSIN_MANAGER_REPORTS", flag: "manager-reports", def: "weekly,monthly", usage: "periodic reports sent to managers: weekly, monthly, both (comma-separated) or off",
		parse: parseReports},
	{env: "TOCSIN_MASK_FILE", flag: "mask-file", usage: "YAML file of masking rules for shared views (extra patterns, internal domains and networks, built-ins to disable); empty: the built-in rules",
		parse: func(c *Config, v string) error { c.MaskFile = v; return nil }},
}

// flagValue collects a setting's flag; set records that it was given.
type flagValue struct {
	v      string
	set    bool
	isBool bool
}

func (f *flagValue) String() string     { return f.v }
func (f *flagValue) Set(v string) error { f.v, f.set = v, true; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }

// configFlags registers the settings' flags on fs. After fs.Parse, the
// returned function reads the whole configuration.
func configFlags(fs *flag.FlagSet) func(getenv func(string) string) (Config, error) {
	values := make([]*flagValue, len(settings))
	for i, s := range settings {
		values[i] = &flagValue{isBool: s.bool}
		if s.flag != "" {
			fs.Var(values[i], s.flag, s.usage+" ($"+s.env+")")
		}
	}
	return func(getenv func(string) string) (Config, error) {
		var (
			c    Config
			errs []string
		)
		for i, s := range settings {
			v, from := s.def, "default"
			if e := getenv(s.env); e != "" {
				v, from = e, s.env
			}
			if values[i].set {
				v, from = values[i].v, "--"+s.flag
			}
			v = strings.TrimSpace(v)
			if err := s.parse(&c, v); err != nil {
				shown := strconv.Quote(v)
				if s.flag == "" || s.env == "TOCSIN_MONGO_URI" {
					shown = maskSecret(s.env, v)
				}
				errs = append(errs, fmt.Sprintf("%s %s (from %s): %v", s.env, shown, from, err))
			}
		}
		if c.BaseURL == "" && validAddr(c.Addr) == nil {
			c.BaseURL = defaultBaseURL(c.Addr)
		}
		if c.Embedded() && strings.TrimSpace(c.DataDir) == "" {
			errs = append(errs, "TOCSIN_DATA_DIR: a data directory is required when TOCSIN_MONGO_URI is empty")
		}
		errs = append(errs, c.loadChannels(getenv)...)
		errs = append(errs, c.loadMask()...)
		if c.Slack() && c.SlackSigningSecret == "" {
			errs = append(errs, "TOCSIN_SLACK_SIGNING_SECRET: required with TOCSIN_SLACK_BOT_TOKEN (Slack app → Basic Information → Signing Secret)")
		}
		if c.Slack() && c.SlackChannel == "" {
			errs = append(errs, "TOCSIN_SLACK_CHANNEL: required with TOCSIN_SLACK_BOT_TOKEN: the response center's channel id, e.g. C0123ABCD")
		}
		if len(errs) > 0 {
			return c, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
		}
		return c, nil
	}
}

// defaultBaseURL is the URL a browser on this machine reaches addr at.
func defaultBaseURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func validAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("the port must be a number from 1 to 65535")
	}
	if strings.ContainsAny(host, " /") {
		return errors.New("want host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
	}
	return nil
}

func validMongoURI(v string) error {
	if v == "" || strings.HasPrefix(v, "mongodb://") || strings.HasPrefix(v, "mongodb+srv://") {
		return nil
	}
	return errors.New("want a mongodb:// or mongodb+srv:// connection string, or nothing for the embedded store")
}

func validDBName(v string) error {
	if v == "" || len(v) > 63 || strings.ContainsAny(v, `/\. "$*<>:|?`) {
		return errors.New("want 1-63 characters without spaces, dots, slashes or quotes")
	}
	return nil
}

func validBaseURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want an absolute http:// or https:// URL without query, e.g. https://tocsin.example.com")
	}
	return nil
}

func validAdminPassword(v string) error {
	if v != "" && (len(v) < 10 || len(v) > 72) {
		return errors.New("want 10 to 72 bytes, or nothing for a random password")
	}
	return nil
}

func validBootstrapToken(v string) error {
	switch {
	case v == "":
		return nil
	case len(v) < MinBootstrapToken:
		return fmt.Errorf("too short: it is an admin credential, use at least %d characters (e.g. openssl rand -hex 24)", MinBootstrapToken)
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }):
		return errors.New("use printable ASCII without spaces")
	}
	return nil
}

func validSlackToken(v string) error {
	switch {
	case v == "":
		return nil
	case !strings.HasPrefix(v, "xoxb-") && !strings.HasPrefix(v, "xoxp-"):
		return errors.New("want a Slack bot token, starting xoxb- (OAuth & Permissions → Bot User OAuth Token)")
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }):
		return errors.New("use printable ASCII without spaces")
	}
	return nil
}

func validSlackSecret(v string) error {
	if v != "" && (len(v) < 16 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' })) {
		return errors.New("want the app's signing secret: at least 16 printable characters")
	}
	return nil
}

var slackChannelRE = regexp.MustCompile(`^[CG][A-Z0-9]{2,31}$`)

func validSlackChannel(v string) error {
	if v != "" && !slackChannelRE.MatchString(v) {
		return errors.New("want a channel id such as C0123ABCD (channel details → About), not its name")
	}
	return nil
}

func validSlackAPIURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return errors.New("want an absolute http:// or https:// URL, e.g. https://slack.com/api/")
	}
	return nil
}

func parseProxies(c *Config, v string) error {
	c.TrustedProxies = nil
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return fmt.Errorf("%q is neither an IP address nor a CIDR range", p)
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	return nil
}

// maskSecret shows a secret setting's value without revealing it.
func maskSecret(env, v string) string {
	switch {
	case env == "TOCSIN_MONGO_URI":
		return strconv.Quote(maskURI(v))
	case v == "":
		return "(unset)"
	}
	return "(set, " + strconv.Itoa(len(v)) + " characters)"
}

// maskURI hides the password in a connection string's user info. It works
// on the text, because MongoDB URIs with several hosts are not valid URLs.
func maskURI(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return uri
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return uri
	}
	user, _, hasPW := strings.Cut(rest[:at], ":")
	if !hasPW {
		return uri
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// LogValue shows the configuration in logs, secrets masked. The keys are
// stable.
func (c Config) LogValue() slog.Value {
	adminPW := "(random, printed once at first start)"
	if c.AdminPassword != "" {
		adminPW = maskSecret("TOCSIN_ADMIN_PASSWORD", c.AdminPassword)
	}
	store := "embedded"
	if !c.Embedded() {
		store = "mongodb"
	}
	proxies := strings.Join(c.TrustedProxies, ",")
	if proxies == "" {
		proxies = "(none)"
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("base_url", c.BaseURL),
		slog.String("store", store),
		slog.String("data_dir", c.DataDir),
		slog.String("mongo_uri", maskURI(c.MongoURI)),
		slog.String("mongo_db", c.MongoDB),
		slog.String("admin_password", adminPW),
		slog.String("bootstrap_token", maskSecret("TOCSIN_BOOTSTRAP_TOKEN", c.BootstrapToken)),
		slog.String("trusted_proxies", proxies),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.Bool("demo", c.Demo),

		// Notification channels other than Slack.
		slog.String("notify_file", c.NotifyFile),
		slog.Int("notify_destinations", len(c.Routes.Endpoints())),
		slog.String("smtp_addr", c.SMTPAddr),
		slog.String("smtp_user", c.SMTPUser),
		slog.String("smtp_password", maskSecret("TOCSIN_SMTP_PASSWORD", c.SMTPPassword)),
		slog.String("smtp_from", c.SMTPFrom),
		slog.String("smtp_starttls", startTLSSetting(c.SMTPNoTLS)),
		slog.Bool("slack", c.Slack()),
		slog.String("slack_bot_token", maskSecret("TOCSIN_SLACK_BOT_TOKEN", c.SlackBotToken)),
		slog.String("slack_signing_secret", maskSecret("TOCSIN_SLACK_SIGNING_SECRET", c.SlackSigningSecret)),
		slog.String("slack_channel", c.SlackChannel),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("manager_reports", managerReportsSetting(c.ManagerReports)),
		slog.String("mask_file", c.MaskFile),
	)
}

// String renders the configuration, secrets masked, one key=value per field.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", a.Key, strconv.Quote(a.Value.String()))
	}
	return b.String()
}
