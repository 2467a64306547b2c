package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// listPage is the data of the incident list.
type listPage struct {
	common
	Heading         string
	Q               string
	Mine            bool
	StageOptions    []option
	LevelOptions    []option
	CategoryOptions []option
	Items           []cardView
	Problem         string
	FirstURL        string
	NextURL         string
}

// incidentList lists incidents newest first with filters and cursor
// paging. The response center sees all (or, with ?mine=1, its own);
// everyone else sees what they reported or work on.
func (s *Server) incidentList(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	mine := c.Query("mine") == "1"
	heading := T(l, "list.mine")
	if access.SeesAll(p) && !mine {
		heading = T(l, "list.all")
	}
	data := listPage{
		common: s.common(c, heading, "incidents"), Heading: heading, Q: c.Query("q"), Mine: mine,
		StageOptions:    stageFilterOptions(l, c.Query("stage")),
		LevelOptions:    filterLevelOptions(l, incident.Level(c.Query("level"))),
		CategoryOptions: filterCategoryOptions(l, incident.Category(c.Query("category"))),
	}
	f, err := listFilter(c, p)
	if err != nil {
		data.Problem = errorText(l, http.StatusBadRequest, err)
		s.render(c, http.StatusBadRequest, "incidents", data)
		return
	}
	if mine {
		f.VisibleTo = p.UserID
	}
	f.Brief = true
	page, err := s.incidents.List(c.Request.Context(), f)
	if status := statusOf(err); err != nil && status == http.StatusBadRequest {
		data.Problem = errorText(l, status, err)
		s.render(c, status, "incidents", data)
		return
	} else if err != nil {
		s.pageError(c, status, err)
		return
	}
	now := s.now()
	for _, inc := range visible(p, page.Items) {
		data.Items = append(data.Items, cardOf(l, inc, now))
	}
	q := c.Request.URL.Query()
	q.Del("lang")
	if q.Get("cursor") != "" {
		q.Del("cursor")
		data.FirstURL = "/incidents?" + q.Encode()
	}
	if page.Next != "" {
		q.Set("cursor", page.Next)
		data.NextURL = "/incidents?" + q.Encode()
	}
	s.render(c, http.StatusOK, "incidents", data)
}

// stageFilterOptions offers every stage, and "open" for the six working
// stages at once (listFilter takes a comma-separated list).
func stageFilterOptions(l, selected string) []option {
	var working []string
	for _, st := range incident.WorkingStages() {
		working = append(working, string(st.Stage))
	}
	open := strings.Join(working, ",")
	out := []option{
		{Value: "", Label: T(l, "filter.all_stages"), Selected: selected == ""},
		{Value: open, Label: T(l, "filter.open_stages"), Selected: selected == open},
	}
	for _, st := range incident.Stages() {
		out = append(out, option{Value: string(st.Stage), Label: msg(l, st.NameEN, st.NameZH), Selected: string(st.Stage) == selected})
	}
	return out
}
