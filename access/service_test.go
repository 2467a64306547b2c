package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// clock is a clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

const password = "correct-horse-battery"

func newService(t *testing.T) (*access.Service, *clock, access.Store) {
	t.Helper()
	st := storetest.New(t).Accounts()
	clk := &clock{t: time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC)}
	svc := access.NewService(st, clk.Now, bcrypt.MinCost)
	if _, err := svc.CreateUser(context.Background(), access.NewUser{Username: "li.na", Password: password}); err != nil {
		t.Fatal(err)
	}
	return svc, clk, st
}

func lockedFor(err error) time.Duration {
	var le *access.LockedError
	if errors.As(err, &le) {
		return le.RetryAfter
	}
	return 0
}

// TestLoginLockout: five failures lock the username for 15 minutes, during
// which even the right password is refused; the lock then lifts, and the
// next one lasts twice as long. Unknown usernames lock the same way, so a
// lock tells nothing about who has an account.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	svc, clk, _ := newService(t)
	ctx := context.Background()
	for _, name := range []string{"li.na", "no.such.person"} {
		for i := 1; i <= 5; i++ {
			_, err := svc.Login(ctx, name, "wrong password", "10.0.0.1")
			switch {
			case i < 5 && !errors.Is(err, access.ErrBadLogin):
				t.Fatalf("%s failure %d: %v", name, i, err)
			case i == 5 && lockedFor(err) != 15*time.Minute:
				t.Fatalf("%s failure 5: %v, want a 15 minute lock", name, err)
			}
		}
	}
	clk.Advance(10 * time.Minute)
	if _, err := svc.Login(ctx, "li.na", password, "10.0.0.2"); lockedFor(err) != 5*time.Minute || !errors.Is(err, access.ErrLockedOut) {
		t.Fatalf("the right password while locked: %v", err)
	}
	clk.Advance(5 * time.Minute)
	if u, err := svc.Login(ctx, "LI.NA ", password, "10.0.0.2"); err != nil || u.Username != "li.na" {
		t.Fatalf("after the lock: %v", err)
	}
	// Success started the count again: four failures do not lock.
	for range 4 {
		if _, err := svc.Login(ctx, "li.na", "wrong", "10.0.0.3"); !errors.Is(err, access.ErrBadLogin) {
			t.Fatalf("after success: %v", err)
		}
	}
	if _, err := svc.Login(ctx, "li.na", "wrong", "10.0.0.3"); lockedFor(err) != 15*time.Minute {
		t.Fatalf("the first lock after a success: %v, want 15 minutes", err)
	}
	// Without a success in between, each lock lasts twice the last.
	clk.Advance(15 * time.Minute)
	var err error
	for range 5 {
		_, err = svc.Login(ctx, "li.na", "wrong", "10.0.0.4")
	}
	if lockedFor(err) != 30*time.Minute {
		t.Fatalf("the next lock: %v, want 30 minutes", err)
	}
}

// TestLoginAddressLockout: one address trying many usernames is locked
// after AddrLockout.MaxFailures, for every username.
func TestLoginAddressLockout(t *testing.T) {
	t.Parallel()
	svc, clk, _ := newService(t)
	ctx := context.Background()
	var err error
	for i := range access.AddrLockout.MaxFailures {
		_, err = svc.Login(ctx, "guess"+string(rune('a'+i)), "x", "192.0.2.9")
	}
	if lockedFor(err) != access.AddrLockout.Lock {
		t.Fatalf("after %d failures from one address: %v", access.AddrLockout.MaxFailures, err)
	}
	if _, err := svc.Login(ctx, "li.na", password, "192.0.2.9"); !errors.Is(err, access.ErrLockedOut) {
		t.Fatalf("a good password from the locked address: %v", err)
	}
	if _, err := svc.Login(ctx, "li.na", password, "192.0.2.10"); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	clk.Advance(access.AddrLockout.Lock)
	if _, err := svc.Login(ctx, "li.na", password, "192.0.2.9"); err != nil {
		t.Fatalf("after the address's lock: %v", err)
	}
}

// TestLoginLockoutConcurrent: failures racing on one username are all
// counted (versioned writes), so a burst cannot slip past the limit.
func TestLoginLockoutConcurrent(t *testing.T) {
	t.Parallel()
	svc, _, _ := newService(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() { _, _ = svc.Login(ctx, "li.na", "wrong", "10.1.0."+string(rune('0'+i%10))) })
	}
	wg.Wait()
	if _, err := svc.Login(ctx, "li.na", password, "10.9.9.9"); !errors.Is(err, access.ErrLockedOut) {
		t.Fatalf("after 12 concurrent failures: %v", err)
	}
}

// TestTokenFailures: unknown tokens count against their address; once it
// is locked, TokenFailed says for how long without counting further.
func TestTokenFailures(t *testing.T) {
	t.Parallel()
	svc, clk, _ := newService(t)
	ctx := context.Background()
	for i := 1; i <= access.AddrLockout.MaxFailures; i++ {
		wait, err := svc.TokenFailed(ctx, "198.51.100.7")
		if err != nil || (i < access.AddrLockout.MaxFailures) != (wait == 0) {
			t.Fatalf("failure %d: %s %v", i, wait, err)
		}
	}
	clk.Advance(time.Minute)
	if wait, err := svc.TokenFailed(ctx, "198.51.100.7"); err != nil || wait != access.AddrLockout.Lock-time.Minute {
		t.Fatalf("while locked: %s %v", wait, err)
	}
}

// TestSessionTimeouts: a session ends after IdleTimeout without use and,
// however busy, MaxSessionAge after sign-in; PurgeExpired deletes ended
// sessions and throttles that no longer matter.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	svc, clk, st := newService(t)
	ctx := context.Background()
	u, err := svc.Login(ctx, "li.na", password, "")
	if err != nil {
		t.Fatal(err)
	}
	idle, _, err := svc.StartSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	busy, _, _ := svc.StartSession(ctx, u)
	clk.Advance(access.IdleTimeout - time.Minute)
	for _, s := range []string{idle, busy} {
		if _, _, err := svc.Session(ctx, s); err != nil {
			t.Fatalf("within the idle timeout: %v", err)
		}
	}
	// busy is used every few hours for a week; idle is left alone.
	clk.Advance(2 * time.Minute)
	if _, _, err := svc.Session(ctx, busy); err != nil {
		t.Fatal(err)
	}
	for clk.Now().Sub(time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC)) < access.MaxSessionAge-6*time.Hour {
		clk.Advance(6 * time.Hour)
		if _, _, err := svc.Session(ctx, busy); err != nil {
			t.Fatalf("a busy session ended early at %s: %v", clk.Now(), err)
		}
	}
	clk.Advance(6 * time.Hour)
	if _, _, err := svc.Session(ctx, busy); !errors.Is(err, access.ErrUnauthorized) {
		t.Fatalf("a session older than MaxSessionAge: %v", err)
	}
	if _, _, err := svc.Session(ctx, idle); !errors.Is(err, access.ErrUnauthorized) {
		t.Fatalf("a session idle for days: %v", err)
	}

	// Purge: a fresh session stays; an idle one and old throttles go.
	fresh, _, _ := svc.StartSession(ctx, u)
	if _, err := svc.Login(ctx, "li.na", "wrong", "203.0.113.1"); !errors.Is(err, access.ErrBadLogin) {
		t.Fatal(err)
	}
	stale, _, _ := svc.StartSession(ctx, u)
	clk.Advance(access.IdleTimeout + time.Hour)
	if _, _, err := svc.Session(ctx, fresh); !errors.Is(err, access.ErrUnauthorized) {
		t.Fatalf("idle session: %v", err)
	}
	recent, _, _ := svc.StartSession(ctx, u)
	sessions, throttles, err := access.PurgeExpired(ctx, st, clk.Now())
	if err != nil || sessions < 1 || throttles != 2 {
		t.Fatalf("purge: %d sessions, %d throttles, %v", sessions, throttles, err)
	}
	if _, err := st.SessionByHash(ctx, access.HashSecret(stale)); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("the idle session was not purged: %v", err)
	}
	if _, _, err := svc.Session(ctx, recent); err != nil {
		t.Fatalf("a live session was purged: %v", err)
	}
}
