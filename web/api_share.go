package web

import "github.com/gin-gonic/gin"

// shareAPIRoutes registers the sharing API: applications and emergency
// requests, decisions, attribute rules, the shared view, copies and the
// access log.
func (s *Server) shareAPIRoutes(r *gin.Engine) {}
