package e2e

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

// Journey: one browser, two instances of the shop on one database (B connects to A's server
// with MONGODB_URI), the visitor moved from one to the other between steps as a load balancer
// would. Browsers do not keep cookies per port, so both instances get the session cookie.
func TestJourneySwitchesInstanceBetweenSteps(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	a := j.shop
	b := apptest.StartBeside(t, a)
	const title = "Two Instance Lamp"

	// Log in on A; B knows the visitor.
	j.login(models.DemoEmail, models.DemoPassword)
	j.switchTo(b)
	j.openOK("/admin/add-product")
	if p := j.path(); p != "/admin/add-product" {
		t.Fatalf("logged in on A, B sent the browser to %s", p)
	}

	// Add a product with a picture on B.
	j.fill("#title", title)
	j.fill("#price", "12.75")
	j.fill("#description", "Added on instance B, looked at on instance A.")
	j.attach("#image", writePNG(t))
	if status := j.follow(`form.product-form button[type="submit"]`); status != 200 || j.path() != "/admin/products" {
		t.Fatalf("add the product on B: status %d, at %s\n%s", status, j.path(), j.body())
	}
	var p models.Product
	if err := a.DB.Database.Collection(database.Products).FindOne(context.Background(), bson.D{{Key: "title", Value: title}}).Decode(&p); err != nil {
		t.Fatalf("the product added on B is not stored: %v", err)
	}

	// A shows it with its picture (A's product cache catches up within a second).
	j.switchTo(a)
	apptest.Eventually(t, "instance A shows the product added on B", func() bool {
		return j.open("/products/"+p.ID.Hex()) == 200
	})
	j.expectImagesLoaded("main img")
	if w, h := eval[int](j, one("main img")+".naturalWidth"), eval[int](j, one("main img")+".naturalHeight"); w != uploadWidth || h != uploadHeight {
		t.Errorf("on A the picture is %dx%d, want the %dx%d uploaded on B", w, h, uploadWidth, uploadHeight)
	}

	// Add it to the cart on A...
	if status := j.follow(`main form[action="/cart"] button[type="submit"]`); status != 200 || j.path() != "/cart" {
		t.Fatalf("add to cart on A: status %d, at %s", status, j.path())
	}
	// ...order it on B...
	j.switchTo(b)
	j.openOK("/cart")
	j.expectCart(map[string]int{title: 1})
	if status := j.follow(`a[href="/checkout"]`); status != 200 {
		t.Fatalf("checkout on B: status %d", status)
	}
	if status := j.follow(`form[action="/create-order"] button[type="submit"]`); status != 200 || j.path() != "/orders" {
		t.Fatalf("order on B: status %d, at %s", status, j.path())
	}
	// ...and A lists the order and answers its invoice.
	j.switchTo(a)
	j.openOK("/orders")
	j.mustContain("the orders on A", j.text(".orders__item"), title+" (1)", "Total: $12.75")
	href := eval[string](j, one(`.orders__item a[href^="/orders/"]`)+`.getAttribute("href")`)
	j.expectInvoice(href)

	// Log out on A: B no longer lets the browser in.
	if status := j.follow(`.main-header form[action="/logout"] button[type="submit"]`); status != 200 {
		t.Fatalf("logout on A: status %d", status)
	}
	j.switchTo(b)
	j.openOK("/cart")
	if p := j.path(); p != "/login" {
		t.Errorf("after logging out on A, /cart on B led to %s, want /login", p)
	}
	j.expectNav(navAnonymous...)
}

// switchTo sends the journey's next pages to another instance of the shop.
func (j *journey) switchTo(shop *apptest.Shop) { j.shop = shop }
