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

// TestScreenshots takes the pictures of docs/README.md: the home page on a desktop, the
// drawer open on a phone, the lesson index and the session lab with a value set. It always takes and checks them; with -update-screenshots it also
// writes them:
//
//	go test ./e2e -run TestScreenshots -update-screenshots
func TestScreenshots(t *testing.T) {
	j := startJourney(t)

	j.openOK("/")
	j.expectImagesLoaded(".product-item img")
	home := j.screenshot(desktopWidth, desktopHeight)

	j.openOK("/lessons")
	lessons := j.screenshot(desktopWidth, desktopHeight)
	j.openOK("/lessons/session")
	j.reload() // the first visit created the session; now there is a document to show
	j.setLessonValue("color", "blue", false)
	eval[any](j, one("#panel-document")+".scrollIntoView()") // the document, with the value in it
	lab := j.screenshot(desktopWidth, desktopHeight)

	j.phone()
	j.openOK("/")
	j.expectImagesLoaded(".product-item img")
	j.openMenu()
	menu := j.screenshot(mobileWidth, mobileHeight)

	if !*updateScreenshots {
		t.Log("screenshots checked, not written (add -update-screenshots to write docs/screenshots)")
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shots := map[string][]byte{"home.png": home, "mobile-menu.png": menu, "lessons.png": lessons, "session-lab.png": lab}
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
