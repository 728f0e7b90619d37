package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

func TestHomePageShowsSeededProducts(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	res := shop.Client(t).Get("/")
	apptest.ExpectStatus(t, res, http.StatusOK)
	if n := countCards(res.Body); n != 6 {
		t.Errorf("home page shows %d product cards, want ITEMS_PER_PAGE=6", n)
	}
	mustContain(t, res.Body,
		"A Book About Go", "$29.99", `src="/images/products/book.svg"`,
		"Coffee Mug", "$9.50",
		`<a href="?page=1" class="active" aria-current="page">1</a>`, `<a href="?page=2">2</a>`,
		`href="/css/main.css?v=`, `class="main-header"`)
	mustNotContain(t, res.Body, "Bicycle", "Add to Cart", "Logout")
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestProductListPagination(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	page2 := c.Get("/products?page=2")
	apptest.ExpectStatus(t, page2, http.StatusOK)
	if n := countCards(page2.Body); n != 4 {
		t.Errorf("page 2 shows %d cards, want the last 4 of 10", n)
	}
	mustContain(t, page2.Body, "Bicycle", `<a href="?page=1">1</a>`, `<a href="?page=2" class="active" aria-current="page">2</a>`)
	mustNotContain(t, page2.Body, "A Book About Go", `href="?page=3"`)
}

func TestBadPageNumbersGiveASanePage(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	for _, q := range []string{"0", "-1", "abc", "1.5", "%00", "99999999999999999999"} {
		res := c.Get("/?page=" + q)
		apptest.ExpectStatus(t, res, http.StatusOK)
		if !strings.Contains(res.Body, `class="active" aria-current="page">1</a>`) || countCards(res.Body) != 6 {
			t.Errorf("?page=%s: not the first page", q)
		}
	}
	// Past the end: the last page.
	res := c.Get("/products?page=99999")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "Bicycle", `class="active" aria-current="page">2</a>`)
}

func TestEmptyShopShowsEmptyState(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	if _, err := shop.DB.Database.Collection("products").DeleteMany(context.Background(), bson.D{}); err != nil {
		t.Fatal(err)
	}
	shop.Models.Products.InvalidateCatalog() // deleted behind the app's back, which read them at start
	res := shop.Client(t).Get("/?page=3")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "No Products Found!")
	mustNotContain(t, res.Body, `class="pagination"`)
}

func TestProductDetail(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	p, err := shop.Models.Products.Page(context.Background(), 1, 1)
	if err != nil || len(p.Products) != 1 {
		t.Fatal(p, err)
	}
	first := p.Products[0]
	res := shop.Client(t).Get("/products/" + first.ID.Hex())
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "<h1>A Book About Go</h1>", "$29.99", first.Description, `src="/images/products/book.svg"`)
}

func TestBadProductIDsAre404(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	ids := []string{"abc", "123", "zzzzzzzzzzzzzzzzzzzzzzzz", "%00", strings.Repeat("a", 200),
		bson.NewObjectID().Hex(), "%7B%22%24gt%22%3A%22%22%7D"}
	for _, id := range ids {
		res := c.Get("/products/" + id)
		apptest.ExpectStatus(t, res, http.StatusNotFound)
		mustContain(t, res.Body, "Page Not Found!")
		mustNotContain(t, res.Body, "ObjectID", "mongo", "invalid", "panic")
	}
}

func TestUnknownURLIs404Page(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	for _, p := range []string{"/nope", "/admin/unknown", "/css/nope.css", "/images/products/nope.svg"} {
		res := c.Get(p)
		apptest.ExpectStatus(t, res, http.StatusNotFound)
		mustContain(t, res.Body, "Page Not Found!")
	}
}

func TestErrorPage(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	res := shop.Client(t).Get("/500")
	apptest.ExpectStatus(t, res, http.StatusInternalServerError)
	mustContain(t, res.Body, "Some error occurred!")
}

func TestSeedingRunsOnce(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	ctx := context.Background()
	seeded, err := shop.Models.SeedDemo(ctx, shop.Config.BcryptCost)
	if err != nil || seeded {
		t.Fatalf("second SeedDemo = %v, %v; want false, nil", seeded, err)
	}
	// Deleting every product does not bring the demo back: the demo user still exists.
	if _, err := shop.DB.Database.Collection("products").DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	if seeded, err := shop.Models.SeedDemo(ctx, shop.Config.BcryptCost); err != nil || seeded {
		t.Fatalf("SeedDemo after deleting products = %v, %v; want false, nil", seeded, err)
	}
	users, err := shop.DB.Database.Collection("users").CountDocuments(ctx, bson.D{{Key: "email", Value: models.DemoEmail}})
	if err != nil || users != 1 {
		t.Fatalf("demo users = %d, %v", users, err)
	}
}

func TestStaticFilesAreCached(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	home := c.Get("/")
	i := strings.Index(home.Body, `href="/css/main.css?v=`)
	if i < 0 {
		t.Fatal("no versioned stylesheet link")
	}
	link := home.Body[i+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	res := c.Get(link)
	apptest.ExpectStatus(t, res, http.StatusOK)
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned CSS Cache-Control = %q", cc)
	}
	mustContain(t, res.Body, "#00695c", "#ffeb3b")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	img := c.Get("/images/products/book.svg")
	apptest.ExpectStatus(t, img, http.StatusOK)
	if cc := img.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("unversioned image Cache-Control = %q", cc)
	}
}

func TestAnonymousBrowsingStoresNoSession(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	for _, p := range []string{"/", "/products", "/products?page=2", "/nope"} {
		res := c.Get(p)
		if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("GET %s set cookies %q", p, sc)
		}
	}
	n, err := shop.DB.Database.Collection("sessions").CountDocuments(context.Background(), bson.D{})
	if err != nil || n != 0 {
		t.Fatalf("sessions stored after anonymous browsing: %d, %v", n, err)
	}
}

func TestPanicGivesThe500PageWithoutDetails(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	shop.Engine.GET("/test-panic", func(*gin.Context) { panic("secret internal detail") })
	res := shop.Client(t).Get("/test-panic")
	apptest.ExpectStatus(t, res, http.StatusInternalServerError)
	mustContain(t, res.Body, "Some error occurred!")
	mustNotContain(t, res.Body, "secret internal detail", "goroutine", ".go:")
}

func TestErrorPagesKeepTheLoggedInNavigation(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.LoginDemo()
	for _, p := range []string{"/nope", "/products/abc", "/500"} {
		res := c.Get(p)
		mustContain(t, res.Body, "Logout", `href="/cart"`)
		mustNotContain(t, res.Body, `href="/login"`)
	}
}
