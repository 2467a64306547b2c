//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers for the tests that run the real binary as a separate process.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// goTool is the go command of the toolchain running the tests, so the
// binary is built by the same release.
func goTool() string {
	//lint:ignore SA1019 the tests want the go command of the toolchain that built them, not whichever is on PATH.
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// tocsinBinary builds cmd/tocsin once per test binary and returns its path.
func tocsinBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "tocsin-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "tocsin")
		cmd := exec.Command(goTool(), "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// syncBuffer collects a process's output safely from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hubProcess is a running tocsin binary.
type hubProcess struct {
	cmd    *exec.Cmd
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{} // closed when the process has ended
	err    error         // Wait's result, once exited
}

// testToken is the bootstrap token of every hub the tests start.
const testToken = "durability-test-bootstrap-token-0123456789"

// hubEnv is the environment of a hub on dataDir listening on addr: the
// test's environment without any TOCSIN_ settings, plus these.
func hubEnv(dataDir, addr string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOCSIN_") {
			env = append(env, kv)
		}
	}
	return append(env, append([]string{
		"TOCSIN_ADDR=" + addr,
		"TOCSIN_DATA_DIR=" + dataDir,
		"TOCSIN_BOOTSTRAP_TOKEN=" + testToken,
		"TOCSIN_LOG_LEVEL=warn",
	}, extra...)...)
}

// startHub starts the binary on dataDir and a free loopback port and waits
// until it is ready. The process is killed when the test ends, if it is
// still running.
func startHub(t *testing.T, dataDir string, extra ...string) *hubProcess {
	t.Helper()
	addr := freeAddr(t)
	h := &hubProcess{url: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	h.cmd = exec.Command(tocsinBinary(t))
	h.cmd.Env = hubEnv(dataDir, addr, extra...)
	h.cmd.Stdout, h.cmd.Stderr = h.stdout, h.stderr
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.err = h.cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		_ = h.cmd.Process.Kill()
		<-h.exited
		if t.Failed() {
			t.Logf("hub stdout:\n%s\nhub stderr:\n%s", h.stdout, h.stderr)
		}
	})
	h.waitReady(t)
	return h
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (h *hubProcess) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-h.exited:
			t.Fatalf("hub exited before it was ready: %v\nstderr:\n%s", h.err, h.stderr)
		default:
		}
		resp, err := http.Get(h.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("hub not ready after 45s\nstderr:\n%s", h.stderr)
}

// wait waits for the process to end and returns Wait's result.
func (h *hubProcess) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-h.exited:
		return h.err
	case <-time.After(timeout):
		t.Fatalf("hub still running %s after it was told to stop", timeout)
		return nil
	}
}

// ack is a report the hub answered 201 Created.
type ack struct{ number, title string }

// postResult is what a load of reports produced.
type postResult struct {
	acks       []ack
	otherCodes map[int]int // answers other than 201, by status
	errors     int         // requests that got no answer
}

// postReports posts reports from workers goroutines until each has had a
// request fail without an answer (the hub stopped), or ctx ends. After the
// threshold-th acknowledgement it calls atThreshold once, while the other
// workers keep their requests in flight.
func postReports(ctx context.Context, baseURL string, workers, threshold int, atThreshold func()) postResult {
	client := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var (
		mu   sync.Mutex
		res  = postResult{otherCodes: map[int]int{}}
		once sync.Once
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				title := fmt.Sprintf("durability worker %d report %d", w, i)
				status, number, err := postReport(ctx, client, baseURL, title)
				mu.Lock()
				switch {
				case err != nil:
					res.errors++
				case status == http.StatusCreated:
					res.acks = append(res.acks, ack{number: number, title: title})
				default:
					res.otherCodes[status]++
				}
				n := len(res.acks)
				mu.Unlock()
				if n >= threshold {
					once.Do(atThreshold)
				}
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return res
}

func postReport(ctx context.Context, client *http.Client, baseURL, title string) (status int, number string, err error) {
	body, _ := json.Marshal(map[string]any{
		"title":           title,
		"description":     "Posted by the durability test; it must survive a crash once answered.",
		"category":        "cyber_attack",
		"suggested_level": "ordinary",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/incidents", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct {
		Number string `json:"number"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && resp.StatusCode == http.StatusCreated {
		// Headers arrived but the body did not: no complete answer.
		return 0, "", err
	}
	return resp.StatusCode, out.Number, nil
}

// checkStored asserts that every acknowledged report is in the hub.
func checkStored(t *testing.T, baseURL string, acks []ack) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		missing []string
	)
	work := make(chan ack)
	for range 4 {
		wg.Go(func() {
			for a := range work {
				if problem := checkOne(client, baseURL, a); problem != "" {
					mu.Lock()
					missing = append(missing, problem)
					mu.Unlock()
				}
			}
		})
	}
	for _, a := range acks {
		work <- a
	}
	close(work)
	wg.Wait()
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged reports are not stored as answered, e.g.:\n  %s",
			len(missing), len(acks), strings.Join(missing[:min(10, len(missing))], "\n  "))
	}
}

func checkOne(client *http.Client, baseURL string, a ack) string {
	req, _ := http.NewRequest(http.MethodGet, baseURL+"/api/v1/incidents/"+a.number, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := client.Do(req)
	if err != nil {
		return a.number + ": " + err.Error()
	}
	defer resp.Body.Close()
	var got struct {
		Title string `json:"title"`
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("%s: GET answered %d", a.number, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return a.number + ": " + err.Error()
	}
	if got.Title != a.title {
		return fmt.Sprintf("%s: title %q, want %q", a.number, got.Title, a.title)
	}
	return ""
}

// get fetches url with an optional bearer token.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// exitCode is the exit status of a process that has ended, -1 if it was
// killed by a signal.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return ee.ExitCode()
	}
	return -2
}
