package escalation

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

var created = time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)

func policy(t *testing.T, l incident.Level) Policy {
	t.Helper()
	p, err := PolicyFor(DefaultPolicies(), l)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fresh() PlanInput {
	return PlanInput{IncidentID: "665f1c", Number: "INC-2026-000042", Level: incident.Serious, Stage: incident.Receive,
		CreatedAt: created, StageEnteredAt: map[incident.Stage]time.Time{incident.Receive: created}}
}

func after(d string) time.Time {
	v, err := ParseDuration(d)
	if err != nil {
		panic(err)
	}
	return created.Add(v.Std())
}

// brief is a timer reduced to what the tables compare.
type brief struct {
	Key  string
	Due  time.Time
	Step int
}

func briefs(ts []Timer) []brief {
	out := make([]brief, len(ts))
	for i, t := range ts {
		out[i] = brief{t.Key, t.DueAt, t.Step}
	}
	return out
}

func TestPlan(t *testing.T) {
	const k = "INC-2026-000042/serious/"
	acked := fresh()
	ackAt := after("10m")
	acked.AckedAt = &ackAt

	pastConfirm := fresh()
	pastConfirm.Stage = incident.Plan
	pastConfirm.StageEnteredAt[incident.Confirm] = after("20m")
	pastConfirm.StageEnteredAt[incident.Plan] = after("25m")

	unrecorded := fresh()
	unrecorded.Stage = incident.Dispatch

	closed := fresh()
	closed.Stage = incident.Closed
	rejected := fresh()
	rejected.Stage = incident.Rejected

	handled := fresh()
	handled.Stage = incident.Plan // went back from review to re-plan
	handled.AckedAt = &ackAt
	for s, d := range map[incident.Stage]string{incident.Confirm: "20m", incident.Plan: "25m", incident.Dispatch: "1h", incident.Handle: "2h", incident.Review: "20h"} {
		handled.StageEnteredAt[s] = after(d)
	}

	tests := []struct {
		name string
		in   PlanInput
		want []brief
	}{
		{"fresh: the chain from step 1 at once, and every deadline", fresh(), []brief{
			{k + "ack/step1/r0/20260321T090000Z", after("0s"), 1},
			{k + "ack/step1/r1/20260321T091500Z", after("15m"), 1},
			{k + "ack/step2/r0/20260321T093000Z", after("30m"), 2},
			// the chain reached step 2 when confirm fell due: step 3 hears of the miss
			{k + "deadline/confirm/step3/20260321T093000Z", after("30m"), 3},
			{k + "ack/step3/r0/20260321T094500Z", after("45m"), 3},
			{k + "ack/step4/r0/20260321T100000Z", after("1h"), 4},
			{k + "deadline/dispatch/step4/20260321T110000Z", after("2h"), 4},
			{k + "deadline/handle/step4/20260324T090000Z", after("72h"), 4},
		}},
		{"acknowledged at 10m: no chain; misses go to step 2", acked, []brief{
			{k + "deadline/confirm/step2/20260321T093000Z", after("30m"), 2},
			{k + "deadline/dispatch/step2/20260321T110000Z", after("2h"), 2},
			{k + "deadline/handle/step2/20260324T090000Z", after("72h"), 2},
		}},
		{"past confirm: confirming acknowledged it; confirm met", pastConfirm, []brief{
			{k + "deadline/dispatch/step2/20260321T110000Z", after("2h"), 2},
			{k + "deadline/handle/step2/20260324T090000Z", after("72h"), 2},
		}},
		{"at dispatch with no stage times", unrecorded, []brief{
			{k + "deadline/handle/step2/20260324T090000Z", after("72h"), 2},
		}},
		{"back from review: handling was finished once", handled, nil},
		{"closed", closed, nil},
		{"rejected", rejected, nil},
	}
	p := policy(t, incident.Serious)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(tt.in, p)
			if !reflect.DeepEqual(briefs(got), tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Fatalf("Plan =\n%s\nwant\n%s", show(briefs(got)), show(tt.want))
			}
			for _, tm := range got {
				if tm.Incident != "INC-2026-000042" || tm.Level != incident.Serious {
					t.Errorf("%s: incident %q level %q", tm.Key, tm.Incident, tm.Level)
				}
				switch tm.Kind {
				case TimerAckStep:
					if tm.Deadline != "" || tm.Stage != "" {
						t.Errorf("%s: ack timer with a deadline", tm.Key)
					}
				case TimerDeadline:
					if tm.Stage != tm.Deadline.Stage() || tm.Stage == "" {
						t.Errorf("%s: deadline %q for stage %q", tm.Key, tm.Deadline, tm.Stage)
					}
				default:
					t.Errorf("%s: kind %q", tm.Key, tm.Kind)
				}
			}
		})
	}
	if DeadlineHandle.Stage() != incident.Review {
		t.Error("handling is finished on reaching review")
	}
}

func show(bs []brief) string {
	var b strings.Builder
	for _, x := range bs {
		b.WriteString("  " + x.Key + " " + x.Due.Format(time.RFC3339) + "\n")
	}
	return b.String()
}

// TestPlanRepeatsAndDelays: repeats of a step come its delay apart, an
// explicit delay overrides the Ack deadline, and keys stay unique.
func TestPlanRepeatsAndDelays(t *testing.T) {
	p := Policy{Level: incident.Ordinary,
		Steps:     []Step{{Target: Target{Kind: TargetOnCall, Team: "a"}, Repeat: 2, Delay: Duration(10 * time.Minute)}, {Target: Target{Kind: TargetLead, Team: "a"}}},
		Deadlines: Deadlines{Ack: Duration(time.Hour), Confirm: Duration(2 * time.Hour), Dispatch: Duration(3 * time.Hour), Handle: Duration(4 * time.Hour)}}
	var got []string
	seen := map[string]bool{}
	for _, tm := range Plan(fresh(), p) {
		if seen[tm.Key] {
			t.Errorf("duplicate key %s", tm.Key)
		}
		seen[tm.Key] = true
		if tm.Kind == TimerAckStep {
			got = append(got, tm.DueAt.Sub(created).String())
		}
	}
	if want := []string{"0s", "10m0s", "20m0s", "30m0s"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pages at %v, want %v", got, want)
	}
}

// TestDiffAfterLevelChange: upgrading serious to special re-plans every
// timer under the special policy; the old ones are cancelled, and page keys,
// which do not carry the level, keep people already paged from being paged
// again for the same step.
func TestDiffAfterLevelChange(t *testing.T) {
	in := fresh()
	old := Plan(in, policy(t, incident.Serious))
	in.Level = incident.Special
	next, err := PlanFor(in, DefaultPolicies())
	if err != nil {
		t.Fatal(err)
	}
	add, cancel := Diff(old, next)
	if !reflect.DeepEqual(add, next) || !reflect.DeepEqual(cancel, old) {
		t.Fatalf("Diff: add %d of %d, cancel %d of %d", len(add), len(next), len(cancel), len(old))
	}
	want := []string{
		"INC-2026-000042/special/ack/step1/r0/20260321T090000Z",
		"INC-2026-000042/special/ack/step2/r0/20260321T090500Z",
		"INC-2026-000042/special/ack/step3/r0/20260321T091000Z",
		"INC-2026-000042/special/ack/step4/r0/20260321T091500Z",
		"INC-2026-000042/special/deadline/confirm/step4/20260321T091500Z",
		"INC-2026-000042/special/ack/step4/r1/20260321T092000Z",
		"INC-2026-000042/special/ack/step4/r2/20260321T092500Z",
		"INC-2026-000042/special/deadline/dispatch/step4/20260321T093000Z",
		"INC-2026-000042/special/deadline/handle/step4/20260322T090000Z",
	}
	var keys []string
	for _, tm := range next {
		keys = append(keys, tm.Key)
	}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("special plan keys =\n%s\nwant\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	if old[0].PageKey("alice") != next[0].PageKey("alice") {
		t.Errorf("step 1 page key changed with the level: %s vs %s", old[0].PageKey("alice"), next[0].PageKey("alice"))
	}

	// Same level, same plan: nothing to do.
	if add, cancel := Diff(next, Plan(in, policy(t, incident.Special))); add != nil || cancel != nil {
		t.Fatalf("re-plan without change: add %v cancel %v", add, cancel)
	}
}

// TestDiffAfterAck: acknowledging cancels the pending chain and re-aims the
// deadlines at the step after the acknowledged one.
func TestDiffAfterAck(t *testing.T) {
	p := policy(t, incident.Serious)
	in := fresh()
	old := Plan(in, p)
	ack := after("20m")
	in.AckedAt = &ack
	add, cancel := Diff(old, Plan(in, p))
	var cancelled, added []string
	for _, tm := range cancel {
		cancelled = append(cancelled, strings.TrimPrefix(tm.Key, "INC-2026-000042/serious/"))
	}
	for _, tm := range add {
		added = append(added, strings.TrimPrefix(tm.Key, "INC-2026-000042/serious/"))
	}
	wantCancel := []string{
		"ack/step1/r0/20260321T090000Z", "ack/step1/r1/20260321T091500Z", "ack/step2/r0/20260321T093000Z",
		"deadline/confirm/step3/20260321T093000Z", "ack/step3/r0/20260321T094500Z", "ack/step4/r0/20260321T100000Z",
		"deadline/dispatch/step4/20260321T110000Z", "deadline/handle/step4/20260324T090000Z",
	}
	wantAdd := []string{"deadline/confirm/step2/20260321T093000Z", "deadline/dispatch/step2/20260321T110000Z", "deadline/handle/step2/20260324T090000Z"}
	if !reflect.DeepEqual(cancelled, wantCancel) || !reflect.DeepEqual(added, wantAdd) {
		t.Fatalf("Diff after ack:\ncancel %v\nadd %v", cancelled, added)
	}
}

// TestDiffAfterPolicyEdit: editing one duration moves only the timers it
// affects, because keys carry the due time.
func TestDiffAfterPolicyEdit(t *testing.T) {
	p := policy(t, incident.Serious)
	old := Plan(fresh(), p)
	p.Deadlines.Handle = Duration(96 * time.Hour)
	add, cancel := Diff(old, Plan(fresh(), p))
	if len(add) != 1 || len(cancel) != 1 || add[0].Deadline != DeadlineHandle || !add[0].DueAt.Equal(after("96h")) || cancel[0].Deadline != DeadlineHandle {
		t.Fatalf("Diff after editing handle: add %v cancel %v", briefs(add), briefs(cancel))
	}
}

func TestPlanForUnknownLevel(t *testing.T) {
	in := fresh()
	in.Level = "urgent"
	if _, err := PlanFor(in, DefaultPolicies()); !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("PlanFor: %v", err)
	}
}

func TestPlanKeysWithoutNumber(t *testing.T) {
	in := fresh()
	in.Number = ""
	in.IncidentID = "a/b"
	for _, tm := range Plan(in, policy(t, incident.Ordinary)) {
		if !strings.HasPrefix(tm.Key, "a%2Fb/ordinary/") || tm.Incident != "a/b" {
			t.Fatalf("key %q, incident %q", tm.Key, tm.Incident)
		}
	}
}

// TestPageKey pins the key format: a change here sends duplicate pages
// for every incident open during an upgrade.
func TestPageKey(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{PageKey("INC-2026-000042", 2, 1, "alice"), "INC-2026-000042/step2/r1/alice"},
		{PageKey("INC-2026-000042", 1, 0, "u/1"), "INC-2026-000042/step1/r0/u%2F1"},
		{PageKey("a%2Fb", 1, 0, "x"), "a%252Fb/step1/r0/x"},
		{Timer{Incident: "INC-2026-000042", Kind: TimerAckStep, Step: 3, Repeat: 0}.PageKey("sam"), "INC-2026-000042/step3/r0/sam"},
		{Timer{Incident: "INC-2026-000042", Kind: TimerDeadline, Step: 3, Deadline: DeadlineConfirm}.PageKey("sam"), "INC-2026-000042/deadline/confirm/sam"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("key %q, want %q", tt.got, tt.want)
		}
	}
	if PageKey("a/b", 1, 0, "c") == PageKey("a", 1, 0, "b/c") {
		t.Error("escaping lets two inputs share a key")
	}
}
