package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Action names what a record is about: "<kind>.<verb>".
type Action string

// The actions Tocsin records. Incident changes are "incident." followed by
// the incident.EventKind (reported, stage, level, acknowledged, restricted,
// occurrence, record, …).
const (
	ActionLoginSuccess Action = "login.success"
	ActionLoginFailure Action = "login.failure"
	ActionLoginLocked  Action = "login.locked" // refused while locked out, or locked by this failure
	ActionLogout       Action = "logout"
	ActionUserCreate   Action = "user.create"
	ActionTokenCreate  Action = "token.create"
	ActionAuditRead    Action = "audit.read"   // the trail was browsed
	ActionAuditExport  Action = "audit.export" // the trail was exported
)

// IncidentAction is the action of an incident change of kind.
func IncidentAction(kind string) Action { return Action("incident." + kind) }

// Actor is who did it.
type Actor struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Via      string `json:"via"` // session, token, bootstrap, cli, system
}

// Target is what it was done to.
type Target struct {
	Kind string `json:"kind"` // incident, user, token, person, team, department, override, handover, policy, audit
	ID   string `json:"id"`   // incident number, username, token prefix, roster id, level …
}

// Source is where the request came from.
type Source struct {
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// Change is one field's value before and after.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Record is one line of the audit trail.
type Record struct {
	Seq     int64
	At      time.Time
	Actor   Actor
	Action  Action
	Target  Target
	Source  Source
	Changes []Change
	Note    string
	Prev    string // Hash of record Seq-1; "" for record 1
	Hash    string
}

// Limits that keep records small; longer values are cut (with "…").
const (
	MaxValue     = 300 // characters of a change's before or after, of a name or an id
	MaxNote      = 500
	MaxUserAgent = 200
	MaxChanges   = 20
)

// Normalize returns r as it is hashed and stored: time in UTC to the
// millisecond (what the store keeps), strings valid UTF-8 without NUL, cut
// to the limits.
func (r Record) Normalize() Record {
	r.At = r.At.UTC().Truncate(time.Millisecond)
	c := func(s string, n int) string { return clip(s, n) }
	r.Actor = Actor{UserID: c(r.Actor.UserID, MaxValue), Username: c(r.Actor.Username, MaxValue), Name: c(r.Actor.Name, MaxValue), Via: c(r.Actor.Via, 32)}
	r.Action = Action(c(string(r.Action), 64))
	r.Target = Target{Kind: c(r.Target.Kind, 32), ID: c(r.Target.ID, MaxValue)}
	r.Source = Source{IP: c(r.Source.IP, 64), UserAgent: c(r.Source.UserAgent, MaxUserAgent)}
	if len(r.Changes) > MaxChanges {
		r.Changes = r.Changes[:MaxChanges]
	}
	changes := make([]Change, len(r.Changes))
	for i, ch := range r.Changes {
		changes[i] = Change{Field: c(ch.Field, 64), Before: c(ch.Before, MaxValue), After: c(ch.After, MaxValue)}
	}
	r.Changes = changes
	r.Note = c(r.Note, MaxNote)
	return r
}

// clip makes s valid UTF-8 without NUL and at most n characters.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// canonical is the encoding a record's hash is computed over: its fields
// in this order, as JSON, time as RFC 3339 UTC with milliseconds. Hash
// and the store's _id are not part of it; Seq and Prev are.
type canonical struct {
	V       int      `json:"v"`
	Seq     int64    `json:"seq"`
	At      string   `json:"at"`
	Actor   Actor    `json:"actor"`
	Action  Action   `json:"action"`
	Target  Target   `json:"target"`
	Source  Source   `json:"source"`
	Changes []Change `json:"changes"`
	Note    string   `json:"note"`
	Prev    string   `json:"prev"`
}

// Canonical is the byte string r's hash is computed over (r normalized).
func (r Record) Canonical() []byte {
	n := r.Normalize()
	changes := n.Changes
	if changes == nil {
		changes = []Change{}
	}
	b, err := json.Marshal(canonical{V: 1, Seq: n.Seq, At: n.At.Format("2006-01-02T15:04:05.000Z"), Actor: n.Actor,
		Action: n.Action, Target: n.Target, Source: n.Source, Changes: changes, Note: n.Note, Prev: n.Prev})
	if err != nil {
		panic("audit: encode record: " + err.Error()) // strings and numbers always encode
	}
	return b
}

// ComputeHash is the hex SHA-256 of r's canonical encoding.
func (r Record) ComputeHash() string {
	sum := sha256.Sum256(r.Canonical())
	return hex.EncodeToString(sum[:])
}

// ErrNoRecord is returned (wrapped) by a Store for a number it does not
// hold.
var ErrNoRecord = errors.New("audit: no such record")
