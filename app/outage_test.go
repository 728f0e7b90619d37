package app_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
)

// startFerretDB starts a separate embedded server that the test can stop and restart, on a
// fixed address and directory so a restart is "the same database coming back".
func startFerretDB(t *testing.T, dir, addr string) *database.Embedded {
	t.Helper()
	emb, err := database.StartEmbedded(context.Background(), dir, addr, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return emb
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// outageDB is the database of startOutageShop, which the test stops and brings back.
type outageDB struct {
	t         *testing.T
	dir, addr string
	emb       *database.Embedded
}

func (o *outageDB) stop() { o.emb.Stop() }

// restart brings the same database back on the same address; it stops again when the test ends.
func (o *outageDB) restart() {
	o.emb = startFerretDB(o.t, o.dir, o.addr)
	o.t.Cleanup(o.emb.Stop)
}

// startOutageShop starts a shop on a separate FerretDB (as an external MONGODB_URI) that the test
// can stop and restart.
func startOutageShop(t *testing.T) (*apptest.Shop, *outageDB) {
	t.Helper()
	o := &outageDB{t: t, dir: t.TempDir(), addr: freeAddr(t)}
	o.emb = startFerretDB(t, o.dir, o.addr)
	cfg := apptest.Config(t)
	cfg.MongoURI = o.emb.URI("outage")
	cfg.MongoDB = "outage"
	return apptest.StartExternal(t, cfg), o
}

func TestDatabaseOutageGives503AndRecovers(t *testing.T) {
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
	deadline := time.Now().Add(30 * time.Second)
	for c.Get("/healthz").StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the app did not recover after the database came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestFormsAnswer503WhenTheDatabaseIsDown: viewing a form touches no database (its CSRF secret
// is a signed cookie), so a new visitor still gets the form; sending it is the same 503 page as
// everywhere else, not the 500 page, and works again once the database is back.
func TestFormsAnswer503WhenTheDatabaseIsDown(t *testing.T) {
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
	cfg, err := config.Load(func(k string) string {
		if k == "MONGODB_URI" {
			return "mongodb://" + freeAddr(t) + "/shop"
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
