package app_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
)

// startFerretDB starts a separate embedded server that the test can stop and restart, on a
// fixed address and directory so a restart is "the same database coming back".
func startFerretDB(t *testing.T, dir, addr string) *apptest.Server {
	t.Helper()
	emb, err := apptest.StartServer(dir, addr)
	if err != nil {
		t.Fatal(err)
	}
	return emb
}

// unassignedAddr is a loopback address nothing listens on, whose port the kernel never picks by
// itself: below the ephemeral range (ip_local_port_range), from which every ":0" listener and
// every outgoing connection gets its port. An outage test stops its server and restarts it on
// the same address; a freed port of the ephemeral range can be handed to another test's
// connection meanwhile, and the server would come back elsewhere.
func unassignedAddr(t *testing.T) string {
	t.Helper()
	low := 32768 // Linux's default first ephemeral port
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 2048 {
				low = n
			}
		}
	}
	span := min(low-1024, 12000) // ports [low-span, low), above the well-known ones
	for range 100 {
		port := low - span + int(unassignedNext.Add(1)%int64(span))
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

// unassignedNext hands each test of this process its own port; the random start keeps test
// processes running at once (other packages, other checkouts) apart.
var unassignedNext = func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(rand.Int64N(1 << 20))
	return &n
}()

// outageDB is the database of startOutageShop, which the test stops and brings back.
type outageDB struct {
	t         *testing.T
	dir, addr string
	emb       *apptest.Server
}

func (o *outageDB) stop() { o.emb.Stop() }

// restart brings the same database back on the same address; it stops again when the test ends.
func (o *outageDB) restart() {
	o.t.Helper()
	o.emb = startFerretDB(o.t, o.dir, o.addr)
	if want := "mongodb://" + o.addr + "/"; !strings.HasPrefix(o.emb.URI(""), want) {
		o.t.Fatalf("the database came back at %s, not at %s: its port was taken meanwhile", o.emb.URI(""), o.addr)
	}
}

// startOutageShop starts a shop on a separate FerretDB (as an external MONGODB_URI) that the test
// can stop and restart.
func startOutageShop(t *testing.T) (*apptest.Shop, *outageDB) {
	t.Helper()
	o := &outageDB{t: t, dir: t.TempDir(), addr: unassignedAddr(t)}
	o.emb = startFerretDB(t, o.dir, o.addr)
	// Registered before the shop's own clean-up, so it runs after it: the shop drops its
	// database and lets go of its lease while the server still answers. Stopping twice is fine.
	t.Cleanup(func() { o.emb.Stop() })
	cfg := apptest.Config(t)
	cfg.MongoURI = o.emb.URI("outage")
	cfg.MongoDB = "outage"
	return apptest.StartExternal(t, cfg), o
}

func TestDatabaseOutageGives503AndRecovers(t *testing.T) {
	t.Parallel()
	shop, outage := startOutageShop(t)
	c := shop.Client(t)
	c.LoginDemo()
	apptest.ExpectStatus(t, c.Get("/healthz"), http.StatusOK)

	outage.stop()
	health := c.Get("/healthz")
	apptest.ExpectStatus(t, health, http.StatusServiceUnavailable)
	for _, p := range []string{"/", "/products", "/login"} {
		start := time.Now()
		res := c.Get(p)
		t.Logf("GET %s with the database down: %d after %s", p, res.StatusCode, time.Since(start).Round(time.Millisecond))
		apptest.ExpectStatus(t, res, http.StatusServiceUnavailable)
		mustContain(t, res.Body, "Service Unavailable", "database is not answering")
		mustNotContain(t, res.Body, "mongo", "server selection", "connection refused")
	}

	outage.restart()
	waitHealthy(t, c)
	res := c.Get("/")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "Logout", "A Book About Go") // the session survived the outage
}

// waitHealthy polls /healthz until the app has reconnected by itself (bounded, not a timing
// assertion).
func waitHealthy(t *testing.T, c *apptest.Client) {
	t.Helper()
	apptest.Eventually(t, "the app recovers after the database came back", func() bool {
		return c.Get("/healthz").StatusCode == http.StatusOK
	})
}

// TestFormsAnswer503WhenTheDatabaseIsDown: viewing a form touches no database (its CSRF secret
// is a signed cookie), so a new visitor still gets the form; sending it is the same 503 page as
// everywhere else, not the 500 page, and works again once the database is back.
func TestFormsAnswer503WhenTheDatabaseIsDown(t *testing.T) {
	t.Parallel()
	shop, outage := startOutageShop(t)
	forms := []struct{ page, action string }{
		{"/login", "/login"}, {"/signup", "/signup"}, {"/reset", "/reset"}, {"/lessons/session", "/lessons/session/value"},
	}
	fields := url.Values{"email": {"someone@example.com"}, "password": {"a password"}, "confirmPassword": {"a password"},
		"key": {"k"}, "value": {"v"}, "mode": {"save"}}

	outage.stop()
	for _, f := range forms {
		c := shop.Client(t)
		res := c.Submit(f.page, f.action, fields)
		apptest.ExpectStatus(t, res, http.StatusServiceUnavailable)
		mustContain(t, res.Body, "Service Unavailable", "database is not answering")
		mustNotContain(t, res.Body, "mongo", "server selection", "connection refused")
		if c.Cookie("connect.sid") != nil {
			t.Errorf("POST %s set a session cookie for a session that was never stored", f.action)
		}
	}

	outage.restart()
	waitHealthy(t, shop.Client(t))
	c := shop.Client(t)
	expectSeeOther(t, c.Submit("/lessons/session", "/lessons/session/value", fields), savedTo)
	if c.Cookie("connect.sid") == nil {
		t.Error("the lab stored no session after recovery")
	}
}

func TestUnreachableMongoURIFailsStartUpClearly(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(k string) string {
		if k == "MONGODB_URI" {
			return "mongodb://" + unassignedAddr(t) + "/shop"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = database.Open(context.Background(), cfg, discardLogger())
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("Open = %v, want a 'does not answer' error", err)
	}
}

// TestFullDiskIsA503OnEveryWriteAndRecovers: the database's files are on a small filesystem that
// fills up. Adding to the cart (a model write) answers the 503 page, as the session store's
// writes already did, not the 500 page with SQLite's "database or disk is full"; when space
// comes back, the same click works without a restart. The filesystem is a 4 MB tmpfs mounted
// for the test (that needs root, as the sandbox and CI run).
func TestFullDiskIsA503OnEveryWriteAndRecovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).Run(); err != nil {
		if apptest.InCI() {
			t.Fatalf("needs a tmpfs mount (root), and CI is set: %v", err)
		}
		t.Skipf("needs a tmpfs mount (root): %v", err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	o := &outageDB{t: t, dir: dir, addr: "127.0.0.1:0"} // never restarted
	o.emb = startFerretDB(t, o.dir, o.addr)
	t.Cleanup(func() { o.emb.Stop() })
	cfg := apptest.Config(t)
	cfg.MongoURI, cfg.MongoDB = o.emb.URI("full"), "full"
	shop := apptest.StartExternal(t, cfg)
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]
	s.addToCart(book.ID)

	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	// Fill until SQLite itself cannot write: its files may still have a few free pages.
	var res *apptest.Response
	for range 50 {
		res = s.post("/cart", url.Values{"productId": {book.ID.Hex()}})
		if res.StatusCode != http.StatusSeeOther {
			break
		}
	}
	apptest.ExpectStatus(t, res, http.StatusServiceUnavailable)
	mustContain(t, res.Body, "Service Unavailable", "database is not answering")
	mustNotContain(t, res.Body, "disk is full", "sqlite")

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	before := cartOf(t, shop, s.ID)[0].Quantity
	s.addToCart(book.ID)
	if after := cartOf(t, shop, s.ID)[0].Quantity; after != before+1 {
		t.Errorf("after space came back the cart went from %d to %d", before, after)
	}
}

// fillDisk writes path until the filesystem is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// The last bytes: a smaller write may still fit.
	for _, err := f.Write(buf[:512]); err == nil; _, err = f.Write(buf[:512]) {
	}
}

// TestDatabaseKilledUnderCartLoadIsNeverA500: the external server goes away while 40 "add to
// cart" requests are in flight. Each one either went through (303) or gets the 503 page: the
// driver's ways of saying "the server is gone" (EOF on a connection, a connection pool cleared
// because another operation failed, no server to select, a timeout) are all classified in one
// place, database.Unavailable.
func TestDatabaseKilledUnderCartLoadIsNeverA500(t *testing.T) {
	t.Parallel()
	shop, outage := startOutageShop(t)
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		outage.stop()
	}()
	statuses := s.concurrently(40, func(int) *http.Request { return s.cartRequest("/cart", book.ID) })
	<-stopped
	statuses = append(statuses, s.concurrently(10, func(int) *http.Request { return s.cartRequest("/cart", book.ID) })...)
	for _, st := range statuses {
		if st != http.StatusSeeOther && st != http.StatusServiceUnavailable {
			t.Fatalf("statuses %v: want only 303 and 503", statuses)
		}
	}
}

// TestKnownOutageGivesEachRequestOneShortDeadline: the first request after the server dies finds
// out by itself (within the operation timeout) and answers 503; from then on the driver knows,
// and every request's database work shares one short deadline, so a page answers within a
// second however many queries it has. Before, a failure seen only by the writer connection (a
// form page's session insert) left the next requests the full wait.
func TestKnownOutageGivesEachRequestOneShortDeadline(t *testing.T) {
	t.Parallel()
	shop, outage := startOutageShop(t)
	ctx, cancel := shop.DB.RequestContext(context.Background())
	if _, has := ctx.Deadline(); has {
		t.Fatal("a request has a database deadline while the server is up")
	}
	cancel()

	s := demoShopper(t, shop) // logged in while the server is up: each page loads its session
	outage.stop()
	// A form sent: its only database work is a write (the login attempt counted before the check).
	login := shop.Client(t)
	apptest.ExpectStatus(t, login.Submit("/login", "/login", url.Values{"email": {"someone@example.com"}, "password": {"a password"}}),
		http.StatusServiceUnavailable)
	apptest.Eventually(t, "requests get a short database deadline once the outage is known", func() bool {
		ctx, cancel := shop.DB.RequestContext(context.Background())
		defer cancel()
		deadline, has := ctx.Deadline()
		return has && time.Until(deadline) <= time.Second
	})
	for _, p := range []string{"/products", "/cart", "/orders"} {
		start := time.Now()
		res := s.Get(p)
		t.Logf("GET %s once the outage is known: %d after %s", p, res.StatusCode, time.Since(start).Round(time.Millisecond))
		apptest.ExpectStatus(t, res, http.StatusServiceUnavailable)
	}
}

// TestDeleteProductAnswers503JSONDuringAnOutage: the admin page's Delete button (DELETE with
// JSON) gets the same 503 as the pages, as JSON, and the product is still there afterwards.
func TestDeleteProductAnswers503JSONDuringAnOutage(t *testing.T) {
	t.Parallel()
	shop, outage := startOutageShop(t)
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]

	outage.stop()
	res := s.deleteProduct(book.ID.Hex(), s.csrf)
	apptest.ExpectStatus(t, res, http.StatusServiceUnavailable)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	mustContain(t, res.Body, `"message"`, "not answering")

	outage.restart()
	waitHealthy(t, s.Client)
	if p := productByID(t, shop, book.ID); p.Title != book.Title {
		t.Errorf("the product changed: %+v", p)
	}
}
