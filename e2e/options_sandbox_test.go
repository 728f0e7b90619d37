package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Journeys of the options sandbox (/lessons/options): the student picks resave, presses "a
// request that sets a value" and then the race, and reads what happened to the value.

// TestOptionsSandboxRaceLosesTheValueOnlyWithResaveTrue runs the race with resave: true (the
// reader's write-back wins) and then with resave: false (the value survives), on MongoDB.
func TestOptionsSandboxRaceLosesTheValueOnlyWithResaveTrue(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.openOK("/lessons/options")

	j.raceWith("true")
	j.mustContain("the verdict", j.text("#race-verdict"), "Lost update")
	j.mustContain("request B", j.text("#request-1"), "store.set", "update lessonSandboxSessions", "written back")
	lost := j.text("#stored-document")

	j.raceWith("false")
	j.mustContain("the verdict", j.text("#race-verdict"), "The value survived")
	j.mustContain("request B", j.text("#request-1"), "find lessonSandboxSessions", "has no touch()")
	j.mustNotContain("request B", j.text("#request-1"), "update lessonSandboxSessions")
	j.mustContain("request A", j.text("#request-0"), "Set-Cookie: sandbox.sid=s%3A", "update lessonSandboxSessions", "upsert: true")
	if kept := j.text("#stored-document"); kept == lost {
		t.Errorf("the stored document did not change between the races:\n%s", kept)
	}
	j.mustContain("the Node line", j.text("#node-config"), "resave: false,", "collection: 'lessonSandboxSessions'")
	res, err := chromedp.Call(j.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{j.shop.URL + "/lessons/options"}})
	if err != nil {
		t.Fatal(err)
	}
	var sandbox *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == "sandbox.sid" {
			sandbox = c
		}
	}
	if sandbox == nil || sandbox.Path != "/lessons/options" || !sandbox.HTTPOnly {
		t.Errorf("the browser's sandbox.sid cookie is %+v, want an HttpOnly cookie for /lessons/options", sandbox)
	}
	if j.cookie("sandbox.sid") != nil {
		t.Error("the sandbox cookie is sent to the whole shop, not only to /lessons/options")
	}
}

// raceWith chooses resave, stores a value, then runs the race, each time waiting for the page.
func (j *journey) raceWith(resave string) {
	j.t.Helper()
	j.click(`#option-resave input[value="` + resave + `"]`)
	for _, button := range []string{"#do-set", "#do-race"} {
		if status := j.follow(button); status != 200 {
			j.t.Fatalf("resave %s, %s: status %d\n%s", resave, button, status, j.body())
		}
	}
	if got := eval[bool](j, one(`#option-resave input[value="`+resave+`"]`)+".checked"); !got {
		j.t.Errorf("the page after the race forgot resave: %s", resave)
	}
}

// TestOptionsSandboxScreenshot takes docs/screenshots/options-sandbox.png: the sandbox after
// the race with resave: true, scrolled to the two requests and the verdict. It always takes and
// checks it; -update-screenshots writes it (see screenshots_test.go).
func TestOptionsSandboxScreenshot(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.openOK("/lessons/options")
	j.raceWith("true")
	eval[any](j, one("#results")+".scrollIntoView()")
	shot := j.screenshot(desktopWidth, desktopHeight)
	if !*updateScreenshots {
		return
	}
	path := filepath.Join(screenshotDir, "options-sandbox.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
