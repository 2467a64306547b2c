package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

func TestThrottles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.New(t).Accounts()
	key := access.ThrottleKeyUser("li.na")
	got, err := st.Throttle(ctx, key)
	if err != nil || !reflect.DeepEqual(got, access.Throttle{Key: key}) {
		t.Fatalf("absent throttle: %+v %v", got, err)
	}
	th := access.Throttle{Key: key, Failures: []time.Time{t0, at(1)}, LockedUntil: at(16), Locks: 1, LastLock: at(1)}
	if err := st.SaveThrottle(ctx, th, at(60)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveThrottle(ctx, th, at(60)); !errors.Is(err, access.ErrConflict) {
		t.Fatalf("a second insert: %v", err)
	}
	got, err = st.Throttle(ctx, key)
	th.Version = 1
	if err != nil || !reflect.DeepEqual(got, th) {
		t.Fatalf("stored %+v, %v\nwant %+v", got, err, th)
	}
	next := got
	next.Failures = nil
	if err := st.SaveThrottle(ctx, next, at(30)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveThrottle(ctx, got, at(30)); !errors.Is(err, access.ErrConflict) {
		t.Fatalf("a write of a stale version: %v", err)
	}
	other := access.Throttle{Key: access.ThrottleKeyAddr("10.0.0.1")}
	if err := st.SaveThrottle(ctx, other, at(90)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PurgeThrottles(ctx, at(45)); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if got, _ := st.Throttle(ctx, key); got.Version != 0 {
		t.Fatalf("the expired throttle is still there: %+v", got)
	}
	if got, _ := st.Throttle(ctx, other.Key); got.Version != 1 {
		t.Fatalf("the live throttle was purged: %+v", got)
	}
}
