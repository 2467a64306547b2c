package web

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// ticketAck acknowledges an incident from its page or a board card, which
// stops its acknowledgement chain, then goes back where the form was
// (?next= may name the board; anything else returns to the incident).
// Acknowledging an acknowledged incident is not an error: two responders
// racing to it is normal, and the page then says who was first.
func (s *Server) ticketAck(c *gin.Context) {
	p := principal(c)
	inc, ok := s.pageIncident(c)
	if !ok {
		return
	}
	if !access.CanAcknowledge(p, inc) {
		s.pageError(c, http.StatusForbidden, access.ErrForbidden)
		return
	}
	if _, err := s.incidents.Acknowledge(c.Request.Context(), inc.ID, actor(p)); err != nil && !errors.Is(err, incident.ErrAlreadyAcked) {
		s.pageError(c, statusOf(err), err)
		return
	}
	c.Redirect(http.StatusSeeOther, ackReturn(c.PostForm("next"), inc.Number))
}

// ackReturn is where to go after acknowledging: the board (with its
// filters) when the form came from it, else the incident's page. Only
// these local addresses are followed, so the field cannot send anyone
// elsewhere.
func ackReturn(next, number string) string {
	if next == "/board" || (strings.HasPrefix(next, "/board?") && !strings.ContainsAny(next, "\\\r\n")) {
		return next
	}
	return "/incidents/" + number
}

// ackView is the acknowledgement block of an incident's page: who took it
// on and when, or the button for those who may.
type ackView struct {
	Acked  bool
	Text   string // "Acknowledged by X at T"
	AtISO  string
	CanAck bool
	Action string
	CSRF   template.HTML
}

// Ack is the acknowledgement block of the incident page, computed from the
// page's incident and viewer.
func (v ticketPage) Ack() ackView {
	inc := v.Inc
	out := ackView{Action: "/incidents/" + inc.Number + "/ack", CSRF: v.CSRF}
	if inc.AckedBy != nil && inc.AckedAt != nil {
		out.Acked = true
		out.Text = T(v.Lang, "ack.by", inc.AckedBy.Name, fmtTime(*inc.AckedAt))
		out.AtISO = inc.AckedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
		return out
	}
	out.CanAck = inc.Stage.Open() && access.CanAcknowledge(v.User, inc)
	return out
}

// cardAck is the acknowledgement part of a board card: a small form
// posting to the ticketAck route, hidden once the incident is
// acknowledged (board.js toggles it from the stream's "acked").
type cardAck struct {
	Can       bool // the viewer may acknowledge (auditors may not)
	Acked     bool
	Label     string
	DoneLabel string
	Title     string
	CSRF      template.HTML // set by the board, which knows the session
}

// cardAckOf is the card's acknowledgement state for inc (nil for the blank
// card the board's script clones).
func cardAckOf(l string, inc *incident.Incident) cardAck {
	return cardAck{Acked: inc != nil && inc.AckedAt != nil,
		Label: T(l, "ack.card"), DoneLabel: T(l, "ack.card_done"), Title: T(l, "ack.card_title")}
}
