package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/notify"
)

// outboxPageData is the data of the outbox page: by default the failed
// (dead and unknown) notifications, of one incident or all, each with a
// Retry button.
type outboxPageData struct {
	common
	Incident      string
	StatusOptions []option
	Rows          []outboxRow
	Retried       string // the key just sent again
	Problem       string
	Limit         int
}

// outboxRow is one notification on the outbox page.
type outboxRow struct {
	Key         string
	Incident    string
	IncidentURL string
	Kind        string
	Channel     string
	To          string
	Subject     string
	Status      string
	StatusName  string
	Attempts    int
	LastError   string
	CreatedISO  string
	CreatedText string
	CanRetry    bool
}

// failedStatuses are what the outbox page lists unless asked otherwise.
var failedStatuses = []notify.Status{notify.StatusDead, notify.StatusUnknown}

// outboxPage lists notifications: ?status= one status (default: the
// failures), ?incident= one incident's.
func (s *Server) outboxPage(c *gin.Context) {
	f, err := outboxFilter(c)
	if err != nil {
		s.pageError(c, http.StatusBadRequest, err)
		return
	}
	s.renderOutbox(c, http.StatusOK, f, "", c.Query("retried"))
}

// renderOutbox draws the outbox page of the messages f selects (the
// failures when it names no status), with a problem to show (the refusal
// of a retry) or the key just retried.
func (s *Server) renderOutbox(c *gin.Context, status int, f notify.Filter, problem, retried string) {
	l := lang(c)
	c.Set(ctxHere, "/outbox")
	shown := ""
	if len(f.Statuses) == 1 {
		shown = string(f.Statuses[0])
	} else {
		f.Statuses = failedStatuses
	}
	msgs, err := s.outbox.Messages(c.Request.Context(), f)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	data := outboxPageData{
		common:   s.common(c, T(l, "outbox.title"), "outbox"),
		Incident: f.Incident, Problem: problem, Retried: retried, Limit: f.Limit,
	}
	data.StatusOptions = []option{{Value: "", Label: T(l, "outbox.failures"), Selected: shown == ""}}
	for _, st := range []notify.Status{notify.StatusPending, notify.StatusSending, notify.StatusRetry, notify.StatusSent,
		notify.StatusDead, notify.StatusUnknown} {
		data.StatusOptions = append(data.StatusOptions, option{Value: string(st), Label: outboxStatusName(l, st),
			Selected: shown == string(st)})
	}
	for _, m := range msgs {
		row := outboxRow{
			Key: m.Key, Incident: m.Incident, Kind: string(m.Kind), Channel: tOr(l, "contact."+string(m.Channel), string(m.Channel)),
			To: m.Recipient, Subject: m.Subject, Status: string(m.Status), StatusName: outboxStatusName(l, m.Status),
			Attempts: m.Attempts, LastError: m.LastError,
			CreatedISO: m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), CreatedText: fmtTime(m.CreatedAt),
			CanRetry: m.Status == notify.StatusDead || m.Status == notify.StatusUnknown,
		}
		if m.Incident != "" {
			row.IncidentURL = "/incidents/" + url.PathEscape(m.Incident)
		}
		if m.Address != "" {
			if row.To != "" {
				row.To += " · "
			}
			row.To += m.Address
		}
		data.Rows = append(data.Rows, row)
	}
	s.render(c, status, "outbox", data)
}

func outboxStatusName(l string, st notify.Status) string {
	return tOr(l, "outbox.status."+string(st), string(st))
}

// outboxRetry sends a failed notification again from the page's form, then
// shows the page again (of the incident the form came from).
func (s *Server) outboxRetry(c *gin.Context) {
	l := lang(c)
	key := c.PostForm("key")
	back := url.Values{}
	f := notify.Filter{Limit: defaultOutboxLimit}
	if inc := c.PostForm("incident"); inc != "" && len(inc) <= maxOutboxIncident && printableASCII(inc) {
		back.Set("incident", inc)
		f.Incident = inc
	}
	if key == "" || len(key) > notify.MaxKey {
		s.pageError(c, http.StatusBadRequest, fieldErrors{"key": msg(l, "a message key is required", "缺少通知键")})
		return
	}
	m, err := s.retryMessage(c, key)
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			s.pageError(c, status, err)
			return
		}
		// Draw the list again with the reason, for the incident the form
		// came from.
		problem := T(l, "outbox.retry_refused")
		if status == http.StatusNotFound {
			problem = T(l, "outbox.retry_unknown")
		}
		s.renderOutbox(c, status, f, problem, "")
		return
	}
	back.Set("retried", m.Key)
	c.Redirect(http.StatusSeeOther, "/outbox?"+back.Encode())
}

// deliveryBadge is the "delivery failed" mark of an incident on the board
// and its page: shown when the incident has dead or unknown notifications,
// and for admins a link to them in the outbox.
type deliveryBadge struct {
	Failed bool
	Label  string
	Title  string
	Link   string // admins only; "/outbox?incident=" on the board's blank card
}

// deliveryBadgeOf is the badge of incident number for p ("" for the blank
// card the board's script fills).
func (s *Server) deliveryBadgeOf(l string, p access.Principal, number string) deliveryBadge {
	b := deliveryBadge{Label: T(l, "delivery.failed"), Title: T(l, "delivery.failed_title")}
	if access.CanManageOutbox(p) {
		b.Link = "/outbox?incident=" + url.QueryEscape(number)
	}
	if s.outbox != nil && number != "" {
		if n := s.outbox.Failures(number); n > 0 {
			b.Failed = true
			b.Title += " (" + strconv.Itoa(n) + ")"
		}
	}
	return b
}
