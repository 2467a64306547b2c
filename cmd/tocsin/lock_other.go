//go:build !unix

package main

import "errors"

var errDataDirBusy = errors.New("data directory is in use by another Tocsin process")

// dirLock does nothing on systems without flock: there, make sure yourself
// that only one Tocsin process uses a data directory.
type dirLock struct{}

func lockDataDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
