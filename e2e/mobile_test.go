package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Phone size of the mobile journey and of the mobile screenshot (CSS pixels).
const (
	mobileWidth  = 375
	mobileHeight = 812
)

// Journey 8: at 375px the navigation folds into a drawer: the Menu button opens it, the backdrop
// closes it, and each of its links leads to its page.
func TestMobileMenuOpensTheDrawer(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.phone()
	j.openOK("/")

	if !j.visible("#side-menu-toggle") {
		t.Fatal("the Menu button is not visible at 375px")
	}
	if j.visible(".main-header__nav") {
		t.Error("the desktop navigation is visible at 375px")
	}
	if j.drawerOnScreen() {
		t.Error("the drawer is on screen before Menu is pressed")
	}

	j.openMenu()
	if got := j.texts(".mobile-nav a"); !slices.Equal(got, navAnonymous) {
		t.Errorf("the drawer lists %q", got)
	}
	// Tapping the backdrop (the strip the drawer leaves uncovered) closes it again.
	x := (eval[float64](j, `document.querySelector(".mobile-nav").getBoundingClientRect().right`) + mobileWidth) / 2
	j.do("tap the backdrop", chromedp.TapXY(x, mobileHeight/2))
	j.waitUntil("the drawer is closed", `!document.querySelector(".mobile-nav").classList.contains("open")`)
	if j.visible(".backdrop") {
		t.Error("the backdrop stays visible after the drawer closed")
	}

	// Every link of the drawer works: open the menu on the home page, tap the link, land there.
	hrefs := eval[[]string](j, `Array.from(document.querySelectorAll(".mobile-nav a"), a => a.getAttribute("href"))`)
	for _, href := range hrefs {
		j.openOK("/")
		j.openMenu()
		link := fmt.Sprintf(`.mobile-nav a[href=%q]`, href)
		res, err := chromedp.RunResponse(j.ctx, chromedp.Tap(chromedp.CSS(link)))
		if err != nil {
			t.Fatalf("tap %s in the drawer: %v", href, err)
		}
		if res.Status != 200 || j.path() != href {
			t.Errorf("the drawer's %s link: status %d at %s, want 200 at %s", href, res.Status, j.path(), href)
			continue
		}
		// The page it opened marks its own entry in the drawer.
		if got := j.texts(".mobile-nav a.active"); len(got) != 1 {
			t.Errorf("on %s the drawer marks %q as the current page, want one entry", href, got)
		}
	}
}

// phone makes the tab a 375px-wide touch screen.
func (j *journey) phone() {
	j.t.Helper()
	j.viewport(mobileWidth, mobileHeight, chromedp.EmulateMobile, chromedp.EmulateTouch)
}

// openMenu taps Menu and waits until the drawer has slid fully onto the screen.
func (j *journey) openMenu() {
	j.t.Helper()
	j.tap("#side-menu-toggle")
	if cls := eval[string](j, one(".mobile-nav")+".className"); !slices.Contains(strings.Fields(cls), "open") {
		j.t.Fatalf("after Menu the drawer's class is %q, want it to include open", cls)
	}
	if got := eval[string](j, one("#side-menu-toggle")+`.getAttribute("aria-expanded")`); got != "true" {
		j.t.Errorf("Menu's aria-expanded is %q after opening, want true", got)
	}
	j.waitUntil("the drawer has slid in", `(() => { const r = document.querySelector(".mobile-nav").getBoundingClientRect(); return Math.abs(r.left) < 0.5 && r.width > 0; })()`)
	if !j.visible(".mobile-nav") || !j.visible(".backdrop") {
		j.t.Fatal("the drawer or its backdrop is not visible after Menu")
	}
}

// tap touches an element that changes the page in place.
func (j *journey) tap(sel string) {
	j.t.Helper()
	j.mustExist(sel)
	j.do("tap "+sel, chromedp.Tap(chromedp.CSS(sel)))
}

// drawerOnScreen reports whether any part of the drawer is inside the viewport.
func (j *journey) drawerOnScreen() bool {
	j.t.Helper()
	return eval[bool](j, `(() => { const r = document.querySelector(".mobile-nav").getBoundingClientRect(); return r.right > 0 && r.left < innerWidth; })()`)
}

// visible reports whether the element is rendered with a size (not display:none, not empty).
func (j *journey) visible(sel string) bool {
	j.t.Helper()
	return eval[bool](j, fmt.Sprintf(`(() => { const e = %s; const r = e.getBoundingClientRect(); return getComputedStyle(e).visibility !== "hidden" && r.width > 0 && r.height > 0; })()`, one(sel)))
}
