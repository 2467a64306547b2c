package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// stream is an open board event stream, read line by line.
type stream struct {
	lines  chan string
	cancel func()
}

func (e *fullEnv) openStream(t *testing.T, b *browser) *stream {
	t.Helper()
	// Open for the rest of the test, which closes it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/board/events", nil)
	client := *b.client
	client.Timeout = 0 // the browser's client gives up on an answer after 30 s; a stream lasts
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("open stream: %v %v", err, resp)
	}
	s := &stream{lines: make(chan string, 256), cancel: func() { cancel(); resp.Body.Close() }}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(s.cancel)
	// Wait until it is subscribed.
	s.until(t, func(ln string) bool { return ln == ": connected" })
	return s
}

// until reads lines until pred holds for one and returns every line read.
func (s *stream) until(t *testing.T, pred func(string) bool) []string {
	t.Helper()
	var seen []string
	for {
		select {
		case ln, ok := <-s.lines:
			if !ok {
				t.Fatalf("stream ended; read %q", seen)
			}
			seen = append(seen, ln)
			if pred(ln) {
				return seen
			}
		case <-time.After(time.Minute):
			t.Fatalf("timed out; read %q", seen)
		}
	}
}

// TestRestrictedIncidentNeverLeaks restricts an incident and checks that,
// from then on, its title reaches nobody outside its audience: not through
// the API, the list page, the board, its refresh, its event stream, a
// search, or the audit trail; and that those who saw it before see it
// leave their board.
func TestRestrictedIncidentNeverLeaks(t *testing.T) {
	t.Parallel()
	e := newFullEnv(t, nil)
	e.seedCast(t)
	const secret = "Insider 7f3c payroll export"
	inc := e.castIncident(t, false, secret)
	sentinel := e.castIncident(t, false, "sentinel")
	sentinel.Participants = []string{castRespOut}
	{
		st := e.db.Incidents()
		cur, _ := st.Get(context.Background(), sentinel.ID)
		next := cur.Clone()
		next.Participants, next.Version = []string{castRespOut}, cur.Version+1
		if err := st.Update(context.Background(), next, cur.Version); err != nil {
			t.Fatal(err)
		}
	}

	boardRoles := []string{castRespIn, castRespOut, castCoord, castManager, castAuditor, castAdmin}
	browsers := map[string]*browser{}
	streams := map[string]*stream{}
	for _, who := range []string{castRepOwn, castRepOther, castRespIn, castRespOut, castCoord, castManager, castAuditor, castAdmin} {
		browsers[who] = e.login(t, who)
	}
	for _, who := range boardRoles {
		streams[who] = e.openStream(t, browsers[who])
	}

	status, body := e.call(t, "POST", "/api/v1/incidents/"+inc.Number+"/restriction", e.tokens[castManager],
		map[string]any{"restricted": true, "version": inc.Version, "reason": "insider case 内部人员"})
	if status != http.StatusOK || !strings.Contains(string(body), `"restricted":true`) {
		t.Fatalf("restrict: %d %s", status, body)
	}
	// A later change that every stream carries marks the end of what the
	// restriction sent.
	if status, body := e.call(t, "POST", "/api/v1/incidents/"+sentinel.Number+"/ack", e.tokens[castCoord], nil); status != http.StatusOK {
		t.Fatalf("ack sentinel: %d %s", status, body)
	}
	sees := map[string]bool{castManager: true, castAuditor: true}
	sawBefore := map[string]bool{castRespIn: true, castCoord: true, castAdmin: true}
	for _, who := range boardRoles {
		lines := streams[who].until(t, func(ln string) bool { return strings.Contains(ln, sentinel.Number) && strings.HasPrefix(ln, "data:") })
		all := strings.Join(lines, "\n")
		switch {
		case sees[who]:
			if !strings.Contains(all, secret) || !strings.Contains(all, `"restricted":true`) {
				t.Errorf("%s's stream lacks the restricted incident:\n%s", who, all)
			}
		case strings.Contains(all, secret):
			t.Errorf("%s's stream carries the restricted title:\n%s", who, all)
		case sawBefore[who] != strings.Contains(all, "event: gone\ndata: {\"number\":\""+inc.Number+"\""):
			t.Errorf("%s's stream: gone event %v, want %v:\n%s", who, !sawBefore[who], sawBefore[who], all)
		}
	}

	// A restriction made by another instance reaches this one's boards
	// from the change stream, as a change of unknown kind
	// (cmd/tocsin/watch.go): the timeline says what it was.
	other := e.castIncident(t, false, "restricted elsewhere")
	elsewhere := incident.NewService(e.db.Incidents(), time.Now) // another instance: no observer here
	next, err := elsewhere.SetRestrictedLoaded(context.Background(), other,
		incident.RestrictInput{Restricted: true, Version: other.Version, Reason: "elsewhere"}, incident.Actor{ID: e.users[castManager].ID})
	if err != nil {
		t.Fatal(err)
	}
	e.hub.IncidentChanged(context.Background(), incident.Event{Kind: incident.EventStage, Incident: next})
	streams[castCoord].until(t, func(ln string) bool { return ln == `data: {"number":"`+other.Number+`","version":2}` })

	// Lists, pages, the board and searches.
	for who, b := range browsers {
		visible := sees[who]
		check := func(where, text string) {
			t.Helper()
			if strings.Contains(text, secret) != visible {
				t.Errorf("%s on %s: shows the restricted title = %v, want %v", who, where, !visible, visible)
			}
		}
		_, list := e.call(t, "GET", "/api/v1/incidents?limit=500", e.tokens[who], nil)
		check("the API list", string(list))
		_, search := e.call(t, "GET", "/api/v1/incidents?q=payroll", e.tokens[who], nil)
		check("an API search", string(search))
		check("the list page", b.get("/incidents?q=payroll").body)
		if mine := b.get("/incidents?mine=1").body; !visible && strings.Contains(mine, secret) {
			t.Errorf("%s: the list of their own shows the restricted title", who)
		}
		p := b.get("/incidents/" + inc.Number)
		check("the ticket", p.body)
		if visible != (p.status == http.StatusOK) {
			t.Errorf("%s on the ticket: %d", who, p.status)
		}
		if visible && !strings.Contains(p.body, "alert-restricted") {
			t.Errorf("%s: the ticket does not say the incident is restricted", who)
		}
		if strings.Contains(strings.Join(boardRoles, " "), who) {
			check("the board", b.get("/board").body)
			check("the board refresh", b.get("/board?partial=1").body)
		}
	}

	// The audit trail: an admin reads the records of the restriction with
	// their details hidden; an auditor reads them whole.
	e.flushAudit(t)
	for who, wantHidden := range map[string]bool{castAdmin: true, castAuditor: false} {
		status, body := e.call(t, "GET", "/api/v1/audit?incident="+inc.Number, e.tokens[who], nil)
		if status != http.StatusOK {
			t.Fatalf("%s audit: %d %s", who, status, body)
		}
		var res struct {
			Items []struct {
				Action   string `json:"action"`
				Note     string `json:"note"`
				Redacted bool   `json:"redacted"`
				Changes  []struct{ Field, Before, After string }
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range res.Items {
			if r.Action != "incident."+string(incident.EventRestricted) {
				continue
			}
			found = true
			if r.Redacted != wantHidden || (r.Note == "") != wantHidden || (len(r.Changes) > 0 && (r.Changes[0].After == "") != wantHidden) {
				t.Errorf("%s reads the restriction record as %+v", who, r)
			}
		}
		if !found {
			t.Errorf("%s: no record of the restriction in %s", who, body)
		}
		if strings.Contains(string(body), secret) {
			t.Errorf("the audit trail quotes the title: %s", body)
		}
	}
}
