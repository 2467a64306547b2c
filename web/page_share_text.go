package web

import (
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/share"
)

// Names of the sharing vocabulary in the caller's language.

func kindName(l string, k share.Kind) string { return tOr(l, "share.kind."+string(k), string(k)) }
func statusName(l string, st share.Status) string {
	return tOr(l, "share.status."+string(st), string(st))
}
func basisName(l string, b share.Basis) string { return tOr(l, "share.basis."+string(b), string(b)) }
func sectionName(l string, x share.Section) string {
	return tOr(l, "share.section."+string(x), string(x))
}
func className(l string, x share.Class) string { return tOr(l, "share.class."+string(x), string(x)) }
func actionName(l, a string) string            { return tOr(l, "share.step."+a, a) }

// sectionsText lists sections by name.
func sectionsText(l string, xs []share.Section) string {
	names := make([]string, len(xs))
	for i, x := range xs {
		names[i] = sectionName(l, x)
	}
	return strings.Join(names, ", ")
}

// classesText lists classes by name, or says none.
func classesText(l string, xs []share.Class) string {
	if len(xs) == 0 {
		return T(l, "share.reveal_none")
	}
	names := make([]string, len(xs))
	for i, x := range xs {
		names[i] = className(l, x)
	}
	return strings.Join(names, ", ")
}

// partyName is a person's name, or their username, or "the system".
func partyName(p share.Party) string {
	switch {
	case p.Name != "":
		return p.Name
	case p.Username != "":
		return p.Username
	}
	return "Tocsin"
}

// partyText is a person with where they work: "Li Na (Acme, Security)".
func partyText(p share.Party) string {
	var where []string
	for _, s := range []string{p.Organization, p.Department} {
		if s != "" {
			where = append(where, s)
		}
	}
	if len(where) == 0 {
		return partyName(p)
	}
	return partyName(p) + " (" + strings.Join(where, ", ") + ")"
}

// periodText is a grant's period as dates and times.
func periodText(g *share.Grant) string {
	if g.From.IsZero() && g.Until.IsZero() {
		return ""
	}
	return fmtTime(g.From) + " – " + fmtTime(g.Until)
}

// clip shortens s to n characters with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// dateValue is t as the value of a date input, in the server's zone.
func dateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(time.DateOnly)
}
