package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ginshop/ginshop/apptest"
)

// ticked lists the step numbers /lessons shows as done for this client.
func ticked(t *testing.T, c *apptest.Client) []string {
	t.Helper()
	res := c.Get("/lessons")
	apptest.ExpectStatus(t, res, http.StatusOK)
	var out []string
	for _, li := range htmlElements(parseHTML(t, res.Body), func(n *html.Node) bool { return htmlHasClass(n, "lesson-step--done") }) {
		id, _ := htmlAttr(li, "id")
		out = append(out, strings.TrimPrefix(id, "step-"))
	}
	return out
}

func expectTicked(t *testing.T, c *apptest.Client, want ...string) {
	t.Helper()
	if got := ticked(t, c); !slices.Equal(got, want) {
		t.Fatalf("ticked steps %v, want %v", got, want)
	}
}

// Walking the lesson in order ticks each step when, and only when, the server has seen it done,
// across the three actions that end the session (tamper, forget the cookie, destroy).
func TestLessonStepsAreTickedByDoingThem(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	expectTicked(t, c)

	// 1–3: the raw cookie.
	res := c.Submit("/lessons/cookie", "/lessons/cookie", url.Values{"value": {"false"}, "maxAge": {"60"}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	expectTicked(t, c, "2")
	c.Get(res.Header.Get("Location"))
	expectTicked(t, c, "2", "3")
	c.Submit("/lessons/cookie", "/lessons/cookie", url.Values{"value": {"true"}})
	c.Get("/lessons/cookie")
	expectTicked(t, c, "1", "2", "3")

	// 4, 6: the lab shows the session the cookie lesson started, its cookie verified.
	c.Get("/lessons/session")
	expectTicked(t, c, "1", "2", "3", "4", "6")

	// 5 and 8: the store refuses the tampered cookie, a new session (and cookie) starts.
	res = c.Submit("/lessons/session", "/lessons/session/tamper", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	page := c.Get(res.Header.Get("Location"))
	mustContain(t, page.Body, `id="tampered"`, "the store refused the cookie")
	expectTicked(t, c, "1", "2", "3", "4", "5", "6", "8")

	// 7, 9, 10: set a value, read it back from the stored document.
	expectSeeOther(t, setLessonValue(t, c, "color", "blue", "save"), savedTo)
	c.Get("/lessons/session")
	expectTicked(t, c, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")

	// 12: a page read before the value it redirected for had arrived.
	res = setLessonValue(t, c, "late", "arrives later", "redirect-first")
	page = c.Get(res.Header.Get("Location"))
	mustContain(t, page.Body, `id="pending-save"`)
	expectTicked(t, c, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12")

	// 11: an orphan left behind, then a session destroyed.
	res = c.Submit("/lessons/session", "/lessons/session/forget-cookie", nil)
	c.Get(res.Header.Get("Location"))
	expectTicked(t, c, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12")
	res = c.Submit("/lessons/session", "/lessons/session/destroy", nil)
	c.Get(res.Header.Get("Location"))
	all := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	expectTicked(t, c, all...)
	mustContain(t, c.Get("/lessons").Body, "<strong>12 of 12</strong>")

	// Start again: every tick goes.
	expectSeeOther(t, c.Submit("/lessons", "/lessons/restart", nil), "/lessons")
	expectTicked(t, c)
}

// The tamper button sends the visitor's own cookie back with one character of its signature
// changed; the store refuses it (the old session is neither found nor changed) and the page
// says so.
func TestTamperedCookieIsRefusedAndTheOldSessionIsLeftAlone(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	expectSeeOther(t, setLessonValue(t, c, "color", "blue", "save"), savedTo)
	good := c.Cookie("connect.sid").Value
	id := sessionID(t, c.Cookie("connect.sid"))
	token := c.CSRF("/lessons/session") // this page view ticks steps; the snapshot comes after it
	before := labDoc(t, shop, c)

	res := c.PostForm("/lessons/session/tamper", url.Values{"_csrf": {token}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if loc, err := url.Parse(res.Header.Get("Location")); err != nil || loc.Path != "/lessons/session" || loc.Query().Get("tampered") != id[:6] ||
		loc.Query().Get("progress") == "" || loc.Fragment != "panel-cookie" {
		t.Errorf("Location %q, want /lessons/session?tampered=%s&progress=...#panel-cookie", res.Header.Get("Location"), id[:6])
	}
	bad := c.Cookie("connect.sid").Value
	dot := strings.LastIndex(good, ".")
	if len(bad) != len(good) || bad[:dot+1] != good[:dot+1] || bad[dot+2:] != good[dot+2:] || bad == good {
		t.Fatalf("tampered cookie %q from %q: want only the signature's first character changed", bad, good)
	}
	if parts := shop.Sessions.InspectCookie(bad); parts.Verified || parts.ID != id {
		t.Fatalf("the tampered cookie still verifies (%+v)", parts)
	}

	page := c.Get(res.Header.Get("Location"))
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, "the store refused the cookie", "no: the store ignores this cookie", "signed,\n            not encrypted")
	mustNotContain(t, page.Body, "<td>color</td>", good, bad, id)
	if ck := c.Cookie("connect.sid"); ck == nil || sessionID(t, ck) == id {
		t.Fatal("the answer to the tampered cookie did not start a new session")
	}
	var old map[string]any
	for _, d := range sessionDocs(t, shop) {
		if d["_id"] == id {
			old = d
		}
	}
	if old == nil || lessonOf(old)["color"] != "blue" || old["expires"] != before["expires"] {
		t.Errorf("the old session changed: %v", old)
	}
	// Without the signature the id alone is worth nothing: a cookie naming it with any other
	// signature is refused the same way.
	req, _ := http.NewRequest(http.MethodGet, "/lessons/session", nil)
	req.Header.Set("Cookie", "connect.sid=s%3A"+id+".AAAA")
	mustNotContain(t, shop.Client(t).Do(req).Body, "<td>color</td>")
}

// A reload of the redirect-first page after the value has arrived says so, instead of keeping
// the "still on its way" banner next to the value.
func TestRedirectFirstBannerTurnsIntoArrivedOnReload(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.SlowStoreDelay = 200 * time.Millisecond
	shop := apptest.Start(t, cfg)
	c := labVisitor(t, shop)
	start := time.Now()
	res := setLessonValue(t, c, "late", "arrives later", "redirect-first")
	loc := res.Header.Get("Location")
	apptest.Eventually(t, "the slow save", func() bool { return lessonOf(labDoc(t, shop, c))["late"] == "arrives later" })
	if took := time.Since(start); took < cfg.SlowStoreDelay {
		t.Errorf("the value was stored after %v, before the slow store's delay of %v", took, cfg.SlowStoreDelay)
	}
	page := c.Get(loc)
	mustContain(t, page.Body, `id="pending-arrived"`, "<td>late</td><td>arrives later</td>")
	mustNotContain(t, page.Body, `id="pending-save"`, "still on its way")
}

// The mongosh hint names the address the database really has (the embedded server is on a
// random port in tests, as it is when 27017 is taken).
func TestSessionLabMongoshHintIsTheRealAddress(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	page := c.Get("/lessons/session")
	mustContain(t, page.Body, `<code class="token">npx mongosh `+shop.DB.URI+`</code>`)
	if !strings.Contains(shop.DB.URI, ":27017/") { // the test server is on a random port
		mustNotContain(t, page.Body, "127.0.0.1:27017")
	}
}

// Each step shows lines cut from this build's source by function name: every shown line is a
// line of that function in the file on disk, in the file's order.
func TestLessonSnippetsAreTheLinesOfTheirFunction(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	doc := parseHTML(t, shop.Client(t).Get("/lessons").Body)
	snippets := htmlElements(doc, func(n *html.Node) bool { return htmlHasClass(n, "snippet") })
	if len(snippets) != 12 {
		t.Fatalf("%d snippets on /lessons, want one per step", len(snippets))
	}
	for _, pre := range snippets {
		file, _ := htmlAttr(pre, "data-file")
		fn, _ := htmlAttr(pre, "data-func")
		lines := funcLines(t, file, fn)
		var shown string
		for d := range pre.Descendants() {
			if d.Type == html.TextNode {
				shown += d.Data
			}
		}
		at := 0
		for _, l := range strings.Split(strings.TrimRight(shown, "\n"), "\n") {
			if strings.TrimSpace(l) == "// …" {
				continue
			}
			i := slices.IndexFunc(lines[at:], func(fl string) bool { return strings.TrimSpace(fl) == strings.TrimSpace(l) && strings.HasSuffix(fl, l) })
			if i < 0 {
				t.Errorf("%s %s: shown line %q is not (in order) a line of the function", file, fn, l)
				break
			}
			at += i + 1
		}
	}
}

// funcLines is the lines of function (or Recv.method) name in the repository's file.
func funcLines(t *testing.T, file, name string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name {
			return lines[fset.Position(fd.Pos()).Line-1 : fset.Position(fd.End()).Line]
		}
	}
	t.Fatalf("%s has no function %s", file, name)
	return nil
}

// Every "Go: file function" link of the lesson pages opens that file of this build with an
// element for the function, which the fragment lands on.
func TestEveryLessonSourceLinkLandsOnItsFunction(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	links := map[string]bool{}
	for _, page := range []string{"/lessons", "/lessons/cookie", "/lessons/session"} {
		for _, a := range htmlElements(parseHTML(t, c.Get(page).Body), func(n *html.Node) bool { return htmlHasClass(n, "go-source") }) {
			href, _ := htmlAttr(a, "href")
			links[href] = true
		}
	}
	if len(links) < 20 {
		t.Fatalf("only %d source links on the lesson pages", len(links))
	}
	for href := range links {
		path, fn, _ := strings.Cut(href, "#")
		res := c.Get(path)
		apptest.ExpectStatus(t, res, http.StatusOK)
		if !strings.Contains(res.Body, `<span class="go-func" id="`+fn+`">`) {
			t.Errorf("%s: no function %s on the page", path, fn)
		}
	}
	page := c.Get("/lessons/source/controllers/render.go")
	mustContain(t, page.Body, `<pre class="source chroma"`, `<span class="kd">func</span>`, `href="#redirect"`)
	mustContain(t, shop.Client(t).Get("/lessons/source/controllers/render.go").Body, "<title>controllers/render.go · Gin Shop</title>")
}

// Only this build's Go code is served: no other file, no test file, nothing outside the tree.
func TestLessonSourceServesOnlyThisBuildsGoFiles(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	for _, path := range []string{"/lessons/source/go.mod", "/lessons/source/../go.mod", "/lessons/source/%2e%2e/main.go",
		"/lessons/source/app/lesson_test.go", "/lessons/source/controllers/nope.go", "/lessons/source/", "/lessons/source/controllers",
		"/lessons/source//etc/passwd", "/lessons/source/README.md"} {
		res := c.Get(path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, res.StatusCode)
		}
		mustNotContain(t, res.Body, "module github.com", "root:")
	}
}

// Login and signup have a heading; the header's navigations are named; the shop pages that use
// the lesson link to their step.
func TestShopPagesHaveHeadingsNamedNavigationsAndLessonLinks(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	mustContain(t, c.Get("/login").Body, `<h1 class="auth-title">Login</h1>`, `href="/lessons#step-7"`,
		`<nav class="main-header__nav" aria-label="Site">`, `aria-label="Account"`, `aria-label="Menu"`)
	mustContain(t, c.Get("/signup").Body, `<h1 class="auth-title">Signup</h1>`)
	c.LoginDemo()
	mustContain(t, c.Get("/cart").Body, `href="/lessons#step-9"`)
}

// A source page numbers its lines: line N of the page is line N of the file, across the pieces
// the functions' marks split the file into.
func TestLessonSourcePageNumbersItsLines(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	const file = "controllers/render.go"
	src, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
	page := parseHTML(t, shop.Client(t).Get("/lessons/source/"+file).Body)
	lines := htmlElements(page, func(n *html.Node) bool { return htmlHasClass(n, "line") })
	if len(lines) != len(want) {
		t.Fatalf("the page shows %d lines, the file has %d", len(lines), len(want))
	}
	for i, line := range lines {
		n := strconv.Itoa(i + 1)
		num := htmlElements(line, func(n *html.Node) bool { return htmlHasClass(n, "ln") })
		code := htmlElements(line, func(n *html.Node) bool { return htmlHasClass(n, "cl") })
		if len(num) != 1 || len(code) != 1 {
			t.Fatalf("line %s is not a number and code: %d numbers, %d code spans", n, len(num), len(code))
		}
		if got := strings.TrimSpace(htmlTextOf(num[0])); got != n {
			t.Errorf("line %s is numbered %q", n, got)
		}
		if got := strings.TrimSuffix(htmlTextOf(code[0]), "\n"); got != want[i] {
			t.Errorf("line %s shows %q, the file has %q", n, got, want[i])
		}
	}
}

// htmlTextOf is the text inside n.
func htmlTextOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// The options sandbox earns step 6 with any request it runs and step 12 with the race (the
// stale write-back is what saving before the redirect avoids); a refused form earns nothing.
func TestOptionsSandboxTicksSteps6And12(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	expectTicked(t, c)

	apptest.ExpectStatus(t, sandboxAction(t, c, "race", sandboxForm()), http.StatusUnprocessableEntity) // no stored sandbox session yet
	apptest.ExpectStatus(t, sandboxAction(t, c, "set", sandboxForm("resave", "maybe")), http.StatusUnprocessableEntity)
	expectTicked(t, c)
	if ck := c.Cookie("connect.sid"); ck != nil {
		t.Errorf("refused sandbox forms started a shop session: %v", ck)
	}

	apptest.ExpectStatus(t, sandboxAction(t, c, "nothing", sandboxForm()), http.StatusOK)
	expectTicked(t, c, "6")
	apptest.ExpectStatus(t, sandboxAction(t, c, "set", sandboxForm("resave", "true")), http.StatusOK)
	expectTicked(t, c, "6")
	apptest.ExpectStatus(t, sandboxAction(t, c, "race", sandboxForm("resave", "true")), http.StatusOK)
	expectTicked(t, c, "6", "12")

	// The memory store's race ticks too, for a visitor who starts there.
	m := shop.Client(t)
	form := sandboxForm("store", "memory")
	apptest.ExpectStatus(t, sandboxAction(t, m, "set", form), http.StatusOK)
	apptest.ExpectStatus(t, sandboxAction(t, m, "race", form), http.StatusOK)
	expectTicked(t, m, "6", "12")
}
