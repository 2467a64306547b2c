package web

import (
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/incident"
)

// reportsPage is the data of the managers' page.
type reportsPage struct {
	common
	Filter     filterView
	Levels     []choice
	Categories []choice
	CSVURL     string
	APIURL     string
	Problem    string
	Real       statsView
	Drills     statsView
	Generated  string
}

type choice struct {
	Value, Name string
	Selected    bool
}

type filterView struct{ From, To, Level, Category, Team string }

// statsView is one set of figures ready to show: charts and the tables
// that hold the same numbers.
type statsView struct {
	Total        int
	LevelChart   template.HTML
	CatChart     template.HTML
	StageChart   template.HTML
	MonthChart   template.HTML
	ByLevel      []countRow
	ByCategory   []countRow
	ByStage      []countRow
	ByMonth      []countRow
	Levels       []levelTimes
	Escalations  int
	EscByLevel   []countRow
	Misses       int
	OpenActions  int
	Overdue      []overdueRow
	HasDurations bool
}

type countRow struct {
	Name  string
	Count int
}

// levelTimes is one level's response times: a chart of means against the
// deadlines, and the table of count, mean, p90, deadline, compliance.
type levelTimes struct {
	Level, Name string
	Chart       template.HTML
	Rows        []timeRow
}

type timeRow struct {
	Measure, Count, Mean, P90, Deadline, Met, Missed, Pending, Rate string
}

type overdueRow struct{ Incident, Action, Title, Owner, Due string }

func (s *Server) reportsPage(c *gin.Context) {
	l := lang(c)
	q := c.Request.URL.Query()
	fv := filterView{From: q.Get("from"), To: q.Get("to"), Level: q.Get("level"), Category: q.Get("category"), Team: q.Get("team")}
	data := reportsPage{common: s.common(c, T(l, "reports.title"), "reports"), Filter: fv}
	for _, li := range incident.Levels() {
		data.Levels = append(data.Levels, choice{string(li.Level), msg(l, li.NameEN, li.NameZH), fv.Level == string(li.Level)})
	}
	for _, ci := range incident.Categories() {
		data.Categories = append(data.Categories, choice{string(ci.Category), msg(l, ci.NameEN, ci.NameZH), fv.Category == string(ci.Category)})
	}
	keep := url.Values{}
	for _, k := range []string{"from", "to", "level", "category", "team"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	data.CSVURL, data.APIURL = "/reports.csv?"+keep.Encode(), "/api/v1/stats?"+keep.Encode()
	f, err := statsFilter(c, l)
	if err != nil {
		data.Problem = errorText(l, statusOf(err), err)
		s.render(c, http.StatusBadRequest, "reports", data)
		return
	}
	ds, err := s.deadlines(c.Request.Context())
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	rep, err := s.report(c.Request.Context(), f)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	data.Real = newStatsView(l, rep.Real, ds)
	data.Drills = newStatsView(l, rep.Drills, ds)
	data.Generated = T(l, "review.generated", utcTime(rep.At))
	s.render(c, http.StatusOK, "reports", data)
}

func newStatsView(l string, st incident.Stats, ds map[incident.Level]incident.Deadlines) statsView {
	v := statsView{Total: st.Total, Escalations: st.Escalations, Misses: st.DeadlineMisses, OpenActions: st.OpenActions}
	var lvBars []bar
	for _, li := range incident.Levels() {
		n := st.ByLevel[li.Level]
		name := msg(l, li.NameEN, li.NameZH)
		v.ByLevel = append(v.ByLevel, countRow{name, n})
		lvBars = append(lvBars, bar{Label: name, Value: float64(n), Class: "level-" + string(li.Level)})
		v.EscByLevel = append(v.EscByLevel, countRow{name, st.EscalationsByLevel[li.Level]})
	}
	v.LevelChart = barChart(T(l, "reports.by_level"), lvBars)
	var catBars []bar
	var cats []incident.Category
	for _, ci := range incident.Categories() {
		cats = append(cats, ci.Category)
	}
	if st.ByCategory[""] > 0 {
		cats = append(cats, "")
	}
	for _, c := range cats {
		n := st.ByCategory[c]
		name := categoryName(l, c)
		v.ByCategory = append(v.ByCategory, countRow{name, n})
		catBars = append(catBars, bar{Label: name, Value: float64(n)})
	}
	v.CatChart = barChart(T(l, "reports.by_category"), catBars)
	var stBars []bar
	for _, si := range incident.Stages() {
		n := st.ByStage[si.Stage]
		name := msg(l, si.NameEN, si.NameZH)
		v.ByStage = append(v.ByStage, countRow{name, n})
		stBars = append(stBars, bar{Label: name, Value: float64(n)})
	}
	v.StageChart = barChart(T(l, "reports.by_stage"), stBars)
	months := make([]string, 0, len(st.ByMonth))
	for m := range st.ByMonth {
		months = append(months, m)
	}
	sort.Strings(months)
	var moBars []bar
	for _, m := range months {
		v.ByMonth = append(v.ByMonth, countRow{m, st.ByMonth[m]})
		moBars = append(moBars, bar{Label: m, Value: float64(st.ByMonth[m])})
	}
	v.MonthChart = barChart(T(l, "reports.by_month"), moBars)

	for _, li := range incident.Levels() {
		lt := levelTimes{Level: string(li.Level), Name: msg(l, li.NameEN, li.NameZH)}
		var bars []bar
		for _, m := range incident.Measures() {
			en, zh := m.Names()
			d, ok := st.Durations[li.Level][m]
			cm := st.Compliance[li.Level][m]
			dl := ds[li.Level].Deadline(m)
			row := timeRow{Measure: msg(l, en, zh), Count: "0", Mean: "–", P90: "–", Deadline: T(l, "review.none"),
				Met: itoa(cm.Met), Missed: itoa(cm.Missed), Pending: itoa(cm.Pending), Rate: "–"}
			if dl > 0 {
				row.Deadline = incident.FormatDuration(dl)
			}
			if r := cm.Rate(); !math.IsNaN(r) {
				row.Rate = formatPercent(r)
			}
			if ok && d.Count > 0 {
				v.HasDurations = true
				row.Count, row.Mean, row.P90 = itoa(d.Count), incident.FormatDuration(d.Mean), incident.FormatDuration(d.P90)
				if dl > 0 {
					cls := "met"
					if d.Mean > dl {
						cls = "missed"
					}
					bars = append(bars, bar{Label: row.Measure, Value: float64(d.Mean) / float64(dl),
						Text: T(l, "reports.mean_of", row.Mean, row.P90, row.Deadline), Class: cls})
				}
			}
			lt.Rows = append(lt.Rows, row)
		}
		if len(bars) > 0 {
			lt.Chart = durationChart(T(l, "reports.times_of", lt.Name), bars, T(l, "review.deadline"))
		}
		v.Levels = append(v.Levels, lt)
	}
	for _, a := range st.OverdueActions {
		v.Overdue = append(v.Overdue, overdueRow{Incident: a.Incident, Action: a.Action.ID, Title: a.Action.Title,
			Owner: a.Action.Owner, Due: a.Action.Due.Format(time.DateOnly)})
	}
	return v
}

func itoa(n int) string { return formatNumber(float64(n)) }

func formatPercent(r float64) string { return formatNumber(math.Round(r*1000)/10) + "%" }
