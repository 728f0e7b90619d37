package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// axeFile is axe-core as `npm ci` in e2e/axe installs it (.ci/run does).
const axeFile = "axe/node_modules/axe-core/axe.min.js"

// axeSource reads axe-core; without it the test is skipped, except in CI where it fails.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axeFile)
	switch {
	case err == nil:
		return string(b)
	case apptest.InCI():
		t.Fatalf("the accessibility test needs axe-core: run npm ci in e2e/axe (%v)", err)
	default:
		t.Skipf("the accessibility test needs axe-core: run npm ci in e2e/axe (%v); with CI=true this is a failure", err)
	}
	return ""
}

// axeViolation is what the test reports of one failed axe rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// withAxe makes every page the journey opens from now on load axe-core before its own scripts.
// axe is added through the DevTools protocol (Page.addScriptToEvaluateOnNewDocument), which the
// page's Content-Security-Policy does not govern, so the shop's CSP stays as strict as it is. It
// is sent once per journey: evaluating its 650 KB on each page cost about 70 ms of CPU per page
// (half of it encoding the source in the test process), as much as the browser's own work of
// loading it with the page.
func (j *journey) withAxe(axe string) {
	j.t.Helper()
	if _, err := chromedp.Call(j.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: axe}); err != nil {
		j.t.Fatalf("add axe-core to the journey's pages: %v", err)
	}
}

// axeCheck runs axe-core (WCAG 2.x A and AA, and its best practices) on the open page, which
// loaded it (withAxe), and fails the test with every violation.
func (j *journey) axeCheck(what string) {
	j.t.Helper()
	out := eval[string](j, `(typeof axe === "object" ? axe : Promise.reject(new Error("axe-core did not load in this page"))).run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}))))`,
		chromedp.EvalAwaitPromise)
	var violations []axeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		j.t.Fatalf("%s: axe answered %q: %v", what, out, err)
	}
	for _, v := range violations {
		j.t.Errorf("%s: axe %s (%s): %s\n    %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    "))
	}
}

// TestEveryPageHasNoAxeViolations runs axe-core on every page of the shop and the lessons,
// anonymous and logged in, at 1280 and 390 px wide, on the lab and the login form showing a
// validation error, and on the lab's and the sandbox's panels that follow an action. Any
// violation fails.
//
// The test itself is not parallel, its subtests are: they are the package's longest journeys,
// and a test that is not parallel runs (subtests and all) before the package's parallel tests
// start, which Go starts in no fixed order. So they run first, beside one another, instead of
// one of them starting last and keeping the package waiting alone.
func TestEveryPageHasNoAxeViolations(t *testing.T) {
	axe := axeSource(t)
	for _, width := range []struct {
		name string
		w, h int64
	}{{"1280", desktopWidth, desktopHeight}, {"390", 390, 844}} {
		// A journey of its own for each group of pages, so that no one of them is much longer
		// than the package's other journeys.
		axeJourney := func(t *testing.T) *journey {
			t.Helper()
			t.Parallel()
			j := startJourney(t)
			j.withAxe(axe)
			j.viewport(width.w, width.h)
			return j
		}
		t.Run("anonymous at "+width.name, func(t *testing.T) {
			j := axeJourney(t)
			for _, p := range []string{"/", "/products", "/products/" + demoProductID(t, j), "/login", "/signup", "/reset",
				"/lessons", "/lessons/cookie", "/lessons/session", "/lessons/options", "/lessons/course", "/lessons/source/controllers/render.go#redirect",
				"/no-such-page"} {
				j.open(p)
				j.axeCheck(p)
			}
		})
		t.Run("errors and panels at "+width.name, func(t *testing.T) {
			j := axeJourney(t)
			// Validation errors: the lab's form and the login form.
			j.openOK("/lessons/session")
			j.fill("#key", "not a key")
			j.fill("#lesson-value", "x")
			if status := j.follow(`#lesson-form button[type="submit"]`); status != 422 {
				t.Fatalf("a bad key: status %d, want 422", status)
			}
			j.mustExist(".user-message--error")
			j.axeCheck("/lessons/session with a validation error")
			// The panels that only an action shows: What just happened, the sandbox's results.
			j.setLessonValue("color", "blue", false)
			j.mustExist("#what-happened")
			j.axeCheck("/lessons/session after set a value")
			j.openOK("/lessons/options")
			j.raceWith("true")
			j.axeCheck("/lessons/options after the race")
			j.openOK("/login")
			j.fill("#email", "nobody@example.com")
			j.fill("#password", "wrong")
			j.follow(`form.login-form button[type="submit"]`)
			j.mustExist(".user-message--error")
			j.axeCheck("/login with an error")
		})
		t.Run("logged in at "+width.name, func(t *testing.T) {
			j := axeJourney(t)
			product := demoProductID(t, j)
			j.login(models.DemoEmail, models.DemoPassword)
			for _, p := range []string{"/", "/cart", "/orders", "/checkout", "/admin/add-product", "/admin/products",
				"/admin/edit-product/" + product, "/lessons", "/lessons/cookie", "/lessons/session", "/dev/mailbox"} {
				j.open(p)
				j.axeCheck(p)
			}
		})
	}
}

// demoProductID is the id of a demo product, from the product list's first Details link.
func demoProductID(t *testing.T, j *journey) string {
	t.Helper()
	j.openOK("/products")
	href := eval[string](j, `document.querySelector('a[href^="/products/"]').getAttribute("href")`)
	return strings.TrimPrefix(href, "/products/")
}
