package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserShareCorrectionLoop: in a real browser, a partner from
// another organization applies for an incident, a manager returns the
// request, the partner corrects and resubmits it, the manager approves
// it, and the partner opens the shared view, which shows the incident
// with its phone number, e-mail and internal address masked. No page
// writes an error to the console (a CSP violation would).
func TestBrowserShareCorrectionLoop(t *testing.T) {
	exe := chromium(t)
	e := newSharePagesEnv(t)
	inc := e.sensitiveIncident(t, "Beacon from the lab")

	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1400, 1100),
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
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1400, 1100)); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	console.watch(tab, "sharing tab")

	// signIn signs out whoever is signed in and signs in as user, landing
	// on next.
	signIn := func(user, next, waitFor string) {
		t.Helper()
		if err := chromedp.Do(tab,
			chromedp.Navigate(e.srv.URL+"/login?next="+next),
			chromedp.WaitReady(chromedp.CSS("body")),
		); err != nil {
			t.Fatalf("open sign-in: %v", err)
		}
		if out, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!!document.querySelector('form[action="/logout"]')`)); err == nil && out {
			if err := chromedp.Do(tab,
				chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#username")),
				chromedp.Navigate(e.srv.URL+"/login?next="+next),
			); err != nil {
				t.Fatalf("sign out: %v", err)
			}
		}
		if err := chromedp.Do(tab,
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), user),
			chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(waitFor)),
		); err != nil {
			t.Fatalf("sign in as %s: %v (console %v)", user, err, console.errors())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	// The partner applies, from the link the form is prefilled with.
	until := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	signIn("partner", "/sharing/apply?incident="+inc.Number, "#apply-purpose")
	if got, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS("#apply-incidents"))); err != nil || got != inc.Number {
		t.Fatalf("prefilled incidents %q, %v", got, err)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#apply-purpose"), "Correlate the beacon with our sensors"),
		chromedp.Click(chromedp.CSS(`label[for="apply-sections-0"]`)), // description
		chromedp.Click(chromedp.CSS(`label[for="apply-sections-1"]`)), // assets
		chromedp.SetValue(chromedp.CSS("#apply-until"), until),
		chromedp.Click(chromedp.CSS(`#apply button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#grant-status.status-pending")),
	); err != nil {
		t.Fatalf("apply: %v (console %v)", err, console.errors())
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/sharing/grants/(SG-[0-9a-f]+)$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after applying the browser is at %q", loc)
	}
	grant := "/sharing/grants/" + m[1]
	if s := text("#grant-status"); s != "pending" {
		t.Fatalf("status after applying %q", s)
	}

	// The manager returns it with a comment.
	const why = "Name the sensors you will correlate with."
	signIn(castManager, grant, "#decide")
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`label[for="decide-action-1"]`)), // return
		chromedp.SendKeys(chromedp.CSS("#decide-comment"), why),
		chromedp.Click(chromedp.CSS(`#decide button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#grant-status.status-returned`)),
	); err != nil {
		t.Fatalf("return: %v (console %v)", err, console.errors())
	}
	if s := text("#grant-status"); s != "returned for correction" {
		t.Fatalf("status after returning %q", s)
	}

	// The partner reads why, corrects and resubmits.
	signIn("partner", grant, "#grant-edit")
	if c := text(`#history li[data-action="return"] .history-comment`); c != why {
		t.Errorf("the return's comment on the history %q", c)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS("#grant-edit")),
		chromedp.WaitVisible(chromedp.CSS("#apply-purpose")),
	); err != nil {
		t.Fatalf("open the correction: %v", err)
	}
	if c := text(".returned-comment"); c != why {
		t.Errorf("the correction form recalls %q", c)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#apply-purpose"), " (IDS sensors S1 and S2)"),
		chromedp.Click(chromedp.CSS(`#apply button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#grant-status.status-pending")),
	); err != nil {
		t.Fatalf("resubmit: %v (console %v)", err, console.errors())
	}
	if s := text("#grant-status"); s != "pending" {
		t.Fatalf("status after resubmitting %q", s)
	}

	// The manager approves.
	signIn(castManager, grant, "#decide")
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`label[for="decide-action-0"]`)), // approve
		chromedp.SendKeys(chromedp.CSS("#decide-comment"), "agreed"),
		chromedp.Click(chromedp.CSS(`#decide button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#grant-status.status-active`)),
	); err != nil {
		t.Fatalf("approve: %v (console %v)", err, console.errors())
	}
	if s := text("#grant-status"); s != "active" {
		t.Fatalf("status after approving %q", s)
	}
	steps, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#history li")].map(li => li.dataset.action)`))
	if err != nil || strings.Join(steps, " ") != "submit return resubmit approve" {
		t.Errorf("history %v, %v", steps, err)
	}

	// The partner opens the shared view from the grant.
	signIn("partner", grant, "#grant-status")
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`a[href="/shared/incidents/`+inc.Number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#shared-banner")),
	); err != nil {
		t.Fatalf("open the shared view: %v (console %v)", err, console.errors())
	}
	if b := text("#shared-banner strong"); b != "Shared view — desensitized" {
		t.Errorf("banner %q", b)
	}
	desc := text("#shared-description .prewrap")
	if !strings.Contains(desc, "<script>alert('x')</script>") {
		t.Errorf("the description is not shown as text: %q", desc)
	}
	page, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{secretPhone, secretEmail, secretIP} {
		if strings.Contains(page, leak) {
			t.Errorf("the shared view shows %q:\n%s", leak, page)
		}
	}
	if masked := text("#shared-masked"); !strings.Contains(masked, "Phone numbers") || !strings.Contains(masked, "E-mail addresses") {
		t.Errorf("masked counts %q", masked)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "shared.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// The script in the incident's text never ran: nothing was alerted
	// and the console is clean.
	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("console errors (CSP violations or script errors):\n%s", strings.Join(errs, "\n"))
	}
}
