package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// Endpoint is a named place broadcasts go: an e-mail list, a generic
// webhook or a WeCom, DingTalk or Feishu group robot. Its secrets (the
// webhook's signing secret, a robot's signing secret, a robot URL, which
// carries the robot's key) come from environment variables named in the
// routes file, never from the file itself.
type Endpoint struct {
	Name    string
	Kind    Channel         // email, webhook, wecom, dingtalk or feishu
	To      []*mail.Address // e-mail: the recipients
	URL     string          // webhook or robot: where to POST (a secret for robots)
	Secret  string          // webhook: HMAC key (required); dingtalk, feishu: signing secret (optional)
	Default bool            // the robot of its kind that pages to a person's chat id go through
	Events  []Change        // the changes it wants; all when empty
	Line    int             // where it is defined in the routes file
}

// Wants reports whether e takes broadcasts of change ch.
func (e *Endpoint) Wants(ch Change) bool { return len(e.Events) == 0 || slices.Contains(e.Events, ch) }

// LogValue shows an endpoint without its secrets: a URL by its host only.
func (e *Endpoint) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("name", e.Name), slog.String("kind", string(e.Kind))}
	if e.URL != "" {
		host := "(unparsable)"
		if u, err := url.Parse(e.URL); err == nil {
			host = u.Scheme + "://" + u.Host
		}
		attrs = append(attrs, slog.String("host", host))
	}
	if len(e.To) > 0 {
		attrs = append(attrs, slog.Int("recipients", len(e.To)))
	}
	if e.Secret != "" {
		attrs = append(attrs, slog.String("secret", "(set)"))
	}
	if e.Default {
		attrs = append(attrs, slog.Bool("default", true))
	}
	return slog.GroupValue(attrs...)
}

// Routes are the configured endpoints and the rules that choose, for an
// incident change, which of them hear of it: every incident (All), by the
// level in force, by the teams assigned to it, by its category. A nil
// *Routes has no endpoints and chooses none.
type Routes struct {
	endpoints  map[string]*Endpoint
	all        []string
	levels     map[incident.Level][]string
	teams      map[string][]string // by lower-cased team name
	categories map[incident.Category][]string
}

// Endpoint returns the endpoint called name.
func (r *Routes) Endpoint(name string) (*Endpoint, bool) {
	if r == nil {
		return nil, false
	}
	e, ok := r.endpoints[name]
	return e, ok
}

// Default returns the default robot of kind, through which pages to a
// person's chat id on that platform go.
func (r *Routes) Default(kind Channel) (*Endpoint, bool) {
	if r == nil {
		return nil, false
	}
	for _, e := range r.endpoints {
		if e.Kind == kind && e.Default {
			return e, true
		}
	}
	return nil, false
}

// Endpoints lists every endpoint, by name.
func (r *Routes) Endpoints() []*Endpoint {
	if r == nil {
		return nil
	}
	out := make([]*Endpoint, 0, len(r.endpoints))
	for _, e := range r.endpoints {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Select returns the endpoints that hear of change ch of inc, by name,
// each once: those of every incident, of its level, of its category and
// of each team assigned to it (an assignee of kind team, matched by name
// without regard to case), that want ch.
func (r *Routes) Select(inc *incident.Incident, ch Change) []*Endpoint {
	if r == nil || inc == nil {
		return nil
	}
	names := slices.Clone(r.all)
	names = append(names, r.levels[inc.Level]...)
	names = append(names, r.categories[inc.Category]...)
	for _, a := range inc.Assignees {
		if a.Kind == "team" || a.Kind == "" {
			names = append(names, r.teams[teamKey(a.Name)]...)
		}
	}
	sort.Strings(names)
	names = slices.Compact(names)
	var out []*Endpoint
	for _, n := range names {
		if e := r.endpoints[n]; e != nil && e.Wants(ch) {
			out = append(out, e)
		}
	}
	return out
}

func teamKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// People finds how a person of the roster is reached on a channel: their
// e-mail address, or their user id on WeCom, DingTalk or Feishu. Pages
// carry the person's id, and the e-mail and robot senders look the
// address up when they send.
type People interface {
	// Address returns person's address on ch, or an error wrapping
	// ErrNoAddress when the person has none there (or is not in the roster).
	Address(ctx context.Context, person string, ch Channel) (string, error)
}

// ErrNoAddress is returned (wrapped) for a person with no address on a
// channel.
var ErrNoAddress = errors.New("no address on this channel")
