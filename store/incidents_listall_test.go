package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestListAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Incidents()
	var open []string
	for i := 1; i <= 620; i++ { // more than a page of List
		inc := newIncident(fmt.Sprintf("INC-2026-%06d", i), fmt.Sprint("incident ", i))
		if i%3 == 0 {
			inc.Stage = incident.Closed
		} else {
			open = append(open, inc.Number)
		}
		mustInsert(t, st, inc)
	}
	slices.Reverse(open)
	page, err := st.ListAll(ctx, incident.ListFilter{Stages: []incident.Stage{incident.Receive}, Brief: true, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(page.Items); !slices.Equal(got, open) || page.Next != "" {
		t.Fatalf("ListAll gave %d incidents (next %q), want the %d open ones newest first", len(got), page.Next, len(open))
	}
	if page.Items[0].Description != "" || page.Items[0].Timeline != nil {
		t.Error("Brief kept the description or timeline")
	}
}
