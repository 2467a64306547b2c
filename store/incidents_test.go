package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// t0 is a time with millisecond precision, as the database keeps it.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// fullIncident has every field set.
func fullIncident(number string) *incident.Incident {
	alice := incident.Actor{ID: "u-alice", Name: "Alice", Username: "alice"}
	boss := incident.Actor{ID: "u-boss", Name: "Boss"}
	return &incident.Incident{
		Number:         number,
		Version:        7,
		Title:          "Ransomware on the file server",
		Description:    "Files renamed to *.locked; ransom note in every share.\n勒索软件",
		Category:       incident.MaliciousProgram,
		SuggestedLevel: incident.Serious,
		Level:          incident.Special,
		LevelConfirmed: true,
		Scope:          incident.Global,
		Nature:         incident.MaliciousAttack,
		AffectedAssets: []string{"fs01", "fs02"},
		OccurredAt:     ptr(at(-30)),
		AckedAt:        ptr(at(-25)),
		AckedBy:        &alice,
		Drill:          true,
		Restricted:     true,
		Source:         "api",
		Reporter:       alice,
		Participants:   []string{"u-bob", "u-carol"},
		Stage:          incident.Closed,
		StageEnteredAt: map[incident.Stage]time.Time{
			incident.Receive: at(0), incident.Confirm: at(5), incident.Plan: at(10),
			incident.Dispatch: at(15), incident.Handle: at(20), incident.Review: at(60), incident.Closed: at(90),
		},
		CreatedAt:      at(0),
		UpdatedAt:      at(90),
		DedupKey:       "edr:fs01:ransom",
		Occurrences:    3,
		IdempotencyKey: "u-alice:req-1",
		RequestHash:    "sha256:abc",
		OccurrenceKeys: []string{"u-bob:req-9", "u-carol:req-3"},
		AssessmentNote: "confirmed by EDR",
		Plan: incident.ResponsePlan{
			Measures:   "isolate, restore from backup",
			ApprovedBy: &boss,
			ApprovedAt: ptr(at(12)),
			Runbooks: []incident.RunbookUse{{ID: "ransomware", Version: 3, Title: "Ransomware", TitleZH: "勒索软件", By: alice, At: at(10),
				Steps: []incident.TaskSpec{{Step: "isolate", Title: "Isolate", TitleZH: "隔离", Detail: "pull the cable", DetailZH: "拔网线",
					Stage: incident.Handle, Phase: incident.PhaseIsolate, Role: "terminal_engineer", Team: "desk", Required: true,
					Expected: 30 * time.Minute, EvidenceHint: "photo", EvidenceHintZH: "照片"}},
				Contacts: []incident.PlanContact{{Name: "Police", NameZH: "公安", Kind: "police", Phone: "110", Email: "a@b.cn", When: "at once", WhenZH: "立即"}},
				Rules:    []incident.PlanRule{{Audience: "CAC", AudienceZH: "网信办", When: "after confirming", WhenZH: "确认后", Within: time.Hour, Owner: "coordinator", Required: true}},
			}},
			Approval: incident.ApprovalApproved, Round: 2, SubmittedBy: &alice, SubmittedAt: ptr(at(11)),
			DecidedBy: &boss, DecidedAt: ptr(at(12)), Comment: "ok now",
		},
		Assignees: []incident.Assignee{{Kind: "team", Name: "SOC", ID: "soc"}, {Kind: "vendor", Name: "DFIR Inc", ID: "DFIR Inc", Contact: "400-000"}},
		TaskSeq:   3,
		Tasks: []incident.Task{
			{ID: "t1", TaskSpec: incident.TaskSpec{Step: "isolate", Title: "Isolate fs01", TitleZH: "隔离", Stage: incident.Handle, Phase: incident.PhaseIsolate,
				Required: true, Expected: time.Hour, EvidenceHint: "photo"}, Runbook: "ransomware@3", Status: incident.TaskDone,
				Assignee: "bob", AssigneeKind: incident.AssignPerson, AssigneeName: "Bob", AssignedBy: &alice, AssignedAt: ptr(at(15)),
				DueAt: ptr(at(75)), Round: 2, Response: incident.ResponseAccepted, RespondedAt: ptr(at(16)),
				Declined:  &incident.Decline{By: boss, Reason: "on leave", At: at(14)},
				StartedAt: ptr(at(17)), FinishedAt: ptr(at(40)), Result: "isolated", Reason: "",
				Evidence: []incident.Evidence{{ID: "0123456789abcdef01234567", Name: "photo.png", ContentType: "image/png", Size: 42, SHA256: "ab", By: alice, At: at(40)}}},
			{ID: "t3", TaskSpec: incident.TaskSpec{Title: "Notify regulator", Stage: incident.Handle}, Status: incident.TaskWaived, Reason: "not needed",
				Assignee: "DFIR Inc", AssigneeKind: incident.AssignVendor, AssigneeName: "DFIR Inc", Contact: "400-000"},
		},
		Review: incident.ReviewReport{
			Summary: "restored", RootCause: "phishing", Lessons: "MFA everywhere",
			SignedOffBy: &boss, SignedOffAt: ptr(at(90)),
			Impact:   incident.Impact{Systems: "mail", Data: "none", People: "3 staff", Duration: "4h"},
			WentWell: "fast isolation", WentBadly: "late page",
			Actions: []incident.CorrectiveAction{
				{ID: "a1", Title: "Enforce MFA", Owner: "alice", Due: at(2000), Status: incident.ActionDone, Note: "rolled out", DoneAt: ptr(at(1500))},
				{ID: "a2", Title: "Phishing drill", Owner: "bob", Due: at(3000), Status: incident.ActionOpen},
			},
			ActionSeq: 2, Returns: 1, DraftedAt: ptr(at(60)),
			Returned: &incident.ReviewReturn{By: boss, At: at(80), Comment: "say more on impact"},
		},
		Rejection: incident.Rejection{Reason: incident.Duplicate, Note: "odd but kept", DuplicateOf: "INC-2026-000001"},
		Timeline: []incident.Entry{
			{At: at(0), Actor: alice, Kind: incident.EntryReported, To: "receive", Note: "reported via api"},
			{At: at(5), Actor: boss, Kind: incident.EntryStage, From: "receive", To: "confirm", Reason: "real",
				Changes: []incident.FieldChange{{Field: "level", Before: "serious", After: "special"}, {Field: "scope", Before: "", After: "global"}}},
			{At: at(40), Actor: alice, Kind: incident.EntryTaskStatus, From: "in_progress", To: "done", Note: "isolated", Task: "t1"},
		},
	}
}

// newIncident is a minimal open incident.
func newIncident(number, title string) *incident.Incident {
	return &incident.Incident{
		Number: number, Version: 1, Title: title, Description: "description of " + title,
		Level: incident.Serious, Stage: incident.Receive, Reporter: incident.Actor{ID: "u-rep", Name: "Rep"},
		StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: t0},
		CreatedAt:      t0, UpdatedAt: t0, Occurrences: 1,
	}
}

func mustInsert(t *testing.T, st *store.Incidents, inc *incident.Incident) *incident.Incident {
	t.Helper()
	if err := st.Insert(context.Background(), inc); err != nil {
		t.Fatalf("insert %s: %v", inc.Number, err)
	}
	return inc
}

func TestIncidentRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	in := fullIncident("INC-2026-000042")
	mustInsert(t, st, in)
	if len(in.ID) != 24 {
		t.Fatalf("Insert set ID %q, want 24 hex digits", in.ID)
	}
	for _, ref := range []string{in.ID, in.Number} {
		got, err := st.Get(ctx, ref)
		if err != nil {
			t.Fatalf("Get(%s): %v", ref, err)
		}
		if !reflect.DeepEqual(got, in) {
			t.Errorf("Get(%s) =\n%+v\nwant\n%+v", ref, got, in)
		}
	}
	for _, ref := range []string{"INC-2026-999999", "0123456789abcdef01234567"} {
		if _, err := st.Get(ctx, ref); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("Get(%s) = %v, want ErrNotFound", ref, err)
		}
	}
}

func TestIncidentTimesAreUTC(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	local := time.FixedZone("CST", 8*3600)
	in := newIncident("INC-2026-000001", "zones")
	in.CreatedAt = t0.In(local)
	in.OccurredAt = ptr(t0.In(local))
	mustInsert(t, st, in)
	got, err := st.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt != t0 || *got.OccurredAt != t0 {
		t.Errorf("times = %v, %v; want %v in UTC", got.CreatedAt, *got.OccurredAt, t0)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	inc := mustInsert(t, st, newIncident("INC-2026-000001", "one"))

	next := inc.Clone()
	next.Version = 2
	next.Title = "one, renamed"
	if err := st.Update(ctx, next, 1); err != nil {
		t.Fatalf("Update at the right version: %v", err)
	}
	got, err := st.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "one, renamed" || got.Version != 2 {
		t.Errorf("after Update: title %q version %d", got.Title, got.Version)
	}

	stale := inc.Clone()
	stale.Version = 2
	if err := st.Update(ctx, stale, 1); !errors.Is(err, incident.ErrConflict) {
		t.Errorf("Update with a stale version = %v, want ErrConflict", err)
	}

	gone := inc.Clone()
	gone.ID = "0123456789abcdef01234567"
	if err := st.Update(ctx, gone, 1); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Update of an unknown id = %v, want ErrNotFound", err)
	}
	gone.ID = "not-an-id"
	if err := st.Update(ctx, gone, 1); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Update of a malformed id = %v, want ErrNotFound", err)
	}
}

func TestConcurrentUpdatesOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	inc := mustInsert(t, st, newIncident("INC-2026-000001", "contested"))

	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			next := inc.Clone()
			next.Version = 2
			next.AssessmentNote = fmt.Sprintf("writer %d", i)
			errs[i] = st.Update(ctx, next, 1)
		})
	}
	wg.Wait()
	wins, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, incident.ErrConflict):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 || conflicts != n-1 {
		t.Errorf("%d successes and %d conflicts, want 1 and %d", wins, conflicts, n-1)
	}
}

func TestNextNumberConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	const n = 50
	got := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = st.NextNumber(ctx, 2026) })
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("NextNumber: %v", err)
		}
		seen[got[i]] = true
	}
	for want := int64(1); want <= n; want++ {
		if !seen[want] {
			t.Errorf("number %d was not handed out (got %v)", want, got)
		}
	}
	if next, err := st.NextNumber(ctx, 2027); err != nil || next != 1 {
		t.Errorf("first number of another year = %d, %v; want 1", next, err)
	}
}

func TestInsertDuplicateKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()

	a := newIncident("INC-2026-000001", "a")
	a.IdempotencyKey = "k1"
	mustInsert(t, st, a)
	b := newIncident("INC-2026-000002", "b")
	b.IdempotencyKey = "k1"
	if err := st.Insert(ctx, b); !errors.Is(err, incident.ErrDuplicateKey) {
		t.Errorf("Insert with a taken idempotency key = %v, want ErrDuplicateKey", err)
	}
	if b.ID != "" {
		t.Errorf("failed Insert set ID %q", b.ID)
	}
	// Incidents without keys do not collide with each other.
	mustInsert(t, st, newIncident("INC-2026-000003", "c"))
	mustInsert(t, st, newIncident("INC-2026-000004", "d"))

	c := newIncident("INC-2026-000001", "same number")
	if err := st.Insert(ctx, c); err == nil || errors.Is(err, incident.ErrDuplicateKey) {
		t.Errorf("Insert with a taken number = %v, want a plain error", err)
	}
}

func TestOpenDedupKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()

	first := newIncident("INC-2026-000001", "first")
	first.DedupKey = "scanner:10.0.0.1"
	mustInsert(t, st, first)
	second := newIncident("INC-2026-000002", "second")
	second.DedupKey = "scanner:10.0.0.1"
	if err := st.Insert(ctx, second); !errors.Is(err, incident.ErrDuplicateKey) {
		t.Fatalf("second open incident with the key = %v, want ErrDuplicateKey", err)
	}
	found, err := st.FindOpenByDedupKey(ctx, "scanner:10.0.0.1")
	if err != nil || found.ID != first.ID {
		t.Fatalf("FindOpenByDedupKey = %v, %v; want %s", found, err, first.Number)
	}

	closed := first.Clone()
	closed.Version = 2
	closed.Stage = incident.Closed
	if err := st.Update(ctx, closed, 1); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := st.FindOpenByDedupKey(ctx, "scanner:10.0.0.1"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("FindOpenByDedupKey after closing = %v, want ErrNotFound", err)
	}
	mustInsert(t, st, second) // the key is free again
	got, err := st.Get(ctx, first.ID)
	if err != nil || got.DedupKey != "scanner:10.0.0.1" {
		t.Errorf("a closed incident keeps its dedup key: %+v, %v", got, err)
	}

	// Reopening the first would make two open incidents with the key.
	reopened := closed.Clone()
	reopened.Version = 3
	reopened.Stage = incident.Review
	if err := st.Update(ctx, reopened, 2); !errors.Is(err, incident.ErrDuplicateKey) {
		t.Errorf("reopening onto a taken dedup key = %v, want ErrDuplicateKey", err)
	}
}

func TestFindByIdempotencyKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	inc := newIncident("INC-2026-000001", "keyed")
	inc.IdempotencyKey = "u1:create"
	inc.OccurrenceKeys = []string{"u2:again", "u3:again"}
	mustInsert(t, st, inc)
	mustInsert(t, st, newIncident("INC-2026-000002", "other"))

	for _, key := range []string{"u1:create", "u3:again"} {
		got, err := st.FindByIdempotencyKey(ctx, key)
		if err != nil || got.ID != inc.ID {
			t.Errorf("FindByIdempotencyKey(%s) = %v, %v; want %s", key, got, err, inc.Number)
		}
	}
	if _, err := st.FindByIdempotencyKey(ctx, "u4:never"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("unknown key: %v, want ErrNotFound", err)
	}
}
