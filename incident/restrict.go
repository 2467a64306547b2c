package incident

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Restriction changes on the timeline and for observers.
const (
	// EntryRestricted records that an incident was marked restricted (To
	// "true") or that the mark was lifted (To "false"), with the reason.
	EntryRestricted EntryKind = "restricted"
	// EventRestricted tells observers that the restricted mark changed.
	EventRestricted EventKind = "restricted"
)

// Limits of a restriction change.
const (
	MaxReason    = 2000
	MaxNamed     = 50 // people named in one change
	MaxNamedName = 64
)

// RestrictInput marks an incident restricted, or lifts the mark.
type RestrictInput struct {
	Restricted bool
	Version    int64 // the version the requester saw
	Reason     string
	// Name are people to name on the incident as participants (user ids
	// or usernames), so that they keep seeing it once it is restricted.
	Name []string
}

// SetRestrictedLoaded applies in to inc, which the caller has just read (to
// check access). Marking an incident restricted also names the person who
// does it, so the mark never hides an incident from the one who set it.
// The change is on the timeline with its reason.
func (s *Service) SetRestrictedLoaded(ctx context.Context, inc *Incident, in RestrictInput, by Actor) (*Incident, error) {
	if in.Version != inc.Version {
		return nil, fmt.Errorf("%s is at version %d, not %d: %w", inc.Number, inc.Version, in.Version, ErrConflict)
	}
	var e *InvalidError
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		invalid(&e, "reason", "a reason is required", "必须说明原因")
	case utf8.RuneCountInString(reason) > MaxReason:
		invalid(&e, "reason", fmt.Sprintf("the reason must be at most %d characters", MaxReason), fmt.Sprintf("原因最多 %d 个字符", MaxReason))
	}
	switch {
	case in.Restricted == inc.Restricted && in.Restricted:
		invalid(&e, "restricted", "the incident is already restricted", "该事件已是受限事件")
	case in.Restricted == inc.Restricted:
		invalid(&e, "restricted", "the incident is not restricted", "该事件不是受限事件")
	}
	if len(in.Name) > MaxNamed {
		invalid(&e, "participants", fmt.Sprintf("at most %d people at a time", MaxNamed), fmt.Sprintf("每次最多 %d 人", MaxNamed))
	}
	named := inc.Participants[:len(inc.Participants):len(inc.Participants)]
	add := func(id string) {
		if id != "" && !slices.Contains(named, id) {
			named = append(named, id)
		}
	}
	for _, n := range in.Name {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) > MaxNamedName || strings.ContainsAny(n, " \t\r\n") {
			invalid(&e, "participants", "each person is a username or user id of at most 64 characters", "每人须为不超过 64 个字符的用户名或用户编号")
			continue
		}
		add(n)
	}
	if e != nil {
		return nil, e
	}
	if in.Restricted {
		add(by.ID)
	}
	now := s.now().UTC()
	next := inc.Clone()
	next.Version++
	next.UpdatedAt = now
	next.Restricted = in.Restricted
	changes := []FieldChange{{Field: "restricted", Before: strconv.FormatBool(inc.Restricted), After: strconv.FormatBool(in.Restricted)}}
	if len(named) != len(inc.Participants) {
		changes = append(changes, FieldChange{Field: "participants",
			Before: strings.Join(inc.Participants, ", "), After: strings.Join(named, ", ")})
		next.Participants = slices.Clone(named)
	}
	next.Timeline = append(next.Timeline, Entry{At: now, Actor: by, Kind: EntryRestricted,
		From: strconv.FormatBool(inc.Restricted), To: strconv.FormatBool(in.Restricted), Reason: reason, Changes: changes})
	if err := s.store.Update(ctx, next, inc.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	s.emit(ctx, EventRestricted, next)
	return next, nil
}
