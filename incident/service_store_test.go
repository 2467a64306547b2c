package incident_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// These tests run the Service against the real store (the embedded server,
// or TOCSIN_TEST_MONGO_URI), where races between concurrent requests are
// decided by the database.

var reporter = incident.Actor{ID: "u-rep", Name: "Reporter"}

func newService(t *testing.T) *incident.Service {
	t.Helper()
	return incident.NewService(storetest.New(t).Incidents(), func() time.Time { return time.Now().UTC() })
}

func report(title string) incident.ReportInput {
	return incident.ReportInput{Title: title, Description: "what happened to " + title, Source: "api"}
}

// concurrently runs f(i) for i in [0, n) at once and returns the errors.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestConcurrentReportsGetDistinctNumbers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	const n = 50
	numbers := make([]string, n)
	errs := concurrently(n, func(i int) error {
		res, err := svc.Report(ctx, report(fmt.Sprint("report ", i)), reporter)
		if err == nil {
			numbers[i] = res.Incident.Number
		}
		return err
	})
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		if seen[numbers[i]] {
			t.Errorf("number %s given twice", numbers[i])
		}
		seen[numbers[i]] = true
	}
	year := time.Now().UTC().Year()
	for seq := int64(1); seq <= n; seq++ {
		if num := incident.FormatNumber(year, seq); !seen[num] {
			t.Errorf("%s missing: numbers should be 1..%d without gaps", num, n)
		}
	}
}

func TestConcurrentTransitionsOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	res, err := svc.Report(ctx, report("contested"), reporter)
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	const n = 20
	errs := concurrently(n, func(i int) error {
		_, err := svc.Transition(ctx, inc.Number, incident.TransitionInput{
			To: incident.Confirm, Version: inc.Version,
			Level: incident.Serious, Category: incident.CyberAttack, Scope: incident.Local,
			AssessmentNote: fmt.Sprint("assessment ", i),
		}, incident.Actor{ID: fmt.Sprint("u-", i)})
		return err
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, incident.ErrConflict):
			t.Errorf("a losing transition failed with %v, want ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d transitions succeeded, want exactly 1", wins)
	}
	got, err := svc.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage != incident.Confirm || got.Version != inc.Version+1 || len(got.Timeline) != 2 {
		t.Errorf("after the race: stage %s, version %d, %d timeline entries; want confirm, %d, 2",
			got.Stage, got.Version, len(got.Timeline), inc.Version+1)
	}
}

func TestReportIdempotency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	in := report("retried")
	in.IdempotencyKey, in.RequestHash = "u-rep:req-1", "hash-1"

	first, err := svc.Report(ctx, in, reporter)
	if err != nil || first.Outcome != incident.Created {
		t.Fatalf("first report: %+v, %v", first, err)
	}
	again, err := svc.Report(ctx, in, reporter)
	if err != nil || again.Outcome != incident.Replayed || again.Incident.ID != first.Incident.ID {
		t.Errorf("same key again: %+v, %v; want Replayed %s", again, err, first.Incident.Number)
	}
	other := in
	other.Title, other.RequestHash = "something else", "hash-2"
	if _, err := svc.Report(ctx, other, reporter); !errors.Is(err, incident.ErrIdempotencyMismatch) {
		t.Errorf("same key, different request = %v, want ErrIdempotencyMismatch", err)
	}
}

func TestConcurrentReportsSameIdempotencyKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	in := report("double-clicked")
	in.IdempotencyKey, in.RequestHash = "u-rep:req-7", "hash-7"
	const n = 10
	ids := make([]string, n)
	errs := concurrently(n, func(i int) error {
		res, err := svc.Report(ctx, in, reporter)
		if err == nil {
			ids[i] = res.Incident.ID
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Errorf("report %d got incident %s, report 0 got %s", i, ids[i], ids[0])
		}
	}
	page, err := svc.List(ctx, incident.ListFilter{})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("%d incidents stored, want 1 (%v)", len(page.Items), err)
	}
}

func TestReportDedup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	in := report("port scan from 10.0.0.9")
	in.DedupKey = "ids:scan:10.0.0.9"

	first, err := svc.Report(ctx, in, reporter)
	if err != nil || first.Outcome != incident.Created {
		t.Fatalf("first report: %+v, %v", first, err)
	}
	in.IdempotencyKey = "u-ids:alert-2"
	second, err := svc.Report(ctx, in, reporter)
	if err != nil || second.Outcome != incident.Attached {
		t.Fatalf("second report: %+v, %v; want Attached", second, err)
	}
	got, err := svc.Get(ctx, first.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := got.Timeline[len(got.Timeline)-1]
	if got.Occurrences != 2 || last.Kind != incident.EntryOccurrence {
		t.Errorf("after a repeat: %d occurrences, last entry %s; want 2 and an occurrence entry", got.Occurrences, last.Kind)
	}
	// The attached report's key finds the incident on a retry.
	replay, err := svc.Report(ctx, in, reporter)
	if err != nil || replay.Outcome != incident.Replayed || replay.Incident.ID != got.ID {
		t.Errorf("retry of the attached report: %+v, %v; want Replayed", replay, err)
	}
}

// TestConcurrentReportsSameDedupKey is a burst of alerts for one thing. Each
// round of attaching lets exactly one of the racing reports through (the
// others lose on the version), so Report must be prepared to try about as
// many times as there are concurrent reports.
func TestConcurrentReportsSameDedupKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	in := report("flood of alerts")
	in.DedupKey = "edr:host-7:beacon"
	const n = 50
	ids := make([]string, n)
	errs := concurrently(n, func(i int) error {
		res, err := svc.Report(ctx, in, reporter)
		if err == nil {
			ids[i] = res.Incident.ID
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Errorf("report %d went to %s, report 0 to %s", i, ids[i], ids[0])
		}
	}
	got, err := svc.Get(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Occurrences != n {
		t.Errorf("%d occurrences, want %d", got.Occurrences, n)
	}
}

func TestDedupKeyFreedByRejection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	in := report("suspicious login")
	in.DedupKey = "idp:login:bob"
	first, err := svc.Report(ctx, in, reporter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, first.Incident.ID, incident.TransitionInput{
		To: incident.Rejected, Version: first.Incident.Version,
		RejectReason: incident.FalsePositive, RejectNote: "bob on holiday VPN",
	}, reporter); err != nil {
		t.Fatalf("reject: %v", err)
	}
	next, err := svc.Report(ctx, in, reporter)
	if err != nil || next.Outcome != incident.Created || next.Incident.ID == first.Incident.ID {
		t.Errorf("report after rejection: %+v, %v; want a new incident", next, err)
	}
}

func TestRejectAsDuplicateMerges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	orig, err := svc.Report(ctx, report("malware on laptop 12"), reporter)
	if err != nil {
		t.Fatal(err)
	}
	dupIn := report("laptop 12 acting weird")
	dupIn.DedupKey = "helpdesk:laptop-12"
	dup, err := svc.Report(ctx, dupIn, reporter)
	if err != nil {
		t.Fatal(err)
	}
	dupIn.IdempotencyKey = "helpdesk:ticket-2" // a second report of the duplicate
	if res, err := svc.Report(ctx, dupIn, reporter); err != nil || res.Outcome != incident.Attached {
		t.Fatalf("second report of the duplicate: %+v, %v", res, err)
	}
	dupNow, err := svc.Get(ctx, dup.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}

	rejected, err := svc.Transition(ctx, dup.Incident.Number, incident.TransitionInput{
		To: incident.Rejected, Version: dupNow.Version,
		RejectReason: incident.Duplicate, DuplicateOf: orig.Incident.Number,
	}, reporter)
	if err != nil {
		t.Fatalf("reject as duplicate: %v", err)
	}
	if rejected.Rejection.DuplicateOf != orig.Incident.Number {
		t.Errorf("rejection names %q, want %s", rejected.Rejection.DuplicateOf, orig.Incident.Number)
	}
	got, err := svc.Get(ctx, orig.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := got.Timeline[len(got.Timeline)-1]
	if got.Occurrences != 3 || last.Kind != incident.EntryMerged {
		t.Errorf("original after merge: %d occurrences, last entry %s; want 3 and a merged entry", got.Occurrences, last.Kind)
	}
	// The duplicate no longer holds its dedup key.
	res, err := svc.Report(ctx, dupIn, reporter)
	if err != nil || res.Outcome != incident.Replayed {
		t.Errorf("retry of an old report: %+v, %v; want Replayed", res, err)
	}
	dupIn.IdempotencyKey = ""
	if res, err := svc.Report(ctx, dupIn, reporter); err != nil || res.Outcome != incident.Created {
		t.Errorf("new report with the duplicate's dedup key: %+v, %v; want Created", res, err)
	}
}

// Retries of one report that carries both an idempotency key and a dedup key
// count once, however they interleave.
func TestConcurrentRetriesOfAnAttachedReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	first := report("IDS: SMB brute force")
	first.DedupKey = "ids:smb:10.2.3.4"
	if _, err := svc.Report(ctx, first, reporter); err != nil {
		t.Fatal(err)
	}
	retry := first
	retry.IdempotencyKey, retry.RequestHash = "siem:evt-9", "h"
	results := make([]incident.ReportResult, 12)
	errs := concurrently(len(results), func(i int) (err error) {
		results[i], err = svc.Report(ctx, retry, reporter)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		if results[i].Incident.Number != results[0].Incident.Number {
			t.Fatalf("retry %d landed on %s, not %s", i, results[i].Incident.Number, results[0].Incident.Number)
		}
	}
	got, err := svc.Get(ctx, results[0].Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Occurrences != 2 {
		t.Fatalf("%d occurrences after 12 copies of one retried report, want 2", got.Occurrences)
	}
}

func TestAcknowledgeAndRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newService(t)
	res, err := svc.Report(ctx, report("beaconing host"), reporter)
	if err != nil {
		t.Fatal(err)
	}
	onCall := incident.Actor{ID: "u-li", Name: "Li Na"}
	acked, err := svc.Acknowledge(ctx, res.Incident.Number, onCall)
	if err != nil {
		t.Fatal(err)
	}
	if acked.AckedAt == nil || *acked.AckedBy != onCall || acked.Timeline[len(acked.Timeline)-1].Kind != incident.EntryAck {
		t.Fatalf("after ack: %+v", acked)
	}
	if _, err := svc.Acknowledge(ctx, res.Incident.ID, reporter); !errors.Is(err, incident.ErrAlreadyAcked) {
		t.Fatalf("second ack: %v", err)
	}
	// Concurrent system records never lose one another.
	errs := concurrently(10, func(i int) error {
		_, err := svc.Record(ctx, res.Incident.ID, incident.Entry{At: time.Now().UTC(), Actor: incident.System,
			Kind: incident.EntryEscalation, Note: fmt.Sprint("page ", i)})
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := svc.Get(ctx, res.Incident.ID)
	n := 0
	for _, e := range got.Timeline {
		if e.Kind == incident.EntryEscalation {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("%d escalation entries, want 10", n)
	}
	// People paged join the incident once each, and the lists narrowed to
	// what they may see find it.
	for range 2 {
		if _, err := svc.Record(ctx, res.Incident.ID, incident.Entry{Actor: incident.System, Kind: incident.EntryEscalation}, "zhao", "qian"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = svc.Get(ctx, res.Incident.ID)
	if want := []string{"u-li", "zhao", "qian"}; !slices.Equal(got.Participants, want) {
		t.Fatalf("participants %v, want %v", got.Participants, want)
	}
	page, err := svc.List(ctx, incident.ListFilter{Audience: &incident.Audience{Names: []string{"qian"}}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list for qian: %+v %v", page.Items, err)
	}
}
