package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
)

// retryAfter is d in whole seconds, rounded up, for a Retry-After header.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// minutes is d in whole minutes, rounded up, for messages.
func minutes(d time.Duration) int { return max(1, int(math.Ceil(d.Minutes()))) }

// tooMany answers an API request from a locked-out address: 429 with
// Retry-After.
func (s *Server) tooMany(c *gin.Context, wait time.Duration) {
	l := lang(c)
	c.Header("Retry-After", retryAfter(wait))
	n := minutes(wait)
	c.AbortWithStatusJSON(http.StatusTooManyRequests, apiError{Error: msg(l,
		"too many failed attempts from your address; try again in "+strconv.Itoa(n)+" minutes",
		"您所在地址的失败尝试次数过多，请在 "+strconv.Itoa(n)+" 分钟后重试")})
}

// lockedFor is how long err says to wait, or 0.
func lockedFor(err error) time.Duration {
	var le *access.LockedError
	if errors.As(err, &le) {
		return le.RetryAfter
	}
	return 0
}
