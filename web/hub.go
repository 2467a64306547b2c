package web

import (
	"context"
	"sync"

	"github.com/tocsin-hub/tocsin/incident"
)

// HubBuffer is how many changes a subscriber may fall behind before it is
// dropped. A dropped subscriber's channel is closed: its stream ends, the
// browser reconnects and reloads the board, so nothing is silently lost.
const HubBuffer = 64

// Hub fans incident changes out to open board streams. Publishing never
// blocks: a subscriber whose buffer is full is dropped rather than waited
// for, so one stalled browser cannot hold up the service that reports a
// change.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan incident.Event]struct{}
	closed bool
}

var _ incident.Observer = (*Hub)(nil)

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan incident.Event]struct{}{}} }

// Subscribe registers a listener. The channel carries every change from now
// on and is closed when the listener falls too far behind, when it
// unsubscribes, or when the hub closes. unsubscribe is idempotent. After
// Close, Subscribe returns an already closed channel.
func (h *Hub) Subscribe() (events <-chan incident.Event, unsubscribe func()) {
	ch := make(chan incident.Event, HubBuffer)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	return ch, func() { h.drop(ch) }
}

// drop removes ch and closes it, unless that already happened.
func (h *Hub) drop(ch chan incident.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// IncidentChanged implements incident.Observer: it hands ev to every
// subscriber without waiting for any.
func (h *Hub) IncidentChanged(_ context.Context, ev incident.Event) {
	if ev.Incident == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default: // full: the subscriber resyncs after reconnecting
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Subscribers is the number of open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close ends every open stream and refuses new ones. It is called on
// shutdown, so that http.Server.Shutdown need not wait for streams that
// would never end on their own.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}
