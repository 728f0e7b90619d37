package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ginshop/ginshop/models"
)

// Journey 3: put two products in the cart (one twice), delete a third, check out, order; the
// orders page lists the order and its invoice link answers a PDF.
func TestCartCheckoutOrderAndInvoice(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.login(models.DemoEmail, models.DemoPassword)

	// The first three cards of the shop: a, b and c.
	titles := j.texts(".grid > .product-item .product__title")
	prices := j.texts(".grid > .product-item .product__price")
	if len(titles) < 3 {
		t.Fatalf("the shop shows %d products, want at least 3", len(titles))
	}
	add := func(card int) {
		t.Helper()
		j.openOK("/")
		sel := fmt.Sprintf(`.grid > .product-item:nth-child(%d) form[action="/cart"] button[type="submit"]`, card)
		if status := j.follow(sel); status != 200 {
			t.Fatalf("add %s to the cart: status %d", titles[card-1], status)
		}
		if p := j.path(); p != "/cart" {
			t.Fatalf("Add to Cart led to %s, want /cart", p)
		}
	}
	add(1)
	add(1)
	add(2)
	add(3)
	j.expectCart(map[string]int{titles[0]: 2, titles[1]: 1, titles[2]: 1})

	// Delete the third product from the cart.
	if status := j.follow(fmt.Sprintf(`.cart__item:nth-child(%d) form[action="/cart-delete-item"] button`, j.cartPosition(titles[2]))); status != 200 {
		t.Fatalf("delete from the cart: status %d", status)
	}
	j.expectCart(map[string]int{titles[0]: 2, titles[1]: 1})

	// Checkout shows the items and the total.
	if status := j.follow(`a[href="/checkout"]`); status != 200 {
		t.Fatalf("Order Now!: status %d", status)
	}
	total := formatCents(2*cents(t, prices[0]) + cents(t, prices[1]))
	j.expectCart(map[string]int{titles[0]: 2, titles[1]: 1})
	j.mustContain("the checkout total", j.text(".cart__total"), "Total: $"+total)

	// Place the order: the orders page lists it, the cart is empty.
	if status := j.follow(`form[action="/create-order"] button[type="submit"]`); status != 200 {
		t.Fatalf("place the order: status %d\n%s", status, j.body())
	}
	if p := j.path(); p != "/orders" {
		t.Fatalf("after ordering the address is %s, want /orders", p)
	}
	if n := j.count(".orders__item"); n != 1 {
		t.Fatalf("the orders page lists %d orders, want 1:\n%s", n, j.body())
	}
	order := j.text(".orders__item")
	j.mustContain("the order", order, fmt.Sprintf("%s (2)", titles[0]), fmt.Sprintf("%s (1)", titles[1]), "Total: $"+total)
	j.mustNotContain("the order", order, titles[2])

	// The invoice link answers a PDF to this logged-in browser.
	href := eval[string](j, one(`.orders__item a[href^="/orders/"]`)+`.getAttribute("href")`)
	j.expectInvoice(href)

	j.openOK("/cart")
	j.mustContain("the cart after ordering", j.text("main"), "No Products in Cart!")
}

// expectInvoice fetches an invoice link in the page, as a click would, and fails unless it is a
// PDF for this logged-in browser.
func (j *journey) expectInvoice(href string) {
	j.t.Helper()
	invoice := eval[map[string]string](j, fmt.Sprintf(`fetch(%s).then(async r => ({
		status: String(r.status), type: r.headers.get("Content-Type") || "",
		magic: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) }))`, js(href)), chromedp.EvalAwaitPromise)
	if invoice["status"] != "200" || invoice["type"] != "application/pdf" || invoice["magic"] != "%PDF-" {
		j.t.Errorf("the invoice link %s answered %v, want 200 application/pdf starting %%PDF-", href, invoice)
	}
}

// expectCart checks the cart (or checkout) page lists exactly these titles with these quantities.
func (j *journey) expectCart(want map[string]int) {
	j.t.Helper()
	items := eval[[][]string](j, `Array.from(document.querySelectorAll(".cart__item"), li =>
		[li.querySelector("h1").innerText.trim(), li.querySelector("h2").innerText.trim()])`)
	got := map[string]int{}
	for _, it := range items {
		n, err := strconv.Atoi(strings.TrimPrefix(it[1], "Quantity: "))
		if err != nil {
			j.t.Fatalf("cart line %q: quantity %q", it[0], it[1])
		}
		got[it[0]] = n
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		j.t.Errorf("%s lists %v, want %v", j.path(), got, want)
	}
}

// cartPosition is the 1-based position of a title in the cart list.
func (j *journey) cartPosition(title string) int {
	j.t.Helper()
	for i, t := range j.texts(".cart__item h1") {
		if t == title {
			return i + 1
		}
	}
	j.t.Fatalf("%q is not in the cart", title)
	return 0
}

// cents reads a shown price ("$29.99") as cents.
func cents(t *testing.T, price string) int {
	t.Helper()
	whole, frac, _ := strings.Cut(strings.TrimPrefix(price, "$"), ".")
	w, err1 := strconv.Atoi(whole)
	f, err2 := strconv.Atoi((frac + "00")[:2])
	if err1 != nil || err2 != nil {
		t.Fatalf("price %q is not $dollars.cents", price)
	}
	return w*100 + f
}

func formatCents(c int) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
