package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/incident"
)

// markdown renders the review as a Markdown document.
func (v reviewView) markdown() string {
	var b strings.Builder
	l := v.Lang
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s: %s — %s\n\n", T(l, "review.title"), v.Number, mdInline(v.Title))
	p("- %s: %s\n- %s: %s\n- %s: %s\n- %s: %s (%s)\n", T(l, "review.level"), v.Level, T(l, "review.category"), v.Category,
		T(l, "review.stage"), v.Stage, T(l, "review.reported"), v.Reported, mdInline(v.Reporter))
	if v.Drill {
		p("- **%s**\n", T(l, "review.drill"))
	}
	p("\n## %s\n\n%s\n", T(l, "review.summary"), mdBlock(v.Summary))

	p("\n## %s\n\n| %s | %s | %s | %s |\n| --- | --- | --- | --- |\n", T(l, "review.timings"),
		T(l, "review.measure"), T(l, "review.took"), T(l, "review.deadline"), T(l, "review.result"))
	for _, t := range v.Timings {
		res := t.Result
		if t.Missed {
			res = "**" + res + "**"
		}
		p("| %s | %s | %s | %s |\n", t.Name, t.Took, t.Deadline, res)
	}

	list := func(key string, entries []reviewEntry) {
		p("\n## %s (%d)\n\n", T(l, key), len(entries))
		if len(entries) == 0 {
			p("%s\n", T(l, "review.none"))
		}
		for _, e := range entries {
			p("- %s · %s · %s\n", e.When, mdInline(e.Who), mdInline(e.What))
		}
	}
	list("review.escalations", v.Escalated)
	list("review.misses", v.Misses)
	list("review.chronology", v.Chron)

	p("\n## %s\n\n%s\n", T(l, "review.people"), orNone(l, mdInline(v.People)))
	p("\n## %s\n\n%s\n", T(l, "review.teams"), orNone(l, mdInline(v.Teams)))
	p("\n## %s\n\n", T(l, "review.tasks"))
	if len(v.Tasks) == 0 {
		p("%s\n", T(l, "review.none"))
	} else {
		p("| %s | %s | %s | %s |\n| --- | --- | --- | --- |\n", T(l, "review.task"), T(l, "review.assignee"), T(l, "review.status"), T(l, "review.result"))
		for _, t := range v.Tasks {
			p("| %s %s | %s | %s | %s |\n", t.ID, mdCell(t.Title), mdCell(t.Assignee), t.Status, mdCell(t.Result))
		}
	}
	p("\n## %s\n\n", T(l, "review.runbooks"))
	if len(v.Runbooks) == 0 {
		p("%s\n", T(l, "review.none"))
	}
	for _, r := range v.Runbooks {
		p("- %s\n", mdInline(r))
	}

	p("\n## %s\n\n%s\n", T(l, "review.root_cause"), orNone(l, mdBlock(v.RootCause)))
	p("\n## %s\n\n- %s: %s\n- %s: %s\n- %s: %s\n- %s: %s\n", T(l, "review.impact"),
		T(l, "review.impact_systems"), orNone(l, mdInline(v.Impact.Systems)), T(l, "review.impact_data"), orNone(l, mdInline(v.Impact.Data)),
		T(l, "review.impact_people"), orNone(l, mdInline(v.Impact.People)), T(l, "review.impact_dur"), orNone(l, mdInline(v.Impact.Duration)))
	p("\n## %s\n\n### %s\n\n%s\n\n### %s\n\n%s\n", T(l, "review.evaluation"),
		T(l, "review.went_well"), orNone(l, mdBlock(v.WentWell)), T(l, "review.went_badly"), orNone(l, mdBlock(v.WentBadly)))
	p("\n## %s\n\n%s\n", T(l, "review.lessons"), orNone(l, mdBlock(v.Lessons)))
	p("\n## %s\n\n", T(l, "review.actions"))
	if len(v.Actions) == 0 {
		p("%s\n", T(l, "review.none"))
	} else {
		p("| | %s | %s | %s | %s |\n| --- | --- | --- | --- | --- |\n", T(l, "review.action"), T(l, "review.owner"), T(l, "review.due"), T(l, "review.status"))
		for _, a := range v.Actions {
			st := a.Status
			if a.Overdue {
				st += ", **" + T(l, "review.overdue") + "**"
			}
			p("| %s | %s | %s | %s | %s |\n", a.ID, mdCell(a.Title), mdCell(a.Owner), a.Due, st)
		}
	}
	p("\n## %s\n\n", T(l, "review.signoff"))
	if v.Returned != "" {
		p("%s: %s\n\n", v.Returned, mdInline(v.Comment))
	}
	p("%s\n\n---\n%s\n", v.SignedOff, v.Generated)
	return b.String()
}

func orNone(l, s string) string {
	if strings.TrimSpace(s) == "" {
		return T(l, "review.none")
	}
	return s
}

// mdInline keeps a value on one line.
func mdInline(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mdCell keeps a value inside one table cell.
func mdCell(s string) string { return strings.ReplaceAll(mdInline(s), "|", `\|`) }

// mdBlock is free text as a paragraph, its line breaks kept.
func mdBlock(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// reviewMarkdown serves GET /incidents/{ref}/review.md.
func (s *Server) reviewMarkdown(c *gin.Context) {
	_, v, ok := s.loadReview(c)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", fmt.Sprintf(`inline; filename="%s-review.md"`, v.Number))
	c.Data(http.StatusOK, "text/markdown; charset=utf-8", []byte(v.markdown()))
}

// loadReview loads the incident of the path for a page and prepares its
// review in the caller's language; on failure it has answered.
func (s *Server) loadReview(c *gin.Context) (*incident.Incident, reviewView, bool) {
	inc, err := s.viewable(c, c.Param("ref"))
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return nil, reviewView{}, false
	}
	d, err := s.draftOf(c, inc)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return nil, reviewView{}, false
	}
	return inc, newReviewView(inc, d, lang(c), s.now().UTC()), true
}
