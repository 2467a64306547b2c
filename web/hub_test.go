package web_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/web"
)

func event(n int) incident.Event {
	return incident.Event{Kind: incident.EventStage, Incident: &incident.Incident{Number: fmt.Sprintf("INC-2026-%06d", n), Version: int64(n)}}
}

// publish calls IncidentChanged and fails the test if it blocks.
func publish(t *testing.T, h *web.Hub, ev incident.Event) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		h.IncidentChanged(context.Background(), ev)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("IncidentChanged blocked")
	}
}

// closedWithin reports whether ch is closed within d once drained.
func closedWithin(ch <-chan incident.Event, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func TestHubFansOut(t *testing.T) {
	t.Parallel()
	h := web.NewHub()
	a, unsubA := h.Subscribe()
	b, unsubB := h.Subscribe()
	defer unsubB()
	if n := h.Subscribers(); n != 2 {
		t.Fatalf("subscribers: %d", n)
	}
	publish(t, h, event(1))
	h.IncidentChanged(context.Background(), incident.Event{}) // no incident: ignored
	for name, ch := range map[string]<-chan incident.Event{"a": a, "b": b} {
		select {
		case ev := <-ch:
			if ev.Incident.Number != "INC-2026-000001" {
				t.Fatalf("%s got %s", name, ev.Incident.Number)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s got nothing", name)
		}
	}
	unsubA()
	unsubA() // idempotent
	if _, ok := <-a; ok {
		t.Fatal("unsubscribed channel still open")
	}
	publish(t, h, event(2))
	if ev := <-b; ev.Incident.Number != "INC-2026-000002" {
		t.Fatalf("b got %s", ev.Incident.Number)
	}
	if n := h.Subscribers(); n != 1 {
		t.Fatalf("subscribers after unsubscribe: %d", n)
	}
}

// A subscriber that stops reading is dropped when its buffer is full; the
// publisher never waits, and the others keep receiving.
func TestHubDropsSlowSubscriber(t *testing.T) {
	t.Parallel()
	h := web.NewHub()
	slow, unsubSlow := h.Subscribe()
	defer unsubSlow()
	fast, unsubFast := h.Subscribe()
	defer unsubFast()

	for i := range web.HubBuffer {
		publish(t, h, event(i+1))
	}
	for i := range web.HubBuffer {
		if ev := <-fast; ev.Incident.Version != int64(i+1) {
			t.Fatalf("fast subscriber: event %d is version %d", i, ev.Incident.Version)
		}
	}
	// The slow buffer is full now: the next change drops it.
	publish(t, h, event(web.HubBuffer+1))
	select {
	case ev := <-fast:
		if ev.Incident.Version != int64(web.HubBuffer+1) {
			t.Fatalf("fast subscriber got version %d", ev.Incident.Version)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fast subscriber starved")
	}
	got := 0
	for range slow {
		got++
	}
	if got != web.HubBuffer {
		t.Fatalf("slow subscriber got %d buffered events before its channel closed, want %d", got, web.HubBuffer)
	}
	if n := h.Subscribers(); n != 1 {
		t.Fatalf("subscribers after the drop: %d", n)
	}
	// Many more changes still never block.
	for i := range 10 * web.HubBuffer {
		publish(t, h, event(i))
		<-fast
	}
}

func TestHubClose(t *testing.T) {
	t.Parallel()
	h := web.NewHub()
	a, unsubA := h.Subscribe()
	b, _ := h.Subscribe()
	publish(t, h, event(1))
	h.Close()
	for _, ch := range []<-chan incident.Event{a, b} {
		if !closedWithin(ch, 5*time.Second) {
			t.Fatal("Close left a stream open")
		}
	}
	unsubA() // after Close: harmless
	late, unsubLate := h.Subscribe()
	if _, ok := <-late; ok {
		t.Fatal("Subscribe after Close returned an open channel")
	}
	unsubLate()
	publish(t, h, event(2)) // after Close: harmless
	h.Close()               // twice: harmless
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("subscribers after Close: %d", n)
	}
}

// Publishers, subscribers coming and going, and Close all at once: run with
// -race.
func TestHubConcurrent(t *testing.T) {
	t.Parallel()
	h := web.NewHub()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					h.IncidentChanged(context.Background(), event(p*1_000_000+i))
				}
			}
		}()
	}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				ch, unsub := h.Subscribe()
				for range 3 {
					if _, ok := <-ch; !ok {
						break
					}
				}
				unsub()
			}
		}()
	}
	subs := make([]<-chan incident.Event, 5)
	for i := range subs {
		subs[i], _ = h.Subscribe()
	}
	time.Sleep(50 * time.Millisecond)
	h.Close()
	for _, ch := range subs {
		if !closedWithin(ch, 5*time.Second) {
			t.Fatal("stream left open by Close")
		}
	}
	close(stop)
	wg.Wait()
}
