package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, nothing fetched,
// and they print. Colours come from classes in the static stylesheet (the
// Content Security Policy forbids style attributes); each chart has a
// title and its numbers are written beside the bars and in a table next to
// it, so nothing depends on seeing colour.

// bar is one bar of a bar chart.
type bar struct {
	Label string
	Value float64
	Text  string // the value as shown; the number itself when empty
	Class string // extra CSS class (a level's colour, "missed")
}

// chart geometry, in SVG user units.
const (
	chartWidth  = 640
	chartLabelW = 190
	chartValueW = 90
	chartRowH   = 26
	chartBarH   = 16
	chartTop    = 8
)

// barChart draws horizontal bars scaled to the largest value.
func barChart(title string, bars []bar) template.HTML {
	max := 0.0
	for _, b := range bars {
		max = math.Max(max, b.Value)
	}
	return drawBars(title, bars, max, -1, "")
}

// durationChart draws durations as shares of their deadline: the marker
// at 100% is the deadline, a bar past it is a miss. The scale stops at
// three times the deadline, so one very late figure does not squash the
// others; a longer bar is drawn to the edge and its text says how long.
func durationChart(title string, bars []bar, deadlineLabel string) template.HTML {
	const most = 3.0
	max := 1.25
	clipped := make([]bar, len(bars))
	for i, b := range bars {
		max = math.Max(max, math.Min(b.Value, most)*1.05)
		b.Value = math.Min(b.Value, most*1.05)
		clipped[i] = b
	}
	return drawBars(title, clipped, max, 1, deadlineLabel)
}

func drawBars(title string, bars []bar, max, marker float64, markerLabel string) template.HTML {
	esc := template.HTMLEscapeString
	plot := float64(chartWidth - chartLabelW - chartValueW)
	h := chartTop*2 + chartRowH*len(bars) + 14
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s"><title>%s</title>`,
		chartWidth, h, chartWidth, h, esc(title), esc(title))
	for i, br := range bars {
		y := chartTop + i*chartRowH
		w := 0.0
		if max > 0 {
			w = br.Value / max * plot
		}
		txt := br.Text
		if txt == "" {
			txt = formatNumber(br.Value)
		}
		cls := "chart-bar"
		if br.Class != "" {
			cls += " " + br.Class
		}
		fmt.Fprintf(&b, `<text class="chart-label" x="%d" y="%d" text-anchor="end">%s</text>`, chartLabelW-8, y+chartBarH-3, esc(br.Label))
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%.1f" height="%d"><title>%s: %s</title></rect>`,
			esc(cls), chartLabelW, y, w, chartBarH, esc(br.Label), esc(txt))
		fmt.Fprintf(&b, `<text class="chart-value" x="%.1f" y="%d">%s</text>`, float64(chartLabelW)+w+6, y+chartBarH-3, esc(txt))
	}
	if marker > 0 && max > 0 {
		x := float64(chartLabelW) + marker/max*plot
		bottom := chartTop + chartRowH*len(bars)
		fmt.Fprintf(&b, `<line class="chart-deadline" x1="%.1f" y1="%d" x2="%.1f" y2="%d"></line>`, x, chartTop-4, x, bottom)
		fmt.Fprintf(&b, `<text class="chart-deadline-label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, bottom+12, esc(markerLabel))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped
}

// formatNumber shows a count as an integer and other values with one
// decimal.
func formatNumber(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
