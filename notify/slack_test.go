package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/notify/slackfake"
)

// incidents answers the sender's reads of the incident as it is now.
type incidents struct {
	mu  sync.Mutex
	all map[string]*incident.Incident
}

func (s *incidents) Get(_ context.Context, ref string) (*incident.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inc, ok := s.all[ref]; ok {
		return inc.Clone(), nil
	}
	return nil, incident.ErrNotFound
}

func (s *incidents) put(inc *incident.Incident) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all[inc.Number] = inc
}

const center = "C0CENTER"

type senderEnv struct {
	fake *slackfake.Server
	s    *notify.SlackSender
	incs *incidents
	refs *refMap
}

func newSender(t *testing.T) *senderEnv {
	t.Helper()
	fake := slackfake.New(t)
	e := &senderEnv{fake: fake, incs: &incidents{all: map[string]*incident.Incident{}}, refs: newRefs()}
	e.s = notify.NewSlackSender(notify.SlackSenderConfig{
		API:     slack.New("xoxb-test", slack.OptionAPIURL(fake.URL())),
		Channel: center, BaseURL: baseURL, Incidents: e.incs, Refs: e.refs, Directory: dir,
		Now: func() time.Time { return cardNow }, Logger: slog.New(slog.DiscardHandler),
	})
	return e
}

// send sends m as the worker would: the Ref is recorded for later edits.
func (e *senderEnv) send(t *testing.T, m notify.Message) string {
	t.Helper()
	ref, err := e.s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("send %s: %v", m.Key, err)
	}
	e.refs.set(m.Key, ref)
	return ref
}

// unescape undoes the HTML escaping slack-go's JSON has (\u003c for <),
// which Slack decodes.
func unescape(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func planned(t *testing.T, ev incident.Event) []notify.Message {
	t.Helper()
	msgs, err := notify.NewSlackPlanner(dir, nil).Plan(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	for i := range msgs {
		msgs[i].CreatedAt = cardNow
	}
	return msgs
}

func byKey(t *testing.T, msgs []notify.Message, suffix string) notify.Message {
	t.Helper()
	for _, m := range msgs {
		if strings.HasSuffix(m.Key, suffix) {
			return m
		}
	}
	t.Fatalf("no message %s in %q", suffix, keys(msgs))
	return notify.Message{}
}

// TestSlackSenderCardAndThread: the card is posted with its key in the
// metadata, edited in place after a change (showing the incident as it is
// at send time), and the change's line goes into its thread.
func TestSlackSenderCardAndThread(t *testing.T) {
	e := newSender(t)
	inc := newIncident()
	e.incs.put(inc)
	post := planned(t, incident.Event{Kind: incident.EventReported, Incident: inc})[0]

	ref := e.send(t, post)
	calls := e.fake.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Form.Get("channel") != center || !strings.HasPrefix(ref, center+":") {
		t.Fatalf("post: ref %q, calls %+v", ref, calls)
	}
	var meta slack.SlackMetadata
	if err := json.Unmarshal([]byte(calls[0].Form.Get("metadata")), &meta); err != nil ||
		meta.EventType != "tocsin_message" || meta.EventPayload["key"] != post.Key {
		t.Errorf("metadata %s", calls[0].Form.Get("metadata"))
	}
	if !strings.Contains(calls[0].Form.Get("blocks"), "Finance PCs encrypting files") ||
		!strings.Contains(calls[0].Form.Get("attachments"), notify.ActionAck) {
		t.Errorf("the card is not in the post: %s", calls[0].Form)
	}

	// A change, and a later one before the first edit is sent.
	li := incident.Actor{ID: "u-li", Name: "Li Na"}
	acked := changed(inc, reported.Add(5*time.Minute), incident.Entry{Actor: li, Kind: incident.EntryAck})
	acked.AckedAt, acked.AckedBy = &acked.UpdatedAt, &li
	edits := planned(t, incident.Event{Kind: incident.EventAck, Incident: acked})
	later := changed(acked, reported.Add(9*time.Minute), incident.Entry{Actor: li, Kind: incident.EntryStage, From: "receive", To: "confirm"})
	later.Stage = incident.Confirm
	e.incs.put(later)

	if got := e.send(t, byKey(t, edits, "/card/v2")); got != ref {
		t.Errorf("the edit returned %q, want the card's %q", got, ref)
	}
	upd := e.fake.Calls("chat.update")
	if len(upd) != 1 || upd[0].Form.Get("channel")+":"+upd[0].Form.Get("ts") != ref {
		t.Fatalf("chat.update calls %+v, want one on %s", upd, ref)
	}
	att := upd[0].Form.Get("attachments")
	if !strings.Contains(att, "Confirm 事件确认") || strings.Contains(att, notify.ActionAck) || !strings.Contains(att, "Li Na") {
		t.Errorf("the edit does not show the incident as it is now (confirm, acknowledged by Li Na): %s", att)
	}

	line := byKey(t, edits, "/thread/0001")
	lineRef := e.send(t, line)
	posts := e.fake.Calls("chat.postMessage")
	last := posts[len(posts)-1]
	if _, ts, _ := strings.Cut(ref, ":"); last.Form.Get("thread_ts") != ts || last.Form.Get("text") != line.Body || lineRef == ref {
		t.Errorf("thread line: thread_ts %q text %q ref %q; card %s", last.Form.Get("thread_ts"), last.Form.Get("text"), lineRef, ref)
	}
}

// TestSlackSenderWaitsForTheCard: an edit or a line whose card is not
// posted yet fails in a way the worker retries, without calling Slack.
func TestSlackSenderWaitsForTheCard(t *testing.T) {
	e := newSender(t)
	inc := changed(newIncident(), reported.Add(time.Minute), incident.Entry{Kind: incident.EntryAck})
	e.incs.put(inc)
	for _, m := range planned(t, incident.Event{Kind: incident.EventAck, Incident: inc}) {
		_, err := e.s.Send(context.Background(), m)
		var ra *notify.RetryAfterError
		if err == nil || errors.Is(err, notify.ErrPermanent) || errors.As(err, &ra) {
			t.Errorf("%s before the card: %v, want a plain (retried) error", m.Key, err)
		}
	}
	if n := len(e.fake.Calls("")); n != 0 {
		t.Errorf("%d calls to Slack", n)
	}
}

func TestSlackSenderErrors(t *testing.T) {
	inc := newIncident()
	post := planned(t, incident.Event{Kind: incident.EventReported, Incident: inc})[0]
	for _, tt := range []struct {
		name      string
		fault     slackfake.Fault
		permanent bool
		after     time.Duration
	}{
		{"429 with Retry-After", slackfake.Fault{Status: 429, RetryAfter: "2"}, false, 2 * time.Second},
		{"invalid_auth", slackfake.Fault{Error: "invalid_auth"}, true, 0},
		{"channel_not_found", slackfake.Fault{Error: "channel_not_found"}, true, 0},
		{"msg_too_long", slackfake.Fault{Error: "msg_too_long"}, true, 0},
		{"500", slackfake.Fault{Status: 500}, false, 0},
		{"503", slackfake.Fault{Status: 503}, false, 0},
		{"an unknown code", slackfake.Fault{Error: "fatal_error"}, false, 0},
		{"a timeout", slackfake.Fault{Delay: 2 * time.Second}, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newSender(t)
			e.incs.put(inc)
			e.fake.Fail("chat.postMessage", tt.fault)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := e.s.Send(ctx, post)
			var ra *notify.RetryAfterError
			switch {
			case err == nil:
				t.Fatal("no error")
			case errors.Is(err, notify.ErrPermanent) != tt.permanent:
				t.Errorf("%v: permanent %v, want %v", err, !tt.permanent, tt.permanent)
			case errors.As(err, &ra) != (tt.after > 0):
				t.Errorf("%v: RetryAfterError %v, want %v", err, ra != nil, tt.after > 0)
			case ra != nil && ra.After != tt.after:
				t.Errorf("retry after %s, want %s", ra.After, tt.after)
			}
			// Once Slack recovers, the same message goes through.
			if ref, err := e.s.Send(context.Background(), post); err != nil || ref == "" {
				t.Errorf("after recovery: %q, %v", ref, err)
			}
		})
	}
	t.Run("a gone incident", func(t *testing.T) {
		e := newSender(t)
		if _, err := e.s.Send(context.Background(), post); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("%v, want ErrPermanent", err)
		}
	})
}

// TestSlackSenderDelivered: a post whose outcome was lost is found by the
// key in its metadata; one that never arrived is not.
func TestSlackSenderDelivered(t *testing.T) {
	e := newSender(t)
	inc := newIncident()
	e.incs.put(inc)
	post := planned(t, incident.Event{Kind: incident.EventReported, Incident: inc})[0]
	post.CreatedAt = time.Now() // the fake stamps posts with the wall clock, as Slack does
	ctx := context.Background()
	if _, ok, err := e.s.Delivered(ctx, post); ok || err != nil {
		t.Fatalf("before sending: %v, %v", ok, err)
	}
	ref, err := e.s.Send(ctx, post) // the worker dies before recording ref
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := e.s.Delivered(ctx, post)
	if !ok || err != nil || got != ref {
		t.Errorf("Delivered = %q, %v, %v; want %q", got, ok, err, ref)
	}
	e.refs.set(post.Key, ref)

	acked := changed(inc, reported.Add(time.Minute), incident.Entry{Actor: incident.System, Kind: incident.EntryEscalation, Note: "paged"})
	e.incs.put(acked)
	line := byKey(t, planned(t, incident.Event{Kind: incident.EventRecord, Incident: acked}), "/thread/0001")
	line.CreatedAt = time.Now()
	if _, ok, _ := e.s.Delivered(ctx, line); ok {
		t.Error("a line never sent was found")
	}
	lineRef, err := e.s.Send(ctx, line)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := e.s.Delivered(ctx, line); !ok || err != nil || got != lineRef {
		t.Errorf("thread line: Delivered = %q, %v, %v; want %q", got, ok, err, lineRef)
	}

	page := notify.Message{Key: "page/INC/1/0/li.na", Kind: notify.KindPage, Incident: inc.Number, Recipient: "li.na",
		Channel: notify.ChannelSlack, Subject: "Please acknowledge", CreatedAt: time.Now()}
	pageRef, err := e.s.Send(ctx, page)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := e.s.Delivered(ctx, page); !ok || err != nil || got != pageRef {
		t.Errorf("page: Delivered = %q, %v, %v; want %q", got, ok, err, pageRef)
	}
	other := page
	other.Key = "page/INC/1/1/li.na"
	if _, ok, _ := e.s.Delivered(ctx, other); ok {
		t.Error("another page's key was found")
	}
}

// TestSlackSenderIncidentChannel: a special incident's channel is created
// (with a suffix when its name is taken), its topic set, its people
// invited (someone already in is fine), and its updates posted there.
func TestSlackSenderIncidentChannel(t *testing.T) {
	e := newSender(t)
	inc := newIncident()
	inc.Level = incident.Special
	inc.Participants = []string{"u-rep", "chen"}
	e.incs.put(inc)
	msgs := planned(t, incident.Event{Kind: incident.EventReported, Incident: inc})
	if got := keys(msgs); len(got) != 4 {
		t.Fatalf("planned %q", got)
	}
	e.fake.TakeName("inc-2026-000042-finance-pcs-encrypting-files")
	e.send(t, msgs[0]) // the card
	chID := e.send(t, byKey(t, msgs, "/slack/channel"))
	creates := e.fake.Calls("conversations.create")
	if len(creates) != 2 || creates[1].Form.Get("name") != "inc-2026-000042-finance-pcs-encrypting-files-2" ||
		creates[1].Form.Get("is_private") != "true" || !strings.HasPrefix(chID, "C0NEW") {
		t.Fatalf("create calls %+v, channel %q", creates, chID)
	}
	if topics := e.fake.Calls("conversations.setTopic"); len(topics) != 1 || topics[0].Form.Get("topic") != notify.ChannelTopic(inc) {
		t.Errorf("topic calls %+v", topics)
	}
	// The response center's card now points at the channel.
	if upd := e.fake.Calls("chat.update"); len(upd) != 1 || !strings.Contains(unescape(upd[0].Form.Get("attachments")), "<#"+chID+">") {
		t.Errorf("card not pointed at the channel: %+v", upd)
	}

	e.send(t, byKey(t, msgs, "/invite/U0REP"))
	e.send(t, byKey(t, msgs, "/invite/U0CHEN"))
	if _, err := e.s.Send(context.Background(), byKey(t, msgs, "/invite/U0CHEN")); err != nil {
		t.Errorf("inviting someone already in: %v", err)
	}
	if got := e.fake.Members(chID); strings.Join(got, ",") != "U0REP,U0CHEN" {
		t.Errorf("members %v", got)
	}

	confirmed := changed(inc, reported.Add(time.Hour), incident.Entry{Actor: incident.Actor{Name: "Li Na"}, Kind: incident.EntryStage, From: "receive", To: "confirm"})
	confirmed.Stage = incident.Confirm
	e.incs.put(confirmed)
	upd := byKey(t, planned(t, incident.Event{Kind: incident.EventStage, Incident: confirmed}), "/update/0001")
	e.send(t, upd)
	posts := e.fake.Calls("chat.postMessage")
	if last := posts[len(posts)-1]; last.Form.Get("channel") != chID || last.Form.Get("text") != upd.Body || last.Form.Get("thread_ts") != "" {
		t.Errorf("update post %+v", last.Form)
	}
	if topics := e.fake.Calls("conversations.setTopic"); len(topics) != 2 || !strings.Contains(topics[1].Form.Get("topic"), "Confirm 事件确认") {
		t.Errorf("topic not brought up to date: %+v", topics)
	}
}

func TestSlackSenderChannelNameAlwaysTaken(t *testing.T) {
	e := newSender(t)
	inc := newIncident()
	e.incs.put(inc)
	base := notify.ChannelName(inc.Number, inc.Title)
	e.fake.TakeName(base)
	for n := 2; n <= 20; n++ {
		e.fake.TakeName(base + "-" + strconv.Itoa(n))
	}
	_, err := e.s.Send(context.Background(), notify.Message{Key: inc.Number + "/slack/channel", Kind: notify.KindChannel, Incident: inc.Number, Channel: notify.ChannelSlack})
	if !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("%v, want ErrPermanent after the names run out", err)
	}
	if n := len(e.fake.Calls("conversations.create")); n != 10 {
		t.Errorf("%d names tried, want 10", n)
	}
}

// TestSlackSenderPage: a page goes to the on-call person's direct
// conversation (their Slack id found from the roster) with Acknowledge and
// Open buttons; a person without a Slack id cannot be paged there.
func TestSlackSenderPage(t *testing.T) {
	e := newSender(t)
	page := notify.Message{Key: "page/INC-2026-000042/1/0/li.na", Kind: notify.KindPage, Incident: "INC-2026-000042",
		Recipient: "li.na", Channel: notify.ChannelSlack, Subject: "Please acknowledge 请确认受理: INC-2026-000042", Body: "Not acknowledged."}
	ref := e.send(t, page)
	open := e.fake.Calls("conversations.open")
	if len(open) != 1 || open[0].Form.Get("users") != "U0LI" || !strings.HasPrefix(ref, "D0LI:") {
		t.Fatalf("open %+v, ref %q", open, ref)
	}
	blocks := e.fake.Calls("chat.postMessage")[0].Form.Get("blocks")
	for _, want := range []string{notify.ActionAck, `"value":"INC-2026-000042"`, baseURL + "/incidents/INC-2026-000042"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("page lacks %s: %s", want, blocks)
		}
	}
	page.Recipient, page.Key = "nobody", "page/2"
	if _, err := e.s.Send(context.Background(), page); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("a person without a Slack id: %v, want ErrPermanent", err)
	}
	page.Address, page.Key = "U0DIRECT", "page/3"
	if ref := e.send(t, page); !strings.HasPrefix(ref, "D0DIRECT:") {
		t.Errorf("an explicit address: ref %q", ref)
	}
	digest := notify.Message{Key: "digest/1", Kind: notify.KindDigest, Channel: notify.ChannelSlack, Address: "C0LEAD", Subject: "Weekly 每周"}
	if ref := e.send(t, digest); !strings.HasPrefix(ref, "C0LEAD:") || len(e.fake.Calls("conversations.open")) != 2 {
		t.Errorf("a message addressed to a channel: ref %q, opens %d", ref, len(e.fake.Calls("conversations.open")))
	}
}

func TestSlackSenderDestination(t *testing.T) {
	s := notify.NewSlackSender(notify.SlackSenderConfig{Channel: center})
	n := "INC-2026-000042"
	for _, tt := range []struct {
		m     notify.Message
		name  string
		every time.Duration
	}{
		{notify.Message{Key: n + "/slack/card", Kind: notify.KindCard, Incident: n}, "slack:chat.postMessage:" + center, time.Second},
		{notify.Message{Key: n + "/slack/thread/0001", Kind: notify.KindThread, Incident: n}, "slack:chat.postMessage:" + center, time.Second},
		{notify.Message{Key: n + "/slack/card/v2", Kind: notify.KindCard, Incident: n}, "slack:chat.update:" + center, 300 * time.Millisecond},
		{notify.Message{Key: n + "/slack/channel", Kind: notify.KindChannel, Incident: n}, "slack:conversations.create", 3 * time.Second},
		{notify.Message{Key: n + "/slack/update/0001", Kind: notify.KindUpdate, Incident: n}, "slack:chat.postMessage:#" + n, time.Second},
		{notify.Message{Key: "p", Kind: notify.KindPage, Recipient: "li.na"}, "slack:chat.postMessage:@li.na", time.Second},
		{notify.Message{Key: "b", Kind: notify.KindBroadcast, Address: "C0LEAD"}, "slack:chat.postMessage:C0LEAD", time.Second},
	} {
		name, every := s.Destination(tt.m)
		if name != tt.name || every != tt.every {
			t.Errorf("%s: %s every %s, want %s every %s", tt.m.Key, name, every, tt.name, tt.every)
		}
	}
}
