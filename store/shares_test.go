package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

var (
	partner = share.Party{UserID: "u-p", Username: "li.lei", Name: "Li Lei", Organization: "Public Security Bureau", Department: "Cyber"}
	owner   = share.Party{UserID: "u-o", Username: "wang.fang", Name: "Wang Fang"}
)

// TestShareGrants: a grant round-trips whole; updates are versioned (a
// stale or concurrent one is a conflict, a missing one not found); lists
// filter by requester, status, kind and incident; DueGrants finds the
// active and suspended grants whose period is over.
func TestShareGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Shares()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	g := &share.Grant{ID: "SG-000000000001", Kind: share.Application, Status: share.Pending, Requester: partner,
		Purpose: "joint investigation", Scope: share.Scope{Incidents: []string{"INC-2026-000001", "INC-2026-000002"},
			Sections: []share.Section{share.Timeline}, Reveal: []share.Class{share.Phones}, Copies: true},
		From: t0, Until: t0.AddDate(1, 0, 0), RatePerHour: 30, CreatedAt: t0, UpdatedAt: t0,
		History: []share.Step{{At: t0, By: partner, Action: share.ActSubmit, To: share.Pending, Comment: "please"}}}
	if err := st.InsertGrant(ctx, g); err != nil || g.Version != 1 {
		t.Fatalf("insert: %v, version %d", err, g.Version)
	}
	if err := st.InsertGrant(ctx, &share.Grant{ID: g.ID}); !errors.Is(err, share.ErrConflict) {
		t.Errorf("a taken id: %v, want ErrConflict", err)
	}
	got, err := st.Grant(ctx, g.ID)
	if err != nil || !reflect.DeepEqual(got, g) {
		t.Fatalf("read back:\n got %+v, %v\nwant %+v", got, err, g)
	}
	if _, err := st.Grant(ctx, "SG-nope"); !errors.Is(err, share.ErrNotFound) {
		t.Errorf("missing grant: %v", err)
	}

	approved := *got
	approved.Version, approved.Status, approved.Owner = 2, share.Active, owner
	approved.History = append(approved.History, share.Step{At: t0.Add(time.Hour), By: owner, Action: share.ActApprove, From: share.Pending, To: share.Active})
	if err := st.UpdateGrant(ctx, &approved); err != nil {
		t.Fatal(err)
	}
	stale := *got
	stale.Version, stale.Status = 2, share.Rejected
	if err := st.UpdateGrant(ctx, &stale); !errors.Is(err, share.ErrConflict) {
		t.Errorf("stale update: %v, want ErrConflict", err)
	}
	if err := st.UpdateGrant(ctx, &share.Grant{ID: "SG-nope", Version: 2}); !errors.Is(err, share.ErrNotFound) {
		t.Errorf("update of a missing grant: %v, want ErrNotFound", err)
	}
	if got, _ := st.Grant(ctx, g.ID); got.Status != share.Active || got.Owner != owner || len(got.History) != 2 {
		t.Errorf("after approval: %+v", got)
	}

	// Two deciders at once: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := approved
			c.Version = 3
			errs[i] = st.UpdateGrant(ctx, &c)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, share.ErrConflict):
			t.Errorf("concurrent update: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent updates won, want 1", wins)
	}

	em := &share.Grant{ID: "SG-000000000002", Kind: share.Emergency, Status: share.Suspended, Requester: owner,
		Scope: share.Scope{Incidents: []string{"INC-2026-000003"}}, From: t0, Until: t0.Add(24 * time.Hour), CreatedAt: t0.Add(time.Minute)}
	if err := st.InsertGrant(ctx, em); err != nil {
		t.Fatal(err)
	}
	ids := func(gs []*share.Grant, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    share.GrantFilter
		want []string
	}{
		"all, newest first": {share.GrantFilter{}, []string{em.ID, g.ID}},
		"by requester":      {share.GrantFilter{Requester: partner.UserID}, []string{g.ID}},
		"by owner":          {share.GrantFilter{Owner: owner.UserID}, []string{g.ID}},
		"by status":         {share.GrantFilter{Statuses: []share.Status{share.Suspended, share.Pending}}, []string{em.ID}},
		"by kind":           {share.GrantFilter{Kind: share.Application}, []string{g.ID}},
		"by incident":       {share.GrantFilter{Incident: "INC-2026-000002"}, []string{g.ID}},
		"limit":             {share.GrantFilter{Limit: 1}, []string{em.ID}},
	} {
		if got := ids(st.ListGrants(ctx, c.f)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	if got := ids(st.DueGrants(ctx, t0.Add(24*time.Hour-time.Second))); len(got) != 0 {
		t.Errorf("due before any end: %v", got)
	}
	if got := ids(st.DueGrants(ctx, t0.Add(24*time.Hour))); !reflect.DeepEqual(got, []string{em.ID}) {
		t.Errorf("due at the emergency grant's end: %v", got)
	}
	if got := ids(st.DueGrants(ctx, t0.AddDate(2, 0, 0))); len(got) != 2 {
		t.Errorf("due after both ends: %v", got)
	}
}

// TestShareRules: rules round-trip, list by name, and update by version.
func TestShareRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Shares()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	r := &share.Rule{ID: "SR-000000000001", Name: "police cyber unit", Enabled: true,
		Categories: []incident.Category{incident.CyberAttack}, Levels: []incident.Level{incident.Serious, incident.Special},
		Organizations: []string{"Public Security Bureau"}, Systems: []string{"soc-portal"}, Networks: []string{"203.0.113.0/24"},
		Sections: []share.Section{share.Description, share.Timeline}, Reveal: []share.Class{share.Internal}, RatePerHour: 120,
		Until: t0.AddDate(1, 0, 0), CreatedBy: owner, CreatedAt: t0, UpdatedAt: t0}
	if err := st.InsertRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertRule(ctx, &share.Rule{ID: "SR-000000000002", Name: "another", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Rule(ctx, r.ID)
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("read back:\n got %+v, %v\nwant %+v", got, err, r)
	}
	rs, err := st.ListRules(ctx)
	if err != nil || len(rs) != 2 || rs[0].Name != "another" {
		t.Errorf("list: %v, %v", rs, err)
	}
	off := *got
	off.Enabled, off.Version = false, 2
	if err := st.UpdateRule(ctx, &off); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateRule(ctx, &off); !errors.Is(err, share.ErrConflict) {
		t.Errorf("same version again: %v, want ErrConflict", err)
	}
	if _, err := st.Rule(ctx, "SR-nope"); !errors.Is(err, share.ErrNotFound) {
		t.Errorf("missing rule: %v", err)
	}
}

// TestShareAccessesAndCopies: the access log filters by grant (deciding or
// struck), requester, incident and time, counts allowed and refused, and
// lists newest first; a copy's content is left out of lists and emptied
// when it is withdrawn, once.
func TestShareAccessesAndCopies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Shares()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	log := []share.Access{
		{At: t0, Requester: partner, Incident: "INC-1", Action: "view", Allowed: true, Basis: share.ByApplication, By: "SG-1"},
		{At: t0.Add(time.Minute), Requester: partner, Incident: "INC-2", Action: "view", Reason: "not covered", Grants: []string{"SG-1"}},
		{At: t0.Add(2 * time.Minute), Requester: owner, Incident: "INC-1", Action: "copy", Allowed: true, Basis: share.ByRule, By: "SR-1"},
	}
	for i := range log {
		if err := st.LogAccess(ctx, &log[i]); err != nil || log[i].ID == "" {
			t.Fatalf("log: %v, id %q", err, log[i].ID)
		}
	}
	if list, _ := st.Accesses(ctx, share.AccessFilter{By: "SG-1", Since: t0.Add(30 * time.Second)}); len(list) != 1 || list[0].Allowed {
		t.Errorf("SG-1 accesses (deciding or struck) since 08:00:30: %+v", list)
	}
	list, err := st.Accesses(ctx, share.AccessFilter{Incident: "INC-1"})
	if err != nil || len(list) != 2 || list[0].By != "SR-1" || list[1].Basis != share.ByApplication {
		t.Errorf("INC-1 accesses: %+v, %v", list, err)
	}
	if list, _ := st.Accesses(ctx, share.AccessFilter{Requester: partner.UserID, Limit: 1}); len(list) != 1 || list[0].Incident != "INC-2" || list[0].Grants[0] != "SG-1" {
		t.Errorf("partner's newest access: %+v", list)
	}

	c := &share.Copy{ID: "SC-1", Incident: "INC-1", Requester: partner, Basis: share.ByApplication, By: "SG-1",
		Format: "markdown", Content: []byte("# INC-1"), SHA256: "abc", CreatedAt: t0}
	if err := st.InsertCopy(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Copy(ctx, "SC-1"); err != nil || string(got.Content) != "# INC-1" || got.Withdrawn != nil {
		t.Fatalf("copy: %+v, %v", got, err)
	}
	if cs, err := st.Copies(ctx, share.CopyFilter{By: "SG-1", Live: true}); err != nil || len(cs) != 1 || cs[0].Content != nil {
		t.Errorf("live copies: %+v, %v (content must be left out)", cs, err)
	}
	w := share.Step{At: t0.Add(time.Hour), By: owner, Action: "withdraw", Comment: "sharing ended"}
	if err := st.WithdrawCopy(ctx, "SC-1", w); err != nil {
		t.Fatal(err)
	}
	if err := st.WithdrawCopy(ctx, "SC-1", share.Step{At: t0.Add(2 * time.Hour), By: partner, Action: "withdraw"}); err != nil {
		t.Errorf("withdrawing again: %v", err)
	}
	got, err := st.Copy(ctx, "SC-1")
	if err != nil || len(got.Content) != 0 || got.Withdrawn == nil || !reflect.DeepEqual(*got.Withdrawn, w) {
		t.Errorf("withdrawn copy: %+v, %v", got, err)
	}
	if cs, _ := st.Copies(ctx, share.CopyFilter{Live: true}); len(cs) != 0 {
		t.Errorf("live copies after withdrawal: %+v", cs)
	}
	if err := st.WithdrawCopy(ctx, "SC-nope", w); !errors.Is(err, share.ErrNotFound) {
		t.Errorf("withdrawing a missing copy: %v", err)
	}
}

// TestShareTallies: uses are counted per key to the minute; the count is
// of the hour up to the time asked (its minute and the 59 before),
// across midnight; other keys are apart; old days are purged.
func TestShareTallies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Shares()
	t0 := time.Date(2026, 11, 1, 23, 30, 20, 0, time.UTC)
	tally := func(key string, at time.Time) int {
		t.Helper()
		n, err := st.Tally(ctx, key, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tallied := func(key string, at time.Time) int {
		t.Helper()
		n, err := st.Tallied(ctx, key, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, want := range []int{1, 2, 3} {
		if got := tally("grant/SG-1", t0.Add(time.Duration(i)*time.Second)); got != want {
			t.Errorf("use %d: %d in the hour", i+1, got)
		}
	}
	if got := tally("grant/SG-2", t0); got != 1 {
		t.Errorf("another key: %d", got)
	}
	// 40 minutes later (past midnight): one more, the three still in.
	if got := tally("grant/SG-1", t0.Add(40*time.Minute)); got != 4 {
		t.Errorf("across midnight: %d, want 4", got)
	}
	// The minute of t0 leaves the hour 60 minutes on.
	if got := tallied("grant/SG-1", t0.Add(59*time.Minute)); got != 4 {
		t.Errorf("59 minutes on: %d, want 4", got)
	}
	if got := tallied("grant/SG-1", t0.Add(60*time.Minute)); got != 1 {
		t.Errorf("60 minutes on: %d, want 1", got)
	}
	if got := tallied("grant/SG-9", t0); got != 0 {
		t.Errorf("an unknown key: %d", got)
	}
	n, err := st.PurgeTallies(ctx, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 2 {
		t.Errorf("purge of 1 November: %d, %v; want its 2 documents", n, err)
	}
	if got := tallied("grant/SG-1", t0.Add(40*time.Minute)); got != 1 {
		t.Errorf("after the purge: %d, want 1", got)
	}
}
