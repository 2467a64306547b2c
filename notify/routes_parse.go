package notify

import (
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tocsin-hub/tocsin/incident"
)

// LoadRoutes reads the routes file at path (TOCSIN_NOTIFY_FILE), taking
// the secrets it names from getenv. See ParseRoutes.
func LoadRoutes(path string, getenv func(string) string) (*Routes, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("routes file: %w", err)
	}
	return ParseRoutes(path, data, getenv)
}

// RoutesError lists every problem of a routes file, each with its file
// and line.
type RoutesError struct {
	Problems []string
}

func (e *RoutesError) Error() string {
	return "invalid routes file:\n  " + strings.Join(e.Problems, "\n  ")
}

// The shapes of names in a routes file.
var (
	endpointName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// ParseRoutes reads a routes file (name is used in messages). It reports
// every problem at once, each with its line: unknown keys, endpoints
// without a name or of an unknown kind, bad e-mail addresses or URLs,
// secrets written into the file instead of named by environment variable,
// environment variables that are unset, rules naming unknown endpoints,
// levels or categories. An empty file is valid and routes nothing.
//
// The format is documented in docs/notifications.md:
//
//	destinations:
//	  - name: leadership-dingtalk
//	    kind: dingtalk
//	    url_env: TOCSIN_DINGTALK_LEADERSHIP_URL
//	    secret_env: TOCSIN_DINGTALK_LEADERSHIP_SECRET
//	    events: [reported, level, closed]
//	routes:
//	  all: [soc-mail]
//	  levels: {special: [leadership-dingtalk]}
//	  teams: {network: [netops-wecom]}
//	  categories: {data_security: [dpo-mail]}
func ParseRoutes(name string, data []byte, getenv func(string) string) (*Routes, error) {
	p := &routesParser{file: name, getenv: getenv, r: &Routes{
		endpoints:  map[string]*Endpoint{},
		levels:     map[incident.Level][]string{},
		teams:      map[string][]string{},
		categories: map[incident.Category][]string{},
	}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &RoutesError{Problems: []string{fmt.Sprintf("%s: %v", name, err)}}
	}
	if len(doc.Content) > 0 {
		p.top(doc.Content[0])
	}
	if len(p.problems) > 0 {
		return nil, &RoutesError{Problems: p.problems}
	}
	return p.r, nil
}

type routesParser struct {
	file     string
	getenv   func(string) string
	r        *Routes
	problems []string
	refs     []ref // endpoint names used by rules, checked once all are known
}

type ref struct {
	name string
	line int
}

func (p *routesParser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...)))
}

// pairs walks a mapping node, reporting keys outside known.
func (p *routesParser) pairs(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if known != nil && !slices.Contains(known, k.Value) {
			p.errorf(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%q is given twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		f(k.Value, k, v)
	}
}

func (p *routesParser) top(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	var routes *yaml.Node
	p.pairs(n, "the routes file", []string{"destinations", "routes"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "destinations":
			p.destinations(v)
		case "routes":
			routes = v
		}
	})
	if routes != nil {
		p.rules(routes)
	}
	for _, rf := range p.refs {
		if _, ok := p.r.endpoints[rf.name]; !ok {
			p.problems = append(p.problems, fmt.Sprintf("%s:%d: unknown destination %q", p.file, rf.line, rf.name))
		}
	}
	defaults := map[Channel]*Endpoint{}
	for _, e := range p.r.Endpoints() {
		if !e.Default {
			continue
		}
		if d := defaults[e.Kind]; d != nil {
			p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s is a second default %s robot (%s, line %d, is one already)",
				p.file, e.Line, e.Name, e.Kind, d.Name, d.Line))
			continue
		}
		defaults[e.Kind] = e
	}
}

func (p *routesParser) destinations(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "destinations must be a list")
		return
	}
	for _, item := range n.Content {
		if e := p.destination(item); e != nil {
			if prev, dup := p.r.endpoints[e.Name]; dup {
				p.errorf(item, "destination %q is defined twice (first at line %d)", e.Name, prev.Line)
				continue
			}
			p.r.endpoints[e.Name] = e
		}
	}
}

var destinationKeys = []string{"name", "kind", "to", "url", "url_env", "secret", "secret_env", "default", "events"}

// destination reads one endpoint; nil when it is too broken to keep.
func (p *routesParser) destination(n *yaml.Node) *Endpoint {
	e := &Endpoint{Line: n.Line}
	fields := map[string]*yaml.Node{}
	p.pairs(n, "a destination", destinationKeys, func(key string, _, v *yaml.Node) { fields[key] = v })
	if n.Kind != yaml.MappingNode {
		return nil
	}
	ok := true
	if v := fields["name"]; v == nil {
		p.errorf(n, "a destination needs a name")
		ok = false
	} else if e.Name = p.scalar(v, "name"); !endpointName.MatchString(e.Name) {
		p.errorf(v, "destination name %q: use 1 to 63 lower-case letters, digits, - and _", e.Name)
		ok = false
	}
	switch v := fields["kind"]; {
	case v == nil:
		p.errorf(n, "destination %s needs a kind (email, webhook, wecom, dingtalk or feishu)", e.Name)
		ok = false
	default:
		e.Kind = Channel(p.scalar(v, "kind"))
		switch e.Kind {
		case ChannelEmail, ChannelWebhook, ChannelWeCom, ChannelDingTalk, ChannelFeishu:
		default:
			p.errorf(v, "destination %s: unknown kind %q (want email, webhook, wecom, dingtalk or feishu)", e.Name, e.Kind)
			ok = false
		}
	}
	if v := fields["secret"]; v != nil {
		p.errorf(v, "destination %s: secrets are not written in this file; name the environment variable that holds it with secret_env", e.Name)
	}
	if v := fields["events"]; v != nil {
		e.Events = p.events(v, e.Name)
	}
	if v := fields["default"]; v != nil {
		if err := v.Decode(&e.Default); err != nil || v.Kind != yaml.ScalarNode {
			p.errorf(v, "destination %s: default must be true or false", e.Name)
		}
	}
	if !ok {
		return nil
	}
	robot := e.Kind == ChannelWeCom || e.Kind == ChannelDingTalk || e.Kind == ChannelFeishu
	if e.Default && !robot {
		p.errorf(fields["default"], "destination %s: only a robot (wecom, dingtalk, feishu) can be the default of its kind", e.Name)
	}

	if e.Kind == ChannelEmail {
		for _, key := range []string{"url", "url_env", "secret_env"} {
			if v := fields[key]; v != nil {
				p.errorf(v, "destination %s: an e-mail destination has no %s (the SMTP server is set by TOCSIN_SMTP_*)", e.Name, key)
			}
		}
		e.To = p.addresses(fields["to"], n, e.Name)
		return e
	}
	if v := fields["to"]; v != nil {
		p.errorf(v, "destination %s: to is for e-mail destinations; a %s destination has a url", e.Name, e.Kind)
	}
	e.URL = p.url(e, fields["url"], fields["url_env"], n, robot)
	switch sv := fields["secret_env"]; {
	case sv != nil && e.Kind == ChannelWeCom:
		p.errorf(sv, "destination %s: WeCom robots do not sign; their key is in the URL (url_env)", e.Name)
	case sv != nil:
		e.Secret = p.env(sv, e.Name, "secret_env")
	case e.Kind == ChannelWebhook:
		p.errorf(n, "destination %s: a webhook needs secret_env, the variable holding the secret its requests are signed with", e.Name)
	}
	return e
}

func (p *routesParser) scalar(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a single value", what)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (p *routesParser) list(n *yaml.Node, what string) []*yaml.Node {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				p.errorf(c, "each entry of %s must be a single value", what)
				return nil
			}
		}
		return n.Content
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []*yaml.Node{n}
	}
	p.errorf(n, "%s must be a list", what)
	return nil
}

func (p *routesParser) events(n *yaml.Node, dest string) []Change {
	var out []Change
	for _, c := range p.list(n, "events") {
		ch := Change(strings.TrimSpace(c.Value))
		if !ch.Valid() {
			p.errorf(c, "destination %s: unknown event %q (want reported, level, stage or closed)", dest, c.Value)
			continue
		}
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

func (p *routesParser) addresses(n, parent *yaml.Node, dest string) []*mail.Address {
	if n == nil {
		p.errorf(parent, "destination %s: an e-mail destination needs to: one or more addresses", dest)
		return nil
	}
	var out []*mail.Address
	items := p.list(n, "to")
	for _, c := range items {
		a, err := mail.ParseAddress(c.Value)
		if err != nil {
			p.errorf(c, "destination %s: %q is not an e-mail address", dest, c.Value)
			continue
		}
		out = append(out, a)
	}
	if len(items) == 0 && n.Kind != yaml.MappingNode {
		p.errorf(n, "destination %s: to lists no address", dest)
	}
	return out
}

// url reads a destination's URL from url or url_env. The URL of a robot
// carries its key, so it must come from the environment.
func (p *routesParser) url(e *Endpoint, inline, fromEnv, parent *yaml.Node, robot bool) string {
	var raw string
	var at *yaml.Node
	switch {
	case inline != nil && fromEnv != nil:
		p.errorf(inline, "destination %s: give url or url_env, not both", e.Name)
		return ""
	case inline != nil && robot:
		p.errorf(inline, "destination %s: a robot's URL carries its key, a secret: put it in an environment variable and name it with url_env", e.Name)
		return ""
	case inline != nil:
		raw, at = p.scalar(inline, "url"), inline
	case fromEnv != nil:
		raw, at = p.env(fromEnv, e.Name, "url_env"), fromEnv
		if raw == "" {
			return ""
		}
	default:
		p.errorf(parent, "destination %s: a %s destination needs url_env (or url for a webhook)", e.Name, e.Kind)
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.errorf(at, "destination %s: the URL is not an absolute http(s) URL", e.Name) // the URL itself may be secret
		return ""
	}
	switch {
	case e.Kind == ChannelWeCom && u.Query().Get("key") == "":
		p.errorf(at, "destination %s: a WeCom robot URL has its key in the query (…/cgi-bin/webhook/send?key=…)", e.Name)
	case e.Kind == ChannelDingTalk && u.Query().Get("access_token") == "":
		p.errorf(at, "destination %s: a DingTalk robot URL has its access_token in the query (…/robot/send?access_token=…)", e.Name)
	}
	return raw
}

// env reads the environment variable named by n, which must be set.
func (p *routesParser) env(n *yaml.Node, dest, key string) string {
	name := p.scalar(n, key)
	if !envName.MatchString(name) {
		p.errorf(n, "destination %s: %s %q is not an environment variable name", dest, key, name)
		return ""
	}
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		p.errorf(n, "destination %s: environment variable %s (%s) is not set", dest, name, key)
	}
	return v
}

func (p *routesParser) rules(n *yaml.Node) {
	p.pairs(n, "routes", []string{"all", "levels", "teams", "categories"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "all":
			p.r.all = p.names(v, "routes.all")
		case "levels":
			p.pairs(v, "routes.levels", nil, func(lk string, k, lv *yaml.Node) {
				l := incident.Level(lk)
				if !l.Valid() {
					p.errorf(k, "routes.levels: unknown level %q (want ordinary, serious or special)", lk)
					return
				}
				p.r.levels[l] = p.names(lv, "routes.levels."+lk)
			})
		case "teams":
			p.pairs(v, "routes.teams", nil, func(tk string, k, tv *yaml.Node) {
				t := teamKey(tk)
				if t == "" {
					p.errorf(k, "routes.teams: a team name is empty")
					return
				}
				if _, dup := p.r.teams[t]; dup {
					p.errorf(k, "routes.teams: team %q is given twice (names are matched without regard to case)", tk)
					return
				}
				p.r.teams[t] = p.names(tv, "routes.teams."+tk)
			})
		case "categories":
			p.pairs(v, "routes.categories", nil, func(ck string, k, cv *yaml.Node) {
				c := incident.Category(ck)
				if !c.Valid() {
					p.errorf(k, "routes.categories: unknown category %q", ck)
					return
				}
				p.r.categories[c] = p.names(cv, "routes.categories."+ck)
			})
		}
	})
}

// names reads a list of destination names, to be checked once all
// destinations are known.
func (p *routesParser) names(n *yaml.Node, what string) []string {
	var out []string
	for _, c := range p.list(n, what) {
		name := strings.TrimSpace(c.Value)
		p.refs = append(p.refs, ref{name: name, line: c.Line})
		out = append(out, name)
	}
	return out
}
