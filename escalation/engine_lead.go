package escalation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// staleAfter is how old a number learnt from the store (the last event,
// the last lease epoch) may be before it is read afresh with LastEvent or
// LastLease. Walking forward from a recent number only meets slots written
// recently, which Purge (keeping at least an hour) has not freed; walking
// from an old one could land in a purged slot, below the head, unseen.
const staleAfter = 10 * time.Minute

// leadership is what an engine knows of the leases.
type leadership struct {
	known   bool      // the last epoch has been read,
	checked time.Time // at this time
	epoch   int64     // the last epoch seen
	owner   string    // its owner
	until   time.Time // its end
	mine    bool      // this engine holds it
}

// loadState gathers what Schedule and Cancel do while a full load runs,
// so that the loaded schedule does not undo it.
type loadState struct {
	scheduled []loaded
	cancelled []string
	done      chan struct{} // closed when the load has ended,
	err       error         // with this
}

type loaded struct {
	t Timer
	v verdict
}

// finishedKey is a timer this engine finished, to announce.
type finishedKey struct {
	key string
	due time.Time
}

// leadStep follows the leases: it reads the epochs written since the last
// step, renews this engine's lease a third into it, or takes over an
// expired one.
func (e *Engine) leadStep(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	l := e.lead
	e.mu.Unlock()
	was := l.mine
	err := e.followLeases(ctx, now, &l)
	e.mu.Lock()
	e.lead = l
	e.mu.Unlock()
	switch {
	case was && !l.mine:
		e.log.Warn("timer engine no longer leads", "epoch", l.epoch, "leader", l.owner)
	case !was && l.mine:
		// What this instance knows came from events, and the last leader's
		// final ones may be missing: start from the store's records.
		e.log.Info("timer engine leads", "epoch", l.epoch)
		e.mu.Lock()
		e.reload = true
		e.mu.Unlock()
		e.signal()
	}
	return err
}

func (e *Engine) followLeases(ctx context.Context, now time.Time, l *leadership) error {
	if !l.known || now.Sub(l.checked) > staleAfter {
		last, err := e.st.LastLease(ctx)
		switch {
		case errors.Is(err, ErrNoRecord):
		case err != nil:
			return err
		case last.Epoch > l.epoch:
			l.epoch, l.owner, l.until, l.mine = last.Epoch, last.Owner, last.Until, false
		}
		l.known = true
	}
	for {
		next, err := e.st.Lease(ctx, l.epoch+1)
		if errors.Is(err, ErrNoRecord) {
			l.checked = now
			break
		}
		if err != nil {
			return err
		}
		l.epoch, l.owner, l.until, l.mine = next.Epoch, next.Owner, next.Until, false
	}
	switch {
	case l.mine && now.Before(l.until.Add(-2*e.o.Lease/3)):
		return nil
	case !l.mine && l.epoch > 0 && l.until.After(now) && l.owner != e.o.Owner:
		return nil
	}
	// Renew, or take over an expired lease (or one held under this
	// engine's name by a process that has died).
	nl := Lease{Epoch: l.epoch + 1, Owner: e.o.Owner, At: now, Until: now.Add(e.o.Lease)}
	ok, err := e.st.InsertLease(ctx, nl)
	if err != nil {
		if l.mine && !now.Before(l.until) {
			l.mine = false
		}
		return err
	}
	if !ok { // someone else took the epoch: read it next time
		l.mine = false
		return nil
	}
	l.epoch, l.owner, l.until, l.mine = nl.Epoch, nl.Owner, nl.Until, true
	return nil
}

// release gives up the lease, if held, so that another instance takes
// over at its next poll: it inserts the next epoch, already expired.
func (e *Engine) release(ctx context.Context) {
	e.mu.Lock()
	l := e.lead
	e.lead.mine = false
	e.mu.Unlock()
	if !l.mine {
		return
	}
	now := e.o.Now()
	ok, err := e.st.InsertLease(ctx, Lease{Epoch: l.epoch + 1, Owner: e.o.Owner, At: now, Until: now})
	if err != nil {
		e.log.Warn("give up the timer lease", "err", err)
		return
	}
	if ok {
		e.mu.Lock()
		e.lead.epoch, e.lead.until = l.epoch+1, now
		e.mu.Unlock()
	}
	e.log.Info("timer engine stopped leading", "epoch", l.epoch)
}

// refresh loads the schedule if it is not loaded, or reloads it if the
// events have not been read for so long that some may have been purged
// unread; otherwise it reads the events written since the last read.
func (e *Engine) refresh(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	load := !e.mem.full || e.reload || now.Sub(e.readAt) > staleAfter
	e.mu.Unlock()
	if load {
		return e.load(ctx, now)
	}
	return e.readEvents(ctx)
}

// load reads every stored timer and record and makes the schedule full.
// A call while another load runs waits for that one.
func (e *Engine) load(ctx context.Context, now time.Time) (err error) {
	e.mu.Lock()
	if ls := e.loading; ls != nil {
		e.mu.Unlock()
		select {
		case <-ls.done:
			return ls.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ls := &loadState{done: make(chan struct{})}
	e.loading = ls
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.loading = nil
		e.mu.Unlock()
		ls.err = err
		close(ls.done)
	}()
	start := time.Now()
	seq, err := e.st.LastEvent(ctx)
	if err != nil {
		return fmt.Errorf("load timers: %w", err)
	}
	ts, err := e.st.Timers(ctx, "")
	if err != nil {
		return fmt.Errorf("load timers: %w", err)
	}
	recs, err := e.st.Attempts(ctx, nil)
	if err != nil {
		return fmt.Errorf("load timers: %w", err)
	}
	last := make(map[string]Attempt, len(ts))
	for _, r := range recs {
		if cur, ok := last[r.Key]; !ok || r.Slot > cur.Slot {
			last[r.Key] = r
		}
	}
	recs = nil
	mem := newSchedule(true)
	nearDue := now.Add(e.nearDue())
	for _, t := range ts {
		r, ok := last[t.Key]
		if !ok {
			mem.add(t, 0, 0, t.DueAt, false)
			continue
		}
		if v := afterRecord(r, now, e.stale(r)); v.finished {
			mem.done[t.Key] = t.DueAt
		} else {
			mem.add(t, v.slot, v.runs, maxTime(v.at, t.DueAt), false)
		}
	}

	e.mu.Lock()
	for _, en := range e.mem.byKey {
		if en.busy { // being fired: the firing goroutine holds this entry
			if old := mem.byKey[en.t.Key]; old != nil {
				mem.remove(old)
			}
			mem.put(en)
		}
	}
	for _, s := range ls.scheduled {
		mem.add(s.t, s.v.slot, s.v.runs, maxTime(s.v.at, s.t.DueAt), !s.t.DueAt.After(nearDue))
	}
	for _, key := range ls.cancelled {
		due := now
		if en := mem.byKey[key]; en != nil {
			due = en.t.DueAt
		}
		mem.finished(key, due)
	}
	e.mem = mem
	e.reload = false
	e.cursor, e.readAt = seq, now
	e.evHint, e.evAt = max(e.evHint, seq), now
	n := len(mem.byKey)
	e.mu.Unlock()
	e.loadOnce.Do(func() { close(e.loaded) })
	e.signal()
	e.log.Info("timers loaded", "pending", n, "stored", len(ts), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// readEvents applies the events other instances wrote since the last one
// read: what they scheduled joins the schedule, what they cancelled or
// finished leaves it.
func (e *Engine) readEvents(ctx context.Context) error {
	now := e.o.Now()
	cutoff := now.Add(-e.o.Retention)
	for range 1000 {
		e.mu.Lock()
		cur := e.cursor
		e.mu.Unlock()
		ev, err := e.st.Event(ctx, cur+1)
		if errors.Is(err, ErrNoRecord) {
			e.mu.Lock()
			e.readAt = now
			e.mu.Unlock()
			return nil
		}
		if err != nil {
			return fmt.Errorf("read timer events: %w", err)
		}
		wake := false
		e.mu.Lock()
		if e.cursor != cur { // a load or this engine's own event moved it
			e.mu.Unlock()
			continue
		}
		e.cursor = ev.Seq
		e.evHint, e.evAt = max(e.evHint, ev.Seq), now
		if ev.Owner != e.o.Owner {
			for _, t := range ev.Scheduled {
				if t.DueAt.Before(cutoff) {
					continue
				}
				if _, ok := e.mem.add(t, 0, 0, t.DueAt, false); ok {
					wake = true
				}
			}
			for _, key := range slices.Concat(ev.Cancelled, ev.Finished) {
				due := now
				if en := e.mem.byKey[key]; en != nil {
					due = en.t.DueAt
				}
				e.mem.finished(key, due)
			}
		}
		e.mu.Unlock()
		if wake {
			e.signal()
		}
	}
	return nil
}

// announceFinished tells the other instances which timers this one has
// finished since it last did, in one event.
func (e *Engine) announceFinished(ctx context.Context) error {
	e.mu.Lock()
	ended := e.ended
	e.ended = nil
	e.mu.Unlock()
	if len(ended) == 0 {
		return nil
	}
	keys := make([]string, len(ended))
	for i, f := range ended {
		keys[i] = f.key
	}
	var err error
	for part := range slices.Chunk(keys, 2000) {
		err = errors.Join(err, e.announce(ctx, TimerEvent{Owner: e.o.Owner, At: e.o.Now(), Finished: part}))
	}
	return err
}

// announce appends ev to the events under the next free number.
func (e *Engine) announce(ctx context.Context, ev TimerEvent) error {
	e.mu.Lock()
	seq, fresh := e.evHint, e.o.Now().Sub(e.evAt) <= staleAfter
	e.mu.Unlock()
	for i := range 64 {
		if i == 0 && (seq == 0 || !fresh) || i == 8 {
			last, err := e.st.LastEvent(ctx)
			if err != nil {
				return fmt.Errorf("announce timers: %w", err)
			}
			seq = max(seq, last)
		}
		ev.Seq = seq + 1
		ok, err := e.st.InsertEvent(ctx, ev)
		if err != nil {
			return fmt.Errorf("announce timers: %w", err)
		}
		if ok {
			e.mu.Lock()
			e.evHint, e.evAt = max(e.evHint, ev.Seq), e.o.Now()
			if e.cursor == ev.Seq-1 && e.mem.full && e.loading == nil {
				e.cursor = ev.Seq // this engine's own: nothing to read back
			}
			e.mu.Unlock()
			return nil
		}
		seq++
	}
	return fmt.Errorf("announce timers: no free event number after %d", seq)
}
