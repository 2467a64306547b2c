package share_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

var (
	t0       = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	reporter = incident.Actor{ID: "64b000000000000000000001", Name: "王小明", Username: "wangxm"}
	acker    = incident.Actor{ID: "64b000000000000000000002", Name: "John Smith", Username: "jsmith"}
)

// sensitiveIncident has personal data, credentials and internal addresses
// in every section, and internal bookkeeping that no view may show.
func sensitiveIncident() *incident.Incident {
	occurred := t0.Add(-time.Hour)
	closed := t0.Add(48 * time.Hour)
	signed := t0.Add(47 * time.Hour)
	return &incident.Incident{
		ID: "6720aa00bb11cc22dd33ee44", Number: "INC-2026-000042", Version: 17,
		Title:       "王小明 reports ransomware on 10.8.1.20",
		Description: "Reported by wangxm (13812345678, wangxm@corp.example.com). 身份证号 11010519491231002X.\nJohn Smith saw password=hunter2 in a script on fs01.corp; C2 at 203.0.113.9.",
		Category:    incident.MaliciousProgram, Level: incident.Serious, Scope: incident.Local, Nature: incident.MaliciousAttack,
		AffectedAssets: []string{"fs01.corp (10.8.1.20)", "laptop of 李四"},
		OccurredAt:     &occurred, Drill: true, Source: "web",
		Reporter: reporter, Participants: []string{acker.ID, "lisi", "unknown-id-77"},
		Stage: incident.Closed, StageEnteredAt: map[incident.Stage]time.Time{incident.Closed: closed},
		AckedBy: &acker, CreatedAt: t0, UpdatedAt: closed,
		DedupKey: "dedup-5f2c", IdempotencyKey: "idem-93ab", RequestHash: "req-hash-7d1e", OccurrenceKeys: []string{"occ-key-1"},
		Plan: incident.ResponsePlan{Measures: "Isolate 10.8.1.20; call 李四 on 021-87654321."},
		Assignees: []incident.Assignee{
			{Kind: "person", Name: "李四", ID: "lisi"},
			{Kind: "team", Name: "Network team", ID: "network"},
			{Kind: "vendor", Name: "Acme Forensics", ID: "Acme Forensics", Contact: "+44 20 7946 0958"},
		},
		Tasks: []incident.Task{{
			ID: "t1", TaskSpec: incident.TaskSpec{Title: "Isolate host", TitleZH: "隔离主机", Stage: incident.Handle},
			Status: incident.TaskDone, Assignee: "lisi", AssigneeKind: incident.AssignPerson, AssigneeName: "李四",
			Result:   "李四 pulled the cable of fs01.corp; admin token=abc123 rotated",
			Evidence: []incident.Evidence{{ID: "ev-9", Name: "capture-secret.pcap", SHA256: "feedfacefeedface"}},
		}},
		Review: incident.ReviewReport{
			Summary: "Contained by John Smith.", RootCause: "Phishing mail to wangxm@corp.example.com.", Lessons: "Train 王小明.",
			SignedOffBy: &acker, SignedOffAt: &signed,
			Actions: []incident.CorrectiveAction{{ID: "a1", Title: "Rotate keys on 192.168.5.5", Owner: "jsmith", Status: incident.ActionOpen}},
		},
		Timeline: []incident.Entry{
			{At: t0, Actor: reporter, Kind: incident.EntryReported, Note: "reported from 10.8.1.20"},
			{At: t0.Add(time.Minute), Actor: incident.System, Kind: incident.EntryEscalation, Note: "paged jsmith at +86 139 1234 5678"},
			{At: t0.Add(2 * time.Minute), Actor: acker, Kind: incident.EntryAck},
			{At: closed, Actor: acker, Kind: incident.EntryStage, From: "review", To: "closed", Reason: "done",
				Changes: []incident.FieldChange{{Field: "secret", Before: "before-value-x", After: "after-value-y"}}},
		},
	}
}

func maskerFor(t *testing.T) *share.Masker {
	return newMasker(t, share.MaskConfig{InternalDomains: []string{"corp.example.com"}})
}

func TestBuildViewSectionsAndMasking(t *testing.T) {
	inc := sensitiveIncident()
	m := maskerFor(t)
	v := share.BuildView(inc, share.Verdict{Allowed: true, Basis: share.ByRule, By: "SR-0123456789ab",
		Sections: []share.Section{share.Contacts, share.Description}}, m)

	if want := []share.Section{share.Overview, share.Description, share.Contacts}; !slices.Equal(v.Sections, want) {
		t.Errorf("Sections = %v, want %v", v.Sections, want)
	}
	if v.Assets != nil || v.Timeline != nil || v.Measures != nil || v.Review != nil || v.Plan != "" {
		t.Errorf("sections outside the verdict were filled: %+v", v)
	}
	if v.Number != inc.Number || v.Level != incident.Serious || v.Stage != incident.Closed || !v.Drill ||
		!v.ReportedAt.Equal(t0) || v.ClosedAt == nil || !v.ClosedAt.Equal(inc.StageEnteredAt[incident.Closed]) ||
		v.Basis != share.ByRule || v.By != "SR-0123456789ab" {
		t.Errorf("overview = %+v", v)
	}
	if v.Title != "王** reports ransomware on 10.*.*.*" {
		t.Errorf("Title = %q", v.Title)
	}
	wantDesc := "Reported by w***** (138****5678, w***@***.com). 身份证号 110***********002X.\nJ*** S**** saw password=****** in a script on ***.corp; C2 at 203.0.113.9."
	if v.Description == nil || v.Description.Text != wantDesc || v.Description.OccurredAt == nil || v.Description.Scope != incident.Local {
		t.Errorf("Description = %+v\nwant text %q", v.Description, wantDesc)
	}
	wantContacts := []share.ViewContact{
		{Role: "reporter", Name: "王**"},
		{Role: "participant", Name: "J*** S****"},
		{Role: "participant", Name: "李**"},
		{Role: "assignee", Name: "李**"},
		{Role: "assignee", Name: "Network team"},
		{Role: "assignee", Name: "Acme Forensics"},
	}
	if !slices.Equal(v.Contacts, wantContacts) {
		t.Errorf("Contacts = %+v\nwant %+v", v.Contacts, wantContacts)
	}
	// Title 2, description 8, contacts 4 persons (names).
	want := map[share.Class]int{share.Names: 1 + 2 + 4, share.Internal: 1 + 1, share.Phones: 1, share.Emails: 1, share.IDNumbers: 1, share.Credentials: 1}
	if !mapsEqual(v.Masked, want) {
		t.Errorf("Masked = %v, want %v", v.Masked, want)
	}
}

func TestBuildViewAllSections(t *testing.T) {
	inc := sensitiveIncident()
	before := inc.Clone()
	v := share.BuildView(inc, share.Verdict{Allowed: true, Basis: share.ByApplication, By: "SG-00000000000a", Sections: share.Sections()}, maskerFor(t))

	if !slices.Equal(v.Sections, share.Sections()) {
		t.Errorf("Sections = %v", v.Sections)
	}
	if got := strings.Join(v.Assets, " | "); got != "***.corp (10.*.*.*) | laptop of 李**" {
		t.Errorf("Assets = %q", got)
	}
	wantTimeline := []share.ViewEntry{
		{At: t0, Actor: "王**", Kind: incident.EntryReported, Text: "reported from 10.*.*.*"},
		{At: t0.Add(time.Minute), Actor: "Tocsin", Kind: incident.EntryEscalation, Text: "paged j***** at +86 139 **** 5678"},
		{At: t0.Add(2 * time.Minute), Actor: "J*** S****", Kind: incident.EntryAck},
		{At: inc.StageEnteredAt[incident.Closed], Actor: "J*** S****", Kind: incident.EntryStage, From: "review", To: "closed", Text: "done"},
	}
	if !slices.Equal(v.Timeline, wantTimeline) {
		t.Errorf("Timeline = %+v\nwant %+v", v.Timeline, wantTimeline)
	}
	if v.Plan != "Isolate 10.*.*.*; call 李** on 021-****4321." {
		t.Errorf("Plan = %q", v.Plan)
	}
	wantTask := share.ViewTask{Title: "Isolate host", TitleZH: "隔离主机", Stage: "handle", Status: "done", Assignee: "李**",
		Result: "李** pulled the cable of ***.corp; admin token=****** rotated"}
	if len(v.Measures) != 1 || v.Measures[0] != wantTask {
		t.Errorf("Measures = %+v\nwant %+v", v.Measures, wantTask)
	}
	wantReview := share.ViewReview{Summary: "Contained by J*** S****.", RootCause: "Phishing mail to w***@***.com.", Lessons: "Train 王**.",
		Actions: []string{"Rotate keys on 192.*.*.* [open]"}}
	if v.Review == nil || v.Review.Summary != wantReview.Summary || v.Review.RootCause != wantReview.RootCause ||
		v.Review.Lessons != wantReview.Lessons || !slices.Equal(v.Review.Actions, wantReview.Actions) {
		t.Errorf("Review = %+v\nwant %+v", v.Review, wantReview)
	}

	// Nothing internal, and nothing sensitive, leaves in any form.
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	md := string(v.Markdown("en")) + string(v.Markdown("zh"))
	for _, secret := range []string{
		inc.ID, "dedup-5f2c", "idem-93ab", "req-hash-7d1e", "occ-key-1", "ev-9", "capture-secret", "feedface",
		"before-value-x", "after-value-y", "unknown-id-77", reporter.ID, acker.ID, `"Version"`,
		"王小明", "John Smith", "Smith", "李四", "wangxm", "jsmith", "lisi", "13812345678", "1234 5678", "87654321",
		"7946", "hunter2", "abc123", "11010519491231002X", "10.8.1.20", "192.168.5.5", "fs01", "corp.example.com",
	} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("view JSON contains %q", secret)
		}
		if strings.Contains(md, secret) {
			t.Errorf("Markdown contains %q", secret)
		}
	}
	if !strings.Contains(string(raw), "203.0.113.9") {
		t.Error("the public C2 address was masked")
	}
	if !reflectEqualIncident(inc, before) {
		t.Error("BuildView changed the incident")
	}
}

func TestBuildViewReveal(t *testing.T) {
	inc := sensitiveIncident()
	v := share.BuildView(inc, share.Verdict{Allowed: true, Basis: share.ByEmergency, By: "SG-00000000000b",
		Sections: []share.Section{share.Contacts, share.Timeline}, Reveal: []share.Class{share.Names, share.Internal}}, maskerFor(t))
	if v.Title != "王小明 reports ransomware on 10.8.1.20" {
		t.Errorf("Title = %q", v.Title)
	}
	if v.Contacts[0] != (share.ViewContact{Role: "reporter", Name: "王小明"}) || v.Contacts[1].Name != "John Smith" {
		t.Errorf("Contacts = %+v", v.Contacts)
	}
	if v.Timeline[1].Text != "paged jsmith at +86 139 **** 5678" {
		t.Errorf("Timeline[1].Text = %q", v.Timeline[1].Text)
	}
	if v.Masked[share.Names] != 0 || v.Masked[share.Internal] != 0 || v.Masked[share.Phones] != 1 {
		t.Errorf("Masked = %v", v.Masked)
	}
}

func TestPeopleNames(t *testing.T) {
	got := share.PeopleNames(sensitiveIncident())
	for _, want := range []string{"王小明", "wangxm", "John Smith", "jsmith", "李四", "lisi", "unknown-id-77"} {
		if !slices.Contains(got, want) {
			t.Errorf("PeopleNames lacks %q: %v", want, got)
		}
	}
	for _, not := range []string{"Tocsin", "Network team", "Acme Forensics"} {
		if slices.Contains(got, not) {
			t.Errorf("PeopleNames has %q, not a person", not)
		}
	}
}

func mapsEqual(a, b map[share.Class]int) bool {
	for _, c := range share.Classes() {
		if a[c] != b[c] {
			return false
		}
	}
	return true
}

func reflectEqualIncident(a, b *incident.Incident) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
