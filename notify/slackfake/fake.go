// Package slackfake is a Slack Web API for tests: slack-go's slacktest
// server with handlers bound for the methods Tocsin calls, which record
// what they receive and answer as Slack does. Posts are kept per
// conversation, with their metadata, so conversations.history and
// conversations.replies find them; faults (a status, a Retry-After, a
// Slack error code, a delay) can be queued per method. It also serves
// response_url addresses and records what is posted to them.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
)

// Call is one request the fake received.
type Call struct {
	Method string     // e.g. "chat.postMessage"
	Form   url.Values // its parameters
	Body   []byte     // the raw body of a JSON call or a response_url post
}

// Fault is an answer to give instead of the normal one.
type Fault struct {
	Status     int           // HTTP status; 0 means 200
	RetryAfter string        // Retry-After header, with Status 429
	Error      string        // a Slack error code, answered with ok=false
	Delay      time.Duration // wait this long (or until the client gives up) first
}

// User is a Slack user users.info knows.
type User struct {
	ID, Email, Locale string
}

// post is a message kept in a conversation.
type post struct {
	TS, Thread, Text string
	Metadata         slack.SlackMetadata
}

// Server is the fake Slack.
type Server struct {
	*slacktest.Server

	mu       sync.Mutex
	calls    []Call
	faults   map[string][]Fault
	posts    map[string][]post // conversation → posts, oldest first
	taken    map[string]bool   // channel names in use
	members  map[string][]string
	users    map[string]User
	seq      int
	channels int
}

// methods are the Web API methods the fake answers itself.
var methods = []string{
	"chat.postMessage", "chat.update", "chat.postEphemeral",
	"conversations.create", "conversations.setTopic", "conversations.invite", "conversations.open",
	"conversations.history", "conversations.replies", "users.info", "views.open",
}

// New starts a fake Slack, stopped when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{faults: map[string][]Fault{}, posts: map[string][]post{}, taken: map[string]bool{},
		members: map[string][]string{}, users: map[string]User{}}
	s.Server = slacktest.NewTestServer(func(c slacktest.Customize) {
		for _, m := range methods {
			c.Handle("/"+m, s.handler(m))
		}
		c.Handle("/response/", s.respond)
	})
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the API URL to give slack.OptionAPIURL.
func (s *Server) URL() string { return s.GetAPIURL() }

// ResponseURL is a response_url the fake records posts to.
func (s *Server) ResponseURL(id string) string { return s.GetAPIURL() + "response/" + id }

// AddUser makes a user known to users.info.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// TakeName marks a channel name as in use, so creating it fails with
// name_taken.
func (s *Server) TakeName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taken[name] = true
}

// Fail queues faults for method, answered in order before normal answers
// resume.
func (s *Server) Fail(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// Heal drops every fault still queued: the fake answers normally from now.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// Calls returns what method received ("response" for response_url posts;
// "" for every call), oldest first.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until method has received at least n calls and returns
// them, or fails the test after timeout.
func (s *Server) WaitCalls(t testing.TB, method string, n int, timeout time.Duration) []Call {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		calls := s.Calls(method)
		if len(calls) >= n {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("slackfake: %d %s calls after %s, want %d", len(calls), method, timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Members lists the users invited into a channel.
func (s *Server) Members(channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members[channel])
}

func (s *Server) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		form, body, err := params(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: method, Form: form, Body: body})
		var fault *Fault
		if q := s.faults[method]; len(q) > 0 {
			fault, s.faults[method] = &q[0], q[1:]
		}
		s.mu.Unlock()
		if fault != nil {
			if fault.Delay > 0 {
				select {
				case <-time.After(fault.Delay):
				case <-r.Context().Done():
					return
				}
			}
			switch {
			case fault.Status == http.StatusTooManyRequests:
				w.Header().Set("Retry-After", fault.RetryAfter)
				w.WriteHeader(http.StatusTooManyRequests)
				return
			case fault.Status != 0 && fault.Status != http.StatusOK:
				http.Error(w, "<html>fake outage</html>", fault.Status)
				return
			case fault.Error != "":
				answer(w, map[string]any{"ok": false, "error": fault.Error})
				return
			}
		}
		answer(w, s.answer(method, form))
	}
}

// params reads a call's parameters: a form, or a JSON object (views.open)
// whose values that are not strings are kept as JSON text.
func params(r *http.Request) (url.Values, []byte, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		return r.PostForm, nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, nil, err
	}
	form := url.Values{}
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) == nil {
			form.Set(k, s)
		} else {
			form.Set(k, string(v))
		}
	}
	return form, body, nil
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// answer is what Slack says to a successful call.
func (s *Server) answer(method string, f url.Values) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := map[string]any{"ok": true}
	switch method {
	case "chat.postMessage":
		ch := f.Get("channel")
		if ch == "" {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		p := post{TS: s.ts(), Thread: f.Get("thread_ts"), Text: f.Get("text")}
		if m := f.Get("metadata"); m != "" {
			_ = json.Unmarshal([]byte(m), &p.Metadata)
		}
		s.posts[ch] = append(s.posts[ch], p)
		ok["channel"], ok["ts"] = ch, p.TS
		ok["message"] = map[string]any{"text": p.Text, "ts": p.TS}
	case "chat.update":
		ok["channel"], ok["ts"], ok["text"] = f.Get("channel"), f.Get("ts"), f.Get("text")
	case "chat.postEphemeral":
		ok["message_ts"] = s.ts()
	case "conversations.create":
		name := f.Get("name")
		if s.taken[name] {
			return map[string]any{"ok": false, "error": "name_taken"}
		}
		s.taken[name] = true
		s.channels++
		ok["channel"] = map[string]any{"id": fmt.Sprintf("C0NEW%04d", s.channels), "name": name, "is_private": f.Get("is_private") == "true"}
	case "conversations.setTopic":
		ok["channel"] = map[string]any{"id": f.Get("channel"), "topic": map[string]any{"value": f.Get("topic")}}
	case "conversations.invite":
		ch := f.Get("channel")
		for _, u := range strings.Split(f.Get("users"), ",") {
			if slices.Contains(s.members[ch], u) {
				return map[string]any{"ok": false, "error": "already_in_channel"}
			}
			s.members[ch] = append(s.members[ch], u)
		}
		ok["channel"] = map[string]any{"id": ch}
	case "conversations.open":
		ok["channel"] = map[string]any{"id": "D" + strings.TrimPrefix(f.Get("users"), "U")}
	case "conversations.history", "conversations.replies":
		oldest, _ := strconv.ParseFloat(f.Get("oldest"), 64)
		var msgs []map[string]any
		for _, p := range s.posts[f.Get("channel")] {
			ts, _ := strconv.ParseFloat(p.TS, 64)
			inThread := method == "conversations.replies" && (p.Thread == f.Get("ts") || p.TS == f.Get("ts"))
			if (method == "conversations.history" && p.Thread == "" || inThread) && (ts >= oldest || oldest == 0) {
				m := map[string]any{"type": "message", "ts": p.TS, "text": p.Text}
				if f.Get("include_all_metadata") == "1" && p.Metadata.EventType != "" {
					m["metadata"] = p.Metadata
				}
				msgs = append(msgs, m)
			}
		}
		slices.Reverse(msgs) // newest first, as Slack lists them
		ok["messages"], ok["has_more"] = msgs, false
	case "users.info":
		u, found := s.users[f.Get("user")]
		if !found {
			return map[string]any{"ok": false, "error": "user_not_found"}
		}
		ok["user"] = map[string]any{"id": u.ID, "locale": u.Locale, "profile": map[string]any{"email": u.Email}}
	case "views.open":
		ok["view"] = map[string]any{"id": fmt.Sprintf("V%04d", len(s.calls))}
	}
	return ok
}

// ts is a new message timestamp: the wall clock's seconds, as Slack's,
// and a sequence number, so that every ts is distinct and later ones sort
// after earlier ones.
func (s *Server) ts() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq%1000000)
}

// respond records a post to a response_url.
func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: "response", Form: url.Values{"path": {r.URL.Path}}, Body: body})
	s.mu.Unlock()
	answer(w, map[string]any{"ok": true})
}
