package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/notify"
)

// Outbox is what the admin API and pages do with the notification outbox,
// and what the board asks of it; *notify.Admin is one.
type Outbox interface {
	// Messages lists the messages f selects, oldest first.
	Messages(ctx context.Context, f notify.Filter) ([]notify.Message, error)
	// Retry sends a dead or unknown message again, returning it as
	// requeued, or an error wrapping notify.ErrNotFound or
	// notify.ErrNotFailed.
	Retry(ctx context.Context, key string) (notify.Message, error)
	// Failures is the number of dead and unknown messages of incident.
	Failures(incident string) int
}

var _ Outbox = (*notify.Admin)(nil)

// errNoOutbox is returned when the hub has no outbox to show.
var errNoOutbox = errors.New("the notification outbox is not available on this hub")

// outboxRoutes registers the outbox's admin API and page.
func (s *Server) outboxRoutes(r *gin.Engine) {
	api := r.Group("/api/v1")
	api.GET("/outbox", requireAPI(access.CanManageOutbox), s.needOutboxAPI, s.apiOutbox)
	api.POST("/outbox/retry", requireAPI(access.CanManageOutbox), s.needOutboxAPI, s.apiOutboxRetry)
	r.GET("/outbox", s.requirePage(access.CanManageOutbox), s.needOutboxPage, s.outboxPage)
	r.POST("/outbox/retry", s.requirePage(access.CanManageOutbox), s.needOutboxPage, s.outboxRetry)
}

func (s *Server) needOutboxAPI(c *gin.Context) {
	if s.outbox == nil {
		s.fail(c, errNoOutbox)
	}
}

func (s *Server) needOutboxPage(c *gin.Context) {
	if s.outbox == nil {
		s.pageError(c, http.StatusServiceUnavailable, errNoOutbox)
		c.Abort()
	}
}

// Outbox listing limits.
const (
	defaultOutboxLimit = 100
	maxOutboxLimit     = 1000
	maxOutboxIncident  = 64
)

// outboxChannels are the channels a filter may name.
var outboxChannels = []notify.Channel{notify.ChannelSlack, notify.ChannelEmail, notify.ChannelWebhook,
	notify.ChannelWeCom, notify.ChannelDingTalk, notify.ChannelFeishu, notify.ChannelLog}

// outboxFilter reads ?status=&incident=&channel=&limit=, refusing unknown
// values with a message in the caller's language.
func outboxFilter(c *gin.Context) (notify.Filter, error) {
	l := lang(c)
	f := notify.Filter{Limit: defaultOutboxLimit}
	bad := fieldErrors{}
	if v := c.Query("status"); v != "" {
		if st := notify.Status(v); st.Valid() {
			f.Statuses = []notify.Status{st}
		} else {
			bad["status"] = msg(l, "status must be one of pending, sending, retry, sent, dead, unknown",
				"status 必须是 pending、sending、retry、sent、dead 或 unknown 之一")
		}
	}
	if v := c.Query("channel"); v != "" {
		if ch := notify.Channel(v); slices.Contains(outboxChannels, ch) {
			f.Channel = ch
		} else {
			bad["channel"] = msg(l, "channel must be one of slack, email, webhook, wecom, dingtalk, feishu, log",
				"channel 必须是 slack、email、webhook、wecom、dingtalk、feishu 或 log 之一")
		}
	}
	if v := c.Query("incident"); v != "" {
		if len(v) > maxOutboxIncident || !printableASCII(v) {
			bad["incident"] = msg(l, "incident must be an incident number, e.g. INC-2026-000042", "incident 必须是事件编号，例如 INC-2026-000042")
		}
		f.Incident = v
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxOutboxLimit {
			bad["limit"] = msg(l, "limit must be between 1 and 1000", "limit 必须在 1 到 1000 之间")
		}
		f.Limit = n
	}
	if len(bad) > 0 {
		return f, bad
	}
	return f, nil
}

// outboxMessageJSON is one message as the admin API shows it: where it
// goes and how its delivery went, never its body.
type outboxMessageJSON struct {
	Key       string     `json:"key"`
	Kind      string     `json:"kind"`
	Incident  string     `json:"incident"`
	Recipient string     `json:"recipient"`
	Channel   string     `json:"channel"`
	Address   string     `json:"address"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	NextAt    *time.Time `json:"next_at"`
	LastError string     `json:"last_error"`
	SentAt    *time.Time `json:"sent_at"`
	Ref       string     `json:"ref"`
	CreatedAt time.Time  `json:"created_at"`
}

func toOutboxMessageJSON(m notify.Message) outboxMessageJSON {
	out := outboxMessageJSON{
		Key: m.Key, Kind: string(m.Kind), Incident: m.Incident, Recipient: m.Recipient, Channel: string(m.Channel),
		Address: m.Address, Subject: m.Subject, Status: string(m.Status), Attempts: m.Attempts,
		LastError: m.LastError, Ref: m.Ref, CreatedAt: m.CreatedAt.UTC(),
	}
	switch m.Status {
	case notify.StatusPending, notify.StatusRetry, notify.StatusSending:
		out.NextAt = utcPtr(m.NextAt)
	case notify.StatusSent:
		out.SentAt = utcPtr(m.SentAt)
	}
	return out
}

func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (s *Server) apiOutbox(c *gin.Context) {
	f, err := outboxFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	msgs, err := s.outbox.Messages(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	answerItems(c, msgs, toOutboxMessageJSON)
}

// retryRequest is the body of POST /api/v1/outbox/retry.
type retryRequest struct {
	Key string `json:"key" validate:"required,max=512"`
}

func (s *Server) apiOutboxRetry(c *gin.Context) {
	var req retryRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.retryMessage(c, req.Key)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toOutboxMessageJSON(m))
}

// retryMessage sends key again for the caller, and logs who did.
func (s *Server) retryMessage(c *gin.Context, key string) (notify.Message, error) {
	m, err := s.outbox.Retry(c.Request.Context(), strings.TrimSpace(key))
	if err != nil {
		return m, err
	}
	s.log.Info("message retried by hand", "request_id", c.GetString(ctxRequestID), "key", m.Key, "incident", m.Incident,
		"channel", string(m.Channel), "user", principal(c).UserID)
	return m, nil
}
