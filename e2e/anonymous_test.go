package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/database"
)

// Journey 1: an anonymous visitor browses the catalogue page by page and opens a product; the
// shop keeps nothing about them (no cookie in the browser, no session in the database).
func TestAnonymousVisitorBrowsesWithoutASession(t *testing.T) {
	t.Parallel()
	j := startJourney(t)

	j.openOK("/")
	j.expectNav(navAnonymous...)
	firstPage := j.texts(".product-item .product__title")
	if len(firstPage) != j.shop.Config.ItemsPerPage {
		t.Fatalf("the home page shows %d product cards (%q), want %d", len(firstPage), firstPage, j.shop.Config.ItemsPerPage)
	}
	j.expectImagesLoaded(".product-item img")
	if n := j.count(`.product-item form[action="/cart"]`); n != 0 {
		t.Errorf("an anonymous visitor sees %d Add to Cart buttons, want none", n)
	}
	if got := j.texts(".pagination a"); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("pagination shows %q, want [1 2]", got)
	}

	// The demo data has 10 products: the second page holds the other 4.
	if status := j.follow(`.pagination a[href="?page=2"]`); status != 200 {
		t.Fatalf("page 2: status %d", status)
	}
	if p := j.path(); p != "/?page=2" {
		t.Errorf("after clicking page 2 the address is %q, want /?page=2", p)
	}
	secondPage := j.texts(".product-item .product__title")
	if len(secondPage) != 4 {
		t.Errorf("page 2 shows %d product cards (%q), want 4", len(secondPage), secondPage)
	}
	for _, title := range secondPage {
		if slices.Contains(firstPage, title) {
			t.Errorf("%q is on page 1 and on page 2", title)
		}
	}
	if got := j.text(".pagination a.active"); got != "2" {
		t.Errorf("the current page link says %q, want 2", got)
	}
	j.expectImagesLoaded(".product-item img")

	// The first card's Details button opens that product.
	title, price := secondPage[0], j.text(".product-item .product__price")
	if status := j.follow(".product-item .card__actions a.btn"); status != 200 {
		t.Fatalf("product detail: status %d", status)
	}
	if p := j.path(); !strings.HasPrefix(p, "/products/") {
		t.Errorf("Details led to %q, want /products/<id>", p)
	}
	if got := j.text("main h1"); got != title {
		t.Errorf("the detail page's heading is %q, want the card's title %q", got, title)
	}
	j.mustContain("the detail page", j.text("main"), price)
	j.expectImagesLoaded("main .image img")

	// The list under Products works the same way.
	if status := j.follow(`.main-header a[href="/products"]`); status != 200 {
		t.Fatalf("Products: status %d", status)
	}
	if n := j.count(".product-item"); n != j.shop.Config.ItemsPerPage {
		t.Errorf("Products shows %d cards, want %d", n, j.shop.Config.ItemsPerPage)
	}

	// Browsing stored nothing: no cookie at all (the session cookie would be HttpOnly, so the
	// browser's own cookie store is asked, not document.cookie), and no session document.
	for _, c := range j.cookies() {
		t.Errorf("the browser holds a cookie %s=%s after anonymous browsing, want none", c.Name, c.Value)
	}
	n, err := j.shop.DB.Database.Collection(database.Sessions).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d sessions stored after anonymous browsing, want 0", n)
	}
}
