package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin-hub/tocsin/access"
)

// TestBrowserBoardAck checks the board card's Ack button in a real
// browser: on a card the board's script builds from the live stream, the
// button posts to the incident and comes back to the board; an
// acknowledgement made elsewhere hides the button live.
func TestBrowserBoardAck(t *testing.T) {
	exe := chromium(t)
	env := newEnv(t)
	env.user(t, "coord", access.Coordinator)
	api := env.user(t, "coordapi", access.Coordinator)

	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1600, 1000),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("lang", "en-US"),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTimeout := context.WithTimeout(allocCtx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	tab, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	var console consoleLog
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1600, 1000)); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	console.watch(tab, "board tab")
	if err := chromedp.Do(tab,
		chromedp.Navigate(env.srv.URL+"/login?next=/board"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "coord"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#board[data-live="on"]`)),
	); err != nil {
		t.Fatalf("sign in and open the board: %v", err)
	}

	report := func(title string) string {
		s, b := env.call(t, "POST", "/api/v1/incidents", api, map[string]any{"title": title, "description": "x"})
		if s != 201 {
			t.Fatalf("report: %d %s", s, b)
		}
		return decode(t, b)["number"].(string)
	}
	waitCtx, cancelWait := context.WithTimeout(tab, 20*time.Second)
	defer cancelWait()

	// A card that arrives live has a working Ack button.
	first := report("Credential phishing page mimicking the VPN portal")
	card := fmt.Sprintf(`.card[data-number="%s"]`, first)
	button := card + ` form.card-ack-form button`
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(button))); err != nil {
		t.Fatalf("no Ack button on the live card: %v (console: %v)", err, console.errors())
	}
	action, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(card+` form.card-ack-form`), "action"))
	if err != nil || action.Value != "/incidents/"+first+"/ack" {
		t.Fatalf("live card's form action %q, %v", action.Value, err)
	}
	if err := chromedp.Do(waitCtx,
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS(`#board[data-live="on"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+` .badge-acked`)),
		chromedp.WaitNotVisible(chromedp.CSS(card+` form.card-ack-form`)),
	); err != nil {
		t.Fatalf("acknowledging from the card: %v (console: %v)", err, console.errors())
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil || !strings.HasSuffix(loc, "/board") {
		t.Fatalf("after Ack the browser is at %q, %v", loc, err)
	}
	if s, b := env.call(t, "GET", "/api/v1/incidents/"+first, api, nil); s != 200 || !strings.Contains(string(b), `"acked_by":{"id"`) {
		t.Fatalf("the ack was not recorded: %d %s", s, b)
	}

	// Acknowledged elsewhere (the API, chat): the open board hides the button.
	second := report("Unusual login to the HR system from abroad")
	other := fmt.Sprintf(`.card[data-number="%s"]`, second)
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(other+` form.card-ack-form button`))); err != nil {
		t.Fatalf("second card: %v", err)
	}
	if s, b := env.call(t, "POST", "/api/v1/incidents/"+second+"/ack", api, nil); s != 200 {
		t.Fatalf("ack through the API: %d %s", s, b)
	}
	if err := chromedp.Do(waitCtx,
		chromedp.WaitNotVisible(chromedp.CSS(other+` form.card-ack-form`)),
		chromedp.WaitVisible(chromedp.CSS(other+` .badge-acked`)),
	); err != nil {
		t.Fatalf("the board did not show the ack live: %v", err)
	}
	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
