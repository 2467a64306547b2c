package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// clock is a test clock that moves a second per reading.
func clock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)) * time.Second) }
}

// running starts t's writer for the length of the test.
func running(tb testing.TB, t *audit.Trail) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = t.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
}

func flush(tb testing.TB, t *audit.Trail) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := t.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
}

func record(i int) audit.Record {
	return audit.Record{
		Actor:   audit.Actor{UserID: "u1", Username: "li.na", Name: "李娜", Via: "session"},
		Action:  audit.IncidentAction("stage"),
		Target:  audit.Target{Kind: "incident", ID: fmt.Sprintf("INC-2026-%06d", i)},
		Source:  audit.Source{IP: "10.0.0.7", UserAgent: "Mozilla/5.0"},
		Changes: []audit.Change{{Field: "stage", Before: "receive", After: "confirm"}},
		Note:    fmt.Sprintf("reason: record %d", i),
	}
}

// written writes n records through a running trail on a fresh store.
func written(t *testing.T, n int) *store.Audit {
	t.Helper()
	st := storetest.New(t).Audit()
	tr := audit.NewTrail(st, clock(), discard())
	running(t, tr)
	for i := 1; i <= n; i++ {
		tr.Record(context.Background(), record(i))
	}
	flush(t, tr)
	return st
}

func verify(t *testing.T, st audit.Store) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestChainHolds(t *testing.T) {
	t.Parallel()
	st := written(t, 20)
	rep := verify(t, st)
	if rep.Break != nil || rep.Records != 20 || rep.Last != 20 {
		t.Fatalf("Verify = %+v, break %v", rep, rep.Break)
	}
	ctx := context.Background()
	prev := ""
	for seq := int64(1); seq <= 20; seq++ {
		r, err := st.Get(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if r.Prev != prev || r.Hash != r.ComputeHash() || len(r.Hash) != 64 {
			t.Fatalf("record %d: prev %q (want %q), hash %q", seq, r.Prev, prev, r.Hash)
		}
		if r.Target.ID != fmt.Sprintf("INC-2026-%06d", seq) || r.Source.IP != "10.0.0.7" || r.Actor.Username != "li.na" {
			t.Fatalf("record %d is out of order or incomplete: %+v", seq, r)
		}
		prev = r.Hash
	}
}

// TestTamperedFieldIsFound changes a stored record through the driver, as
// someone with database access would, and expects Verify to name it.
func TestTamperedFieldIsFound(t *testing.T) {
	t.Parallel()
	st := written(t, 12)
	ctx := context.Background()
	_, err := st.Collection().UpdateOne(ctx, bson.D{{Key: "seq", Value: int64(7)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "actor.username", Value: "someone.else"}}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := verify(t, st)
	if rep.Break == nil || rep.Break.Seq != 7 || rep.Break.Reason != audit.BreakHash || rep.Records != 6 {
		t.Fatalf("Verify = %+v, break %+v; want a hash mismatch at 7", rep, rep.Break)
	}
}

// TestRehashedRecordIsFound rewrites a record and its own hash
// consistently: the next record's link gives it away.
func TestRehashedRecordIsFound(t *testing.T) {
	t.Parallel()
	st := written(t, 12)
	ctx := context.Background()
	r, err := st.Get(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	r.Note = "nothing happened here"
	r.Hash = r.ComputeHash()
	if _, err := st.Collection().UpdateOne(ctx, bson.D{{Key: "seq", Value: int64(4)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "note", Value: r.Note}, {Key: "hash", Value: r.Hash}}}}); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, st)
	if rep.Break == nil || rep.Break.Seq != 5 || rep.Break.Reason != audit.BreakPrev {
		t.Fatalf("Verify = %+v, break %+v; want a prev mismatch at 5", rep, rep.Break)
	}
}

// TestDeletedRecordIsFound removes a record: a gap. A writer started
// afterwards does not fill it.
func TestDeletedRecordIsFound(t *testing.T) {
	t.Parallel()
	st := written(t, 12)
	ctx := context.Background()
	if _, err := st.Collection().DeleteOne(ctx, bson.D{{Key: "seq", Value: int64(8)}}); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, st)
	if rep.Break == nil || rep.Break.Seq != 8 || rep.Break.Reason != audit.BreakGap || rep.Records != 7 {
		t.Fatalf("Verify = %+v, break %+v; want a gap at 8", rep, rep.Break)
	}
	if last, _, err := audit.Tail(ctx, st); err != nil || last != 12 {
		t.Fatalf("Tail = %d, %v; want 12 past the gap", last, err)
	}
	tr := audit.NewTrail(st, clock(), discard())
	running(t, tr)
	tr.Record(ctx, record(13))
	flush(t, tr)
	if _, err := st.Get(ctx, 8); !errors.Is(err, audit.ErrNoRecord) {
		t.Fatalf("the gap was filled: %v", err)
	}
	if r, err := st.Get(ctx, 13); err != nil || r.Target.ID != "INC-2026-000013" {
		t.Fatalf("record 13 = %+v, %v", r, err)
	}
	if rep := verify(t, st); rep.Break == nil || rep.Break.Seq != 8 {
		t.Fatalf("after another record, Verify = %+v", rep.Break)
	}
}

func TestTailOfEmptyAndLongTrails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Audit()
	if last, hash, err := audit.Tail(ctx, st); err != nil || last != 0 || hash != "" {
		t.Fatalf("Tail of an empty trail = %d, %q, %v", last, hash, err)
	}
	// Insert 1..37 directly, chained, and find the end from cold.
	prev := ""
	for seq := int64(1); seq <= 37; seq++ {
		r := record(int(seq))
		r.At, r.Seq, r.Prev = t0, seq, prev
		r = r.Normalize()
		r.Hash = r.ComputeHash()
		if ok, err := st.Insert(ctx, r); err != nil || !ok {
			t.Fatalf("insert %d: %v, %v", seq, ok, err)
		}
		if ok, err := st.Insert(ctx, r); err != nil || ok {
			t.Fatalf("insert %d again: %v, %v; want false", seq, ok, err)
		}
		prev = r.Hash
	}
	if last, hash, err := audit.Tail(ctx, st); err != nil || last != 37 || hash != prev {
		t.Fatalf("Tail = %d, %q, %v; want 37", last, hash, err)
	}
}

// TestInstancesShareOneChain runs two trails on two connections, as two
// hubs on one database: their records interleave in one chain.
func TestInstancesShareOneChain(t *testing.T) {
	t.Parallel()
	dbs := storetest.NewClients(t, 2)
	var trails []*audit.Trail
	for _, db := range dbs {
		tr := audit.NewTrail(db.Audit(), clock(), discard())
		running(t, tr)
		trails = append(trails, tr)
	}
	var wg sync.WaitGroup
	for i, tr := range trails {
		wg.Go(func() {
			for j := range 30 {
				tr.Record(context.Background(), record(i*100+j))
				if j%7 == 0 {
					flush(t, tr)
				}
			}
			flush(t, tr)
		})
	}
	wg.Wait()
	rep := verify(t, dbs[0].Audit())
	if rep.Break != nil || rep.Records != 60 {
		t.Fatalf("Verify = %+v, break %+v", rep, rep.Break)
	}
}

// flaky fails the first n inserts of the real store underneath, as a
// database that is briefly unreachable.
type flaky struct {
	audit.Store
	n atomic.Int64
}

func (f *flaky) Insert(ctx context.Context, r audit.Record) (bool, error) {
	if f.n.Add(-1) >= 0 {
		return false, errors.New("connection refused")
	}
	return f.Store.Insert(ctx, r)
}

func TestFailedWritesAreRetriedInOrder(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	st := &flaky{Store: storetest.New(t).Audit()}
	st.n.Store(3)
	tr := audit.NewTrail(st, clock(), log)
	running(t, tr)
	ctx := context.Background()
	tr.Record(ctx, record(1))
	tr.Record(ctx, record(2))
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := tr.Write(wctx, record(3)); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, st)
	if rep.Break != nil || rep.Records != 3 {
		t.Fatalf("Verify = %+v, %+v", rep, rep.Break)
	}
	for seq := int64(1); seq <= 3; seq++ {
		if r, _ := st.Get(ctx, seq); r.Target.ID != fmt.Sprintf("INC-2026-%06d", seq) {
			t.Fatalf("record %d is %s", seq, r.Target.ID)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "audit record not stored; retrying"); n != 3 {
		t.Fatalf("logged %d retries, want 3:\n%s", n, logs.String())
	}
}

// TestUnstoredRecordsAreLoggedAtShutdown: a store that never answers loses
// nothing silently: what is left is logged in full.
func TestUnstoredRecordsAreLoggedAtShutdown(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	st := &flaky{Store: storetest.New(t).Audit()}
	st.n.Store(1 << 40)
	tr := audit.NewTrail(st, clock(), log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = tr.Run(ctx); close(done) }()
	tr.Record(context.Background(), record(41))
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "audit record NOT STORED at shutdown") || !strings.Contains(logs.String(), "INC-2026-000041") {
		t.Fatalf("the lost record is not in the log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestRecordIsCut(t *testing.T) {
	long := strings.Repeat("长", 2000)
	r := audit.Record{At: t0.Add(123456 * time.Nanosecond), Note: long + "\x00",
		Changes: make([]audit.Change, 50), Source: audit.Source{UserAgent: long}}
	r.Changes[0] = audit.Change{Field: "description", Before: long, After: "x\xff"}
	n := r.Normalize()
	if len([]rune(n.Note)) != audit.MaxNote || strings.Contains(n.Note, "\x00") || !strings.HasSuffix(n.Note, "…") {
		t.Errorf("note of %d characters", len([]rune(n.Note)))
	}
	if len(n.Changes) != audit.MaxChanges || len([]rune(n.Changes[0].Before)) != audit.MaxValue || n.Changes[0].After != "x\uFFFD" {
		t.Errorf("changes %d, before %d characters, after %q", len(n.Changes), len([]rune(n.Changes[0].Before)), n.Changes[0].After)
	}
	if !n.At.Equal(t0) || n.At.Location() != time.UTC {
		t.Errorf("at %v", n.At)
	}
	if r.ComputeHash() != n.ComputeHash() {
		t.Error("a record and its normal form hash differently")
	}
	other := n
	other.Note = "x"
	if other.ComputeHash() == n.ComputeHash() {
		t.Error("different notes hash the same")
	}
}
