package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
)

// Board limits and timings.
const (
	// MaxBoardCards bounds the cards drawn on one board; the board says so
	// when there are more.
	MaxBoardCards = 2000
	// Heartbeat is how often an idle event stream sends a comment, so that
	// proxies keep it open and a dead connection is noticed.
	Heartbeat = 15 * time.Second
	// sseRetry is the reconnection delay the stream asks browsers to use.
	sseRetry = 3 * time.Second
)

// cardView is an incident as a board card or a list row shows it, in the
// page's language.
type cardView struct {
	Number       string
	Title        string
	Level        string
	LevelName    string
	Category     string
	CategoryName string
	Stage        string
	StageName    string
	Reporter     string
	CreatedISO   string
	CreatedText  string
	Age          string
	Drill        bool
	DrillLabel   string
	Occurrences  int
	OccTitle     string
	Version      int64
	URL          string
	Ack          cardAck       // the card's Ack button (page_ack.go); its CSRF is set by the board
	Delivery     deliveryBadge // "delivery failed" (page_outbox.go); set by the board
	Tasks        cardTasks

	Restricted      bool // seen only by the people it names, managers and auditors
	RestrictedLabel string
}

// cardTasks is a card's task progress, "4/7": finished (done or waived)
// of all; hidden while the incident has no tasks.
type cardTasks struct {
	Finished, Total int
	Title           string
}

func cardTasksOf(l string, inc *incident.Incident) cardTasks {
	ct := cardTasks{Title: T(l, "card.tasks")}
	if inc != nil {
		ct.Finished, ct.Total = incident.TaskProgress(inc.Tasks)
	}
	return ct
}

func cardOf(l string, inc *incident.Incident, now time.Time) cardView {
	return cardView{
		Number: inc.Number, Title: inc.Title,
		Level: string(inc.Level), LevelName: levelName(l, inc.Level),
		Category: string(inc.Category), CategoryName: categoryName(l, inc.Category),
		Stage: string(inc.Stage), StageName: stageName(l, inc.Stage),
		Reporter:   inc.Reporter.Name,
		CreatedISO: inc.CreatedAt.UTC().Format(time.RFC3339), CreatedText: fmtTime(inc.CreatedAt),
		Age:   ageLabel(l, now.Sub(inc.CreatedAt)),
		Drill: inc.Drill, DrillLabel: T(l, "badge.drill"),
		Restricted: inc.Restricted, RestrictedLabel: T(l, "badge.restricted"),
		Occurrences: inc.Occurrences, OccTitle: T(l, "card.occurrences"),
		Version: inc.Version, URL: "/incidents/" + inc.Number,
		Ack: cardAckOf(l, inc), Tasks: cardTasksOf(l, inc),
	}
}

// blankCard is the card the board's script clones for incidents that
// appear live: same markup, labels in the page's language, no content.
func blankCard(l string) cardView {
	return cardView{DrillLabel: T(l, "badge.drill"), OccTitle: T(l, "card.occurrences"), Occurrences: 1, URL: "/incidents/",
		Ack: cardAckOf(l, nil), Tasks: cardTasksOf(l, nil), RestrictedLabel: T(l, "badge.restricted")}
}

// cardJSON is the data of one `event: incident` on the board's stream. It
// carries both languages' names so one encoding serves every subscriber.
type cardJSON struct {
	ID             string    `json:"id"`
	Number         string    `json:"number"`
	Title          string    `json:"title"`
	Level          string    `json:"level"`
	LevelNameEN    string    `json:"level_name_en"`
	LevelNameZH    string    `json:"level_name_zh"`
	Category       string    `json:"category"`
	CategoryNameEN string    `json:"category_name_en"`
	CategoryNameZH string    `json:"category_name_zh"`
	Stage          string    `json:"stage"`
	Open           bool      `json:"open"`
	CreatedAt      time.Time `json:"created_at"`
	Reporter       string    `json:"reporter"`
	Drill          bool      `json:"drill"`
	Restricted     bool      `json:"restricted"`
	Occurrences    int       `json:"occurrences"`
	Version        int64     `json:"version"`
	URL            string    `json:"url"`
	Acked          bool      `json:"acked"` // board.js hides the card's Ack button
	// DeliveryFailed is set per stream from the outbox: the incident has
	// dead or unknown notifications (board.js shows the badge).
	DeliveryFailed bool `json:"delivery_failed"`
	TasksFinished  int  `json:"tasks_finished"`
	TasksTotal     int  `json:"tasks_total"`
}

func toCardJSON(inc *incident.Incident) cardJSON {
	finished, total := incident.TaskProgress(inc.Tasks)
	return cardJSON{
		TasksFinished: finished, TasksTotal: total,
		ID: inc.ID, Number: inc.Number, Title: inc.Title,
		Level: string(inc.Level), LevelNameEN: levelName("en", inc.Level), LevelNameZH: levelName("zh", inc.Level),
		Category: string(inc.Category), CategoryNameEN: categoryName("en", inc.Category), CategoryNameZH: categoryName("zh", inc.Category),
		Stage: string(inc.Stage), Open: inc.Stage.Open(), CreatedAt: inc.CreatedAt.UTC(),
		Reporter: inc.Reporter.Name, Drill: inc.Drill, Restricted: inc.Restricted, Occurrences: inc.Occurrences, Version: inc.Version,
		URL: "/incidents/" + inc.Number, Acked: inc.AckedAt != nil,
	}
}

// boardColumn is one working stage on the board.
type boardColumn struct {
	N     int
	Stage incident.Stage
	Name  string
	Cards []cardView
}

// boardPage is the data of the board and of its ?partial=1 refresh.
type boardPage struct {
	common
	Level           string
	Category        string
	LevelOptions    []option
	CategoryOptions []option
	Columns         []boardColumn
	Blank           cardView
	Truncated       bool
	Shown           int
}

// board draws one column per working stage with a card per open incident
// the caller may see. ?partial=1 returns only the columns: the board's
// script fetches them to resynchronise after its stream reconnects.
func (s *Server) board(c *gin.Context) {
	l := lang(c)
	p := principal(c)
	level, category := incident.Level(c.Query("level")), incident.Category(c.Query("category"))
	bad := fieldErrors{}
	if level != "" && !level.Valid() {
		bad["level"] = msg(l, "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
	}
	if category != "" && !category.Valid() {
		bad["category"] = msg(l, "unknown category", "未知的事件类别")
	}
	if len(bad) > 0 {
		s.pageError(c, http.StatusBadRequest, bad)
		return
	}
	var working []incident.Stage
	for _, st := range incident.WorkingStages() {
		working = append(working, st.Stage)
	}
	audience := access.AudienceOf(p)
	f := incident.ListFilter{Stages: working, Level: level, Category: category, Brief: true, Limit: 500, Audience: &audience}
	items, truncated, err := s.boardItems(c.Request.Context(), f)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	now := s.now()
	data := boardPage{
		common: s.common(c, T(l, "board.title"), "board"),
		Level:  string(level), Category: string(category),
		LevelOptions: filterLevelOptions(l, level), CategoryOptions: filterCategoryOptions(l, category),
		Blank: blankCard(l), Truncated: truncated, Shown: len(items),
	}
	data.Blank.Ack.CSRF, data.Blank.Ack.Can = data.CSRF, access.WorksIncidents(p)
	data.Blank.Delivery = s.deliveryBadgeOf(l, p, "")
	byStage := map[incident.Stage]int{}
	for i, st := range incident.WorkingStages() {
		byStage[st.Stage] = i
		data.Columns = append(data.Columns, boardColumn{N: i + 1, Stage: st.Stage, Name: msg(l, st.NameEN, st.NameZH)})
	}
	for _, inc := range items {
		if i, ok := byStage[inc.Stage]; ok && access.CanView(p, inc) {
			card := cardOf(l, inc, now)
			card.Ack.CSRF, card.Ack.Can = data.CSRF, access.CanAcknowledge(p, inc)
			card.Delivery = s.deliveryBadgeOf(l, p, inc.Number)
			data.Columns[i].Cards = append(data.Columns[i].Cards, card)
		}
	}
	if c.Query("partial") == "1" {
		s.renderTemplate(c, http.StatusOK, "board", "columns", data)
		return
	}
	s.render(c, http.StatusOK, "board", data)
}

// boardItems returns the open incidents of f, up to MaxBoardCards: from the
// board source when there is one and it can answer, else by paging through
// the store's list.
func (s *Server) boardItems(ctx context.Context, f incident.ListFilter) (items []*incident.Incident, truncated bool, err error) {
	if s.boardSrc != nil {
		if items, truncated, ok := s.boardSrc.OpenIncidents(f, MaxBoardCards); ok {
			return items, truncated, nil
		}
	}
	for {
		page, err := s.incidents.List(ctx, f)
		if err != nil {
			return nil, false, err
		}
		items = append(items, page.Items...)
		switch {
		case page.Next == "":
			return items, false, nil
		case len(items) >= MaxBoardCards:
			return items, true, nil
		}
		f.After = page.Next
	}
}

// boardEvents streams incident changes the caller may see as server-sent
// events: `event: incident` with a cardJSON, a heartbeat comment every
// Heartbeat. The stream ends when the client leaves, when the hub drops a
// subscriber that fell behind or closes on shutdown, or when the session
// that opened it has ended; the browser then reconnects and resynchronises.
func (s *Server) boardEvents(c *gin.Context) {
	p := principal(c)
	var secret string
	if session(c) != nil {
		secret = cookie(c, SessionCookie)
	}
	events, unsubscribe := s.hub.Subscribe()
	defer unsubscribe()

	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// The server's WriteTimeout is for ordinary answers; this one lasts.
	// (Its ReadTimeout needs nothing: net/http clears the read deadline
	// once a bodiless request has been read.)
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Warn("event stream deadline", "request_id", c.GetString(ctxRequestID), "err", err)
	}
	w.WriteHeader(http.StatusOK)
	send := func(chunk string) bool {
		if _, err := io.WriteString(w, chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(fmt.Sprintf("retry: %d\n: connected\n\n", sseRetry.Milliseconds())) {
		return
	}
	ctx := c.Request.Context()
	beat := time.NewTicker(Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if !access.CanView(p, ev.Incident) {
				// An incident that was just restricted leaves the boards of
				// those who saw it until now: they are told its number (which
				// they had), nothing more.
				if gone, ok := goneEvent(p, ev); ok && !send(gone) {
					return
				}
				continue
			}
			card := toCardJSON(ev.Incident)
			card.DeliveryFailed = s.outbox != nil && s.outbox.Failures(ev.Incident.Number) > 0
			data, err := json.Marshal(card)
			if err != nil {
				s.log.Error("encode board event", "request_id", c.GetString(ctxRequestID), "incident", ev.Incident.Number, "err", err)
				continue
			}
			if !send("event: incident\ndata: " + string(data) + "\n\n") {
				return
			}
		case <-beat.C:
			if secret != "" {
				if _, _, err := s.access.Session(ctx, secret); err != nil {
					return // signed out or expired: the reconnect meets the sign-in page
				}
			}
			if !send(": heartbeat\n\n") {
				return
			}
		}
	}
}

// goneEvent is the `event: gone` that removes a card from p's board: sent
// when ev restricted an incident that p could see before. (Changes that
// other instances make arrive from the change stream without their kind:
// the timeline's last entry tells.)
func goneEvent(p access.Principal, ev incident.Event) (string, bool) {
	inc := ev.Incident
	restricting := ev.Kind == incident.EventRestricted ||
		(len(inc.Timeline) > 0 && inc.Timeline[len(inc.Timeline)-1].Kind == incident.EntryRestricted)
	if !restricting || !inc.Restricted {
		return "", false
	}
	before := *ev.Incident
	before.Restricted = false
	if !access.CanView(p, &before) {
		return "", false
	}
	data, _ := json.Marshal(struct {
		Number  string `json:"number"`
		Version int64  `json:"version"`
	}{ev.Incident.Number, ev.Incident.Version})
	return "event: gone\ndata: " + string(data) + "\n\n", true
}

func filterLevelOptions(l string, selected incident.Level) []option {
	out := []option{{Value: "", Label: T(l, "filter.all_levels"), Selected: selected == ""}}
	for _, li := range incident.Levels() {
		out = append(out, option{Value: string(li.Level), Label: msg(l, li.NameEN, li.NameZH), Selected: li.Level == selected})
	}
	return out
}

func filterCategoryOptions(l string, selected incident.Category) []option {
	out := []option{{Value: "", Label: T(l, "filter.all_categories"), Selected: selected == ""}}
	for _, ci := range incident.Categories() {
		out = append(out, option{Value: string(ci.Category), Label: msg(l, ci.NameEN, ci.NameZH), Selected: ci.Category == selected})
	}
	return out
}
