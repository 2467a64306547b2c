package notify

import "strings"

// Redact strips m to what a restricted incident's notifications may say:
// its number and a link to it (for the incident's people, who sign in to
// read the rest). Subject and body are replaced; the title, level,
// category, reporter, people and every other detail are gone, whatever
// the channel (chat, e-mail, robots). It marks m Restricted, so senders
// that build richer cards (Slack blocks, robot markdown) know to build
// none. link may be empty when the hub's address is unknown.
func Redact(m Message, link string) Message {
	m.Restricted = true
	number := m.Incident
	if number == "" {
		number = "(restricted)"
	}
	m.Subject = number + " — restricted incident 受限事件"
	var b strings.Builder
	b.WriteString("Incident " + number + " needs your attention. It is restricted: its details are shown only in Tocsin, to the people it names.")
	if link != "" {
		b.WriteString("\n" + link)
	}
	b.WriteString("\n\n事件 " + number + " 需要您关注。该事件为受限事件，详情仅在 Tocsin 中向指定人员显示。")
	if link != "" {
		b.WriteString("\n" + link)
	}
	m.Body = b.String()
	return m
}

// IncidentLink is the address of incident number on the hub at baseURL
// (no trailing slash), or "" without one.
func IncidentLink(baseURL, number string) string {
	if baseURL == "" || number == "" {
		return ""
	}
	return IncidentURL(baseURL, number)
}
