package share

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
)

// record writes r to the audit trail (when there is one). The actor is
// the one ctx carries, else by (via how they came); the system's own
// steps are always the system's.
func (s *Service) record(ctx context.Context, r audit.Record, by Party, via ...string) {
	if s.audit == nil {
		return
	}
	switch a := audit.ActorFrom(ctx); {
	case by.UserID == SystemParty.UserID:
		r.Actor = audit.Actor{UserID: by.UserID, Name: by.Name, Via: "system"}
	case a != (audit.Actor{}):
		r.Actor = a
	default:
		r.Actor = audit.Actor{UserID: by.UserID, Username: by.Username, Name: by.Name}
		if len(via) > 0 {
			r.Actor.Via = via[0]
		}
	}
	s.audit.Record(ctx, r)
}

// grantChanged records next (before is nil for a new grant) in the audit
// trail and tells those its last step concerns.
func (s *Service) grantChanged(ctx context.Context, before, next *Grant) {
	step := next.History[len(next.History)-1]
	changes := []audit.Change{{Field: "status", After: string(next.Status)}}
	if before != nil {
		changes[0].Before = string(before.Status)
		if !before.Until.Equal(next.Until) {
			changes = append(changes, audit.Change{Field: "until", Before: stamp(before.Until), After: stamp(next.Until)})
		}
	} else {
		changes = append(changes, audit.Change{Field: "until", After: stamp(next.Until)})
	}
	note := step.Comment
	if step.Action == ActSubmit || step.Action == ActResubmit {
		note = fmt.Sprintf("%s %s", next.Kind, strings.Join(next.Scope.Incidents, " "))
	}
	s.record(ctx, audit.Record{Action: audit.Action("share.grant." + step.Action), Target: audit.Target{Kind: "grant", ID: next.ID},
		Changes: changes, Note: note}, step.By)
	s.grantNotices(ctx, next, step)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ruleChanges are the fields of a rule that differ between before (zero
// for a new rule) and after.
func ruleChanges(before, after Rule) []audit.Change {
	fields := func(r Rule) [][2]string {
		return [][2]string{
			{"name", r.Name},
			{"enabled", strconv.FormatBool(r.Enabled)},
			{"categories", joined(r.Categories)},
			{"levels", joined(r.Levels)},
			{"include_restricted", strconv.FormatBool(r.IncludeRestricted)},
			{"organizations", strings.Join(r.Organizations, ",")},
			{"departments", strings.Join(r.Departments, ",")},
			{"roles", strings.Join(r.Roles, ",")},
			{"systems", strings.Join(r.Systems, ",")},
			{"networks", strings.Join(r.Networks, ",")},
			{"sections", joined(r.Sections)},
			{"reveal", joined(r.Reveal)},
			{"copies", strconv.FormatBool(r.Copies)},
			{"rate_per_hour", strconv.Itoa(r.RatePerHour)},
			{"until", stamp(r.Until)},
		}
	}
	b, a := fields(before), fields(after)
	isNew := before.ID == ""
	var out []audit.Change
	for i := range a {
		if isNew || b[i][1] != a[i][1] {
			before := b[i][1]
			if isNew {
				before = ""
			}
			out = append(out, audit.Change{Field: a[i][0], Before: before, After: a[i][1]})
		}
	}
	return out
}

func joined[T ~string](vs []T) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = string(v)
	}
	return strings.Join(ss, ",")
}
