package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// DigestReader is someone who gets the daily digest: a coordinator or a
// manager with an e-mail address.
type DigestReader struct {
	ID    string // account id
	Email string
	Lang  string // en or zh
}

// DigestReaders lists who gets the digest; it is implemented at wiring
// over the accounts.
type DigestReaders interface {
	DigestReaders(ctx context.Context) ([]DigestReader, error)
}

// IncidentLister pages through incidents; *incident.Service is one.
type IncidentLister interface {
	List(ctx context.Context, f incident.ListFilter) (incident.Page, error)
}

// DigestOutbox is where the digest counts failed deliveries and enqueues
// itself; *Outbox is one.
type DigestOutbox interface {
	List(ctx context.Context, status Status, limit int) ([]Message, error)
	Enqueue(ctx context.Context, msgs ...Message) (int, error)
}

// Digester writes the daily digest.
type Digester struct {
	incidents IncidentLister
	readers   DigestReaders
	out       DigestOutbox
	baseURL   string
	log       *slog.Logger
}

// NewDigester returns a digester reading incidents and failed deliveries,
// writing to readers through out, with links to the hub at baseURL.
func NewDigester(incidents IncidentLister, readers DigestReaders, out DigestOutbox, baseURL string, log *slog.Logger) *Digester {
	return &Digester{incidents: incidents, readers: readers, out: out, baseURL: baseURL, log: log}
}

// digestPage is how many incidents Digest reads at a time, and
// failureScan how many failed messages of each status it counts at most.
const (
	digestPage  = 200
	failureScan = 1000
)

// Digest enqueues the digest of the day of now (UTC) to every reader, by
// e-mail, under the key digest/<day>/<reader id>: run twice on one day
// (a retried job, two instances) it is sent once. A cron job calls it.
func (d *Digester) Digest(ctx context.Context, now time.Time) error {
	readers, err := d.readers.DigestReaders(ctx)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if len(readers) == 0 {
		d.log.InfoContext(ctx, "no coordinator or manager with an e-mail address: no digest")
		return nil
	}
	var open []*incident.Incident
	f := incident.ListFilter{Limit: digestPage}
	for _, s := range incident.WorkingStages() {
		f.Stages = append(f.Stages, s.Stage)
	}
	for {
		page, err := d.incidents.List(ctx, f)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		open = append(open, page.Items...)
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	failures, capped := 0, false
	for _, st := range []Status{StatusDead, StatusUnknown} {
		msgs, err := d.out.List(ctx, st, failureScan)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		failures += len(msgs)
		capped = capped || len(msgs) == failureScan
	}
	r := BuildDigest(open, failures, capped, now)
	msgs := make([]Message, 0, len(readers))
	for _, rd := range readers {
		subject, body := DigestText(r, rd.Lang, d.baseURL)
		msgs = append(msgs, Message{
			Key: "digest/" + r.Day + "/" + rd.ID, Kind: KindDigest, Recipient: rd.ID,
			Channel: ChannelEmail, Address: rd.Email, Subject: subject, Body: body,
		})
	}
	n, err := d.out.Enqueue(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	d.log.InfoContext(ctx, "daily digest", "day", r.Day, "open", r.Open, "overdue", len(r.Overdue), "failures", failures, "enqueued", n)
	return nil
}

// DigestReport is what a digest says.
type DigestReport struct {
	Day      string                                    // YYYY-MM-DD, UTC
	Open     int                                       // open incidents, drills left out
	Drills   int                                       // open drills, counted apart
	Counts   map[incident.Level]map[incident.Stage]int // open incidents by level and stage
	Overdue  []*incident.Incident                      // open incidents that missed a deadline in their current stage, gravest first
	Failures int                                       // messages dead or of unknown outcome
	Capped   bool                                      // Failures is a lower bound
}

// maxOverdueListed bounds the incidents a digest lists by name.
const maxOverdueListed = 50

// BuildDigest summarizes the open incidents and the failed deliveries on
// the day of now. An incident is overdue when its timeline records a
// missed deadline after it entered its current stage.
func BuildDigest(open []*incident.Incident, failures int, capped bool, now time.Time) DigestReport {
	r := DigestReport{Day: now.UTC().Format("2006-01-02"), Counts: map[incident.Level]map[incident.Stage]int{},
		Failures: failures, Capped: capped}
	for _, inc := range open {
		if !inc.Stage.Open() {
			continue
		}
		if inc.Drill {
			r.Drills++
			continue
		}
		r.Open++
		if r.Counts[inc.Level] == nil {
			r.Counts[inc.Level] = map[incident.Stage]int{}
		}
		r.Counts[inc.Level][inc.Stage]++
		if overdue(inc) {
			r.Overdue = append(r.Overdue, inc)
		}
	}
	slices.SortStableFunc(r.Overdue, func(a, b *incident.Incident) int {
		if ra, rb := a.Level.Rank(), b.Level.Rank(); ra != rb {
			return rb - ra
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	return r
}

// overdue reports whether inc missed a deadline since its last change of
// stage.
func overdue(inc *incident.Incident) bool {
	for i := len(inc.Timeline) - 1; i >= 0; i-- {
		switch inc.Timeline[i].Kind {
		case incident.EntryDeadline:
			return true
		case incident.EntryStage:
			return false
		}
	}
	return false
}

// DigestText renders r in lang (zh or en).
func DigestText(r DigestReport, lang, baseURL string) (subject, body string) {
	zh := strings.HasPrefix(strings.ToLower(lang), "zh")
	var b strings.Builder
	failures := fmt.Sprint(r.Failures)
	if r.Capped {
		failures += "+"
	}
	levels := incident.Levels()
	slices.Reverse(levels) // gravest first
	if zh {
		subject = fmt.Sprintf("Tocsin 每日摘要 %s：未结 %d，超时 %d，投递失败 %s", r.Day, r.Open, len(r.Overdue), failures)
		fmt.Fprintf(&b, "截至 %s，未结事件 %d 起", r.Day, r.Open)
		if r.Drills > 0 {
			fmt.Fprintf(&b, "（另有演练 %d 起，单独统计）", r.Drills)
		}
		b.WriteString("。\n\n按级别和阶段：\n")
	} else {
		subject = fmt.Sprintf("Tocsin daily digest %s: %d open, %d overdue, %s failed deliveries", r.Day, r.Open, len(r.Overdue), failures)
		fmt.Fprintf(&b, "Open incidents on %s: %d", r.Day, r.Open)
		if r.Drills > 0 {
			fmt.Fprintf(&b, " (drills, counted apart: %d)", r.Drills)
		}
		b.WriteString(".\n\nBy level and stage:\n")
	}
	for _, li := range levels {
		byStage := r.Counts[li.Level]
		total := 0
		var parts []string
		for _, s := range incident.WorkingStages() {
			if n := byStage[s.Stage]; n > 0 {
				total += n
				name := s.NameEN
				if zh {
					name = s.NameZH
				}
				parts = append(parts, fmt.Sprintf("%s %d", name, n))
			}
		}
		name := li.NameEN
		if zh {
			name = li.NameZH
		}
		line := fmt.Sprintf("- %s: %d", name, total)
		if len(parts) > 0 {
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		b.WriteString(line + "\n")
	}
	if zh {
		fmt.Fprintf(&b, "\n超时（当前阶段已错过时限）：%d 起\n", len(r.Overdue))
	} else {
		fmt.Fprintf(&b, "\nOverdue (missed a deadline in their current stage): %d\n", len(r.Overdue))
	}
	for i, inc := range r.Overdue {
		if i == maxOverdueListed {
			if zh {
				fmt.Fprintf(&b, "……另有 %d 起\n", len(r.Overdue)-i)
			} else {
				fmt.Fprintf(&b, "... and %d more\n", len(r.Overdue)-i)
			}
			break
		}
		lvl, st := nameEN(inc.Level), inc.Stage.Info().NameEN
		if zh {
			lvl, st = nameZH(inc.Level), inc.Stage.Info().NameZH
		}
		title := oneLine(clipRunes(inc.Title, maxTitle))
		if inc.Restricted { // its readers may not be among the people it names
			title = "(restricted 受限)"
		}
		fmt.Fprintf(&b, "- %s [%s] %s: %s\n  %s\n", inc.Number, lvl, st, title, IncidentURL(baseURL, inc.Number))
	}
	outbox := strings.TrimRight(baseURL, "/") + "/api/v1/outbox?status=dead"
	board := strings.TrimRight(baseURL, "/") + "/board"
	if zh {
		fmt.Fprintf(&b, "\n投递失败（已放弃或结果未知）的通知：%s 条", failures)
		if r.Failures > 0 {
			fmt.Fprintf(&b, "，请管理员查看：%s", outbox)
		}
		fmt.Fprintf(&b, "\n\n事件看板：%s\n", board)
	} else {
		fmt.Fprintf(&b, "\nNotifications that could not be delivered (dead or outcome unknown): %s", failures)
		if r.Failures > 0 {
			fmt.Fprintf(&b, "; an admin can review them at %s", outbox)
		}
		fmt.Fprintf(&b, "\n\nBoard: %s\n", board)
	}
	return fitBytes(subject, MaxSubject), fitBytes(b.String(), MaxBody)
}
