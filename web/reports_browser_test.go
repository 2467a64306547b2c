package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserReportsAndReview opens the managers' reports page and the
// printable review in headless Chromium as a manager: the SVG charts are
// there, drawn by the server, with no console error (CSP violations
// included), and the review's print styles hide the navigation. With
// -update, screenshots are saved under docs/screenshots.
func TestBrowserReportsAndReview(t *testing.T) {
	exe := chromium(t)
	e := newReviewEnv(t)
	inc := storyIncident(t, e)
	insertAll(t, e.db.Incidents(), genIncidents(9, 120, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 60))
	e.clock.At(51 * time.Hour)

	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "en-US"),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTimeout := context.WithTimeout(allocCtx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	tab, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 1000)); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	var console consoleLog
	console.watch(tab, "reports")

	if err := chromedp.Do(tab,
		chromedp.Navigate(e.srv.URL+"/login?next=/reports"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "chen.jie"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#real svg.chart")),
	); err != nil {
		t.Fatalf("open /reports: %v", err)
	}
	charts, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("#real svg.chart rect.chart-bar").length > 0 ? document.querySelectorAll("#real svg.chart").length : 0`))
	if err != nil {
		t.Fatal(err)
	}
	drillCharts, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("#drills svg.chart").length`))
	if err != nil {
		t.Fatal(err)
	}
	total, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#real p.big")))
	if err != nil {
		t.Fatal(err)
	}
	// Level, stage, category, month, and response times per level.
	if charts < 5 || drillCharts < 4 {
		t.Fatalf("charts: %d real, %d drills", charts, drillCharts)
	}
	if !strings.HasPrefix(total, "Incidents: ") {
		t.Fatalf("total %q", total)
	}
	shotReports, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(tab,
		chromedp.Navigate(e.srv.URL+"/incidents/"+inc.Number+"/review?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS("article.review svg.chart")),
	); err != nil {
		t.Fatalf("open the review: %v", err)
	}
	timingBars, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("article.review svg.chart rect.chart-bar").length`))
	if err != nil {
		t.Fatal(err)
	}
	lang, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("article.review").getAttribute("lang")`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	nav, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("header.topbar")).display`))
	if err != nil {
		t.Fatal(err)
	}
	if timingBars != 4 || lang != "zh-CN" || nav != "none" {
		t.Fatalf("review: %d timing bars, lang %q, navigation in print %q", timingBars, lang, nav)
	}
	shotReview, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// The page's forms, as the manager: write the root cause and lessons,
	// return with a comment, then sign off (the forms carry the session's
	// CSRF token).
	if err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
			return err
		}),
		chromedp.SendKeys(chromedp.CSS("#rv-root"), "The gateway let a macro document through."),
		chromedp.SendKeys(chromedp.CSS("#rv-les"), "Block macro attachments."),
		chromedp.Submit(chromedp.CSS("#rv-les")),
	); err != nil {
		t.Fatalf("write the review from the page: %v", err)
	}
	// The saved page shows the lessons in the report itself.
	waitJS(t, tab, `document.readyState === "complete" && [...document.querySelectorAll("article.review p.prose")].some(p => p.textContent === "Block macro attachments.")`)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#rr-comment"), "Say which gateway rule changes."),
		chromedp.Submit(chromedp.CSS("#rr-comment")),
	); err != nil {
		t.Fatalf("return from the page: %v", err)
	}
	short, cancelShort := context.WithTimeout(tab, 15*time.Second)
	defer cancelShort()
	if err := chromedp.Do(short, chromedp.WaitVisible(chromedp.CSS(".signoff .alert"))); err != nil {
		body, _ := chromedp.Run(tab, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 3000)`))
		t.Fatalf("no return shown: %v\n%s", err, body)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS("#signoff")),
		chromedp.WaitNotPresent(chromedp.CSS("#signoff")),
	); err != nil {
		t.Fatalf("return and sign off from the page: %v", err)
	}
	got, err := e.incidents.Get(context.Background(), inc.Number)
	if err != nil || got.Stage != "closed" || got.Review.Returns != 1 || got.Review.Lessons != "Block macro attachments." || got.Review.SignedOffBy == nil || got.Review.SignedOffBy.Name != "Chen Jie" {
		t.Fatalf("after the forms: %v %+v", err, got.Review)
	}
	if *update {
		dir := filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{"reports.png": shotReports, "review-print-zh.png": shotReview} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("console errors (CSP violations or script errors):\n%s", strings.Join(errs, "\n"))
	}
}

// waitJS evaluates expr until it is true, across page loads (an evaluation
// that a navigation interrupts is tried again), for up to 15 seconds.
func waitJS(t *testing.T, tab context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("never true: %s", expr)
}
