package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// IncidentScanner reads every incident matching a filter in one pass,
// with at least the fields statistics read (store.Incidents does). The
// statistics are computed in Go over what it returns, which gives the same
// figures on MongoDB and on the embedded server, whose aggregation lacks
// the operators they would need.
type IncidentScanner interface {
	ListForStats(ctx context.Context, f incident.ListFilter) (incident.Page, error)
}

var errNoScanner = errors.New("statistics are not available on this hub")

// reportRoutes registers the statistics: the JSON API, the CSV export and
// the managers' page.
func (s *Server) reportRoutes(r *gin.Engine) {
	r.GET("/api/v1/stats", requireAPI(access.CanSeeReports), s.apiStats)
	r.GET("/reports.csv", s.requirePage(access.CanSeeReports), s.reportsCSV)
	r.GET("/reports", s.requirePage(access.CanSeeReports), s.reportsPage)
}

// statsFilter reads the report filters from the query: from and to as
// dates (to is included: the period ends at the end of that day, UTC),
// level, category, team.
func statsFilter(c *gin.Context, l string) (incident.StatsFilter, error) {
	var f incident.StatsFilter
	bad := fieldErrors{}
	date := func(name string) time.Time {
		v := c.Query(name)
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			bad[name] = msg(l, "must be a date like 2026-03-31", "必须是日期，如 2026-03-31")
		}
		return t
	}
	f.From = date("from")
	if to := date("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		bad["to"] = msg(l, "must not be before from", "不能早于开始日期")
	}
	if v := c.Query("level"); v != "" {
		if f.Level = incident.Level(v); !f.Level.Valid() {
			bad["level"] = msg(l, "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
		}
	}
	if v := c.Query("category"); v != "" {
		if f.Category = incident.Category(v); !f.Category.Valid() {
			bad["category"] = msg(l, "unknown category", "未知的事件类别")
		}
	}
	if v := c.Query("team"); len(v) > 64 {
		bad["team"] = msg(l, "must be at most 64 characters", "最多 64 个字符")
	} else {
		f.Team = v
	}
	if len(bad) > 0 {
		return f, bad
	}
	return f, nil
}

// report computes the statistics f selects.
func (s *Server) report(ctx context.Context, f incident.StatsFilter) (incident.Report, error) {
	if s.scanner == nil {
		return incident.Report{}, errNoScanner
	}
	ds, err := s.deadlines(ctx)
	if err != nil {
		return incident.Report{}, err
	}
	// Level and category narrow the scan where the store can use them.
	page, err := s.scanner.ListForStats(ctx, incident.ListFilter{Level: f.Level, Category: f.Category})
	if err != nil {
		return incident.Report{}, err
	}
	return incident.Compute(page.Items, ds, f, s.now().UTC()), nil
}

// durationJSON is one response time's summary, in seconds.
type durationJSON struct {
	Count       int   `json:"count"`
	MeanSeconds int64 `json:"mean_seconds"`
	P90Seconds  int64 `json:"p90_seconds"`
}

// complianceJSON is how incidents fared against one deadline; rate is
// met / (met + missed), null when nothing is decided.
type complianceJSON struct {
	Met     int      `json:"met"`
	Missed  int      `json:"missed"`
	Pending int      `json:"pending"`
	Rate    *float64 `json:"rate"`
}

type overdueJSON struct {
	Incident string `json:"incident"`
	Action   string `json:"action"`
	Title    string `json:"title"`
	Owner    string `json:"owner"`
	Due      string `json:"due"`
}

type statsJSON struct {
	Total              int                                  `json:"total"`
	ByLevel            map[string]int                       `json:"by_level"`
	ByCategory         map[string]int                       `json:"by_category"`
	ByStage            map[string]int                       `json:"by_stage"`
	ByMonth            map[string]int                       `json:"by_month"`
	Durations          map[string]map[string]durationJSON   `json:"durations"`
	Compliance         map[string]map[string]complianceJSON `json:"compliance"`
	Escalations        int                                  `json:"escalations"`
	EscalationsByLevel map[string]int                       `json:"escalations_by_level"`
	DeadlineMisses     int                                  `json:"deadline_misses"`
	OpenActions        int                                  `json:"open_actions"`
	OverdueActions     []overdueJSON                        `json:"overdue_actions"`
}

type reportJSON struct {
	At     time.Time `json:"at"`
	Filter struct {
		From     string `json:"from,omitempty"`
		To       string `json:"to,omitempty"`
		Level    string `json:"level,omitempty"`
		Category string `json:"category,omitempty"`
		Team     string `json:"team,omitempty"`
	} `json:"filter"`
	Real   statsJSON `json:"real"`
	Drills statsJSON `json:"drills"`
}

func toStatsJSON(st incident.Stats) statsJSON {
	out := statsJSON{
		Total: st.Total, ByLevel: map[string]int{}, ByCategory: map[string]int{}, ByStage: map[string]int{}, ByMonth: st.ByMonth,
		Durations: map[string]map[string]durationJSON{}, Compliance: map[string]map[string]complianceJSON{},
		Escalations: st.Escalations, EscalationsByLevel: map[string]int{}, DeadlineMisses: st.DeadlineMisses,
		OpenActions: st.OpenActions, OverdueActions: []overdueJSON{},
	}
	for k, v := range st.ByLevel {
		out.ByLevel[string(k)] = v
	}
	for k, v := range st.ByCategory {
		name := string(k)
		if name == "" {
			name = "none"
		}
		out.ByCategory[name] = v
	}
	for k, v := range st.ByStage {
		out.ByStage[string(k)] = v
	}
	for k, v := range st.EscalationsByLevel {
		out.EscalationsByLevel[string(k)] = v
	}
	for lv, ms := range st.Durations {
		out.Durations[string(lv)] = map[string]durationJSON{}
		for m, d := range ms {
			out.Durations[string(lv)][string(m)] = durationJSON{Count: d.Count, MeanSeconds: int64(d.Mean / time.Second), P90Seconds: int64(d.P90 / time.Second)}
		}
	}
	for lv, ms := range st.Compliance {
		out.Compliance[string(lv)] = map[string]complianceJSON{}
		for m, c := range ms {
			cj := complianceJSON{Met: c.Met, Missed: c.Missed, Pending: c.Pending}
			if r := c.Rate(); !math.IsNaN(r) {
				cj.Rate = &r
			}
			out.Compliance[string(lv)][string(m)] = cj
		}
	}
	for _, a := range st.OverdueActions {
		out.OverdueActions = append(out.OverdueActions, overdueJSON{Incident: a.Incident, Action: a.Action.ID,
			Title: a.Action.Title, Owner: a.Action.Owner, Due: a.Action.Due.Format(time.DateOnly)})
	}
	return out
}

func toReportJSON(r incident.Report) reportJSON {
	out := reportJSON{At: r.At, Real: toStatsJSON(r.Real), Drills: toStatsJSON(r.Drills)}
	if !r.Filter.From.IsZero() {
		out.Filter.From = r.Filter.From.Format(time.DateOnly)
	}
	if !r.Filter.To.IsZero() {
		out.Filter.To = r.Filter.To.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	out.Filter.Level, out.Filter.Category, out.Filter.Team = string(r.Filter.Level), string(r.Filter.Category), r.Filter.Team
	return out
}

// apiStats serves GET /api/v1/stats.
func (s *Server) apiStats(c *gin.Context) {
	f, err := statsFilter(c, lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.report(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, toReportJSON(rep))
}

// reportsCSV serves GET /reports.csv: every figure of the report as rows
// of set, table, level, key, value, so a spreadsheet can pivot them.
func (s *Server) reportsCSV(c *gin.Context) {
	f, err := statsFilter(c, lang(c))
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	rep, err := s.report(c.Request.Context(), f)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="tocsin-report.csv"`)
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/csv; charset=utf-8")
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"set", "table", "level", "key", "value"})
	for _, set := range []struct {
		name string
		st   incident.Stats
	}{{"real", rep.Real}, {"drills", rep.Drills}} {
		for _, row := range statsRows(set.st) {
			_ = w.Write(append([]string{set.name}, row...))
		}
	}
	w.Flush()
}

// statsRows flattens st into table, level, key, value rows, in a stable
// order. Durations are in seconds; a rate with nothing decided is empty.
func statsRows(st incident.Stats) [][]string {
	var rows [][]string
	add := func(table, level, key, value string) { rows = append(rows, []string{table, level, key, value}) }
	count := func(table string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add(table, "", k, strconv.Itoa(m[k]))
		}
	}
	j := toStatsJSON(st)
	add("total", "", "incidents", strconv.Itoa(st.Total))
	count("by_level", j.ByLevel)
	count("by_category", j.ByCategory)
	count("by_stage", j.ByStage)
	count("by_month", j.ByMonth)
	for _, lv := range []incident.Level{incident.Ordinary, incident.Serious, incident.Special} {
		for _, m := range incident.Measures() {
			if d, ok := st.Durations[lv][m]; ok {
				add("duration_count", string(lv), string(m), strconv.Itoa(d.Count))
				add("duration_mean_seconds", string(lv), string(m), strconv.FormatInt(int64(d.Mean/time.Second), 10))
				add("duration_p90_seconds", string(lv), string(m), strconv.FormatInt(int64(d.P90/time.Second), 10))
			}
			if cm, ok := st.Compliance[lv][m]; ok {
				add("compliance_met", string(lv), string(m), strconv.Itoa(cm.Met))
				add("compliance_missed", string(lv), string(m), strconv.Itoa(cm.Missed))
				add("compliance_pending", string(lv), string(m), strconv.Itoa(cm.Pending))
				rate := ""
				if r := cm.Rate(); !math.IsNaN(r) {
					rate = strconv.FormatFloat(r, 'f', 4, 64)
				}
				add("compliance_rate", string(lv), string(m), rate)
			}
		}
	}
	count("escalations_by_level", j.EscalationsByLevel)
	add("escalations", "", "fired", strconv.Itoa(st.Escalations))
	add("deadline_misses", "", "recorded", strconv.Itoa(st.DeadlineMisses))
	add("actions", "", "open", strconv.Itoa(st.OpenActions))
	add("actions", "", "overdue", strconv.Itoa(len(st.OverdueActions)))
	for _, a := range st.OverdueActions {
		add("overdue_action", "", a.Incident+"/"+a.Action.ID,
			csvSafe(fmt.Sprintf("%s (%s, due %s)", a.Action.Title, a.Action.Owner, a.Action.Due.Format(time.DateOnly))))
	}
	return slices.Clip(rows)
}

// csvSafe keeps people's text from being read as a formula by a
// spreadsheet that opens the export.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
