package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// numbers lists the incidents' numbers.
func numbers(items []*incident.Incident) []string {
	out := make([]string, len(items))
	for i, inc := range items {
		out[i] = inc.Number
	}
	return out
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()

	mk := func(n int, title string, change func(*incident.Incident)) {
		inc := newIncident(fmt.Sprintf("INC-2026-%06d", n), title)
		change(inc)
		mustInsert(t, st, inc)
	}
	// Inserted in number order, so newest first is descending numbers.
	mk(1, "Phishing wave", func(i *incident.Incident) {
		i.Category, i.Level = incident.CyberAttack, incident.Ordinary
		i.Reporter = incident.Actor{ID: "u-ann"}
	})
	mk(2, "Cost (estimated) is $5.00 [approx]", func(i *incident.Incident) {
		i.Category, i.Stage = incident.DataSecurity, incident.Confirm
		i.Participants = []string{"u-ann", "u-bo"}
	})
	mk(3, "Server room flood", func(i *incident.Incident) {
		i.Category, i.Stage, i.Level = incident.ForceMajeure, incident.Closed, incident.Special
		i.Description = "Water in the PHISHING training room"
		i.Drill = true
	})
	mk(4, "Cost 5X00", func(i *incident.Incident) {
		i.Category, i.Stage = incident.DataSecurity, incident.Rejected
		i.Reporter = incident.Actor{ID: "u-bo"}
	})

	yes, no := true, false
	tests := []struct {
		name string
		f    incident.ListFilter
		want []string
	}{
		{"all", incident.ListFilter{}, []string{"INC-2026-000004", "INC-2026-000003", "INC-2026-000002", "INC-2026-000001"}},
		{"stages", incident.ListFilter{Stages: []incident.Stage{incident.Receive, incident.Confirm}}, []string{"INC-2026-000002", "INC-2026-000001"}},
		{"one stage", incident.ListFilter{Stages: []incident.Stage{incident.Closed}}, []string{"INC-2026-000003"}},
		{"level", incident.ListFilter{Level: incident.Ordinary}, []string{"INC-2026-000001"}},
		{"category", incident.ListFilter{Category: incident.DataSecurity}, []string{"INC-2026-000004", "INC-2026-000002"}},
		{"drill", incident.ListFilter{Drill: &yes}, []string{"INC-2026-000003"}},
		{"no drill", incident.ListFilter{Drill: &no}, []string{"INC-2026-000004", "INC-2026-000002", "INC-2026-000001"}},
		{"query in title or description, any case", incident.ListFilter{Query: "phishing"}, []string{"INC-2026-000003", "INC-2026-000001"}},
		{"query upper case", incident.ListFilter{Query: "FLOOD"}, []string{"INC-2026-000003"}},
		{"query metacharacters are literal", incident.ListFilter{Query: "$5.00 [approx"}, []string{"INC-2026-000002"}},
		{"dot is not a wildcard", incident.ListFilter{Query: "5.00"}, []string{"INC-2026-000002"}},
		{"parentheses", incident.ListFilter{Query: "(estimated)"}, []string{"INC-2026-000002"}},
		{"regex syntax finds nothing", incident.ListFilter{Query: "Cost.*"}, nil},
		{"visible to reporter or participant", incident.ListFilter{VisibleTo: "u-ann"}, []string{"INC-2026-000002", "INC-2026-000001"}},
		{"visible and query", incident.ListFilter{VisibleTo: "u-ann", Query: "cost"}, []string{"INC-2026-000002"}},
		{"visible to nobody", incident.ListFilter{VisibleTo: "u-zed"}, nil},
		{"combined", incident.ListFilter{Category: incident.DataSecurity, Stages: []incident.Stage{incident.Rejected}, VisibleTo: "u-bo"}, []string{"INC-2026-000004"}},
	}
	for _, tt := range tests {
		page, err := st.List(ctx, tt.f)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := numbers(page.Items); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if page.Next != "" {
			t.Errorf("%s: Next = %q on the only page", tt.name, page.Next)
		}
	}
}

func TestListBrief(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	full := mustInsert(t, st, fullIncident("INC-2026-000001"))

	page, err := st.List(ctx, incident.ListFilter{Brief: true})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("List = %+v, %v", page, err)
	}
	got := page.Items[0]
	if got.Description != "" || got.Timeline != nil {
		t.Errorf("brief item has description %q and %d timeline entries", got.Description, len(got.Timeline))
	}
	want := full.Clone()
	want.Description, want.Timeline = "", nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("brief item =\n%+v\nwant\n%+v", got, want)
	}

	page, err = st.List(ctx, incident.ListFilter{})
	if err != nil || page.Items[0].Description == "" || len(page.Items[0].Timeline) != 3 {
		t.Errorf("a full list keeps description and timeline: %+v, %v", page.Items, err)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	const n = 120
	for i := 1; i <= n; i++ {
		mustInsert(t, st, newIncident(fmt.Sprintf("INC-2026-%06d", i), fmt.Sprint("incident ", i)))
	}
	var got []string
	pages := 0
	f := incident.ListFilter{Limit: 50, Brief: true}
	for {
		page, err := st.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, numbers(page.Items)...)
		if page.Next == "" {
			break
		}
		if len(page.Items) != 50 {
			t.Errorf("page %d has %d items before the end", pages, len(page.Items))
		}
		f.After = page.Next
	}
	if pages != 3 || len(got) != n {
		t.Fatalf("%d pages, %d items; want 3 pages, %d items", pages, len(got), n)
	}
	for i, num := range got {
		if want := fmt.Sprintf("INC-2026-%06d", n-i); num != want {
			t.Fatalf("item %d is %s, want %s (newest first, each once)", i, num, want)
		}
	}

	page, err := st.List(ctx, incident.ListFilter{})
	if err != nil || len(page.Items) != 50 || page.Next == "" {
		t.Errorf("default limit: %d items, next %q, %v; want 50 and a cursor", len(page.Items), page.Next, err)
	}
	page, err = st.List(ctx, incident.ListFilter{Limit: 120})
	if err != nil || len(page.Items) != 120 || page.Next != "" {
		t.Errorf("exact limit: %d items, next %q, %v; want 120 and no cursor", len(page.Items), page.Next, err)
	}
}

func TestListBadCursor(t *testing.T) {
	t.Parallel()
	st := storetest.New(t).Incidents()
	for _, cursor := range []string{"nope", "INC-2026-000001", "0123456789abcdef0123456z"} {
		_, err := st.List(context.Background(), incident.ListFilter{After: cursor})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("List(After: %q) = %v, want ErrBadCursor", cursor, err)
		}
	}
}
