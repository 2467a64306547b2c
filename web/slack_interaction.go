package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// slackInteraction answers the buttons of Tocsin's messages and the
// submissions of its modals, as the Slack user's Tocsin account and with
// the web's role checks.
func (s *Server) slackInteraction(c *gin.Context) {
	ic, err := slack.InteractionCallbackParse(c.Request)
	if err != nil {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	ctx := c.Request.Context()
	p, lang, err := s.slackUser(ctx, ic.User.ID)
	refusal := unlinkedText(lang, ic.User.ID)
	if err != nil && !errors.Is(err, errSlackUnlinked) {
		s.log.Error("slack: map user", "slack_user", ic.User.ID, "err", err)
		refusal = say(lang, "Tocsin could not look you up; try again.", "Tocsin 暂时无法识别您的身份，请重试。")
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		if err != nil {
			s.slackTell(ic, refusal)
		} else if len(ic.ActionCallback.BlockActions) > 0 && ic.ActionCallback.BlockActions[0] != nil {
			s.slackAction(c, ic, *ic.ActionCallback.BlockActions[0], p, lang)
		}
		c.Status(http.StatusOK)
	case slack.InteractionTypeViewSubmission:
		var resp *slack.ViewSubmissionResponse
		switch {
		case ic.View.CallbackID != notify.CallbackReport && ic.View.CallbackID != notify.CallbackConfirm:
			c.Status(http.StatusOK)
			return
		case err != nil:
			resp = slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlock(ic.View.CallbackID): refusal})
		case ic.View.CallbackID == notify.CallbackReport:
			resp = s.slackSubmitReport(ctx, ic, p, lang)
		default:
			resp = s.slackSubmitConfirm(ctx, ic, p, lang)
		}
		if resp == nil {
			c.Status(http.StatusOK) // closes the modal
			return
		}
		c.JSON(http.StatusOK, resp)
	default:
		c.Status(http.StatusOK)
	}
}

// firstBlock is where an error that belongs to no one field is shown.
func firstBlock(callback string) string {
	if callback == notify.CallbackConfirm {
		return notify.BlockLevel
	}
	return notify.BlockTitle
}

// slackAction does what a button asks. Acknowledge and Open channel act
// and say so to the presser alone; Confirm… opens its modal at once (its
// trigger lives about three seconds); Open in Tocsin is a link, and Slack
// only reports the click.
func (s *Server) slackAction(c *gin.Context, ic slack.InteractionCallback, a slack.BlockAction, p access.Principal, lang string) {
	ctx := c.Request.Context()
	if a.ActionID == notify.ActionOpen {
		return
	}
	inc, err := s.slackIncident(ctx, p, a.Value)
	if err != nil {
		s.slackTell(ic, s.slackProblem(lang, err))
		return
	}
	switch a.ActionID {
	case notify.ActionAck:
		s.slackTell(ic, s.acknowledgeAs(ctx, p, lang, inc))
	case notify.ActionChannel:
		s.slackTell(ic, s.openChannelAs(ctx, p, lang, inc))
	case notify.ActionConfirm:
		if !access.CanTransition(p, inc, incident.Confirm) {
			s.slackTell(ic, refusedText(lang))
			return
		}
		if inc.Stage != incident.Receive {
			s.slackTell(ic, say(lang, inc.Number+" is past receive: confirm it in Tocsin if needed.",
				inc.Number+" 已不在接报阶段，如需确认请在 Tocsin 中操作。"))
			return
		}
		if _, err := s.slack.API.OpenViewContext(ctx, ic.TriggerID, notify.ConfirmModal(inc, lang)); err != nil {
			s.log.Warn("slack: open the confirm modal", "incident", inc.Number, "err", err)
			s.slackTell(ic, say(lang, "The form could not be opened; confirm it in Tocsin.", "无法打开表单，请在 Tocsin 中确认。"))
		}
	}
}

// slackTell says text to the person who pressed a button, through the
// message's response_url.
func (s *Server) slackTell(ic slack.InteractionCallback, text string) {
	if ic.ResponseURL == "" {
		s.log.Warn("slack: no response_url to answer a button on", "slack_user", ic.User.ID)
		return
	}
	s.respondLater(ic.ResponseURL, func(context.Context) *slack.WebhookMessage {
		m := ephemeral(text)
		m.ReplaceOriginal = false
		return m
	})
}

// value is what the person entered in a modal's input block (nothing for
// a submission without state).
func value(ic slack.InteractionCallback, block string) slack.BlockAction {
	if ic.View.State == nil {
		return slack.BlockAction{}
	}
	return ic.View.State.Values[block][block]
}

// slackSubmitReport files the report modal exactly as the web form does:
// the same request type, validation and messages; errors are shown on
// their fields, and a good report replaces the modal with its number.
func (s *Server) slackSubmitReport(ctx context.Context, ic slack.InteractionCallback, p access.Principal, lang string) *slack.ViewSubmissionResponse {
	description := value(ic, notify.BlockDescription).Value
	if strings.TrimSpace(description) == "" {
		description = ""
	}
	req := reportRequest{
		Title:          strings.TrimSpace(value(ic, notify.BlockTitle).Value),
		Description:    description,
		Category:       value(ic, notify.BlockCategory).SelectedOption.Value,
		SuggestedLevel: value(ic, notify.BlockSuggestedLevel).SelectedOption.Value,
		AffectedAssets: lines(value(ic, notify.BlockAssets).Value),
	}
	if dt := value(ic, notify.BlockOccurredAt).SelectedDateTime; dt > 0 {
		req.OccurredAt = time.Unix(dt, 0).UTC().Format(time.RFC3339)
	}
	if !access.CanReport(p) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{notify.BlockTitle: refusedText(lang)})
	}
	in := req.input("chat")
	if ic.View.ID != "" {
		// A submission Slack sends again files one report.
		in.IdempotencyKey, in.RequestHash = p.UserID+":slack-view:"+ic.View.ID, fingerprint(req)
	}
	res, err := s.slackReport(ctx, p, lang, req, in)
	if err != nil {
		return s.viewErrors(err, lang, notify.CallbackReport, reportBlocks)
	}
	v := notify.ReportFiledView(res.Incident, s.cfg.BaseURL, lang)
	return &slack.ViewSubmissionResponse{ResponseAction: slack.RAUpdate, View: &v}
}

// The input blocks of each modal, which are also their fields' names.
var (
	reportBlocks = []string{notify.BlockTitle, notify.BlockDescription, notify.BlockCategory,
		notify.BlockSuggestedLevel, notify.BlockAssets, notify.BlockOccurredAt}
	confirmBlocks = []string{notify.BlockLevel, notify.BlockCategory, notify.BlockScope, notify.BlockAssessmentNote}
)

// viewErrors shows err on a modal: each field's message on the input
// block of that field (affected_assets[3] on affected_assets), anything
// else on the first block.
func (s *Server) viewErrors(err error, lang, callback string, blocks []string) *slack.ViewSubmissionResponse {
	out := map[string]string{}
	add := func(field, m string) {
		block := field
		if i := strings.IndexAny(block, "[."); i >= 0 {
			block = block[:i]
		}
		found := false
		for _, b := range blocks {
			found = found || b == block
		}
		if !found {
			block = firstBlock(callback)
		}
		if prev := out[block]; prev != "" {
			m = prev + "; " + m
		}
		out[block] = m
	}
	var (
		fields  fieldErrors
		invalid *incident.InvalidError
		blocked *incident.BlockedError
	)
	switch {
	case errors.As(err, &fields):
		for f, m := range fields {
			add(f, m)
		}
	case errors.As(err, &invalid):
		for f, m := range invalid.Fields {
			add(f, say(lang, m.EN, m.ZH))
		}
	case errors.As(err, &blocked):
		for _, m := range blocked.Missing {
			add(m.Code, say(lang, m.EN, m.ZH))
		}
	default:
		add("", s.slackProblem(lang, err))
	}
	return slack.NewErrorsViewSubmissionResponse(out)
}

// slackSubmitConfirm moves an incident to confirm from the Confirm… modal,
// with the web's role check and the same validation as the API; the
// version the modal was opened on guards against changes made meanwhile.
func (s *Server) slackSubmitConfirm(ctx context.Context, ic slack.InteractionCallback, p access.Principal, lang string) *slack.ViewSubmissionResponse {
	number, version, ok := notify.ParseConfirmMetadata(ic.View.PrivateMetadata)
	if !ok {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{notify.BlockLevel: say(lang,
			"This form is not valid any more; press Confirm… again.", "此表单已失效，请重新点击“确认…”。")})
	}
	inc, err := s.slackIncident(ctx, p, number)
	if err != nil {
		return s.viewErrors(err, lang, notify.CallbackConfirm, confirmBlocks)
	}
	if !access.CanTransition(p, inc, incident.Confirm) {
		return s.viewErrors(access.ErrForbidden, lang, notify.CallbackConfirm, confirmBlocks)
	}
	req := transitionRequest{To: string(incident.Confirm), Version: version,
		Level:          value(ic, notify.BlockLevel).SelectedOption.Value,
		Category:       value(ic, notify.BlockCategory).SelectedOption.Value,
		Scope:          value(ic, notify.BlockScope).SelectedOption.Value,
		AssessmentNote: strings.TrimSpace(value(ic, notify.BlockAssessmentNote).Value),
	}
	if err := checkBoth(&req, lang); err != nil {
		return s.viewErrors(err, lang, notify.CallbackConfirm, confirmBlocks)
	}
	if _, err := s.incidents.TransitionLoaded(ctx, inc, req.input(), actor(p)); err != nil {
		return s.viewErrors(err, lang, notify.CallbackConfirm, confirmBlocks)
	}
	s.log.Info("slack: incident confirmed", "incident", inc.Number, "user", p.UserID)
	return nil
}
