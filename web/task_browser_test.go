package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin-hub/tocsin/incident"
)

// TestBrowserPlanDispatchHandle: in a real browser, a coordinator plans
// (chooses the suggested runbook), dispatches (to the on-call people, by
// default), and completes the tasks (one with an evidence file, one
// waived) through the incident page, until the incident enters review.
func TestBrowserPlanDispatchHandle(t *testing.T) {
	exe := chromium(t)
	e := newWorkEnv(t)
	num := e.confirmed(t, "Exposed admin interface on the VPN gateway", incident.SecurityHazard, incident.Serious, false)

	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1600, 1200),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("lang", "en-US"),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTimeout := context.WithTimeout(allocCtx, 150*time.Second)
	t.Cleanup(cancelTimeout)
	tab, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	var console consoleLog
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1600, 1200)); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	console.watch(tab, "incident tab")
	if err := chromedp.Do(tab,
		chromedp.Navigate(e.srv.URL+"/login?next=/incidents/"+num),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "zhou.min"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#plan-choose")),
	); err != nil {
		t.Fatalf("sign in and open the incident: %v", err)
	}

	// Plan: the suggestion for a security hazard is the vulnerability
	// runbook; choosing it makes its seven steps the tasks.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`label[for="runbook-vulnerability"]`)),
		chromedp.Click(chromedp.CSS(`#plan-choose button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tasks .task-progress")),
	); err != nil {
		t.Fatalf("choose the runbook: %v (console %v)", err, console.errors())
	}
	if p, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#tasks .task-progress"))); err != nil || p != "0/7" {
		t.Fatalf("progress after planning %q, %v", p, err)
	}
	if groups, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#tasks h3.task-group")].map(h => h.id)`)); err != nil ||
		strings.Join(groups, ",") != "tasks-confirm,tasks-plan,tasks-handle" {
		t.Errorf("task groups %v, %v", groups, err)
	}

	// Dispatch: move on, then give every task to the on-call people.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`#forward button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".badge-stage.stage-dispatch")),
		chromedp.Click(chromedp.CSS(`#plan-assign-defaults button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#plan-assign-defaults")),
	); err != nil {
		t.Fatalf("dispatch: %v (console %v)", err, console.errors())
	}
	assignees, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#tasks .task .task-assignee")].map(a => a.textContent.trim())`))
	if err != nil || len(assignees) != 7 || assignees[3] != "Zhao Lei" || assignees[0] != "Chen Jie" || assignees[6] != "Zhou Min" {
		t.Fatalf("assignees %v, %v", assignees, err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`#forward button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".badge-stage.stage-handle")),
	); err != nil {
		t.Fatalf("to handling: %v", err)
	}

	// Handle: the review form names what is left.
	if cond, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#forward .conditions .unmet"))); err != nil ||
		!strings.Contains(cond, "Verify the finding on the affected systems") {
		t.Errorf("review condition %q, %v", cond, err)
	}
	evidence := filepath.Join(t.TempDir(), "retest-report.txt")
	if err := os.WriteFile(evidence, []byte("port 8443 closed from outside: OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tasks := e.tasks(t, num)
	for _, tk := range tasks {
		id := tk["id"].(string)
		sel := "#task-" + id
		if tk["required"] != true {
			// The thank-you is not needed this time: waive it.
			if err := chromedp.Do(tab,
				chromedp.Click(chromedp.CSS(sel+` details:has(input[value="waive"]) > summary`)),
				chromedp.SendKeys(chromedp.CSS("#waive-"+id), "reported by our own scan"),
				chromedp.Click(chromedp.CSS(sel+` form:has(input[value="waive"]) button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(sel+`[data-status="waived"]`)),
			); err != nil {
				t.Fatalf("waive %s: %v (console %v)", id, err, console.errors())
			}
			continue
		}
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(sel + ` details:has(form.task-done) > summary`)),
			chromedp.SendKeys(chromedp.CSS("#done-note-"+id), "done: "+tk["title"].(string)),
		}
		if tk["step"] == "retest" {
			steps = append(steps, chromedp.SetUploadFiles(chromedp.CSS("#done-file-"+id), []string{evidence}))
		}
		steps = append(steps,
			chromedp.Click(chromedp.CSS(sel+` form.task-done button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(sel+`[data-status="done"]`)))
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("finish %s: %v (console %v)", id, err, console.errors())
		}
	}
	if p, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#tasks .task-progress"))); err != nil || p != "7/7" {
		t.Errorf("progress after handling %q, %v", p, err)
	}
	link, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(`#tasks .evidence a`), "href"))
	if err != nil || !link.Exists || !strings.HasPrefix(link.Value, "/api/v1/incidents/"+num+"/evidence/") {
		t.Errorf("evidence link %+v, %v", link, err)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`#forward button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".badge-stage.stage-review")),
	); err != nil {
		t.Fatalf("to review: %v", err)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "incident.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// What the browser did is what the store holds.
	inc := e.do(t, "GET", "/api/v1/incidents/"+num, "zhou.min", nil, http.StatusOK)
	if inc["stage"] != "review" || fmt.Sprint(inc["task_progress"]) != "map[finished:7 total:7]" {
		t.Errorf("stored: stage %v, progress %v", inc["stage"], inc["task_progress"])
	}
	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("console errors (CSP violations or script errors):\n%s", strings.Join(errs, "\n"))
	}
}
