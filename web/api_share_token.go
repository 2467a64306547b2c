package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

// grantTokenRequest is the body of POST /api/v1/grants/{id}/tokens.
type grantTokenRequest struct {
	Name     string   `json:"name" validate:"required,max=100"`
	System   string   `json:"system" validate:"max=100"`
	Networks []string `json:"networks" validate:"max=20,dive,cidr"`
}

// grantTokenJSON is an API token bound to a grant; Token, its secret, is
// only in the answer that issues it.
type grantTokenJSON struct {
	Prefix    string    `json:"prefix"`
	Name      string    `json:"name"`
	Grant     string    `json:"grant"`
	System    string    `json:"system,omitempty"`
	Networks  []string  `json:"networks"`
	Expires   time.Time `json:"expires"`
	CreatedAt time.Time `json:"created_at"`
	Token     string    `json:"token"`
}

// apiGrantToken issues an API token bound to an active grant, for its
// requester's system: it reaches the shared views (/api/v1/shared/…) of
// the grant's incidents only, from the networks named (any when none),
// and ends with the grant's period. The secret is shown once.
func (s *Server) apiGrantToken(c *gin.Context) {
	var req grantTokenRequest
	if err := decodeJSON(c.Request, &req, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	g, err := s.seenGrant(c, isRequester)
	if err != nil {
		s.fail(c, err)
		return
	}
	if g.Status != share.Active || !s.now().Before(g.Until) {
		s.fail(c, &share.RefusedError{EN: "only an active grant can have API tokens: this one is " + string(g.Status),
			ZH: "只有生效中的授权才能签发 API 令牌：该授权当前状态为 " + string(g.Status)})
		return
	}
	ctx := c.Request.Context()
	u, err := s.access.User(ctx, principal(c).UserID)
	if err != nil {
		s.fail(c, err)
		return
	}
	secret, t, err := s.access.CreateScopedToken(ctx, u, access.TokenSpec{Name: req.Name, System: req.System,
		Networks: req.Networks, Grant: g.ID, Expires: g.Until})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.trail.Record(ctx, t.AuditRecord(u.Username))
	c.JSON(http.StatusCreated, grantTokenJSON{Prefix: t.Prefix, Name: t.Name, Grant: t.Grant, System: t.System,
		Networks: nonNil(t.Networks), Expires: t.Expires, CreatedAt: t.CreatedAt, Token: secret})
}
