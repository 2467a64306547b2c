package notify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
)

// Callback ids of Tocsin's modals.
const (
	CallbackReport  = "tocsin_report"        // the /incident report form
	CallbackConfirm = "tocsin_confirm_modal" // the Confirm… form of a card
)

// Block ids of the modals' inputs. Each is the name of the field it
// fills in the JSON API (and its input's action id is the same), so a
// validation error on a field is shown on its block.
const (
	BlockTitle          = "title"
	BlockDescription    = "description"
	BlockCategory       = "category"
	BlockSuggestedLevel = "suggested_level"
	BlockAssets         = "affected_assets"
	BlockOccurredAt     = "occurred_at"

	BlockLevel          = "level"
	BlockScope          = "scope"
	BlockAssessmentNote = "assessment_note"
)

// maxSlackInput is the longest value a Slack text input takes.
const maxSlackInput = 3000

// ReportModal is the /incident form, in lang ("en", "zh", or "" for
// both): title, description, category, suggested level (with the three
// definitions as its help), affected systems and when it happened. Only
// the title and description are required, as on the web form.
func ReportModal(lang string) slack.ModalViewRequest {
	var defs []string
	var levels []*slack.OptionBlockObject
	for _, li := range incident.Levels() {
		levels = append(levels, slack.NewOptionBlockObject(string(li.Level), plain(say(lang, li.NameEN, li.NameZH)), nil))
		defs = append(defs, say(lang, li.NameEN, li.NameZH)+": "+sayLines(lang, li.DefinitionEN, li.DefinitionZH))
	}
	var cats []*slack.OptionBlockObject
	for _, ci := range incident.Categories() {
		cats = append(cats, slack.NewOptionBlockObject(string(ci.Category), plain(clip(say(lang, ci.NameEN, ci.NameZH), maxSlackButton)), nil))
	}
	title := slack.NewPlainTextInputBlockElement(plain(say(lang, "What happened, in a line", "一句话概述")), BlockTitle)
	title.MaxLength = incident.MaxTitle
	desc := slack.NewPlainTextInputBlockElement(plain(say(lang, "What you saw, where, since when", "看到了什么、在哪里、从何时开始")), BlockDescription)
	desc.Multiline, desc.MaxLength = true, maxSlackInput
	assets := slack.NewPlainTextInputBlockElement(plain(say(lang, "One per line: host names, addresses, systems", "每行一项：主机名、地址、系统")), BlockAssets)
	assets.Multiline, assets.MaxLength = true, maxSlackInput

	blocks := []slack.Block{
		slack.NewInputBlock(BlockTitle, plain(say(lang, "Title", "标题")), nil, title),
		slack.NewInputBlock(BlockDescription, plain(say(lang, "Description", "描述")), nil, desc),
		slack.NewInputBlock(BlockCategory, plain(say(lang, "Category", "类别")),
			plain(say(lang, "Leave it empty if you are not sure.", "不确定可留空。")),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(say(lang, "Not sure", "不确定")), BlockCategory, cats...)).WithOptional(true),
		slack.NewInputBlock(BlockSuggestedLevel, plain(say(lang, "Suggested level", "建议级别")),
			plain(clip(strings.Join(defs, "\n"), maxSlackHint)),
			slack.NewRadioButtonsBlockElement(BlockSuggestedLevel, levels...)).WithOptional(true),
		slack.NewInputBlock(BlockAssets, plain(say(lang, "Affected systems", "受影响系统")), nil, assets).WithOptional(true),
		slack.NewInputBlock(BlockOccurredAt, plain(say(lang, "Occurred at", "发生时间")),
			plain(say(lang, "When it started, if you know.", "如知道，请填写开始时间。")),
			slack.NewDateTimePickerBlockElement(BlockOccurredAt)).WithOptional(true),
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackReport,
		Title:      plain(clip(say(lang, "Report incident", "报告事件"), maxSlackModalTitle)),
		Submit:     plain(clip(say(lang, "Report", "提交"), maxSlackModalTitle)),
		Close:      plain(clip(say(lang, "Cancel", "取消"), maxSlackModalTitle)),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

// ReportFiledView replaces the report modal once the report is filed: its
// number, linked to Tocsin.
func ReportFiledView(inc *incident.Incident, baseURL, lang string) slack.ModalViewRequest {
	text := say(lang, "Reported as", "已报告，编号") + " *" + link(incidentURL(baseURL, inc.Number), inc.Number) + "*: " +
		EscapeMrkdwn(inc.Title) + "\n" + sayLines(lang, "The response center has been told. You will hear when it is closed.",
		"应急响应中心已收到。事件关闭时会通知您。")
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(clip(say(lang, "Reported", "已报告"), maxSlackModalTitle)),
		Close:  plain(clip(say(lang, "Close", "关闭"), maxSlackModalTitle)),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(clip(text, maxSlackText)), nil, nil)}},
	}
}

// ConfirmModal is the form behind a card's Confirm… button: the confirmed
// level, category and scope (each preset from the incident) and the
// assessment note, which together let an incident enter confirm. The
// incident and the version it was drawn from travel in private_metadata,
// so a change made meanwhile is refused rather than overwritten.
func ConfirmModal(inc *incident.Incident, lang string) slack.ModalViewRequest {
	var levels []*slack.OptionBlockObject
	var initialLevel *slack.OptionBlockObject
	for _, li := range incident.Levels() {
		o := slack.NewOptionBlockObject(string(li.Level), plain(say(lang, li.NameEN, li.NameZH)), nil)
		levels = append(levels, o)
		if li.Level == inc.Level {
			initialLevel = o
		}
	}
	var cats []*slack.OptionBlockObject
	var initialCat *slack.OptionBlockObject
	for _, ci := range incident.Categories() {
		o := slack.NewOptionBlockObject(string(ci.Category), plain(clip(say(lang, ci.NameEN, ci.NameZH), maxSlackButton)), nil)
		cats = append(cats, o)
		if ci.Category == inc.Category {
			initialCat = o
		}
	}
	var scopes []*slack.OptionBlockObject
	var initialScope *slack.OptionBlockObject
	for _, sc := range []struct {
		scope  incident.Scope
		en, zh string
	}{{incident.Local, "Local", "局部"}, {incident.Global, "Global", "全局"}} {
		o := slack.NewOptionBlockObject(string(sc.scope), plain(say(lang, sc.en, sc.zh)), nil)
		scopes = append(scopes, o)
		if sc.scope == inc.Scope {
			initialScope = o
		}
	}
	level := slack.NewRadioButtonsBlockElement(BlockLevel, levels...)
	level.InitialOption = initialLevel
	cat := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(say(lang, "Choose…", "请选择…")), BlockCategory, cats...)
	cat.InitialOption = initialCat
	scope := slack.NewRadioButtonsBlockElement(BlockScope, scopes...)
	scope.InitialOption = initialScope
	note := slack.NewPlainTextInputBlockElement(plain(say(lang, "Nature, scope and severity as established", "鉴定的性质、范围和严重程度")), BlockAssessmentNote)
	note.Multiline, note.MaxLength = true, maxSlackInput

	head := "*" + inc.Number + "*  " + EscapeMrkdwn(inc.Title)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackConfirm,
		PrivateMetadata: ConfirmMetadata(inc),
		Title:           plain(clip(say(lang, "Confirm", "确认事件"), maxSlackModalTitle)),
		Submit:          plain(clip(say(lang, "Confirm", "确认"), maxSlackModalTitle)),
		Close:           plain(clip(say(lang, "Cancel", "取消"), maxSlackModalTitle)),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(clip(head, maxSlackText)), nil, nil),
			slack.NewInputBlock(BlockLevel, plain(say(lang, "Confirmed level", "确认级别")), nil, level),
			slack.NewInputBlock(BlockCategory, plain(say(lang, "Category", "类别")), nil, cat),
			slack.NewInputBlock(BlockScope, plain(say(lang, "Scope", "范围")), nil, scope),
			slack.NewInputBlock(BlockAssessmentNote, plain(say(lang, "Assessment note", "鉴定意见")), nil, note),
		}},
	}
}

// ConfirmMetadata is the private_metadata of inc's confirm modal.
func ConfirmMetadata(inc *incident.Incident) string {
	return fmt.Sprintf("%s@%d", inc.Number, inc.Version)
}

// ParseConfirmMetadata reads what ConfirmMetadata wrote.
func ParseConfirmMetadata(s string) (number string, version int64, ok bool) {
	number, v, found := strings.Cut(s, "@")
	n, err := strconv.ParseInt(v, 10, 64)
	if !found || err != nil || number == "" || n < 1 {
		return "", 0, false
	}
	return number, n, true
}
