package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// slackSubcommands maps what a person may type after /incident, in English
// or Chinese, to the subcommand. A subcommand is taken only with the
// number of words it expects (one incident number, an optional team);
// any other text is a quick report, so "/incident status page is down"
// files a report rather than looking up an incident called "page".
var slackSubcommands = map[string]string{
	"help": "help", "帮助": "help",
	"status": "status", "状态": "status",
	"ack": "ack", "acknowledge": "ack", "确认": "ack", "受理": "ack",
	"oncall": "oncall", "on-call": "oncall", "值班": "oncall",
	"channel": "channel", "频道": "channel",
}

// slackCommand answers /incident. It answers within Slack's 3 seconds:
// opening the modal, a quick report, status and acknowledging are quick;
// the on-call answer, which reads the whole roster, goes to response_url.
func (s *Server) slackCommand(c *gin.Context) {
	cmd, err := slack.SlashCommandParse(c.Request)
	if err != nil {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	ctx := c.Request.Context()
	p, lang, err := s.slackUser(ctx, cmd.UserID)
	if err != nil {
		if !errors.Is(err, errSlackUnlinked) {
			s.log.Error("slack: map user", "slack_user", cmd.UserID, "err", err)
			c.JSON(http.StatusOK, ephemeral(say(lang, "Tocsin could not look you up; try again.", "Tocsin 暂时无法识别您的身份，请重试。")))
			return
		}
		c.JSON(http.StatusOK, ephemeral(unlinkedText(lang, cmd.UserID)))
		return
	}
	text := strings.TrimSpace(cmd.Text)
	words := strings.Fields(text)
	sub := ""
	if len(words) > 0 {
		sub = slackSubcommands[strings.ToLower(words[0])]
	}
	switch {
	case text == "":
		s.slackOpenReport(c, cmd, p, lang)
	case sub == "help" && len(words) == 1:
		c.JSON(http.StatusOK, ephemeral(slackHelp))
	case sub == "status" && len(words) == 2:
		c.JSON(http.StatusOK, s.slackStatus(ctx, p, lang, words[1]))
	case sub == "ack" && len(words) == 2:
		c.JSON(http.StatusOK, s.slackAck(ctx, p, lang, words[1]))
	case sub == "channel" && len(words) == 2:
		c.JSON(http.StatusOK, s.slackChannel(ctx, p, lang, words[1]))
	case sub == "oncall" && len(words) <= 2:
		team := ""
		if len(words) == 2 {
			team = words[1]
		}
		if !access.CanSeeBoard(p) {
			c.JSON(http.StatusOK, ephemeral(refusedText(lang)))
			return
		}
		if !s.responseURLAllowed(cmd.ResponseURL) { // nowhere to answer later: answer now
			c.JSON(http.StatusOK, s.slackOnCall(ctx, lang, team))
			return
		}
		s.respondLater(cmd.ResponseURL, func(ctx context.Context) *slack.WebhookMessage {
			return s.slackOnCall(ctx, lang, team)
		})
		c.Status(http.StatusOK)
	default:
		c.JSON(http.StatusOK, s.slackQuickReport(ctx, p, lang, cmd, text))
	}
}

// slackHelp lists the commands in both languages.
var slackHelp = strings.Join([]string{
	"*/incident* — open the report form · 打开报告表单",
	"*/incident* _what happened_ — file a quick report · 快速报告事件",
	"*/incident status* INC-2026-000042 (状态) — where an incident stands · 查看事件状态",
	"*/incident ack* INC-2026-000042 (确认, 受理) — take an incident on · 确认受理事件",
	"*/incident channel* INC-2026-000042 (频道) — open the incident's own channel · 建立事件频道",
	"*/incident oncall* [team] (值班) — who is on call now · 查看当前值班人员",
	"*/incident help* (帮助) — this list · 显示本帮助",
}, "\n")

func refusedText(lang string) string {
	return say(lang, "Your role in Tocsin does not allow this.", "您在 Tocsin 中的角色不允许此操作。")
}

// numberRE is an incident number, with or without its INC- prefix.
var numberRE = regexp.MustCompile(`(?i)^(INC-)?(\d{4}-\d{1,9})$`)

// slackIncident reads the incident a person named, if they may see it: an
// incident they may not see is "not found", as on the web.
func (s *Server) slackIncident(ctx context.Context, p access.Principal, ref string) (*incident.Incident, error) {
	m := numberRE.FindStringSubmatch(strings.Trim(ref, "*_`<>"))
	if m == nil {
		return nil, fmt.Errorf("%q: %w", ref, incident.ErrNotFound)
	}
	inc, err := s.incidents.Get(ctx, "INC-"+m[2])
	if err != nil {
		return nil, err
	}
	if !access.CanView(p, inc) {
		return nil, fmt.Errorf("%s: %w", ref, incident.ErrNotFound)
	}
	return inc, nil
}

// slackProblem explains an error to a Slack user.
func (s *Server) slackProblem(lang string, err error) string {
	var blocked *incident.BlockedError
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return say(lang, "No such incident, or not one you may see.", "没有该事件，或您无权查看。")
	case errors.Is(err, access.ErrForbidden):
		return refusedText(lang)
	case errors.Is(err, incident.ErrConflict):
		return say(lang, "The incident was changed meanwhile; try again.", "事件已被他人修改，请重试。")
	case errors.Is(err, incident.ErrNotAllowed):
		return say(lang, "This is not possible at the incident's stage.", "事件当前阶段不允许此操作。")
	case errors.As(err, &blocked):
		var en, zh []string
		for _, m := range blocked.Missing {
			en, zh = append(en, m.EN), append(zh, m.ZH)
		}
		return say(lang, "Missing: "+strings.Join(en, "; "), "缺少："+strings.Join(zh, "；"))
	}
	s.log.Error("slack: request failed", "err", err)
	return say(lang, "Tocsin could not do that; try again.", "Tocsin 未能完成该操作，请重试。")
}

// slackOpenReport opens the report modal at once: its trigger lives about
// three seconds.
func (s *Server) slackOpenReport(c *gin.Context, cmd slack.SlashCommand, p access.Principal, lang string) {
	if !access.CanReport(p) {
		c.JSON(http.StatusOK, ephemeral(refusedText(lang)))
		return
	}
	if _, err := s.slack.API.OpenViewContext(c.Request.Context(), cmd.TriggerID, notify.ReportModal(lang)); err != nil {
		s.log.Warn("slack: open the report modal", "err", err)
		c.JSON(http.StatusOK, ephemeral(say(lang,
			"The report form could not be opened. Write /incident followed by what happened to report in one line.",
			"无法打开报告表单。请输入 /incident 加事件描述，以一行文字报告。")))
		return
	}
	c.Status(http.StatusOK)
}

// slackQuickReport files "/incident <text>" as a report through the same
// validation as the web form and the API: the text's first line is the
// title (shortened when long), the whole text the description.
func (s *Server) slackQuickReport(ctx context.Context, p access.Principal, lang string, cmd slack.SlashCommand, text string) *slack.WebhookMessage {
	if !access.CanReport(p) {
		return ephemeral(refusedText(lang))
	}
	title, _, _ := strings.Cut(text, "\n")
	title = strings.TrimSpace(title)
	if utf8.RuneCountInString(title) > incident.MaxTitle {
		title = string([]rune(title)[:incident.MaxTitle-1]) + "…"
	}
	req := reportRequest{Title: title, Description: text}
	in := req.input("chat")
	if cmd.TriggerID != "" {
		// Slack sends one command once; a replayed request (the signature
		// stays valid for five minutes) files nothing new.
		in.IdempotencyKey, in.RequestHash = p.UserID+":slack:"+cmd.TriggerID, fingerprint(req)
	}
	res, err := s.slackReport(ctx, p, lang, req, in)
	if err != nil {
		var fields fieldErrors
		if errors.As(err, &fields) {
			return ephemeral(say(lang, "The report was not filed: ", "报告未提交：") + fieldList(fields))
		}
		return ephemeral(s.slackProblem(lang, err))
	}
	return ephemeral(reportedText(lang, res.Incident, s.cfg.BaseURL))
}

// slackReport validates req as the web form does and files in. Field
// errors come back as fieldErrors keyed by JSON field name, in lang (both
// languages for "").
func (s *Server) slackReport(ctx context.Context, p access.Principal, lang string, req reportRequest, in incident.ReportInput) (incident.ReportResult, error) {
	if err := checkBoth(&req, lang); err != nil {
		return incident.ReportResult{}, err
	}
	res, err := s.incidents.Report(ctx, in, actor(p))
	var invalid *incident.InvalidError
	if errors.As(err, &invalid) {
		fields := fieldErrors{}
		for f, m := range invalid.Fields {
			fields[f] = say(lang, m.EN, m.ZH)
		}
		return res, fields
	}
	return res, err
}

// checkBoth validates v with the web's checker, in lang or, for "", in
// English and Chinese together.
func checkBoth(v any, lang string) error {
	if lang != "" {
		return validation().check(v, lang)
	}
	en, zh := validation().check(v, "en"), validation().check(v, "zh")
	var enF, zhF fieldErrors
	if !errors.As(en, &enF) || !errors.As(zh, &zhF) {
		return en
	}
	both := fieldErrors{}
	for f, m := range enF {
		both[f] = m + " / " + zhF[f]
	}
	return both
}

func fieldList(f fieldErrors) string {
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		parts = append(parts, k+": "+f[k])
	}
	return strings.Join(parts, "; ")
}

func reportedText(lang string, inc *incident.Incident, baseURL string) string {
	link := "<" + baseURL + "/incidents/" + inc.Number + "|" + inc.Number + ">"
	return say(lang,
		"Reported as *"+link+"*: "+notify.EscapeMrkdwn(inc.Title)+". The response center has been told.",
		"已报告，编号 *"+link+"*："+notify.EscapeMrkdwn(inc.Title)+"。应急响应中心已收到。")
}

// slackStatus shows an incident's card to the asker.
func (s *Server) slackStatus(ctx context.Context, p access.Principal, lang, ref string) *slack.WebhookMessage {
	inc, err := s.slackIncident(ctx, p, ref)
	if err != nil {
		return ephemeral(s.slackProblem(lang, err))
	}
	v := notify.RenderCard(notify.CardInput{Incident: inc, Now: s.now(), BaseURL: s.cfg.BaseURL})
	return &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: v.Text,
		Blocks: &slack.Blocks{BlockSet: v.Blocks}, Attachments: v.Attachments}
}

// slackAck acknowledges an incident as the asker, with the web's rule.
func (s *Server) slackAck(ctx context.Context, p access.Principal, lang, ref string) *slack.WebhookMessage {
	inc, err := s.slackIncident(ctx, p, ref)
	if err != nil {
		return ephemeral(s.slackProblem(lang, err))
	}
	return ephemeral(s.acknowledgeAs(ctx, p, lang, inc))
}

// acknowledgeAs acknowledges inc as p if p may, and says what happened.
func (s *Server) acknowledgeAs(ctx context.Context, p access.Principal, lang string, inc *incident.Incident) string {
	if !access.CanAcknowledge(p, inc) {
		return refusedText(lang)
	}
	next, err := s.incidents.Acknowledge(ctx, inc.ID, actor(p))
	switch {
	case errors.Is(err, incident.ErrAlreadyAcked):
		return say(lang, inc.Number+" was already acknowledged by "+notify.EscapeMrkdwn(next.AckedBy.Name)+".",
			inc.Number+" 已由 "+notify.EscapeMrkdwn(next.AckedBy.Name)+" 受理。")
	case err != nil:
		return s.slackProblem(lang, err)
	}
	s.log.Info("slack: incident acknowledged", "incident", inc.Number, "user", p.UserID)
	return say(lang, "You acknowledged "+inc.Number+": its escalation stops.", "您已受理 "+inc.Number+"，升级通知停止。")
}

// slackChannel asks for an incident's own channel, for those who may take
// it on.
func (s *Server) slackChannel(ctx context.Context, p access.Principal, lang, ref string) *slack.WebhookMessage {
	inc, err := s.slackIncident(ctx, p, ref)
	if err != nil {
		return ephemeral(s.slackProblem(lang, err))
	}
	return ephemeral(s.openChannelAs(ctx, p, lang, inc))
}

// openChannelAs enqueues inc's channel if p may ask for it: those who may
// take an incident on may open its channel.
func (s *Server) openChannelAs(ctx context.Context, p access.Principal, lang string, inc *incident.Incident) string {
	switch {
	case !access.CanAcknowledge(p, inc):
		return refusedText(lang)
	case s.slack.OpenChannel == nil:
		return say(lang, "Incident channels are not enabled.", "未启用事件频道。")
	}
	if err := s.slack.OpenChannel(ctx, inc); err != nil {
		return s.slackProblem(lang, err)
	}
	s.log.Info("slack: incident channel requested", "incident", inc.Number, "user", p.UserID)
	return say(lang, "The channel of "+inc.Number+" is being opened; its people will be invited.",
		inc.Number+" 的事件频道正在建立，相关人员将被邀请加入。")
}
