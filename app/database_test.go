package app_test

// How the shop uses its database: what each page costs in commands, that every write is seen by
// the page that follows it (writes and reads travel on different connections), that an external
// FerretDB gets a single writer like the embedded one, and that bursts queue instead of failing.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// pageCost requests path and returns the commands it cost, apart from the catalog read: the
// catalog cache reads all products at most once a second for all visitors together, so that
// read belongs to no page in particular (it is returned separately).
func pageCost(t *testing.T, cmds *apptest.Commands, c *apptest.Client, path string) (page []string, catalogReads int) {
	t.Helper()
	cmds.Reset()
	apptest.ExpectStatus(t, c.Get(path), http.StatusOK)
	return withoutCatalogReads(cmds.Seen())
}

func withoutCatalogReads(seen []string) (page []string, catalogReads int) {
	for _, s := range seen {
		if s == "find products" {
			catalogReads++
			continue
		}
		if s == "find versions" {
			continue // the catalog's background check, one read by _id at most once a second
		}
		page = append(page, s)
	}
	return page, catalogReads
}

func TestAnonymousCatalogPagesCostAtMostOneCommand(t *testing.T) {
	t.Parallel()
	cmds := &apptest.Commands{}
	shop := apptest.Start(t, apptest.Config(t), cmds.Option())
	c := shop.Client(t)
	first := demoProducts(t, shop)[0]
	for _, path := range []string{"/", "/products", "/products?page=2", "/products/" + first.ID.Hex()} {
		page, catalog := pageCost(t, cmds, c, path)
		if len(page)+catalog > 1 {
			t.Errorf("GET %s sent %d commands (%s), want at most 1", path, len(page)+catalog, cmds.Summary())
		}
	}
	if c.Cookie("connect.sid") != nil {
		t.Error("anonymous browsing set a session cookie")
	}
}

func TestLoggedInPagesCostTheSessionAndTheUser(t *testing.T) {
	t.Parallel()
	cmds := &apptest.Commands{}
	shop := apptest.Start(t, apptest.Config(t), cmds.Option())
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]
	s.addToCart(book.ID)
	s.post("/create-order", nil)
	s.Get("/orders") // shows (and so removes) the "Order placed." flash, a session change
	s.addToCart(book.ID)

	// The session and req.user (User.findById, which also brings the cart); products come from
	// the catalog cache.
	for _, path := range []string{"/", "/products", "/products/" + book.ID.Hex(), "/cart", "/checkout"} {
		page, catalog := pageCost(t, cmds, s.Client, path)
		if want := []string{"find sessions", "find users"}; strings.Join(page, ",") != strings.Join(want, ",") || catalog > 1 {
			t.Errorf("GET %s sent %s; want only %v (and at most one catalog read)", path, cmds.Summary(), want)
		}
	}
	// /admin/products is cut out of the catalog too; /orders reads the user's userOrders entry
	// and each order by _id (one order here): all by _id, so flat on the embedded database.
	for path, own := range map[string][]string{"/orders": {"find userOrders", "find orders"}, "/admin/products": nil} {
		page, catalog := pageCost(t, cmds, s.Client, path)
		if want := append([]string{"find sessions", "find users"}, own...); strings.Join(page, ",") != strings.Join(want, ",") || catalog > 1 {
			t.Errorf("GET %s sent %v; want %v (and at most one catalog read)", path, page, want)
		}
	}
}

func TestUnchangedSessionIsNeverWritten(t *testing.T) {
	t.Parallel()
	cmds := &apptest.Commands{}
	shop := apptest.Start(t, apptest.Config(t), cmds.Option())
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]
	cmds.Reset()
	for _, path := range []string{"/", "/products", "/products/" + book.ID.Hex(), "/cart", "/checkout", "/orders", "/admin/products", "/lessons/cookie"} {
		apptest.ExpectStatus(t, s.Get(path), http.StatusOK)
	}
	if w := cmds.Writes(); len(w) != 0 {
		t.Errorf("browsing with an unchanged session wrote %v", w)
	}
}

// TestEveryPageSeesTheWriteBeforeIt walks through each kind of write and opens the page that
// shows it right away: writes travel on the single writer connection, reads on the pool.
func TestEveryPageSeesTheWriteBeforeIt(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	book := demoProducts(t, shop)[0]
	for round := range 3 {
		email := fmt.Sprintf("ryw%d@example.com", round)
		c := shop.Client(t)
		res := c.Submit("/signup", "/signup", url.Values{"email": {email}, "password": {shopperPassword}, "confirmPassword": {shopperPassword}})
		expectRedirect(t, res, "/login")
		c.Login(email, shopperPassword) // the new user is found at once
		mustContain(t, c.Get("/").Body, "Logout")
		s := &shopper{Client: c, t: t, shop: shop, ID: storedUser(t, shop, email).ID, csrf: c.CSRF("/")}

		s.addToCart(book.ID)
		mustContain(t, s.Get("/cart").Body, book.Title)
		expectRedirect(t, s.post("/cart-delete-item", url.Values{"productId": {book.ID.Hex()}}), "/cart")
		mustNotContain(t, s.Get("/cart").Body, book.Title)

		s.addToCart(book.ID)
		expectRedirect(t, s.post("/create-order", nil), "/orders")
		mustContain(t, s.Get("/orders").Body, book.Title)
		mustNotContain(t, s.Get("/cart").Body, book.Title)

		title := fmt.Sprintf("Fresh Product %d", round)
		p := s.addProduct(title, "12.50")
		mustContain(t, s.Get("/admin/products").Body, title)
		mustContain(t, s.Get("/products/"+p.ID.Hex()).Body, title)
		mustContain(t, s.Get("/products?page=99").Body, title) // the last page

		edited := title + " (edited)"
		res = s.postMultipart("/admin/edit-product", url.Values{"productId": {p.ID.Hex()}, "title": {edited},
			"price": {"13.00"}, "description": {"Edited by the tests."}}, nil)
		expectRedirect(t, res, "/admin/products")
		mustContain(t, s.Get("/products/"+p.ID.Hex()).Body, edited, "13.00")

		expectRedirect(t, s.post("/admin/delete-product", url.Values{"productId": {p.ID.Hex()}}), "/admin/products")
		apptest.ExpectStatus(t, s.Get("/products/"+p.ID.Hex()), http.StatusNotFound)
		mustNotContain(t, s.Get("/products?page=99").Body, title)

		expectRedirect(t, s.post("/logout", nil), "/")
		mustNotContain(t, s.Get("/").Body, "Logout")
		expectRedirect(t, s.Get("/cart"), "/login")
	}
}

// TestCatalogCatchesUpWithWritesElsewhere: a product written behind this instance's back (by
// another instance, or in mongosh) shows within the cache's second, without any restart.
func TestCatalogCatchesUpWithWritesElsewhere(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	mustNotContain(t, c.Get("/products?page=99").Body, "Written Elsewhere") // the cache is warm now
	demo := storedUser(t, shop, models.DemoEmail)
	id := bson.NewObjectID()
	_, err := shop.DB.Database.Collection("products").InsertOne(context.Background(), models.Product{
		ID: id, Title: "Written Elsewhere", Price: 5, Description: "Inserted straight into the database.",
		ImageURL: "/images/products/book.svg", UserID: demo.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Its own page finds it by _id at once; the list shows it once the copy is read again.
	mustContain(t, c.Get("/products/"+id.Hex()).Body, "Written Elsewhere")
	apptest.Eventually(t, "a product written elsewhere shows in the list", func() bool {
		return strings.Contains(c.Get("/products?page=99").Body, "Written Elsewhere")
	})
}

func TestSessionOfDeletedUserIsEnded(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "gone@example.com")
	sid := s.Cookie("connect.sid").Value
	if _, err := shop.DB.Database.Collection("users").DeleteOne(context.Background(), bson.D{{Key: "_id", Value: s.ID}}); err != nil {
		t.Fatal(err)
	}
	// Its next request, with a valid session and CSRF token, tries to create a product.
	res := s.postMultipart("/admin/add-product", url.Values{"title": {"Owned by nobody"}, "price": {"1.00"},
		"description": {"Should never be stored."}}, &upload{Name: "p.png", ContentType: "image/png", Data: pngBytes(t)})
	expectRedirect(t, res, "/login")
	expired := false
	for _, line := range res.Header.Values("Set-Cookie") {
		expired = expired || (strings.HasPrefix(line, "connect.sid=;") && strings.Contains(line, "Max-Age=0"))
	}
	if !expired {
		t.Errorf("the cookie was not expired: %q", res.Header.Values("Set-Cookie"))
	}
	if n, err := shop.DB.Database.Collection("sessions").CountDocuments(context.Background(), bson.D{}); err != nil || n != 0 {
		t.Errorf("sessions left: %d, %v; want the ended session deleted", n, err)
	}
	if n, err := shop.DB.Database.Collection("products").CountDocuments(context.Background(), bson.D{{Key: "title", Value: "Owned by nobody"}}); err != nil || n != 0 {
		t.Errorf("products created by the ended session: %d, %v", n, err)
	}
	// The old cookie stays worthless.
	replay := shop.Client(t)
	u, _ := url.Parse(shop.URL)
	replay.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "connect.sid", Value: sid, Path: "/"}})
	expectRedirect(t, replay.Get("/cart"), "/login")
}

// startStandaloneFerretDB runs a FerretDB of its own (the server the app embeds, but separate
// from the app, as MONGODB_URI would name it) and returns its URI for database name.
func startStandaloneFerretDB(t *testing.T, name string) string {
	t.Helper()
	emb := startFerretDB(t, t.TempDir(), "127.0.0.1:0")
	t.Cleanup(emb.Stop)
	return emb.URI(name)
}

func TestExternalFerretDBWritesThroughOneConnection(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.MongoDB = "external"
	cfg.MongoURI = startStandaloneFerretDB(t, cfg.MongoDB)
	shop := apptest.StartExternal(t, cfg)
	if shop.DB.AtomicUpdatesAcrossConnections() {
		t.Fatal("FerretDB reported atomic updates across connections; want it detected from buildInfo, and one writer")
	}
	s := newShopper(t, shop, "parallel@example.com")
	book := demoProducts(t, shop)[0]

	statuses := s.concurrently(50, func(int) *http.Request { return s.cartRequest("/cart", book.ID) })
	expectAll(t, statuses, http.StatusSeeOther)
	if items := cartOf(t, shop, s.ID); len(items) != 1 || items[0].Quantity != 50 {
		t.Fatalf("after 50 simultaneous adds the cart is %+v; want one line of 50", items)
	}

	statuses = s.concurrently(20, func(int) *http.Request { return s.cartRequest("/create-order", bson.NilObjectID) })
	expectAll(t, statuses, http.StatusSeeOther)
	orders := ordersOf(t, shop, s.ID)
	if len(orders) != 1 || len(orders[0].Products) != 1 || orders[0].Products[0].Quantity != 50 {
		t.Fatalf("after 20 simultaneous checkouts the orders are %+v; want one order of 50", orders)
	}
	if items := cartOf(t, shop, s.ID); len(items) != 0 {
		t.Fatalf("cart after checkout: %+v", items)
	}
}

func TestBurstOfFiftyLoginsQueues(t *testing.T) {
	// Fifty people, each from an address of their own (one address is limited to
	// models.MaxLoginsPerAddress attempts at once, app/address_limit_test.go).
	cfg := apptest.Config(t)
	cfg.TrustedProxies = []string{"127.0.0.1"}
	shop := apptest.Start(t, cfg)
	const n = 50
	clients := make([]*apptest.Client, n)
	reqs := make([]*http.Request, n)
	for i := range n {
		email := fmt.Sprintf("burst%d@example.com", i)
		if _, err := shop.Models.Users.Create(context.Background(), email, cheapHash(t)); err != nil {
			t.Fatal(err)
		}
		clients[i] = shop.Client(t)
		reqs[i] = formRequest(t, shop, "/login", url.Values{"email": {email}, "password": {shopperPassword}, "_csrf": {clients[i].CSRF("/login")}})
		reqs[i].Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
	}
	for i, a := range sendAll(clients, reqs) {
		if a.err != nil || a.status != http.StatusSeeOther {
			t.Errorf("login %d: status %d, err %v; want 303", i, a.status, a.err)
		}
	}
}

func TestBurstOfTwoHundredPageViewsQueues(t *testing.T) {
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	anon := shop.Client(t)
	// Half of them logged in (the session and the user to read), half anonymous.
	paths := []string{"/products", "/", "/cart", "/products?page=2"}
	clients := make([]*apptest.Client, 200)
	reqs := make([]*http.Request, 200)
	for i := range reqs {
		clients[i] = anon
		path := paths[i%len(paths)]
		if i%2 == 0 {
			clients[i] = s.Client
		} else if path == "/cart" {
			path = "/products"
		}
		var err error
		if reqs[i], err = http.NewRequest(http.MethodGet, shop.URL+path, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range sendAll(clients, reqs) {
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("view %d: status %d, err %v; want 200", i, a.status, a.err)
		}
	}
}

func TestAddingAProductAlreadyInTheCartCostsOneUpdate(t *testing.T) {
	t.Parallel()
	cmds := &apptest.Commands{}
	shop := apptest.Start(t, apptest.Config(t), cmds.Option())
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]
	s.addToCart(book.ID)
	s.Get("/products") // the catalog is fresh now
	cmds.Reset()
	s.addToCart(book.ID)
	page, _ := withoutCatalogReads(cmds.Seen())
	// The session, req.user, the cart read again by _id under the user's lock (the embedded
	// database's updates are not atomic, so the add cannot be a conditional update there:
	// models/cart.go), and the $inc at that line.
	if want := "find sessions,find users,find users,update users"; strings.Join(page, ",") != want {
		t.Errorf("POST /cart sent %v; want %s", page, want)
	}
	if items := cartOf(t, shop, s.ID); len(items) != 1 || items[0].Quantity != 2 {
		t.Errorf("cart %+v; want one line of 2", items)
	}
}
