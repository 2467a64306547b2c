package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// SlackApp is the Slack side of the hub: the /incident slash command and
// the buttons and modals of Tocsin's messages. Its endpoints are outside
// the session and CSRF machinery: Slack signs every request with the
// app's signing secret, and nothing is read from a request before that
// signature is checked.
type SlackApp struct {
	// SigningSecret verifies that a request comes from Slack.
	SigningSecret string
	// API calls Slack: views.open for modals, users.info to find a
	// person's e-mail.
	API *slack.Client
	// OpenChannel enqueues the opening of an incident's own channel (a
	// card's Open channel button, /incident channel); nil: not offered.
	OpenChannel func(ctx context.Context, inc *incident.Incident) error
	// ResponseOrigins are the scheme://host origins a response_url may
	// have; none means Slack's own, https://hooks.slack.com.
	ResponseOrigins []string
	// HTTPClient posts to response_url; nil means one with a 10 s timeout.
	HTTPClient *http.Client
}

// Limits of the Slack endpoints.
const (
	// maxSlackBody bounds a Slack request: a slash command is a few
	// hundred bytes, a modal submission a few kilobytes.
	maxSlackBody = 256 << 10
	// slackWindow is how far a request's timestamp may be from now.
	slackWindow = 5 * time.Minute
	// slackLaterTimeout bounds the work done after answering Slack.
	slackLaterTimeout = 30 * time.Second
)

// slackRoutes registers the Slack endpoints when chat is on; with chat off
// they do not exist (404).
func (s *Server) slackRoutes(r *gin.Engine) {
	if s.slack == nil {
		return
	}
	r.POST("/slack/commands", s.slackVerified, s.slackCommand)
	r.POST("/slack/interactions", s.slackVerified, s.slackInteraction)
}

// Why a Slack request's signature is refused.
var (
	errSlackHeaders   = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errSlackTimestamp = errors.New("timestamp outside the 5-minute window")
	errSlackSignature = errors.New("signature does not match")
)

// verifySlack checks a request's signature over its raw body with secret:
// both headers present, the timestamp within five minutes of now, the
// HMAC right. slack.NewSecretsVerifier checks the window against the
// wall clock; the same check against now keeps the injected clock the
// one that decides.
func verifySlack(h http.Header, body []byte, secret string, now time.Time) error {
	stamp := h.Get("X-Slack-Request-Timestamp")
	if stamp == "" || h.Get("X-Slack-Signature") == "" {
		return errSlackHeaders
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > slackWindow {
		return errSlackTimestamp
	}
	sv, err := slack.NewSecretsVerifier(h, secret)
	switch {
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return errSlackTimestamp
	case errors.Is(err, slack.ErrMissingHeaders):
		return errSlackHeaders
	case err != nil:
		return fmt.Errorf("%w: %v", errSlackSignature, err)
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	if sv.Ensure() != nil {
		return errSlackSignature
	}
	return nil
}

// slackVerified reads the body once (within maxSlackBody), verifies its
// signature before anything parses it, and puts it back for the parser.
// A refused request gets 401 and a log line without its body.
func (s *Server) slackVerified(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxSlackBody))
	if err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(*http.MaxBytesError)) {
			status = http.StatusRequestEntityTooLarge
		}
		c.AbortWithStatus(status)
		return
	}
	if err := verifySlack(c.Request.Header, body, s.slack.SigningSecret, s.now()); err != nil {
		s.log.Warn("slack: request refused", "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path,
			"remote", c.ClientIP(), "reason", err.Error(), "bytes", len(body))
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
}

// errSlackUnlinked is a Slack user Tocsin cannot map to an active account.
var errSlackUnlinked = errors.New("slack user not linked to an account")

// slackUser maps a Slack user to their Tocsin account: the account
// linked to the Slack id, else the one account with the e-mail Slack has
// for them. lang is the account's language, else Slack's locale for
// them when it was read, else "" (both languages).
func (s *Server) slackUser(ctx context.Context, slackID string) (p access.Principal, lang string, err error) {
	u, err := s.access.UserBySlackID(ctx, slackID)
	locale := ""
	if errors.Is(err, access.ErrNotFound) {
		var su *slack.User
		su, err = s.slack.API.GetUserInfoContext(ctx, slackID, slack.GetUserInfoOptionIncludeLocale(true))
		if err != nil {
			s.log.Warn("slack: users.info", "slack_user", slackID, "err", err)
			return p, "", errSlackUnlinked
		}
		locale = su.Locale
		u, err = s.access.UserByEmail(ctx, su.Profile.Email)
	}
	switch {
	case errors.Is(err, access.ErrNotFound):
		return p, langOf("", locale), errSlackUnlinked
	case err != nil:
		return p, "", err
	case u.Disabled:
		return p, langOf(u.Lang, locale), errSlackUnlinked
	}
	p = u.Principal("slack")
	if access.SeesByTeam(p) {
		// As for a web request: a responder sees what their teams work on.
		p.Teams = s.teamsOf(ctx, p.Username)
	}
	return p, langOf(u.Lang, locale), nil
}

// langOf is the language to speak to a person: their account's, else
// their Slack locale's, else "" for both.
func langOf(account, locale string) string {
	if account == "en" || account == "zh" {
		return account
	}
	switch l := strings.ToLower(locale); {
	case strings.HasPrefix(l, "zh"):
		return "zh"
	case strings.HasPrefix(l, "en"):
		return "en"
	}
	return ""
}

// say is msg for a Slack reader whose language may be unknown ("": both).
func say(l, en, zh string) string {
	if l == "" {
		return en + "\n" + zh
	}
	return msg(l, en, zh)
}

// unlinkedText tells a Slack user why Tocsin will not act for them, and
// how to fix it.
func unlinkedText(lang, slackID string) string {
	return say(lang,
		"Your Slack account is not linked to a Tocsin account, so Tocsin cannot act for you. "+
			"Ask a Tocsin admin to link it (tocsin user add … --slack-id "+slackID+"), "+
			"or give your Tocsin account the same e-mail address as your Slack profile.",
		"您的 Slack 账号未关联 Tocsin 账号，Tocsin 无法代您操作。请联系 Tocsin 管理员关联（tocsin user add … --slack-id "+slackID+"），"+
			"或将 Tocsin 账号的邮箱设为与 Slack 资料相同。")
}

// ephemeral is an answer only the asker sees.
func ephemeral(text string) *slack.WebhookMessage {
	return &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text}
}

// respondLater posts m to a response_url after the request is answered,
// which Slack allows for 30 minutes. Only URLs on Slack's origin (or a
// configured one) are posted to, so a request cannot make the hub call
// anywhere else.
func (s *Server) respondLater(responseURL string, work func(ctx context.Context) *slack.WebhookMessage) {
	if !s.responseURLAllowed(responseURL) {
		s.log.Warn("slack: response_url refused", "origin", originOf(responseURL))
		return
	}
	client := s.slack.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), slackLaterTimeout)
		defer cancel()
		m := work(ctx)
		if m == nil {
			return
		}
		if m.ResponseType == "" {
			m.ResponseType = slack.ResponseTypeEphemeral
		}
		if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, client, m); err != nil {
			s.log.Warn("slack: post to response_url", "err", err)
		}
	}()
}

func (s *Server) responseURLAllowed(raw string) bool {
	origins := s.slack.ResponseOrigins
	if len(origins) == 0 {
		origins = []string{"https://hooks.slack.com"}
	}
	origin := originOf(raw)
	for _, o := range origins {
		if origin != "" && strings.EqualFold(origin, strings.TrimRight(o, "/")) {
			return true
		}
	}
	return false
}

// originOf is scheme://host of a URL, "" when it has none.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
