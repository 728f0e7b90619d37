package e2e

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenshotDir is where -update-screenshots writes (docs/screenshots of the repository).
const screenshotDir = "../docs/screenshots"

// TestScreenshots takes the pictures of docs/README.md: the home page and the drawer, the lesson
// steps and the course map at 1280 and 375 px, the session lab after each action with "What just
// happened" after the first, and a source page. It always takes and checks them; with
// -update-screenshots it also writes them:
//
//	E2E_BROWSER=chromium go test ./e2e -run TestScreenshots -update-screenshots
func TestScreenshots(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	shots := map[string][]byte{}

	j.openOK("/")
	j.expectImagesLoaded(".product-item img")
	shots["home.png"] = j.screenshot(desktopWidth, desktopHeight)

	// The lab after each action, each landing on the panel that changed; after the first, also
	// "What just happened" (the POST that started the session, and the page it landed on).
	j.openOK("/lessons/session")
	j.setLessonValue("color", "blue", false)
	shots["session-lab.png"] = j.screenshot(desktopWidth, desktopHeight)
	eval[any](j, one("#what-happened")+".scrollIntoView(); window.scrollBy(0, -24)")
	shots["what-happened.png"] = j.screenshot(desktopWidth, desktopHeight)
	j.setLessonValue("late", "after the redirect", true)
	shots["session-lab-redirect-first.png"] = j.screenshot(desktopWidth, desktopHeight)
	j.follow("#tamper-cookie")
	shots["session-lab-tampered.png"] = j.screenshot(desktopWidth, desktopHeight)
	j.setLessonValue("color", "green", false)
	j.follow("#forget-cookie")
	shots["session-lab-forgotten.png"] = j.screenshot(desktopWidth, desktopHeight)
	j.setLessonValue("color", "red", false)
	j.follow("#destroy-session")
	shots["session-lab-destroyed.png"] = j.screenshot(desktopWidth, desktopHeight)

	// /lessons with those steps ticked, the course map and a source page.
	j.openOK("/lessons")
	shots["lessons.png"] = j.screenshot(desktopWidth, desktopHeight)
	j.openOK("/lessons/course")
	shots["course-map.png"] = j.screenshot(desktopWidth, desktopHeight)
	j.openOK("/lessons/source/controllers/lessons_session_actions.go#PostSessionTamper")
	shots["source.png"] = j.screenshot(desktopWidth, desktopHeight)

	j.phone()
	j.openOK("/lessons")
	shots["lessons-phone.png"] = j.screenshot(mobileWidth, mobileHeight)
	j.openOK("/lessons/course")
	shots["course-map-phone.png"] = j.screenshot(mobileWidth, mobileHeight)
	j.openOK("/")
	j.expectImagesLoaded(".product-item img")
	j.openMenu()
	shots["mobile-menu.png"] = j.screenshot(mobileWidth, mobileHeight)

	if !*updateScreenshots {
		t.Log("screenshots checked, not written (add -update-screenshots to write docs/screenshots)")
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range shots {
		path := filepath.Join(screenshotDir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

// screenshot captures the viewport as PNG and checks it has the expected size.
func (j *journey) screenshot(width, height int) []byte {
	j.t.Helper()
	data, err := chromedp.Run(j.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		j.t.Fatalf("screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		j.t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if cfg.Width != width || cfg.Height != height {
		j.t.Errorf("screenshot is %dx%d, want %dx%d", cfg.Width, cfg.Height, width, height)
	}
	return data
}
