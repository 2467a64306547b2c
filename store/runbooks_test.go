package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestRunbookVersions: versions are insert-only records keyed id@version;
// a taken version is refused; Latest is the highest of each runbook.
func TestRunbookVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Runbooks()
	by := incident.Actor{ID: "u1", Name: "Zhou Min", Username: "zhou.min"}
	for _, s := range []runbooks.Stored{
		{ID: "ddos", Version: 2, Source: "v2", Edit: runbooks.Edit{By: by, At: at(1), Note: "carrier number"}},
		{ID: "ddos", Version: 3, Source: "v3", Edit: runbooks.Edit{By: by, At: at(2)}},
		{ID: "local", Version: 1, Source: "l1", Edit: runbooks.Edit{By: by, At: at(3)}},
	} {
		if err := st.Insert(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Insert(ctx, runbooks.Stored{ID: "ddos", Version: 3, Source: "other"}); !errors.Is(err, runbooks.ErrStale) {
		t.Errorf("a taken version: %v, want ErrStale", err)
	}
	got, err := st.Version(ctx, "ddos", 2)
	if err != nil || got.Source != "v2" || got.Edit.By != by || !got.Edit.At.Equal(at(1)) || got.Edit.Note != "carrier number" {
		t.Errorf("Version = %+v, %v", got, err)
	}
	if _, err := st.Version(ctx, "ddos", 9); !errors.Is(err, runbooks.ErrNotFound) {
		t.Errorf("missing version: %v", err)
	}
	vs, err := st.Versions(ctx, "ddos")
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Source != "v3" {
		t.Errorf("Versions = %+v, %v", vs, err)
	}
	latest, err := st.Latest(ctx)
	if err != nil || len(latest) != 2 || latest[0].ID != "ddos" || latest[0].Version != 3 || latest[1].ID != "local" {
		t.Errorf("Latest = %+v, %v", latest, err)
	}
}
