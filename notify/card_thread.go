package notify

import (
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// ThreadLine renders one timeline entry as a line of mrkdwn for the thread
// of an incident's card (and for its own channel): who did what, from what
// to what, and why, in both languages. User text is escaped; the line is
// at most one section long. It is a pure function of the entry.
func ThreadLine(e incident.Entry) string {
	who := "*" + EscapeMrkdwn(e.Actor.Name) + "*"
	var b strings.Builder
	switch e.Kind {
	case incident.EntryReported:
		b.WriteString(who + " " + label("reported it", "报告了该事件"))
	case incident.EntryOccurrence:
		b.WriteString(":repeat: " + label("Reported again", "再次报告"))
	case incident.EntryStage:
		from, to := incident.Stage(e.From).Info(), incident.Stage(e.To).Info()
		b.WriteString(who + " " + label("moved it", "变更阶段") + ": " +
			from.NameEN + " → " + to.NameEN + " · " + from.NameZH + " → " + to.NameZH)
	case incident.EntryLevel:
		b.WriteString(who + " " + label("changed the level", "变更级别") + ": " +
			levelName(incident.Level(e.From), true) + " → " + levelName(incident.Level(e.To), true) + " · " +
			levelName(incident.Level(e.From), false) + " → " + levelName(incident.Level(e.To), false))
	case incident.EntryAck:
		b.WriteString(":white_check_mark: " + who + " " + label("acknowledged it", "已受理"))
	case incident.EntryMerged:
		b.WriteString(":link: " + label("Merged", "合并"))
	case incident.EntryEscalation:
		b.WriteString(":rotating_light: " + label("Escalation", "升级通知"))
	case incident.EntryDeadline:
		b.WriteString(":alarm_clock: " + label("Deadline missed", "超时"))
	default:
		b.WriteString(who + " · " + EscapeMrkdwn(string(e.Kind)))
	}
	for _, ch := range e.Changes {
		b.WriteString("\n• " + EscapeMrkdwn(ch.Field) + ": " + quoteValue(ch.Before) + " → " + quoteValue(ch.After))
	}
	if r := strings.TrimSpace(e.Reason); r != "" {
		b.WriteString("\n" + label("Reason", "原因") + ": " + EscapeMrkdwn(r))
	}
	if n := strings.TrimSpace(e.Note); n != "" {
		b.WriteString("\n>" + strings.ReplaceAll(EscapeMrkdwn(n), "\n", "\n>"))
	}
	return clip(b.String(), maxSlackText)
}

func levelName(l incident.Level, en bool) string {
	li, ok := l.Info()
	switch {
	case !ok:
		return EscapeMrkdwn(string(l))
	case en:
		return li.NameEN
	}
	return li.NameZH
}

// quoteValue shows a changed field's value on one line, shortened.
func quoteValue(v string) string {
	if v == "" {
		return "–"
	}
	return "`" + strings.ReplaceAll(EscapeMrkdwn(clip(strings.Join(strings.Fields(v), " "), 200)), "`", "'") + "`"
}
