package web

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
)

// reviewPage is the data of the printable review.
type reviewPage struct {
	common
	R           reviewView
	TimingChart template.HTML
}

// reviewPage serves GET /incidents/{ref}/review: the review as a page that
// prints on A4 (print styles in review.css), in the language of ?lang=.
func (s *Server) reviewPage(c *gin.Context) {
	v, ok := s.loadReviewView(c)
	if !ok {
		return
	}
	bars := make([]bar, 0, len(v.Timings))
	for _, t := range v.Timings {
		cls := "met"
		if t.Missed {
			cls = "missed"
		}
		bars = append(bars, bar{Label: t.Name, Value: t.Ratio, Text: t.Took + " / " + t.Deadline, Class: cls})
	}
	s.render(c, http.StatusOK, "review", reviewPage{
		common:      s.common(c, T(v.Lang, "review.title")+" "+v.Number, ""),
		R:           v,
		TimingChart: durationChart(T(v.Lang, "review.timings"), bars, T(v.Lang, "review.deadline")),
	})
}
