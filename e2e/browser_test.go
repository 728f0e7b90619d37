package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
)

// updateScreenshots makes TestScreenshots write docs/screenshots/*.png:
//
//	E2E_BROWSER=chromium go test ./e2e -run TestScreenshots -update-screenshots
var updateScreenshots = flag.Bool("update-screenshots", false, "write docs/screenshots/*.png")

// journeyTimeout bounds one journey, so a page that never shows what we wait for fails the test
// instead of hanging the suite.
const journeyTimeout = 60 * time.Second

// Desktop size of a journey's tab; mobile journeys change it.
const (
	desktopWidth  = 1280
	desktopHeight = 800
)

// browserFlags are exactly the flags the issue asks for (plus --headless and a fresh profile):
// no sandbox (CI containers run as root), no GPU, and nothing that phones home.
var browserFlags = []string{
	"no-sandbox",
	"disable-gpu",
	"disable-background-networking",
	"disable-component-update",
	"disable-sync",
	"no-first-run",
}

// disabledFeatures keep Chromium from starting renderer processes the journeys do not need: by
// default it swaps in a new renderer on many navigations (RenderDocument, the back-forward
// cache) and keeps a spare one warm. The package's journeys started about 220 renderer
// processes; without these features, about 50, and the package takes about 15% less CPU.
const disabledFeatures = "BackForwardCache,RenderDocument,SpareRendererForSitePerProcess"

// browserNames are looked up on PATH, first found first, unless E2E_BROWSER names the executable.
// Debian's chromium-headless-shell comes first: Chromium's own build for automation, the same
// Blink and V8 as the chromium package without the browser's user interface around them. The
// package's journeys took 47 s of CPU with it against 89 s with the full browser (2 cores,
// 2026-12-07), the largest share of the whole test suite's time. E2E_BROWSER=chromium runs them
// in the full browser.
var browserNames = []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// browser is the package's one Chromium process, started by TestMain and shared by all journeys.
var browser struct {
	ctx     context.Context // its first tab; every journey opens a new browser context from it
	err     error           // why there is no browser
	missing bool            // no executable at all: a skip outside CI, a failure in CI
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// journeysAtOnce is how many journeys run at once (t.Parallel) unless -parallel says otherwise,
// instead of apptest's 8. Unlike app/'s tests, a journey keeps a CPU busy (the browser, its
// shop under -race, the test): measured on a shared 2-core machine, 2 or 3 at once finish in the
// same time, 4 no sooner and with up to 15% more CPU; 3 leaves room for a journey that waits.
const journeysAtOnce = 3

// runTests starts the browser around apptest.Run (one embedded FerretDB for the package).
func runTests(m *testing.M) int {
	apptest.DefaultParallel(journeysAtOnce)
	stop := startBrowser()
	defer stop()
	return apptest.Run(m)
}

// startBrowser starts headless Chromium with a temporary profile, or records why it cannot.
func startBrowser() (stop func()) {
	path, err := findBrowser()
	if err != nil {
		browser.err, browser.missing = err, true
		return func() {}
	}
	profile, err := os.MkdirTemp("", "ginshop-e2e-profile-*")
	if err != nil {
		browser.err = err
		return func() {}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(&browserOutput),
	}
	for _, f := range browserFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	opts = append(opts, chromedp.Flag("disable-features", disabledFeatures))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	stop = func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
	}

	// The first Do starts the process and binds it to ctx, so it cannot carry a deadline itself.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(45 * time.Second):
		err = errors.New("no answer after 45s")
	}
	if err != nil {
		browser.err = fmt.Errorf("start %s: %w\n%s", path, err, browserOutput.tail(2000))
		stop()
		return func() {}
	}
	browser.ctx = ctx
	return stop
}

func findBrowser() (string, error) {
	if name := os.Getenv("E2E_BROWSER"); name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("E2E_BROWSER: %w", err)
		}
		return p, nil
	}
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found on PATH (tried %s); install it with `apt-get install chromium-headless-shell chromium` or set E2E_BROWSER",
		strings.Join(browserNames, ", "))
}

// requireBrowser fails the test without a browser; outside CI a missing executable is a skip,
// so `go test ./...` still works on a machine without Chromium.
func requireBrowser(t *testing.T) {
	t.Helper()
	switch {
	case browser.err == nil:
	case browser.missing && !apptest.InCI():
		t.Skipf("browser journeys need Chromium: %v (with CI=true this is a failure)", browser.err)
	default:
		t.Fatalf("browser journeys need Chromium: %v", browser.err)
	}
}

// journey is one test's visitor: a fresh shop (own database, demo data) and a tab in a new
// browser context, so no cookie leaks from one journey into another.
type journey struct {
	t    *testing.T
	ctx  context.Context // the tab, with the journey's deadline
	shop *apptest.Shop

	mu       sync.Mutex
	console  []string // what the page logged, saved with the failure artifacts
	problems []string // uncaught exceptions and CSP violations: each fails the journey
}

// startJourney starts the shop and opens a desktop-sized tab for it.
func startJourney(t *testing.T) *journey {
	t.Helper()
	return startJourneyWith(t, apptest.Config(t))
}

// startJourneyWith is startJourney with the shop started on cfg (SESSION_STORE=memory, say).
func startJourneyWith(t *testing.T, cfg config.Config) *journey {
	t.Helper()
	requireBrowser(t)
	j := &journey{t: t, shop: apptest.Start(t, cfg)}

	tab, closeTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(j.record))
	t.Cleanup(closeTab)
	// The tab lives as long as the context of its first Do: the journey's deadline comes after.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, journeyTimeout)
	t.Cleanup(cancel)
	j.ctx = ctx
	t.Cleanup(func() { j.finish(tab) }) // runs first: the tab is still open
	j.viewport(desktopWidth, desktopHeight)
	return j
}

// record keeps the page's console and flags what no page of the shop may produce.
func (j *journey) record(ev any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg := "uncaught exception: " + exceptionText(ev.ExceptionDetails)
		j.console = append(j.console, msg)
		j.problems = append(j.problems, msg)
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
		}
		j.console = append(j.console, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		msg := fmt.Sprintf("%s %s: %s %s", e.Source, e.Level, e.Text, e.URL)
		j.console = append(j.console, msg)
		if e.Source == cdplog.EntrySourceSecurity || strings.Contains(e.Text, "Content Security Policy") {
			j.problems = append(j.problems, msg)
		}
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return fmt.Sprintf("%s (%s:%d)", d.Exception.Description, d.URL, d.LineNumber+1)
	}
	return fmt.Sprintf("%s (%s:%d)", d.Text, d.URL, d.LineNumber+1)
}

// finish fails the journey on page errors and, if it failed, saves what the browser showed.
func (j *journey) finish(tab context.Context) {
	j.mu.Lock()
	problems := append([]string(nil), j.problems...)
	j.mu.Unlock()
	for _, p := range problems {
		j.t.Errorf("the page reported: %s", p)
	}
	if j.t.Failed() {
		j.saveArtifacts(tab)
	}
}

// saveArtifacts writes a screenshot, the page's HTML and its console log under $E2E_ARTIFACTS
// (or a new temporary directory, kept after the test) and says where.
func (j *journey) saveArtifacts(tab context.Context) {
	dir, err := artifactDir(j.t.Name())
	if err != nil {
		j.t.Logf("failure artifacts: %v", err)
		return
	}
	// The journey's deadline may be what failed it: give the capture its own.
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	var saved []string
	save := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			j.t.Logf("failure artifacts: %v", err)
			return
		}
		saved = append(saved, name)
	}
	location, _ := chromedp.Run(ctx, chromedp.Location())
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		save("screenshot.png", png)
	} else {
		j.t.Logf("failure artifacts: screenshot: %v", err)
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err == nil {
		save("page.html", []byte("<!-- "+location+" -->\n"+html))
	} else {
		j.t.Logf("failure artifacts: HTML: %v", err)
	}
	j.mu.Lock()
	save("console.txt", []byte(strings.Join(j.console, "\n")+"\n"))
	j.mu.Unlock()
	j.t.Logf("failure artifacts of the page %s: %s in %s", location, strings.Join(saved, ", "), dir)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func artifactDir(test string) (string, error) {
	name := unsafeName.ReplaceAllString(test, "_")
	if root := os.Getenv("E2E_ARTIFACTS"); root != "" {
		dir := filepath.Join(root, name)
		return dir, os.MkdirAll(dir, 0o755)
	}
	// Not t.TempDir: that is deleted when the test ends, artifacts and all.
	return os.MkdirTemp("", "ginshop-e2e-"+name+"-*")
}

// ---- actions ----

// do runs browser actions and fails the journey on error.
func (j *journey) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	if err := chromedp.Do(j.ctx, actions...); err != nil {
		j.t.Fatalf("%s: %v", what, err)
	}
}

// viewport sizes the tab (CSS pixels, scale 1); mobile adds the mobile meta-viewport handling.
func (j *journey) viewport(width, height int64, opts ...chromedp.EmulateViewportOption) {
	j.t.Helper()
	j.do(fmt.Sprintf("viewport %dx%d", width, height), chromedp.EmulateViewport(width, height, opts...))
}

// open loads a path of the shop and returns the HTTP status of the page.
func (j *journey) open(path string) int64 {
	j.t.Helper()
	res, err := chromedp.Run(j.ctx, chromedp.NavigateResponse(j.shop.URL+path))
	if err != nil {
		j.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// openOK loads a path and fails unless the page answers 200.
func (j *journey) openOK(path string) {
	j.t.Helper()
	if status := j.open(path); status != 200 {
		j.t.Fatalf("open %s: status %d, want 200 (page %q)", path, status, j.title())
	}
}

// follow clicks an element that leads to another page (a link, a submit button) and waits for
// that page; it returns the final page's status (after redirects).
func (j *journey) follow(sel string) int64 {
	j.t.Helper()
	j.mustExist(sel)
	res, err := chromedp.RunResponse(j.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		j.t.Fatalf("click %s and wait for the next page: %v", sel, err)
	}
	return res.Status
}

// click clicks an element that changes the page in place.
func (j *journey) click(sel string) {
	j.t.Helper()
	j.mustExist(sel)
	j.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// mustExist fails at once if nothing matches sel, instead of letting an action wait for it
// until the journey's deadline.
func (j *journey) mustExist(sel string) {
	j.t.Helper()
	if j.count(sel) == 0 {
		j.t.Fatalf("%s has no element %s", j.path(), sel)
	}
}

// fill types text into a field, as a user would, after emptying it.
func (j *journey) fill(sel, text string) {
	j.t.Helper()
	eval[string](j, one(sel)+`.value = ""`)
	j.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// back presses the browser's Back button and waits for the page.
func (j *journey) back() {
	j.t.Helper()
	j.do("go back", chromedp.NavigateBack())
}

// reload reloads the page and returns its status.
func (j *journey) reload() int64 {
	j.t.Helper()
	res, err := chromedp.RunResponse(j.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.Reload, page.ReloadParams{})
		return err
	}))
	if err != nil {
		j.t.Fatalf("reload: %v", err)
	}
	return res.Status
}

// waitUntil polls a JavaScript condition until it holds (10s at most).
func (j *journey) waitUntil(what, condition string) {
	j.t.Helper()
	_, err := chromedp.Run(j.ctx, chromedp.Poll[bool](condition,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		j.t.Fatalf("waiting until %s: %v", what, err)
	}
}

// ---- reading the page ----

// eval evaluates a JavaScript expression in the page and decodes its value (with
// chromedp.EvalAwaitPromise, the value the promise resolves to).
func eval[T any](j *journey, expression string, opts ...chromedp.EvaluateOption) T {
	j.t.Helper()
	v, err := chromedp.Run(j.ctx, chromedp.Evaluate[T](expression, opts...))
	if err != nil {
		j.t.Fatalf("evaluate %s: %v", expression, err)
	}
	return v
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// one is a JavaScript expression for the one element sel matches; it throws if there is none,
// so a missing element fails at once with its selector instead of at the deadline.
func one(sel string) string {
	return fmt.Sprintf(`(document.querySelector(%[1]s) || (() => { throw new Error("no element matches " + %[1]s) })())`, js(sel))
}

// text is the visible text of the element sel matches.
func (j *journey) text(sel string) string {
	j.t.Helper()
	return strings.TrimSpace(eval[string](j, one(sel)+".innerText"))
}

// texts are the visible texts of every element sel matches.
func (j *journey) texts(sel string) []string {
	j.t.Helper()
	return eval[[]string](j, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), e => e.innerText.trim())`, js(sel)))
}

// count is how many elements sel matches.
func (j *journey) count(sel string) int {
	j.t.Helper()
	return eval[int](j, fmt.Sprintf(`document.querySelectorAll(%s).length`, js(sel)))
}

// value is the current value of a form field.
func (j *journey) value(sel string) string {
	j.t.Helper()
	return eval[string](j, one(sel)+".value")
}

// path is the address bar's path and query.
// path is the page's path and query, without the parameter with which a lesson action's
// redirect names what it did ("what just happened").
func (j *journey) path() string {
	j.t.Helper()
	return eval[string](j, `(() => { const u = new URL(location.href); u.searchParams.delete("happened"); return u.pathname + u.search })()`)
}

func (j *journey) title() string {
	j.t.Helper()
	return eval[string](j, `document.title`)
}

// body is the visible text of the whole page.
func (j *journey) body() string {
	j.t.Helper()
	return eval[string](j, `document.body.innerText`)
}

// navItems are the entries of the desktop navigation bar, left and right.
func (j *journey) navItems() []string {
	j.t.Helper()
	return j.texts(".main-header .main-header__item")
}

// cookies are the browser's cookies for the shop, read through the DevTools protocol (so
// HttpOnly cookies, which document.cookie hides, are there too).
func (j *journey) cookies() []*network.Cookie {
	j.t.Helper()
	res, err := chromedp.Call(j.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{j.shop.URL}})
	if err != nil {
		j.t.Fatalf("read cookies: %v", err)
	}
	return res.Cookies
}

// cookie is the named cookie for the shop, or nil.
func (j *journey) cookie(name string) *network.Cookie {
	j.t.Helper()
	for _, c := range j.cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookie stores a cookie for the shop through the DevTools protocol, as a visitor editing
// it in the browser's developer tools would.
func (j *journey) setCookie(c network.SetCookieParams) {
	j.t.Helper()
	c.URL = j.shop.URL
	if _, err := chromedp.Call(j.ctx, network.SetCookie, c); err != nil {
		j.t.Fatalf("set cookie %s: %v", c.Name, err)
	}
}

// ---- assertions ----

func (j *journey) mustContain(what, got string, wants ...string) {
	j.t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			j.t.Errorf("%s does not show %q; it shows:\n%s", what, w, got)
		}
	}
}

func (j *journey) mustNotContain(what, got string, unwanted ...string) {
	j.t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			j.t.Errorf("%s shows %q; it shows:\n%s", what, w, got)
		}
	}
}

// expectNav fails unless the navigation bar lists exactly these entries, in order.
func (j *journey) expectNav(want ...string) {
	j.t.Helper()
	if got := j.navItems(); strings.Join(got, "|") != strings.Join(want, "|") {
		j.t.Errorf("navigation shows %q, want %q", got, want)
	}
}

// expectImagesLoaded waits until every image sel matches has loaded, and fails for any that
// did not (natural width 0: a broken or missing file).
func (j *journey) expectImagesLoaded(sel string) {
	j.t.Helper()
	if j.count(sel) == 0 {
		j.t.Fatalf("no image matches %s", sel)
	}
	j.waitUntil("the images have loaded", fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).every(i => i.complete)`, js(sel)))
	broken := eval[[]string](j, fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).filter(i => !(i.naturalWidth > 0)).map(i => i.src)`, js(sel)))
	if len(broken) > 0 {
		j.t.Errorf("images that did not load (naturalWidth 0): %q", broken)
	}
}

// outputBuffer keeps what the browser process prints, to explain a failed start.
type outputBuffer struct {
	mu  sync.Mutex
	buf []byte
}

var browserOutput outputBuffer

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 1<<20 { // keep the end of a chatty browser's output
		b.buf = append([]byte(nil), b.buf[len(b.buf)-64<<10:]...)
	}
	return len(p), nil
}

func (b *outputBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) > n {
		return "…" + string(b.buf[len(b.buf)-n:])
	}
	return string(b.buf)
}
