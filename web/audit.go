package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
)

// errNoAudit: the hub has no audit trail, or reading it cannot be recorded
// now; nothing is shown unrecorded.
var errNoAudit = errors.New("the audit trail is not available")

// Audit listing limits.
const (
	// MaxAuditExport bounds the records of one CSV export.
	MaxAuditExport = 100_000
	// auditRecordTimeout bounds the wait for the record of a read of the
	// trail, which must be stored before the read is answered.
	auditRecordTimeout = 5 * time.Second
)

// auditRoutes registers the audit trail's API, page and export: for
// auditors and admins, each use of them itself recorded.
func (s *Server) auditRoutes(r *gin.Engine) {
	r.GET("/api/v1/audit", requireAPI(access.CanReadAudit), s.apiAudit)
	r.GET("/audit", s.requirePage(access.CanReadAudit), s.auditPage)
	r.GET("/audit.csv", s.requirePage(access.CanReadAudit), s.auditCSV)
}

// auditFilter reads ?incident=&actor=&from=&to=&cursor=&limit=. from and to
// take a date (to: that whole day), a datetime-local value or RFC 3339, in
// the hub's zone unless stated.
func auditFilter(c *gin.Context) (audit.Filter, error) {
	l := lang(c)
	f := audit.Filter{Incident: strings.TrimSpace(c.Query("incident")), Actor: strings.TrimSpace(c.Query("actor"))}
	bad := fieldErrors{}
	if len(f.Incident) > 64 {
		bad["incident"] = msg(l, "at most 64 characters", "最多 64 个字符")
	}
	if len(f.Actor) > 64 {
		bad["actor"] = msg(l, "at most 64 characters", "最多 64 个字符")
	}
	var err error
	if f.From, err = parseWhen(c.Query("from"), false); err != nil {
		bad["from"] = msg(l, "use a date (2026-03-05), a date and time or RFC 3339", "请使用日期（2026-03-05）、日期时间或 RFC 3339 格式")
	}
	if f.To, err = parseWhen(c.Query("to"), true); err != nil {
		bad["to"] = msg(l, "use a date (2026-03-05), a date and time or RFC 3339", "请使用日期（2026-03-05）、日期时间或 RFC 3339 格式")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		bad["to"] = msg(l, "must be after from", "必须晚于开始时间")
	}
	if v := c.Query("cursor"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil || f.Before < 1 {
			bad["cursor"] = msg(l, "invalid page cursor", "分页游标无效")
		}
	}
	if v := c.Query("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 500 {
			bad["limit"] = msg(l, "limit must be between 1 and 500", "limit 必须在 1 到 500 之间")
		}
	}
	if len(bad) > 0 {
		return f, bad
	}
	return f, nil
}

// parseWhen reads a time filter; a bare date as an end means the end of
// that day.
func parseWhen(v string, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	t, err := time.ParseInLocation("2006-01-02", v, time.Local)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// describe is the filter as the record of a read states it.
func describe(f audit.Filter) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("incident", f.Incident)
	add("actor", f.Actor)
	if !f.From.IsZero() {
		add("from", f.From.UTC().Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		add("to", f.To.UTC().Format(time.RFC3339))
	}
	if f.Before > 0 {
		add("cursor", strconv.FormatInt(f.Before, 10))
	}
	return strings.Join(parts, " ")
}

// recordRead records a read of the trail and waits until it is stored:
// a read that cannot be recorded is refused.
func (s *Server) recordRead(c *gin.Context, action audit.Action, f audit.Filter) error {
	if s.trail == nil || s.auditLog == nil {
		return errNoAudit
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), auditRecordTimeout)
	defer cancel()
	if err := s.trail.Write(ctx, audit.Record{Action: action, Target: audit.Target{Kind: "audit"}, Note: describe(f)}); err != nil {
		s.log.Error("record a read of the audit trail; read refused", "request_id", c.GetString(ctxRequestID), "err", err)
		return errNoAudit
	}
	return nil
}

// redactor hides the details of records about incidents the reader may not
// see (restricted ones, for an admin): the number and what was done stay,
// the values and notes go.
type redactor struct {
	s        *Server
	p        access.Principal
	all      bool
	verdicts map[string]bool
}

func (s *Server) redactorFor(p access.Principal) *redactor {
	return &redactor{s: s, p: p, all: access.AudienceOf(p).Restricted, verdicts: map[string]bool{}}
}

// apply returns r as the reader may see it, and whether it was redacted.
func (d *redactor) apply(ctx context.Context, r audit.Record) (audit.Record, bool) {
	if d.all || r.Target.Kind != "incident" || r.Target.ID == "" {
		return r, false
	}
	ok, seen := d.verdicts[r.Target.ID]
	if !seen {
		inc, err := d.s.incidents.Get(ctx, r.Target.ID)
		ok = err == nil && access.CanView(d.p, inc)
		if err != nil && !errors.Is(err, incident.ErrNotFound) {
			d.s.log.Warn("check an audit record's incident; its details are hidden", "incident", r.Target.ID, "err", err)
		}
		d.verdicts[r.Target.ID] = ok
	}
	if ok {
		return r, false
	}
	changes := make([]audit.Change, len(r.Changes))
	for i, ch := range r.Changes {
		changes[i] = audit.Change{Field: ch.Field}
	}
	r.Changes, r.Note = changes, ""
	return r, true
}

// auditRecordJSON is one record in the API's answer.
type auditRecordJSON struct {
	Seq      int64          `json:"seq"`
	At       time.Time      `json:"at"`
	Actor    audit.Actor    `json:"actor"`
	Action   audit.Action   `json:"action"`
	Target   audit.Target   `json:"target"`
	Source   audit.Source   `json:"source"`
	Changes  []audit.Change `json:"changes"`
	Note     string         `json:"note,omitempty"`
	Prev     string         `json:"prev"`
	Hash     string         `json:"hash"`
	Redacted bool           `json:"redacted,omitempty"`
}

func (s *Server) apiAudit(c *gin.Context) {
	f, err := auditFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.recordRead(c, audit.ActionAuditRead, f); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.auditLog.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	red := s.redactorFor(principal(c))
	items := make([]auditRecordJSON, 0, len(page.Items))
	for _, r := range page.Items {
		r, hidden := red.apply(c.Request.Context(), r)
		changes := r.Changes
		if changes == nil {
			changes = []audit.Change{}
		}
		items = append(items, auditRecordJSON{Seq: r.Seq, At: r.At, Actor: r.Actor, Action: r.Action, Target: r.Target,
			Source: r.Source, Changes: changes, Note: r.Note, Prev: r.Prev, Hash: r.Hash, Redacted: hidden})
	}
	next := ""
	if page.Next > 0 {
		next = strconv.FormatInt(page.Next, 10)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

// auditPageData is the data of /audit.
type auditPageData struct {
	common
	Incident, Actor, From, To string
	Rows                      []auditRow
	Problem                   string
	NextURL, FirstURL         string
	ExportURL                 string
}

// auditRow is one record as the page shows it.
type auditRow struct {
	Seq      int64
	When     string
	WhenISO  string
	Who      string
	Via      string
	Action   string
	Target   string
	Link     string
	From     string
	Changes  []changeView
	Note     string
	Hash     string
	Redacted bool
}

func (s *Server) auditPage(c *gin.Context) {
	l := lang(c)
	data := auditPageData{common: s.common(c, T(l, "audit.title"), "audit"),
		Incident: c.Query("incident"), Actor: c.Query("actor"), From: c.Query("from"), To: c.Query("to")}
	f, err := auditFilter(c)
	if err != nil {
		data.Problem = errorText(l, http.StatusBadRequest, err)
		s.render(c, http.StatusBadRequest, "audit", data)
		return
	}
	if err := s.recordRead(c, audit.ActionAuditRead, f); err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	page, err := s.auditLog.List(c.Request.Context(), f)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	red := s.redactorFor(principal(c))
	for _, r := range page.Items {
		r, hidden := red.apply(c.Request.Context(), r)
		row := auditRow{Seq: r.Seq, When: fmtTime(r.At), WhenISO: r.At.UTC().Format(time.RFC3339), Who: auditWho(r.Actor),
			Via: r.Actor.Via, Action: string(r.Action), Target: strings.TrimSpace(r.Target.Kind + " " + r.Target.ID),
			From: strings.TrimSpace(r.Source.IP), Note: r.Note, Hash: r.Hash, Redacted: hidden}
		if r.Target.Kind == "incident" && r.Target.ID != "" {
			row.Link = "/incidents/" + url.PathEscape(r.Target.ID)
		}
		for _, ch := range r.Changes {
			row.Changes = append(row.Changes, changeView{Field: ch.Field, Before: dash(ch.Before), After: dash(ch.After)})
		}
		data.Rows = append(data.Rows, row)
	}
	q := c.Request.URL.Query()
	q.Del("lang")
	q.Del("limit")
	if q.Get("cursor") != "" {
		q.Del("cursor")
		data.FirstURL = "/audit?" + q.Encode()
	}
	export := url.Values{}
	for _, k := range []string{"incident", "actor", "from", "to"} {
		if v := q.Get(k); v != "" {
			export.Set(k, v)
		}
	}
	data.ExportURL = "/audit.csv"
	if len(export) > 0 {
		data.ExportURL += "?" + export.Encode()
	}
	if page.Next > 0 {
		q.Set("cursor", strconv.FormatInt(page.Next, 10))
		data.NextURL = "/audit?" + q.Encode()
	}
	s.render(c, http.StatusOK, "audit", data)
}

// auditWho names an actor: "Name (username)".
func auditWho(a audit.Actor) string {
	switch {
	case a.Name != "" && a.Username != "" && a.Name != a.Username:
		return a.Name + " (" + a.Username + ")"
	case a.Username != "":
		return a.Username
	case a.Name != "":
		return a.Name
	}
	return a.UserID
}

// auditCSV exports the records the filter selects, newest first, as CSV.
// The export is recorded, and refused when that cannot be done.
func (s *Server) auditCSV(c *gin.Context) {
	f, err := auditFilter(c)
	if err != nil {
		s.pageError(c, http.StatusBadRequest, err)
		return
	}
	f.Before, f.Limit = 0, 1000
	if err := s.recordRead(c, audit.ActionAuditExport, f); err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	ctx := c.Request.Context()
	// Read everything first, so that a failure is a clean error page and
	// not a truncated file.
	var records []audit.Record
	for {
		page, err := s.auditLog.List(ctx, f)
		if err != nil {
			s.pageError(c, statusOf(err), err)
			return
		}
		records = append(records, page.Items...)
		if page.Next == 0 || len(records) >= MaxAuditExport {
			break
		}
		f.Before = page.Next
	}
	if len(records) > MaxAuditExport {
		records = records[:MaxAuditExport]
	}
	red := s.redactorFor(principal(c))
	var b strings.Builder
	b.WriteString("\uFEFF") // so that spreadsheet programs read the file as UTF-8
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"seq", "at", "actor_user_id", "actor_username", "actor_name", "via", "action",
		"target_kind", "target_id", "ip", "user_agent", "changes", "note", "redacted", "prev", "hash"})
	for _, r := range records {
		r, hidden := red.apply(ctx, r)
		var changes []string
		for _, ch := range r.Changes {
			changes = append(changes, ch.Field+": "+ch.Before+" → "+ch.After)
		}
		_ = w.Write(csvRow(strconv.FormatInt(r.Seq, 10), r.At.UTC().Format("2006-01-02T15:04:05.000Z"),
			r.Actor.UserID, r.Actor.Username, r.Actor.Name, r.Actor.Via, string(r.Action), r.Target.Kind, r.Target.ID,
			r.Source.IP, r.Source.UserAgent, strings.Join(changes, "; "), r.Note, strconv.FormatBool(hidden), r.Prev, r.Hash))
	}
	w.Flush()
	name := fmt.Sprintf("tocsin-audit-%s.csv", s.now().Format("20060102-150405"))
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

// csvRow makes every cell safe to open in a spreadsheet: a cell that
// begins with =, +, -, @ (or a tab or carriage return, which some
// programs skip) would be read as a formula, so it gets a leading '.
func csvRow(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}
