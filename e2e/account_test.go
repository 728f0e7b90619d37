package e2e

import (
	"strings"
	"testing"

	"github.com/ginshop/ginshop/models"
)

// The navigation bar's entries, anonymous and logged in (includes/navigation.html).
var (
	navAnonymous = []string{"Shop", "Products", "Lessons", "Login", "Signup"}
	navLoggedIn  = []string{"Shop", "Products", "Cart", "Orders", "Add Product", "Admin Products", "Lessons", "Logout"}
)

// Journey 6: log in through the form, log out: the navigation changes back, and Back plus Reload
// on a page that needs a login lands on /login instead of showing it again.
func TestLogoutChangesTheNavAndGuardsBackAndReload(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.login(models.DemoEmail, models.DemoPassword)
	j.expectNav(navLoggedIn...)

	// A guarded page, shown while logged in.
	j.openOK("/cart")
	if p := j.path(); p != "/cart" {
		t.Fatalf("logged in, /cart led to %s", p)
	}

	if status := j.follow(`.main-header form[action="/logout"] button[type="submit"]`); status != 200 {
		t.Fatalf("logout: status %d", status)
	}
	if p := j.path(); p != "/" {
		t.Errorf("after logout the address is %s, want /", p)
	}
	j.expectNav(navAnonymous...)
	if c := j.cookie(j.shop.Config.SessionName); c != nil {
		t.Errorf("the session cookie %s is still in the browser after logout", c.Name)
	}

	// Back to the cart page: the logged-in page (no-store) must not come back from a cache...
	j.back()
	j.mustNotContain("the page after Back", strings.Join(j.navItems(), "|"), "Logout", "Cart")
	// ...and Reload asks the server again, which sends the visitor to the login form.
	if status := j.reload(); status != 200 {
		t.Fatalf("reload after Back: status %d", status)
	}
	if p := j.path(); p != "/login" {
		t.Errorf("Back and Reload on /cart after logout landed on %s, want /login", p)
	}
	if n := j.count("form.login-form"); n != 1 {
		t.Errorf("the page after Back and Reload has %d login forms, want 1:\n%s", n, j.body())
	}
	j.expectNav(navAnonymous...)
}

// login fills in the login form and fails unless it leads to the shop's front page.
func (j *journey) login(email, password string) {
	j.t.Helper()
	j.openOK("/login")
	j.fill("#email", email)
	j.fill("#password", password)
	if status := j.follow(`form.login-form button[type="submit"]`); status != 200 {
		j.t.Fatalf("log in as %s: status %d\n%s", email, status, j.body())
	}
	if p := j.path(); p != "/" {
		j.t.Fatalf("log in as %s: landed on %s, want /\n%s", email, p, j.body())
	}
}
