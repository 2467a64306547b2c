package notify

import (
	"github.com/slack-go/slack"
)

// RenderDirect draws a message to one person (a page, a missed deadline, a
// handover request, a coverage warning, a task, the reporter's feedback)
// or to a configured channel (a broadcast): its subject in bold, its body,
// and, when it is about an incident, a button to open it in Tocsin; a
// page also has Acknowledge, which stops the incident's chain. Restricted
// messages carry the incident number and the link only. It is a pure
// function of m.
func RenderDirect(m Message, baseURL string) SlackView {
	subject, body := m.Subject, m.Body
	if m.Restricted && m.Incident != "" {
		subject = m.Incident + " " + label("needs your attention", "需要您处理")
		body = label("Open it in Tocsin for the details.", "详情请在 Tocsin 中查看。")
	}
	text := "*" + EscapeMrkdwn(subject) + "*"
	if body != "" {
		text += "\n" + EscapeMrkdwn(body)
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(clip(text, maxSlackText)), nil, nil)}
	if m.Incident != "" {
		var buttons []slack.BlockElement
		if m.Kind == KindPage {
			ack := slack.NewButtonBlockElement(ActionAck, m.Incident, plain(label("Acknowledge", "受理")))
			buttons = append(buttons, ack.WithStyle(slack.StylePrimary))
		}
		open := slack.NewButtonBlockElement(ActionOpen, "", plain(label("Open", "打开")))
		buttons = append(buttons, open.WithURL(incidentURL(baseURL, m.Incident)))
		blocks = append(blocks, slack.NewActionBlock("tocsin_direct_actions", buttons...))
	}
	return SlackView{Text: clip(EscapeMrkdwn(subject), maxSlackFallback), Blocks: blocks}
}
