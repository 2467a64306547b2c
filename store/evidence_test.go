package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// TestEvidenceFiles: a file of the largest size is stored and read back
// whole; a larger one is refused; deleting is final and idempotent.
func TestEvidenceFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Evidence()
	data := bytes.Repeat([]byte("0123456789abcdef"), incident.MaxEvidenceSize/16)
	f := incident.EvidenceFile{Incident: "INC-2026-000001", Task: "t3", Data: data,
		Evidence: incident.Evidence{Name: "memory.img", ContentType: "application/octet-stream", SHA256: "ab",
			By: incident.Actor{ID: "u1", Name: "Li Na", Username: "li.na"}, At: at(5)}}
	id, err := st.Put(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.Name != "memory.img" || got.Size != int64(len(data)) || got.Incident != "INC-2026-000001" ||
		got.Task != "t3" || got.By.Username != "li.na" || !got.At.Equal(at(5)) || !bytes.Equal(got.Data, data) {
		t.Errorf("Get = %+v (%d bytes)", got.Evidence, len(got.Data))
	}
	f.Data = append(data, 'x')
	if _, err := st.Put(ctx, f); err == nil {
		t.Error("a file over the limit was stored")
	}
	if err := st.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, id); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := st.Delete(ctx, id); err != nil {
		t.Errorf("delete twice: %v", err)
	}
	if _, err := st.Get(ctx, "not-an-id"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("bad id: %v", err)
	}
}
