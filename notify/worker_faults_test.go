package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
)

// faultyServer is a webhook receiver that answers each key's first
// request 500, its second 429 with Retry-After: 2, lets its third hang
// past the sender's timeout, and accepts the fourth. It records what it
// received, with the test clock's time.
type faultyServer struct {
	*httptest.Server
	clock *clock

	mu       sync.Mutex
	requests []faultReq
}

type faultReq struct {
	key    string
	n      int       // the key's n-th request
	at     time.Time // the test clock
	status int
}

func newFaultyServer(t *testing.T, c *clock) *faultyServer {
	f := &faultyServer{clock: c}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *faultyServer) serve(w http.ResponseWriter, r *http.Request) {
	var body struct{ Key string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	n := 1
	for _, q := range f.requests {
		if q.key == body.Key {
			n++
		}
	}
	status := []int{http.StatusInternalServerError, http.StatusTooManyRequests, 0, http.StatusOK}[min(n, 4)-1]
	f.requests = append(f.requests, faultReq{key: body.Key, n: n, at: f.clock.Now(), status: status})
	f.mu.Unlock()
	switch status {
	case 0: // hang until the sender gives up
		<-r.Context().Done()
		return
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "2")
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"id":"%s#%d"}`, body.Key, n)
}

func (f *faultyServer) received() []faultReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]faultReq(nil), f.requests...)
}

// webhookSender posts {"key": ...} to url and classifies the answer the
// way the notify.Sender contract asks: 2xx sent, 429 throttled for
// Retry-After, anything else (5xx, timeouts) a failure to retry.
type webhookSender struct{ url string }

func (s webhookSender) Send(ctx context.Context, m notify.Message) (string, error) {
	body, _ := json.Marshal(map[string]string{"key": m.Key})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return "", &notify.RetryAfterError{After: time.Duration(secs) * time.Second, Err: errors.New(resp.Status)}
	case resp.StatusCode >= 300:
		return "", errors.New(resp.Status)
	}
	var out struct{ ID string }
	_ = json.Unmarshal(b, &out)
	return out.ID, nil
}

func (webhookSender) Destination(notify.Message) (string, time.Duration) { return "hook", 0 }

// TestWorkerRecoversFromFaults: through 500, 429 with Retry-After, a hang
// past the timeout and a 200, every message is delivered exactly once;
// after a 429 the destination sends nothing for 2 s of the clock.
func TestWorkerRecoversFromFaults(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	srv := newFaultyServer(t, r.clock)
	w := r.worker(map[notify.Channel]notify.Sender{notify.ChannelWebhook: webhookSender{url: srv.URL}},
		notify.WorkerOptions{SendTimeout: 300 * time.Millisecond})
	sentKeys := []string{"k1", "k2", "k3"}
	for i, k := range sentKeys {
		r.enqueue(msg(k, notify.ChannelWebhook, time.Duration(i)*time.Millisecond))
	}
	const step = 100 * time.Millisecond
	for i := 0; ; i++ {
		if i > 600 {
			t.Fatalf("not delivered within a minute of the clock: %+v", srv.received())
		}
		r.tick(w)
		sent, _ := r.st.List(context.Background(), notify.Filter{Statuses: []notify.Status{notify.StatusSent}})
		if len(sent) == len(sentKeys) {
			break
		}
		r.clock.Add(step)
	}
	got := srv.received()
	for _, k := range sentKeys {
		var statuses []int
		for _, q := range got {
			if q.key == k {
				statuses = append(statuses, q.status)
			}
		}
		if fmt.Sprint(statuses) != "[500 429 0 200]" {
			t.Errorf("%s: answered %v, want 500, 429, a hang, 200", k, statuses)
		}
		m := r.get(k)
		if m.Status != notify.StatusSent || m.Ref != k+"#4" || m.Attempts != 4 {
			t.Errorf("%s: %+v", k, m)
		}
	}
	// Retry-After: after a 429 at T, nothing reaches the destination
	// before T+2s.
	for i, q := range got {
		if q.status != http.StatusTooManyRequests {
			continue
		}
		for _, later := range got[i+1:] {
			if later.at.Before(q.at.Add(2 * time.Second)) {
				t.Errorf("%s (request %d) at %s, %s after %s's 429", later.key, later.n, later.at.Format("15:04:05.000"),
					later.at.Sub(q.at), q.key)
			}
		}
	}
}
