package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Kinds of the review's messages.
const (
	KindActionReminder Kind = "action_reminder" // a corrective action's owner is reminded of it
	KindManagerReport  Kind = "manager_report"  // the periodic report to managers
)

// IncidentScanner reads every incident matching a filter in one pass,
// with at least the fields statistics read (incident.Compute) and the
// number and title; store.Incidents is one.
type IncidentScanner interface {
	ListForStats(ctx context.Context, f incident.ListFilter) (incident.Page, error)
}

// Reader is a manager who receives the periodic report.
type Reader struct {
	ID      string // account id
	Contact Contact
}

// Readers lists the managers to send the periodic report to; it is
// implemented at wiring over the accounts.
type Readers interface {
	ManagerReaders(ctx context.Context) ([]Reader, error)
}

// Owners finds the contact of a corrective action's owner, a roster
// username (which is also an account's username). It returns an error
// wrapping ErrNoContact when nobody has that username.
type Owners interface {
	OwnerContact(ctx context.Context, username string) (Contact, error)
}

// Enqueuer is where the review's messages go; *Outbox is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...Message) (int, error)
}

// ReviewWork writes the review's periodic messages: reminders to the
// owners of corrective actions, and the weekly and monthly reports to
// managers. Both are plain methods that cron jobs call; every message has
// a key that makes a repeated run (a retried job, a second instance) send
// nothing twice.
type ReviewWork struct {
	scan      IncidentScanner
	deadlines func(ctx context.Context) (map[incident.Level]incident.Deadlines, error)
	readers   Readers
	owners    Owners
	out       Enqueuer
	baseURL   string
	log       *slog.Logger
}

// NewReviewWork returns the review's periodic work over its parts;
// deadlines gives the deadlines per level in force.
func NewReviewWork(scan IncidentScanner, deadlines func(context.Context) (map[incident.Level]incident.Deadlines, error),
	readers Readers, owners Owners, out Enqueuer, baseURL string, log *slog.Logger) *ReviewWork {
	return &ReviewWork{scan: scan, deadlines: deadlines, readers: readers, owners: owners, out: out, baseURL: baseURL, log: log}
}

// ReminderAhead is how long before its due date an action's owner is
// first reminded; after the due date they are reminded once a week until
// the action is done or cancelled.
const ReminderAhead = 3 * 24 * time.Hour

// Reminder is one reminder an action's owner is due at now.
type Reminder struct {
	Incident *incident.Incident
	Action   incident.CorrectiveAction
	Overdue  bool
	Key      string
}

// DueReminders decides which reminders are due at now: an unfinished
// action due within ReminderAhead gets one "due soon" reminder; an overdue
// one a reminder for each week it has been overdue, the first at once.
// Keys name the due date, so a new due date starts afresh.
func DueReminders(incs []*incident.Incident, now time.Time) []Reminder {
	var out []Reminder
	for _, inc := range incs {
		for _, a := range inc.Review.Actions {
			if a.Status.Finished() || a.Owner == "" {
				continue
			}
			base := inc.Number + "/action/" + a.ID + "/" + a.Due.UTC().Format("2006-01-02")
			switch {
			case a.Overdue(now):
				week := int(now.Sub(a.Due) / (7 * 24 * time.Hour))
				out = append(out, Reminder{Incident: inc, Action: a, Overdue: true, Key: fmt.Sprintf("%s/overdue/%d", base, week)})
			case !now.Before(a.Due.Add(-ReminderAhead)):
				out = append(out, Reminder{Incident: inc, Action: a, Key: base + "/soon"})
			}
		}
	}
	return out
}

// ActionReminders enqueues the reminders due at now. Actions are read from
// incidents at review and closed: they stay tracked after closure.
func (w *ReviewWork) ActionReminders(ctx context.Context, now time.Time) error {
	page, err := w.scan.ListForStats(ctx, incident.ListFilter{Stages: []incident.Stage{incident.Review, incident.Closed}})
	if err != nil {
		return fmt.Errorf("action reminders: %w", err)
	}
	var msgs []Message
	for _, r := range DueReminders(page.Items, now) {
		c, err := w.owners.OwnerContact(ctx, r.Action.Owner)
		switch {
		case errors.Is(err, ErrNoContact):
			c = Contact{}
		case err != nil:
			return fmt.Errorf("action reminders: %w", err)
		}
		m := Message{Key: r.Key, Kind: KindActionReminder, Incident: r.Incident.Number, Recipient: r.Action.Owner}
		route(&m, c)
		m.Subject, m.Body = ReminderText(r, c.Lang, w.baseURL, now)
		msgs = append(msgs, m)
	}
	n, err := w.out.Enqueue(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("action reminders: %w", err)
	}
	w.log.InfoContext(ctx, "corrective action reminders", "due", len(msgs), "enqueued", n)
	return nil
}

// route sends m by Slack DM when the contact is linked to Slack, else by
// e-mail, else to the log.
func route(m *Message, c Contact) {
	switch {
	case c.SlackID != "":
		m.Channel, m.Address = ChannelSlack, c.SlackID
	case c.Email != "":
		m.Channel, m.Address = ChannelEmail, c.Email
	default:
		m.Channel = ChannelLog
	}
}

// ReminderText renders a reminder in lang.
func ReminderText(r Reminder, lang, baseURL string, now time.Time) (subject, body string) {
	a, inc := r.Action, r.Incident
	due := a.Due.UTC().Format("2006-01-02")
	link := strings.TrimRight(baseURL, "/") + "/incidents/" + inc.Number + "/review"
	title := oneLine(clipRunes(a.Title, maxTitle))
	if strings.HasPrefix(lang, "zh") {
		if r.Overdue {
			days := int(now.Sub(a.Due).Hours() / 24)
			subject = fmt.Sprintf("整改措施已逾期 %d 天：%s（%s）", days, title, inc.Number)
		} else {
			subject = fmt.Sprintf("整改措施即将到期（%s）：%s（%s）", due, title, inc.Number)
		}
		body = fmt.Sprintf("您负责的整改措施 %s “%s” 期限为 %s。\n事件：%s %s\n完成后请更新状态：%s\n", a.ID, title, due, inc.Number, oneLine(inc.Title), link)
	} else {
		if r.Overdue {
			days := int(now.Sub(a.Due).Hours() / 24)
			subject = fmt.Sprintf("Corrective action %d days overdue: %s (%s)", days, title, inc.Number)
		} else {
			subject = fmt.Sprintf("Corrective action due %s: %s (%s)", due, title, inc.Number)
		}
		body = fmt.Sprintf("You own corrective action %s “%s”, due %s.\nIncident: %s %s\nUpdate its status when it is done: %s\n", a.ID, title, due, inc.Number, oneLine(inc.Title), link)
	}
	return fitBytes(subject, MaxSubject), fitBytes(body, MaxBody)
}

// Period is how often the manager report is sent.
type Period string

// The report periods.
const (
	Weekly  Period = "weekly"
	Monthly Period = "monthly"
)

// Bounds gives the last whole period before now, in UTC: for weekly the
// week from Monday 00:00 to the next, for monthly the calendar month.
func (p Period) Bounds(now time.Time) (from, to time.Time) {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch p {
	case Monthly:
		to = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return to.AddDate(0, -1, 0), to
	default:
		to = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // this Monday
		return to.AddDate(0, 0, -7), to
	}
}

// ManagerReport enqueues the report of the last whole period before now
// to every manager, under the key report/<period>/<from>/<reader>.
func (w *ReviewWork) ManagerReport(ctx context.Context, p Period, now time.Time) error {
	readers, err := w.readers.ManagerReaders(ctx)
	if err != nil {
		return fmt.Errorf("%s report: %w", p, err)
	}
	if len(readers) == 0 {
		w.log.InfoContext(ctx, "no manager to send the report to", "period", string(p))
		return nil
	}
	ds, err := w.deadlines(ctx)
	if err != nil {
		return fmt.Errorf("%s report: %w", p, err)
	}
	page, err := w.scan.ListForStats(ctx, incident.ListFilter{})
	if err != nil {
		return fmt.Errorf("%s report: %w", p, err)
	}
	from, to := p.Bounds(now)
	rep := incident.Compute(page.Items, ds, incident.StatsFilter{From: from, To: to}, now.UTC())
	msgs := make([]Message, 0, len(readers))
	for _, rd := range readers {
		m := Message{Key: fmt.Sprintf("report/%s/%s/%s", p, from.Format("2006-01-02"), rd.ID), Kind: KindManagerReport, Recipient: rd.ID}
		route(&m, rd.Contact)
		m.Subject, m.Body = ManagerReportText(rep, p, rd.Contact.Lang, w.baseURL)
		msgs = append(msgs, m)
	}
	n, err := w.out.Enqueue(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("%s report: %w", p, err)
	}
	w.log.InfoContext(ctx, "manager report", "period", string(p), "from", from.Format("2006-01-02"), "incidents", rep.Real.Total, "enqueued", n)
	return nil
}

// ManagerReportText renders the report in lang: the period's incidents by
// level, response times and compliance per level, escalations, corrective
// actions, drills apart, and a link to the full report.
func ManagerReportText(rep incident.Report, p Period, lang, baseURL string) (subject, body string) {
	zh := strings.HasPrefix(lang, "zh")
	from, to := rep.Filter.From.Format("2006-01-02"), rep.Filter.To.AddDate(0, 0, -1).Format("2006-01-02")
	st := rep.Real
	pick := func(en, z string) string {
		if zh {
			return z
		}
		return en
	}
	var b strings.Builder
	name := map[Period][2]string{Weekly: {"Weekly", "每周"}, Monthly: {"Monthly", "每月"}}[p]
	subject = fmt.Sprintf(pick("Tocsin %s report %s – %s: %d incidents, %d overdue actions", "Tocsin %s报告 %s 至 %s：事件 %d 起，逾期整改 %d 项"),
		pick(name[0], name[1]), from, to, st.Total, len(st.OverdueActions))
	fmt.Fprintf(&b, pick("Incidents reported %s to %s: %d (drills, counted apart: %d)\n", "%s 至 %s 上报事件 %d 起（另有演练 %d 起，单独统计）\n"), from, to, st.Total, rep.Drills.Total)
	for _, li := range incident.Levels() {
		fmt.Fprintf(&b, "- %s: %d\n", pick(li.NameEN, li.NameZH), st.ByLevel[li.Level])
	}
	b.WriteString(pick("\nResponse times (mean / 90th percentile; deadlines met of decided):\n", "\n响应时间（平均 / 90 百分位；达标数 / 已判定数）：\n"))
	for _, li := range incident.Levels() {
		var parts []string
		for _, m := range incident.Measures() {
			d, ok := st.Durations[li.Level][m]
			c := st.Compliance[li.Level][m]
			if !ok && c.Met+c.Missed == 0 {
				continue
			}
			en, z := m.Names()
			s := pick(en, z) + " "
			if ok {
				s += incident.FormatDuration(d.Mean) + " / " + incident.FormatDuration(d.P90)
			} else {
				s += "–"
			}
			if r := c.Rate(); !math.IsNaN(r) {
				s += fmt.Sprintf(" (%d/%d)", c.Met, c.Met+c.Missed)
			}
			parts = append(parts, s)
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "- %s: %s\n", pick(li.NameEN, li.NameZH), strings.Join(parts, "; "))
		}
	}
	fmt.Fprintf(&b, pick("\nEscalations fired: %d; deadline misses recorded: %d\n", "\n已触发升级 %d 次；记录超时 %d 次\n"), st.Escalations, st.DeadlineMisses)
	fmt.Fprintf(&b, pick("Corrective actions of these incidents: %d open, %d overdue\n", "这些事件的整改措施：未完成 %d 项，逾期 %d 项\n"), st.OpenActions, len(st.OverdueActions))
	for i, a := range st.OverdueActions {
		if i == maxOverdueListed {
			fmt.Fprintf(&b, pick("... and %d more\n", "……另有 %d 项\n"), len(st.OverdueActions)-i)
			break
		}
		fmt.Fprintf(&b, "- %s %s %s (%s, %s)\n", a.Incident, a.Action.ID, oneLine(clipRunes(a.Action.Title, maxTitle)), a.Action.Owner, a.Action.Due.Format("2006-01-02"))
	}
	fmt.Fprintf(&b, pick("\nFull report: %s/reports?from=%s&to=%s\n", "\n完整报告：%s/reports?from=%s&to=%s\n"), strings.TrimRight(baseURL, "/"), from, to)
	return fitBytes(subject, MaxSubject), fitBytes(b.String(), MaxBody)
}
