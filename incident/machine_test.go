package incident

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestClassifyEveryPair checks the machine for every (from, to) pair of
// stages: the allowed moves are exactly those listed here.
func TestClassifyEveryPair(t *testing.T) {
	allowed := map[[2]Stage]Move{
		{Receive, Confirm}: MoveForward, {Confirm, Plan}: MoveForward, {Plan, Dispatch}: MoveForward,
		{Dispatch, Handle}: MoveForward, {Handle, Review}: MoveForward, {Review, Closed}: MoveForward,

		{Confirm, Receive}: MoveBack,
		{Plan, Receive}:    MoveBack, {Plan, Confirm}: MoveBack,
		{Dispatch, Receive}: MoveBack, {Dispatch, Confirm}: MoveBack, {Dispatch, Plan}: MoveBack,
		{Handle, Receive}: MoveBack, {Handle, Confirm}: MoveBack, {Handle, Plan}: MoveBack, {Handle, Dispatch}: MoveBack,
		{Review, Receive}: MoveBack, {Review, Confirm}: MoveBack, {Review, Plan}: MoveBack, {Review, Dispatch}: MoveBack, {Review, Handle}: MoveBack,

		{Receive, Rejected}: MoveReject, {Confirm, Rejected}: MoveReject,
		{Rejected, Receive}: MoveReopen, {Closed, Review}: MoveReopen,
	}
	all := append(Stages(), StageInfo{Stage: "bogus"}, StageInfo{Stage: ""})
	checked := 0
	for _, from := range all {
		for _, to := range all {
			want, ok := allowed[[2]Stage{from.Stage, to.Stage}]
			got, gotOK := Classify(from.Stage, to.Stage)
			if gotOK != ok || (ok && got != want) {
				t.Errorf("Classify(%q, %q) = %q, %v; want %q, %v", from.Stage, to.Stage, got, gotOK, want, ok)
			}
			checked++
		}
	}
	if checked != 100 {
		t.Fatalf("checked %d pairs, want 100", checked)
	}
}

func TestStageOrder(t *testing.T) {
	var got []Stage
	for s := Receive; s != ""; s = s.Next() {
		got = append(got, s)
	}
	want := []Stage{Receive, Confirm, Plan, Dispatch, Handle, Review, Closed}
	if !slices.Equal(got, want) {
		t.Fatalf("flow = %v, want %v", got, want)
	}
	for _, s := range want[:6] {
		if !s.Open() {
			t.Errorf("%s should be open", s)
		}
	}
	if Closed.Open() || Rejected.Open() || Stage("x").Open() {
		t.Error("closed, rejected and unknown stages are not open")
	}
}

var now = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

func at(stage Stage) *Incident {
	return &Incident{ID: "1", Number: "INC-2026-000001", Version: 3, Title: "t", Description: "d",
		Level: Serious, Stage: stage, StageEnteredAt: map[Stage]time.Time{Receive: now.Add(-time.Hour)}, Occurrences: 1}
}

func codes(cs []Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

// TestDecide covers the entry conditions of every stage: what is missing
// without the fields, and that the move succeeds with them.
func TestDecide(t *testing.T) {
	me := Actor{ID: "u1", Name: "Wang Lei"}
	confirmed := func(s Stage) *Incident {
		inc := at(s)
		inc.LevelConfirmed, inc.Category, inc.Scope, inc.AssessmentNote = true, MaliciousProgram, Local, "ransomware on one PC"
		return inc
	}
	special := func(s Stage) *Incident { inc := confirmed(s); inc.Level = Special; return inc }
	tests := []struct {
		name    string
		inc     *Incident
		in      TransitionInput
		missing []string // nil: the move succeeds
		err     error    // a sentinel the error must match instead
	}{
		{"confirm needs everything", at(Receive), TransitionInput{To: Confirm}, []string{"level", "category", "scope", "assessment_note"}, nil},
		{"confirm: suggested level does not count", func() *Incident { i := at(Receive); i.SuggestedLevel = Serious; return i }(),
			TransitionInput{To: Confirm, Category: CyberAttack, Scope: Local, AssessmentNote: "n"}, []string{"level"}, nil},
		{"confirm: reporter's category counts", func() *Incident { i := at(Receive); i.Category = CyberAttack; return i }(),
			TransitionInput{To: Confirm, Level: Ordinary, Scope: Local, AssessmentNote: "n"}, nil, nil},
		{"confirm with all fields", at(Receive), TransitionInput{To: Confirm, Level: Special, Category: CyberAttack, Scope: Global, AssessmentNote: "DDoS from outside"}, nil, nil},
		{"confirm: blank note is missing", at(Receive), TransitionInput{To: Confirm, Level: Special, Category: CyberAttack, Scope: Global, AssessmentNote: "   "}, []string{"assessment_note"}, nil},
		{"plan after confirm", confirmed(Confirm), TransitionInput{To: Plan}, nil, nil},
		{"plan needs a confirmed level", at(Confirm), TransitionInput{To: Plan}, []string{"confirmed"}, nil},
		{"dispatch needs a plan", confirmed(Plan), TransitionInput{To: Dispatch}, []string{"plan"}, nil},
		{"dispatch with measures", confirmed(Plan), TransitionInput{To: Dispatch, Measures: "isolate PC"}, nil, nil},
		{"dispatch with tasks", func() *Incident {
			i := confirmed(Plan)
			i.Tasks = []Task{{ID: "t1", TaskSpec: TaskSpec{Title: "isolate"}}}
			return i
		}(), TransitionInput{To: Dispatch}, nil, nil},
		{"special dispatch needs approval", special(Plan), TransitionInput{To: Dispatch, Measures: "m"}, []string{"plan_approval"}, nil},
		{"special dispatch approved", func() *Incident { i := special(Plan); i.Plan.ApprovedBy = &me; return i }(), TransitionInput{To: Dispatch, Measures: "m"}, nil, nil},
		{"handle needs assignees", confirmed(Dispatch), TransitionInput{To: Handle}, []string{"assignees"}, nil},
		{"handle with assignees", confirmed(Dispatch), TransitionInput{To: Handle, Assignees: []Assignee{{Kind: "team", Name: "Network"}}}, nil, nil},
		{"handle needs every task assigned", func() *Incident {
			i := confirmed(Dispatch)
			i.Assignees = []Assignee{{Kind: "team", Name: "Network"}}
			i.Tasks = []Task{{ID: "a", Assignee: "li.na"}, {ID: "b"}}
			return i
		}(), TransitionInput{To: Handle}, []string{"tasks_assigned"}, nil},
		{"review needs required tasks finished", func() *Incident {
			i := confirmed(Handle)
			i.Tasks = []Task{{ID: "a", TaskSpec: TaskSpec{Required: true}, Status: TaskDone}, {ID: "b", TaskSpec: TaskSpec{Required: true}, Status: TaskInProgress}, {ID: "c", Status: TaskTodo}}
			return i
		}(), TransitionInput{To: Review}, []string{"tasks_finished"}, nil},
		{"review with waived and optional tasks", func() *Incident {
			i := confirmed(Handle)
			i.Tasks = []Task{{ID: "a", TaskSpec: TaskSpec{Required: true}, Status: TaskWaived}, {ID: "c", Status: TaskTodo}}
			return i
		}(), TransitionInput{To: Review}, nil, nil},
		{"close needs the review", confirmed(Review), TransitionInput{To: Closed}, []string{"review_summary", "root_cause", "lessons"}, nil},
		{"close with the review", confirmed(Review), TransitionInput{To: Closed, ReviewSummary: "s", RootCause: "r", Lessons: "l"}, nil, nil},
		{"reject needs a reason", at(Receive), TransitionInput{To: Rejected}, []string{"reject_reason"}, nil},
		{"reject as false positive", at(Receive), TransitionInput{To: Rejected, RejectReason: FalsePositive, RejectNote: "test e-mail"}, nil, nil},
		{"duplicate needs the original", at(Confirm), TransitionInput{To: Rejected, RejectReason: Duplicate}, []string{"duplicate_of"}, nil},
		{"duplicate of an original", at(Confirm), TransitionInput{To: Rejected, RejectReason: Duplicate, DuplicateOf: "INC-2026-000007"}, nil, nil},
		{"back needs a reason", confirmed(Handle), TransitionInput{To: Plan}, []string{"reason"}, nil},
		{"back with a reason", confirmed(Handle), TransitionInput{To: Plan, Reason: "runbook did not fit"}, nil, nil},
		{"reopen rejected needs a reason", at(Rejected), TransitionInput{To: Receive}, []string{"reason"}, nil},
		{"reopen closed with a reason", confirmed(Closed), TransitionInput{To: Review, Reason: "new evidence"}, nil, nil},
		{"skip forward", at(Receive), TransitionInput{To: Plan}, nil, ErrNotAllowed},
		{"reject from handle", confirmed(Handle), TransitionInput{To: Rejected, RejectReason: FalsePositive}, nil, ErrNotAllowed},
		{"stay", at(Plan), TransitionInput{To: Plan}, nil, ErrNotAllowed},
		{"leave closed forward", confirmed(Closed), TransitionInput{To: Receive, Reason: "x"}, nil, ErrNotAllowed},
		{"unknown stage", at(Receive), TransitionInput{To: "done"}, nil, ErrNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.inc.Clone()
			next, err := Decide(tt.inc, tt.in, me, now)
			if !equalIncidents(before, tt.inc) {
				t.Fatal("Decide changed its input")
			}
			var blocked *BlockedError
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
			case tt.missing != nil:
				if !errors.As(err, &blocked) {
					t.Fatalf("err = %v, want BlockedError", err)
				}
				if got := codes(blocked.Missing); !slices.Equal(got, tt.missing) {
					t.Fatalf("missing = %v, want %v", got, tt.missing)
				}
			default:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if next.Stage != tt.in.To || next.Version != tt.inc.Version+1 || !next.UpdatedAt.Equal(now) || !next.StageEnteredAt[tt.in.To].Equal(now) {
					t.Fatalf("next = stage %s v%d updated %v", next.Stage, next.Version, next.UpdatedAt)
				}
				last := next.Timeline[len(next.Timeline)-1]
				if last.Kind != EntryStage || last.From != string(tt.inc.Stage) || last.To != string(tt.in.To) || last.Actor != me || !last.At.Equal(now) {
					t.Fatalf("timeline entry = %+v", last)
				}
			}
		})
	}
}

// equalIncidents compares deeply: a decision must not change its input,
// even through a pointer it shares.
func equalIncidents(a, b *Incident) bool { return reflect.DeepEqual(a, b) }

func TestDecideRecordsChanges(t *testing.T) {
	inc := at(Receive)
	inc.Category = CyberAttack
	next, err := Decide(inc, TransitionInput{To: Confirm, Level: Special, Category: DataSecurity, Scope: Global,
		AssessmentNote: "customer records exposed", Note: "assessment group call"}, Actor{ID: "u", Name: "Li Na"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Level != Special || !next.LevelConfirmed || next.Category != DataSecurity {
		t.Fatalf("fields not applied: %+v", next)
	}
	got := next.Timeline[len(next.Timeline)-1].Changes
	want := []FieldChange{
		{"level", "serious", "special"},
		{"category", "cyber_attack", "data_security"},
		{"scope", "", "global"},
		{"assessment_note", "", "customer records exposed"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("changes = %v\nwant %v", got, want)
	}
}

func TestDecideRefusesFieldsOfAnotherStage(t *testing.T) {
	_, err := Decide(at(Receive), TransitionInput{To: Confirm, Level: Ordinary, Category: OtherCategory, Scope: Local,
		AssessmentNote: "n", RootCause: "too early"}, System, now)
	var inv *InvalidError
	if !errors.As(err, &inv) || inv.Fields["root_cause"].EN == "" {
		t.Fatalf("err = %v, want invalid root_cause", err)
	}
	_, err = Decide(at(Receive), TransitionInput{To: Confirm, Level: "extreme", Category: "nope", Scope: "world", AssessmentNote: "n"}, System, now)
	if !errors.As(err, &inv) || len(inv.Fields) != 3 || inv.Fields["level"].ZH == "" {
		t.Fatalf("err = %v, want invalid level, category, scope", err)
	}
}

func TestDecideSignOffAndReopen(t *testing.T) {
	mgr := Actor{ID: "m", Name: "Chen Jing"}
	inc := at(Review)
	inc.LevelConfirmed = true
	closed, err := Decide(inc, TransitionInput{To: Closed, ReviewSummary: "s", RootCause: "r", Lessons: "l"}, mgr, now)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Review.SignedOffBy == nil || *closed.Review.SignedOffBy != mgr || !closed.Review.SignedOffAt.Equal(now) {
		t.Fatalf("sign-off = %+v", closed.Review)
	}
	reopened, err := Decide(closed, TransitionInput{To: Review, Reason: "new evidence"}, mgr, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if reopened.Review.SignedOffBy != nil || reopened.Review.Summary != "s" {
		t.Fatalf("reopen should clear the sign-off only: %+v", reopened.Review)
	}
	rej, err := Decide(at(Receive), TransitionInput{To: Rejected, RejectReason: FalsePositive}, mgr, now)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decide(rej, TransitionInput{To: Receive, Reason: "it was real"}, mgr, now)
	if err != nil || back.Rejection != (Rejection{}) {
		t.Fatalf("reopen rejected: %v %+v", err, back.Rejection)
	}
}

func TestReportValidation(t *testing.T) {
	future := now.Add(time.Hour)
	long := func(n int) string { return string(make([]rune, n)) }
	tests := []struct {
		name   string
		in     ReportInput
		fields []string
	}{
		{"ok", ReportInput{Title: "Phishing", Description: "mail from CFO"}, nil},
		{"blank", ReportInput{Title: "  ", Description: " "}, []string{"description", "title"}},
		{"200 runes of Chinese is fine", ReportInput{Title: string([]rune(stringsRepeat("勒", 200))), Description: "d"}, nil},
		{"too long", ReportInput{Title: stringsRepeat("x", 201), Description: stringsRepeat("y", 20001)}, []string{"description", "title"}},
		{"enums", ReportInput{Title: "t", Description: "d", Category: "virus", SuggestedLevel: "high", Scope: "planet"}, []string{"category", "scope", "suggested_level"}},
		{"future", ReportInput{Title: "t", Description: "d", OccurredAt: &future}, []string{"occurred_at"}},
		{"assets", ReportInput{Title: "t", Description: "d", AffectedAssets: make([]string, 51)}, []string{"affected_assets"}},
		{"dedup key", ReportInput{Title: "t", Description: "d", DedupKey: long(201)}, []string{"dedup_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.validate(now)
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for f, m := range inv.Fields {
				if m.EN == "" || m.ZH == "" {
					t.Errorf("%s: message missing a language: %+v", f, m)
				}
				got = append(got, f)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func stringsRepeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

func TestVocabularies(t *testing.T) {
	if n := len(Categories()); n != 10 {
		t.Fatalf("%d categories, want the ten of GB/T 20986-2023", n)
	}
	seen := map[Category]bool{}
	for _, c := range Categories() {
		if seen[c.Category] || c.NameEN == "" || c.NameZH == "" || !c.Category.Valid() {
			t.Errorf("bad category %+v", c)
		}
		seen[c.Category] = true
	}
	for i, l := range Levels() {
		if l.Level.Rank() != i+1 || l.DefinitionEN == "" || l.DefinitionZH == "" {
			t.Errorf("bad level %+v", l)
		}
	}
	if Level("").Valid() || Category("").Valid() || Scope("").Valid() {
		t.Error("empty values must be invalid")
	}
	for _, s := range Stages() {
		for _, c := range EntryConditions(s.Stage) {
			if c.EN == "" || c.ZH == "" {
				t.Errorf("condition %s lacks a message", c.Code)
			}
		}
	}
}
