package escalation_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// instance is one Tocsin instance in a multi-instance test: an engine on a
// client of its own, running with the real clock.
type instance struct {
	name    string
	db      *store.DB
	e       *escalation.Engine
	stop    context.CancelFunc
	done    chan struct{}
	calls   atomic.Int64 // FireFunc calls
	dupKeys atomic.Int64 // effects that were there already
}

// effects records what the FireFuncs produced: one document per timer key
// in a collection whose _id is unique, written through each instance's own
// client, and when each key first fired.
type effects struct {
	mu    sync.Mutex
	first map[string]time.Time
	late  []time.Duration
}

func (fx *effects) fire(in *instance) escalation.FireFunc {
	return func(ctx context.Context, t escalation.Timer) error {
		in.calls.Add(1)
		at := time.Now()
		time.Sleep(3 * time.Millisecond) // keep some claims in flight
		_, err := in.db.Database().Collection("effects").InsertOne(ctx, bson.D{{Key: "_id", Value: t.Key}, {Key: "by", Value: in.name}})
		if mongo.IsDuplicateKeyError(err) {
			in.dupKeys.Add(1)
			return nil
		}
		if err != nil {
			return err
		}
		fx.mu.Lock()
		fx.first[t.Key] = at
		fx.late = append(fx.late, at.Sub(t.DueAt))
		fx.mu.Unlock()
		return nil
	}
}

func startInstances(t *testing.T, n int, fx *effects, o escalation.EngineOptions) []*instance {
	t.Helper()
	dbs := storetest.NewClients(t, n)
	out := make([]*instance, n)
	for i, db := range dbs {
		in := &instance{name: fmt.Sprintf("i%d", i), db: db, done: make(chan struct{})}
		oi := o
		oi.Owner, oi.Logger = in.name, testLogger(t)
		in.e = escalation.NewEngine(db.Timers(), fx.fire(in), oi)
		ctx, stop := context.WithCancel(context.Background())
		in.stop = stop
		go func() {
			defer close(in.done)
			if err := in.e.Run(ctx); err != nil {
				t.Errorf("%s: Run: %v", in.name, err)
			}
		}()
		out[i] = in
	}
	t.Cleanup(func() {
		for _, in := range out {
			in.stop()
			<-in.done
		}
	})
	return out
}

// realTimers makes n timers of their own incidents due evenly from from to
// to.
func realTimers(round, n int, from, to time.Time) []escalation.Timer {
	ts := make([]escalation.Timer, n)
	step := to.Sub(from) / time.Duration(n)
	for i := range ts {
		inc := fmt.Sprintf("INC-R%d-%05d", round, i)
		due := from.Add(time.Duration(i) * step)
		ts[i] = escalation.Timer{Key: inc + "/serious/ack/step1/r0", Incident: inc, Kind: escalation.TimerAckStep, DueAt: due, Step: 1}
	}
	return ts
}

// scheduleSpread schedules ts through the instances in turn, concurrently.
func scheduleSpread(t *testing.T, ins []*instance, ts []escalation.Timer) {
	t.Helper()
	var wg sync.WaitGroup
	for i, in := range ins {
		var mine []escalation.Timer
		for j := i; j < len(ts); j += len(ins) {
			mine = append(mine, ts[j])
		}
		wg.Go(func() {
			for chunk := range slices.Chunk(mine, 50) {
				if err := in.e.Schedule(context.Background(), chunk); err != nil {
					t.Errorf("%s: Schedule: %v", in.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func waitEffects(t *testing.T, db *store.DB, want int64, within time.Duration) {
	t.Helper()
	col := db.Database().Collection("effects")
	deadline := time.Now().Add(within)
	var n int64
	for time.Now().Before(deadline) {
		var err error
		if n, err = col.CountDocuments(context.Background(), bson.D{}); err != nil {
			t.Fatal(err)
		}
		if n >= want {
			time.Sleep(300 * time.Millisecond) // anything doubled would show now
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%d effects after %s, want %d", n, within, want)
}

func leader(t *testing.T, ins []*instance) *instance {
	t.Helper()
	var out *instance
	for _, in := range ins {
		if in.e.Leading() {
			if out != nil {
				t.Fatalf("%s and %s both lead", out.name, in.name)
			}
			out = in
		}
	}
	if out == nil {
		t.Fatal("no instance leads")
	}
	return out
}

// checkOnce checks that every timer of ts has exactly one effect and one
// done record, which says fired.
func checkOnce(t *testing.T, db *store.DB, ts []escalation.Timer) (takeovers int, runsBy map[string]int) {
	t.Helper()
	ctx := context.Background()
	cur, err := db.Database().Collection("effects").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	have := map[string]int{}
	for _, d := range docs {
		have[d.ID]++
	}
	keys := make([]string, len(ts))
	for i, tm := range ts {
		keys[i] = tm.Key
		if have[tm.Key] != 1 {
			t.Errorf("%s has %d effects", tm.Key, have[tm.Key])
		}
	}
	recs, err := db.Timers().Attempts(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	done, runs := map[string]int{}, map[string]int{}
	runsBy = map[string]int{}
	for _, r := range recs {
		switch r.Kind {
		case escalation.AttemptDone:
			done[r.Key]++
			if r.Outcome != escalation.TimerFired {
				t.Errorf("%s is %s", r.Key, r.Outcome)
			}
		case escalation.AttemptRun:
			runs[r.Key]++
			runsBy[r.Owner]++
		}
	}
	for _, k := range keys {
		if done[k] != 1 {
			t.Errorf("%s has %d done records", k, done[k])
		}
		if runs[k] > 1 {
			takeovers++
		}
	}
	return takeovers, runsBy
}

func (fx *effects) lateness() (p50, p99, worst time.Duration) {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	l := slices.Clone(fx.late)
	slices.Sort(l)
	if len(l) == 0 {
		return 0, 0, 0
	}
	return l[len(l)/2], l[len(l)*99/100], l[len(l)-1]
}

// TestManyInstances runs three engines, each on a client (a connection) of
// its own, against one store with the real clock. Round one: 1,000 timers
// (300 under the race detector) due within three seconds, scheduled
// through all three, fire once each. Round two: the leader dies in the
// middle of another 1,000 (its client closes, then its loop stops): the
// others take over after the lease and finish, and every timer still has
// exactly one effect.
func TestManyInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-instance run with the real clock")
	}
	fx := &effects{first: map[string]time.Time{}}
	ins := startInstances(t, 3, fx, escalation.EngineOptions{Lease: slow * 2 * time.Second, Poll: 200 * time.Millisecond, Workers: 16})
	db := ins[0].db

	now := time.Now()
	round1 := realTimers(1, multiTimers, now.Add(time.Second), now.Add(4*time.Second))
	scheduleSpread(t, ins, round1)
	waitEffects(t, db, multiTimers, slow*30*time.Second)
	if n, _ := checkOnce(t, db, round1); n != 0 {
		t.Errorf("%d timers were run twice with no instance dying", n)
	}
	var dups int64
	for _, in := range ins {
		dups += in.dupKeys.Load()
	}
	if dups != 0 {
		t.Errorf("%d duplicate effects attempted with no instance dying", dups)
	}
	p50, p99, worst := fx.lateness()
	t.Logf("round 1: lateness p50 %v, p99 %v, max %v; calls %d/%d/%d", p50, p99, worst, ins[0].calls.Load(), ins[1].calls.Load(), ins[2].calls.Load())

	now = time.Now()
	round2 := realTimers(2, multiTimers, now.Add(500*time.Millisecond), now.Add(3500*time.Millisecond))
	scheduleSpread(t, ins, round2)
	time.Sleep(time.Until(now.Add(1500 * time.Millisecond)))
	dead := leader(t, ins)
	if err := dead.db.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	dead.stop()
	var alive []*instance
	for _, in := range ins {
		if in != dead {
			alive = append(alive, in)
		}
	}
	waitEffects(t, alive[0].db, 2*multiTimers, slow*30*time.Second)
	<-dead.done
	takeovers, runsBy := checkOnce(t, alive[0].db, round2)
	dups = 0
	for _, in := range alive {
		dups += in.dupKeys.Load()
	}
	newLeader := leader(t, alive)
	t.Logf("round 2: %s died leading after %d calls; %s took over; %d timers run again after the lease; %d duplicate effects attempted; runs by instance %v",
		dead.name, dead.calls.Load(), newLeader.name, takeovers, dups, runsBy)
	if dups > int64(takeovers) {
		t.Errorf("%d duplicate effects attempted, more than the %d timers taken over", dups, takeovers)
	}
}
