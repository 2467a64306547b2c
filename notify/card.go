package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
)

// The action ids of the buttons Tocsin puts in Slack; the interaction
// endpoint dispatches on them. Each button's value is the incident number.
const (
	ActionAck     = "tocsin_ack"     // acknowledge the incident
	ActionConfirm = "tocsin_confirm" // open the confirm modal
	ActionOpen    = "tocsin_open"    // a link to the incident in Tocsin (Slack reports the click; nothing to do)
	ActionChannel = "tocsin_channel" // open the incident's own channel
)

// SlackView is a rendered Slack message.
type SlackView struct {
	// Text is the fallback: notifications, screen readers and clients
	// that cannot show blocks. It is mrkdwn, user text escaped.
	Text   string
	Blocks []slack.Block
	// Attachments carry what is drawn beside a colour bar (the card's
	// level); their blocks count towards the 50-block limit.
	Attachments []slack.Attachment
}

// options are the chat.postMessage and chat.update options that send v.
func (v SlackView) options() []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(v.Text, false), slack.MsgOptionBlocks(v.Blocks...)}
	// An empty, non-nil list is sent as "no attachments": chat.update
	// keeps the ones it is not told to replace.
	return append(opts, slack.MsgOptionAttachments(append([]slack.Attachment{}, v.Attachments...)...))
}

// CardInput is what a card is drawn from.
type CardInput struct {
	Incident *incident.Incident
	Now      time.Time // the age is counted to it
	BaseURL  string    // Tocsin's address, for links
	// Channel is the id of the incident's own Slack channel, "" when it
	// has none: the card then offers to open one.
	Channel string
	// Restricted cards carry the number and a link, nothing else.
	Restricted bool
}

// RenderCard draws an incident's card for the response center channel: a
// headline with the number, linked to Tocsin, and the title; then, beside
// a bar of the level's colour, the level, category, stage, reporter, age,
// who acknowledged it, the assignees and task progress; and the buttons
// that apply: Acknowledge (until someone has), Confirm… (while it waits
// in receive), Open in Tocsin, and Open channel (while it has none).
// It is a pure function of its input.
func RenderCard(in CardInput) SlackView {
	inc := in.Incident
	url := incidentURL(in.BaseURL, inc.Number)
	if in.Restricted {
		return SlackView{
			Text: inc.Number + " " + label("(restricted)", "（受限）"),
			Blocks: []slack.Block{
				slack.NewSectionBlock(mrkdwn("*"+link(url, inc.Number)+"* "+label("restricted: open it in Tocsin", "受限事件：请在 Tocsin 中查看")), nil, nil),
				slack.NewActionBlock("tocsin_card_actions", openButton(url)),
			},
		}
	}
	headline := "*" + link(url, inc.Number) + "*  " + EscapeMrkdwn(inc.Title)
	if inc.Drill {
		headline = "`" + label("DRILL", "演练") + "` " + headline
	}
	level := levelLabel(inc.Level)
	if !inc.LevelConfirmed {
		level += " · " + label("suggested", "待确认")
	}
	fields := []string{
		"*" + label("Level", "级别") + "*\n" + level,
		"*" + label("Category", "类别") + "*\n" + categoryLabel(inc.Category),
		"*" + label("Stage", "阶段") + "*\n" + stageLabel(inc.Stage),
		"*" + label("Reporter", "报告人") + "*\n" + EscapeMrkdwn(inc.Reporter.Name),
		"*" + label("Age", "已持续") + "*\n" + ageLabel(inc.Age(in.Now)),
	}
	acked := label("not yet", "尚未受理")
	if inc.AckedBy != nil {
		acked = EscapeMrkdwn(inc.AckedBy.Name)
		if inc.AckedAt != nil {
			acked += " · " + inc.AckedAt.UTC().Format("01-02 15:04 UTC")
		}
	}
	fields = append(fields, "*"+label("Acknowledged", "受理")+"*\n"+acked)
	if len(inc.Assignees) > 0 {
		names := make([]string, len(inc.Assignees))
		for i, a := range inc.Assignees {
			names[i] = EscapeMrkdwn(a.Name)
		}
		fields = append(fields, "*"+label("Assignees", "指派")+"*\n"+strings.Join(names, ", "))
	}
	if len(inc.Tasks) > 0 {
		done := 0
		for _, t := range inc.Tasks {
			if t.Status.Finished() {
				done++
			}
		}
		fields = append(fields, fmt.Sprintf("*%s*\n%d/%d %s", label("Tasks", "任务"), done, len(inc.Tasks), label("done", "已完成")))
	}
	if in.Channel != "" {
		fields = append(fields, "*"+label("Channel", "频道")+"*\n<#"+in.Channel+">")
	}
	fieldObjs := make([]*slack.TextBlockObject, len(fields))
	for i, f := range fields {
		fieldObjs[i] = mrkdwn(clip(f, maxSlackField))
	}

	var buttons []slack.BlockElement
	open := inc.Stage.Open()
	if open && inc.AckedAt == nil {
		b := slack.NewButtonBlockElement(ActionAck, inc.Number, plain(label("Acknowledge", "受理")))
		buttons = append(buttons, b.WithStyle(slack.StylePrimary))
	}
	if inc.Stage == incident.Receive {
		buttons = append(buttons, slack.NewButtonBlockElement(ActionConfirm, inc.Number, plain(label("Confirm…", "确认…"))))
	}
	buttons = append(buttons, openButton(url))
	if open && in.Channel == "" {
		buttons = append(buttons, slack.NewButtonBlockElement(ActionChannel, inc.Number, plain(label("Open channel", "建立频道"))))
	}

	footer := fmt.Sprintf("%s %s", label("Reported via", "报告途径"), EscapeMrkdwn(inc.Source))
	if inc.Occurrences > 1 {
		footer += fmt.Sprintf(" · %s %d", label("reports", "报告次数"), inc.Occurrences)
	}
	footer += " · " + inc.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")

	return SlackView{
		Text: clip(fmt.Sprintf("%s [%s] %s · %s", inc.Number, level, EscapeMrkdwn(inc.Title), stageLabel(inc.Stage)), maxSlackFallback),
		Blocks: []slack.Block{
			slack.NewSectionBlock(mrkdwn(clip(headline, maxSlackText)), nil, nil),
		},
		Attachments: []slack.Attachment{{
			Color: levelColour(inc.Level),
			Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewSectionBlock(nil, fieldObjs, nil),
				slack.NewContextBlock("", mrkdwn(clip(footer, maxSlackText))),
				slack.NewActionBlock("tocsin_card_actions", buttons...),
			}},
		}},
	}
}

// ChannelTopic is the topic of an incident's own channel: its level and
// stage, which it is kept to.
func ChannelTopic(inc *incident.Incident) string {
	li, _ := inc.Level.Info()
	si := inc.Stage.Info()
	return fmt.Sprintf("%s · %s %s · %s %s", inc.Number, li.NameEN, li.NameZH, si.NameEN, si.NameZH)
}

func openButton(url string) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(ActionOpen, "", plain(label("Open in Tocsin", "在 Tocsin 中打开")))
	return b.WithURL(url)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
