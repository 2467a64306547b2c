package escalation

import (
	"context"
	"sync"
	"time"
)

// storeRetry is how long an entry waits after a store error before it is
// tried again.
const storeRetry = time.Second

// dispatch claims the entries due at now (only the local ones with
// localOnly), as many as there are free workers, in one insert, and starts
// firing those it won. With wait it blocks for one worker when all are
// busy. It returns how many entries it took out of the queue, and whether
// due entries are left for want of workers.
func (e *Engine) dispatch(ctx context.Context, now time.Time, g *fireGroup, wait, localOnly bool) (int, bool) {
	tokens := 0
	if wait {
		select {
		case e.sem <- struct{}{}:
			tokens++
		case <-ctx.Done():
			return 0, false
		}
	}
fill:
	for tokens < cap(e.sem) {
		select {
		case e.sem <- struct{}{}:
			tokens++
		default:
			break fill
		}
	}
	e.mu.Lock()
	due := e.mem.popDue(now, tokens, localOnly)
	starved := false
	if next, ok := e.mem.next(localOnly); ok && !next.After(now) {
		starved = true
	}
	e.mu.Unlock()
	for range tokens - len(due) {
		<-e.sem
	}
	if len(due) == 0 {
		return 0, starved
	}

	claims := make([]Attempt, len(due))
	for i, en := range due {
		claims[i] = claimRecord(en.t, en.slot, en.runs, e.o.Owner, now, e.o.Lease, e.o.MaxAttempts)
	}
	e.mu.Lock()
	for _, c := range claims {
		if c.Kind == AttemptRun {
			e.firing[c.Key] = c.Slot
		}
	}
	e.mu.Unlock()
	stored, err := e.st.InsertAttempts(ctx, claims)
	if err != nil {
		e.log.Warn("claim timers", "err", err)
	}
	if len(stored) != len(claims) {
		stored = make([]bool, len(claims))
	}
	var lost []*entry
	for i, en := range due {
		c := claims[i]
		switch {
		case stored[i] && c.Kind == AttemptRun:
			g.wg.Add(1)
			go e.fireOne(ctx, en, c, g)
			continue
		case stored[i]: // given up as dead
			e.log.Error("timer dead", "timer", en.t.Key, "incident", en.t.Incident, "attempt", c.Runs, "err", c.Error)
			e.finish(en, true)
		case err != nil:
			e.unfire(c)
			e.requeue(en, en.slot, en.runs, now.Add(storeRetry))
		default:
			e.unfire(c)
			lost = append(lost, en)
		}
		<-e.sem
	}
	// Slots taken by others (or by this process before a restart): read
	// them to learn what to do next.
	for _, en := range lost {
		rec, err := e.st.Attempt(ctx, en.t.Key, en.slot)
		if err != nil {
			e.log.Warn("read timer claim", "timer", en.t.Key, "err", err)
			e.requeue(en, en.slot, en.runs, now.Add(storeRetry))
			continue
		}
		v := afterRecord(rec, now, e.stale(rec))
		if v.finished {
			e.finish(en, false)
			continue
		}
		e.requeue(en, v.slot, v.runs, v.at)
	}
	return len(due), starved
}

// fireOne fires en under claim c and hands the result to the recorder.
func (e *Engine) fireOne(ctx context.Context, en *entry, c Attempt, g *fireGroup) {
	// The context ends a tenth of the lease before the lease does, which
	// leaves time to record the result, and does not end with ctx: a
	// stopping engine lets its fires finish.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.o.Lease-e.o.Lease/10)
	firedAt := e.o.Now()
	err := e.safeFire(fctx, en.t)
	cancel()
	<-e.sem
	e.signal()
	if err != nil {
		e.log.Warn("timer fire failed", "timer", en.t.Key, "incident", en.t.Incident, "attempt", c.Runs, "err", err)
	}
	res := resultRecord(c, err, firedAt, e.o.Now(), e.o.Backoff, e.o.MaxAttempts)
	e.rec.add(result{en: en, claim: c, res: res, g: g})
}

// finish forgets en, which is finished, and with here, to be announced.
func (e *Engine) finish(en *entry, here bool) {
	e.mu.Lock()
	en.busy = false
	e.mem.finished(en.t.Key, en.t.DueAt)
	if here {
		e.ended = append(e.ended, finishedKey{en.t.Key, en.t.DueAt})
	}
	e.mu.Unlock()
}

// requeue puts en back in memory to be tried in slot at runAt.
func (e *Engine) requeue(en *entry, slot, runs int, at time.Time) {
	e.mu.Lock()
	e.mem.requeue(en, slot, runs, at)
	e.mu.Unlock()
	e.signal()
}

// unfire forgets that this process holds c.
func (e *Engine) unfire(c Attempt) {
	e.mu.Lock()
	if s, ok := e.firing[c.Key]; ok && s == c.Slot {
		delete(e.firing, c.Key)
	}
	e.mu.Unlock()
}

// result is a finished run waiting to be recorded.
type result struct {
	en    *entry
	claim Attempt
	res   Attempt
	g     *fireGroup
}

// recorder inserts results in batches: while one insert is in flight the
// next results gather, and go in the next one. It runs a goroutine only
// while it has work.
type recorder struct {
	e       *Engine
	mu      sync.Mutex
	q       []result
	running bool
}

func (r *recorder) add(x result) {
	r.mu.Lock()
	r.q = append(r.q, x)
	start := !r.running
	r.running = true
	r.mu.Unlock()
	if start {
		go r.loop()
	}
}

func (r *recorder) loop() {
	for {
		r.mu.Lock()
		items := r.q
		r.q = nil
		if len(items) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		r.flush(items)
	}
}

// flush records items. A result that cannot be written is tried again
// until its claim's lease ends; then the run is left to expire and be
// taken over, like that of an instance that died.
func (r *recorder) flush(items []result) {
	e := r.e
	recs := make([]Attempt, len(items))
	for i, x := range items {
		recs[i] = x.res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	stored, err := e.st.InsertAttempts(ctx, recs)
	cancel()
	if len(stored) != len(recs) {
		stored = make([]bool, len(recs))
	}
	now := e.o.Now()
	var again []result
	for i, x := range items {
		switch {
		case stored[i]:
			e.unfire(x.claim)
			switch x.res.Kind {
			case AttemptDone:
				if x.res.Outcome == TimerFired {
					x.g.fired.Add(1)
					e.log.Debug("timer fired", "timer", x.en.t.Key, "incident", x.en.t.Incident, "attempt", x.res.Runs)
				} else {
					e.log.Error("timer dead", "timer", x.en.t.Key, "incident", x.en.t.Incident, "attempt", x.res.Runs, "err", x.res.Error)
				}
				e.finish(x.en, true)
			default:
				e.requeue(x.en, x.res.Slot+1, x.res.Runs, x.res.Until)
			}
		case err != nil && now.Before(x.claim.Until):
			again = append(again, x)
			continue
		case err != nil:
			e.log.Error("record timer result: giving up, the claim will expire", "timer", x.en.t.Key, "err", err)
			e.unfire(x.claim)
			e.requeue(x.en, x.claim.Slot, x.claim.Runs-1, x.claim.Until)
		default:
			// Someone took the slot after this run's lease ended: the
			// run's effects stand (they are idempotent by key), its
			// result does not.
			e.log.Warn("timer claim lost before its result was recorded", "timer", x.en.t.Key, "attempt", x.claim.Runs)
			e.unfire(x.claim)
			e.requeue(x.en, x.res.Slot, x.claim.Runs, now)
		}
		x.g.wg.Done()
	}
	if len(again) > 0 {
		time.Sleep(200 * time.Millisecond)
		for _, x := range again {
			r.mu.Lock()
			r.q = append(r.q, x)
			r.mu.Unlock()
		}
	}
}
