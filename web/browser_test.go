package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin-hub/tocsin/access"
)

// chromium finds the browser. It is a test dependency like the compiler:
// missing, the test fails and says how to get it; it never skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is needed for the browser test and was not found in PATH: install it " +
		"(Debian: apt-get install chromium) or run `make test`, which checks the test dependencies")
	return ""
}

// consoleLog collects what the pages write to the console: errors there
// (a CSP violation, an exception in board.js) fail the test.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *consoleLog) watch(ctx context.Context, tab string) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// A broken event stream is a network fact the board handles
			// (the test breaks it on purpose), not a page error.
			if m.Source == "network" && strings.Contains(m.URL, "/board/events") {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || m.Source == "security" ||
				strings.Contains(m.Text, "Content Security Policy") {
				l.mu.Lock()
				l.errs = append(l.errs, fmt.Sprintf("%s: [%s/%s] %q (%s)", tab, m.Type, m.Source, m.Text, m.URL))
				l.mu.Unlock()
			}
		}
	}()
}

func (l *consoleLog) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

// TestBrowserBoardLive is the board's story in a real browser: a
// coordinator signs in and opens the board in one tab, files a report in
// another, and the first tab shows the new card without a reload.
func TestBrowserBoardLive(t *testing.T) {
	exe := chromium(t)
	env := newEnv(t)
	env.user(t, "coord", access.Coordinator)
	api := env.user(t, "coordapi", access.Coordinator)
	// Some incidents already on the board.
	for _, r := range []map[string]any{
		{"title": "Ransom note on the finance file server", "description": "x", "category": "malicious_program", "suggested_level": "special"},
		{"title": "UPS alarm in server room B", "description": "x", "category": "equipment_failure", "suggested_level": "ordinary", "drill": true},
		{"title": "Unapproved admin rights on WS-114", "description": "x", "category": "rule_violation", "suggested_level": "ordinary"},
	} {
		if s, b := env.call(t, "POST", "/api/v1/incidents", api, r); s != 201 {
			t.Fatalf("seed: %d %s", s, b)
		}
	}
	for v, body := range []map[string]any{
		{"to": "confirm", "level": "ordinary", "category": "rule_violation", "scope": "local", "assessment_note": "confirmed"},
		{"to": "plan", "measures": "revoke the rights, review the change process"},
	} {
		body["version"] = v + 1
		if s, b := env.call(t, "POST", "/api/v1/incidents/INC-"+fmt.Sprint(time.Now().UTC().Year())+"-000003/transitions", api, body); s != 200 {
			t.Fatalf("seed move: %d %s", s, b)
		}
	}

	profile := t.TempDir() // before the browser's cleanup, so it is removed after the browser exits
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1600, 1000),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "en-US"),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTimeout := context.WithTimeout(allocCtx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	tabA, cancelA := chromedp.NewContext(ctx)
	t.Cleanup(cancelA)

	var console consoleLog
	// The first Do starts the browser (slow on a small machine).
	if err := chromedp.Do(tabA, chromedp.EmulateViewport(1600, 1000)); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	console.watch(tabA, "board tab")

	// Tab A: sign in through the form, land on the board, wait until its
	// script has connected the live stream (which also proves that the CSP
	// let the script run).
	if err := chromedp.Do(tabA,
		chromedp.Navigate(env.srv.URL+"/login?next=/board"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "coord"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#board[data-live="on"]`)),
	); err != nil {
		t.Fatalf("sign in and open the board: %v", err)
	}

	// Tab B (same browser, same cookies): file a report through the form.
	tabB, cancelB := chromedp.NewContext(tabA)
	t.Cleanup(cancelB)
	console.watch(tabB, "report tab") // opens the tab, before anything loads in it
	title := fmt.Sprintf("Beaconing to unknown host from lab PC %d", time.Now().UnixMilli()%1000)
	if err := chromedp.Do(tabB,
		chromedp.Navigate(env.srv.URL+"/report"),
		chromedp.WaitVisible(chromedp.CSS("#report-title")),
	); err != nil {
		t.Fatalf("open the report form: %v", err)
	}
	if err := chromedp.Do(tabB,
		chromedp.SendKeys(chromedp.CSS("#report-title"), title),
		chromedp.SendKeys(chromedp.CSS("#report-description"), "Outbound connections every 60 s to 203.0.113.9:8443.\nNoticed in the proxy log."),
		chromedp.Click(chromedp.CSS(`label[for="report-suggested-level-2"]`)),
		chromedp.SendKeys(chromedp.CSS("#report-affected-assets"), "lab-pc-17"),
		chromedp.Click(chromedp.CSS(`form[action="/report"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	); err != nil {
		t.Fatalf("file the report: %v", err)
	}
	loc, err := chromedp.Run(tabB, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/incidents/(INC-\d{4}-\d{6})\?new=1$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after reporting the browser is at %q", loc)
	}
	number := m[1]

	// Tab A shows the card in the receive column, without a reload.
	waitCtx, cancelWait := context.WithTimeout(tabA, 15*time.Second)
	defer cancelWait()
	card := fmt.Sprintf(`.column[data-stage="receive"] .card[data-number="%s"]`, number)
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(card))); err != nil {
		t.Fatalf("the board did not show %s live: %v (console: %v)", number, err, console.errors())
	}
	got, err := chromedp.Run(tabA, chromedp.Text(chromedp.CSS(card+" .card-title")))
	if err != nil || got != title {
		t.Fatalf("card title %q, %v; want %q", got, err, title)
	}
	count, err := chromedp.Run(tabA, chromedp.Text(chromedp.CSS(`.column[data-stage="receive"] .count`)))
	if err != nil || count != "3" {
		t.Fatalf("receive count %q, %v", count, err)
	}
	announced, err := chromedp.Run(waitCtx, chromedp.Poll[string](
		`document.getElementById("board-announcer").textContent || undefined`))
	if err != nil || !strings.Contains(announced, number) {
		t.Errorf("announcement %q, %v", announced, err)
	}

	// A stage change moves the card; a rejection takes it off the board.
	path := "/api/v1/incidents/" + number + "/transitions"
	if s, b := env.call(t, "POST", path, api, map[string]any{"to": "confirm", "version": 1, "level": "serious",
		"category": "malicious_program", "scope": "local", "assessment_note": "beaconing confirmed"}); s != 200 {
		t.Fatalf("confirm: %d %s", s, b)
	}
	moved := fmt.Sprintf(`.column[data-stage="confirm"] .card[data-number="%s"]`, number)
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(moved)), chromedp.WaitNotPresent(chromedp.CSS(card))); err != nil {
		t.Fatalf("the card did not move to confirm: %v", err)
	}
	category, err := chromedp.Run(tabA, chromedp.Text(chromedp.CSS(moved+" .card-category")))
	if err != nil || category != "Malicious program" {
		t.Fatalf("moved card category %q, %v", category, err)
	}
	shot, err := chromedp.Run(tabA, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if s, b := env.call(t, "POST", path, api, map[string]any{"to": "rejected", "version": 2, "reject_reason": "false_positive"}); s != 200 {
		t.Fatalf("reject: %d %s", s, b)
	}
	if err := chromedp.Do(waitCtx, chromedp.WaitNotPresent(chromedp.CSS(`.card[data-number="`+number+`"]`))); err != nil {
		t.Fatalf("the rejected card stayed on the board: %v", err)
	}
	if count, err := chromedp.Run(tabA, chromedp.Text(chromedp.CSS(`.column[data-stage="confirm"] .count`))); err != nil || count != "0" {
		t.Fatalf("confirm count after rejection %q, %v", count, err)
	}

	if err != nil {
		t.Fatal(err)
	}
	// A dropped stream: the board notices, reconnects, and reloads what it
	// missed while offline (no event reaches it for this report).
	env.srv.CloseClientConnections()
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(`#board[data-live="off"]`))); err != nil {
		t.Fatalf("the board did not notice the dropped stream: %v", err)
	}
	s, b := env.call(t, "POST", "/api/v1/incidents", api, map[string]any{"title": "Reported while the board was offline", "description": "x"})
	if s != 201 {
		t.Fatalf("report: %d %s", s, b)
	}
	missed := fmt.Sprintf(`.column[data-stage="receive"] .card[data-number="%s"]`, decode(t, b)["number"])
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(missed)), chromedp.WaitVisible(chromedp.CSS(`#board[data-live="on"]`))); err != nil {
		t.Fatalf("the board did not resynchronise after reconnecting: %v", err)
	}

	if err := os.WriteFile(filepath.Join(t.TempDir(), "board.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	saveForReview(t, shot)

	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("console errors (CSP violations or script errors):\n%s", strings.Join(errs, "\n"))
	}
}

var saveOnce sync.Once

// saveForReview keeps one screenshot of the board at /tmp/board.png for
// people to look at.
func saveForReview(t *testing.T, png []byte) {
	saveOnce.Do(func() {
		if err := os.WriteFile(filepath.Join(os.TempDir(), "board.png"), png, 0o644); err != nil {
			t.Logf("keep screenshot: %v", err)
		}
	})
}
