//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the name of the lock file in the data directory.
const lockFile = "tocsin.lock"

// errDataDirBusy says another process holds the data directory.
var errDataDirBusy = errors.New("data directory is in use by another Tocsin process")

// busyError names the busy directory and, when known, the process holding it.
type busyError struct{ dir, holder string }

func (e *busyError) Error() string {
	return "data directory " + e.dir + " is in use by another Tocsin process" + e.holder
}

func (e *busyError) Is(target error) bool { return target == errDataDirBusy }

// dirLock is the exclusive hold of a process on the embedded store's data
// directory. FerretDB's SQLite files belong to one process: its conditional
// updates are atomic only through the single connection that process keeps.
type dirLock struct{ f *os.File }

// lockDataDir takes the data directory for this process, creating it if
// needed, or fails at once with errDataDirBusy when another process holds it.
// The kernel releases the lock when the process ends, even on SIGKILL, so a
// crash never leaves a stale lock behind.
func lockDataDir(dir string) (*dirLock, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(abs, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readHolder(f)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &busyError{dir: abs, holder: holder}
		}
		return nil, fmt.Errorf("lock data directory %s: %w", abs, err)
	}
	// The pid is only information for the message above; the lock is the flock.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &dirLock{f: f}, nil
}

// readHolder describes the process named in the lock file, if any.
func readHolder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return " (pid " + pid + ")"
	}
	return ""
}

// release gives the directory up.
func (l *dirLock) release() {
	if l == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
