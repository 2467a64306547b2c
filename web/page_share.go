package web

import "github.com/gin-gonic/gin"

// sharePageRoutes registers the sharing pages: requests and approvals,
// attribute rules, and the desensitized shared view.
func (s *Server) sharePageRoutes(r *gin.Engine) {}
