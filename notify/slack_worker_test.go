package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/notify/slackfake"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestSlackOutageThroughTheWorker: the fake Slack answers the first posts
// with a 500, a 429 with Retry-After: 2 and a hang past the send timeout;
// the worker, on the real store, then delivers every card exactly once.
func TestSlackOutageThroughTheWorker(t *testing.T) {
	t.Parallel()
	const cards = 5
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := storetest.New(t)
	fake := slackfake.New(t)
	fake.Fail("chat.postMessage",
		slackfake.Fault{Status: http.StatusInternalServerError},
		slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: "2"},
		slackfake.Fault{Delay: 5 * time.Second})
	incs := &incidents{all: map[string]*incident.Incident{}}
	log := slog.New(slog.DiscardHandler)
	sender := notify.NewSlackSender(notify.SlackSenderConfig{
		API:     slack.New("xoxb-test", slack.OptionAPIURL(fake.URL())),
		Channel: center, BaseURL: baseURL, Incidents: incs, Refs: db.Outbox(), Directory: dir,
		Now: time.Now, Logger: log,
	})
	w := notify.NewWorker(db.Outbox(), map[notify.Channel]notify.Sender{notify.ChannelSlack: sender}, notify.WorkerOptions{
		Owner: "test", Logger: log, SendTimeout: 500 * time.Millisecond, Poll: time.Hour,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond },
	})
	out := notify.NewOutbox(db.Outbox(), time.Now, log)
	out.OnEnqueue(w.Wake)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	var want []string
	for i := range cards {
		inc := newIncident()
		inc.Number = fmt.Sprintf("INC-2026-%06d", 100+i)
		incs.put(inc)
		msgs, err := notify.NewSlackPlanner(dir, nil).Plan(ctx, incident.Event{Kind: incident.EventReported, Incident: inc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := out.Enqueue(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		want = append(want, inc.Number+"/slack/card")
	}

	posted := func() map[string]int {
		n := map[string]int{}
		calls := fake.Calls("chat.postMessage")
		for _, c := range calls[min(3, len(calls)):] { // the first three met the faults
			var meta slack.SlackMetadata
			if json.Unmarshal([]byte(c.Form.Get("metadata")), &meta) == nil {
				n[fmt.Sprint(meta.EventPayload["key"])]++
			}
		}
		return n
	}
	for {
		n := posted()
		all := true
		for _, k := range want {
			all = all && n[k] > 0
		}
		if all {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("not every card was posted: %v", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a second post, were there one
	n := posted()
	for _, k := range want {
		if n[k] != 1 {
			t.Errorf("%s posted %d times after the faults, want once", k, n[k])
		}
		m, err := db.Outbox().Get(ctx, k)
		if err != nil || m.Status != notify.StatusSent || m.Ref == "" {
			t.Errorf("%s: %+v %v", k, m, err)
		}
	}
	if len(n) != cards {
		t.Errorf("posted %v, want only the %d cards", n, cards)
	}
	cancel()
	<-done
}
