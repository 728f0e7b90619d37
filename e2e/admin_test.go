package e2e

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

// The uploaded test image's size: the shop must serve back exactly this picture.
const uploadWidth, uploadHeight = 64, 48

// Journey 4: add a product with an image chosen in the file input, see it in the shop with that
// image, change its price, and delete it with the async button (the card goes without a reload).
func TestAdminAddsEditsAndDeletesAProduct(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.login(models.DemoEmail, models.DemoPassword)
	const title = "Browser Test Lamp"

	if status := j.follow(`.main-header a[href="/admin/add-product"]`); status != 200 {
		t.Fatalf("Add Product: status %d", status)
	}
	j.fill("#title", title)
	j.fill("#price", "19.99")
	j.fill("#description", "A lamp added through the form by the browser test.")
	j.attach("#image", writePNG(t))
	if status := j.follow(`form.product-form button[type="submit"]`); status != 200 {
		t.Fatalf("add the product: status %d\n%s", status, j.body())
	}
	if p := j.path(); p != "/admin/products" {
		t.Fatalf("after adding the address is %s, want /admin/products\n%s", p, j.body())
	}
	j.mustContain("the admin page", j.text(".flashes"), "Product added.")
	card := j.markCard(title)
	j.mustContain("the new card", j.text(card), "$19.99")

	// The shop lists it, with the uploaded picture (served back at its real size).
	j.findInShop(title)
	card = j.markCard(title)
	j.expectImagesLoaded(card + " img")
	if w, h := eval[int](j, one(card+" img")+".naturalWidth"), eval[int](j, one(card+" img")+".naturalHeight"); w != uploadWidth || h != uploadHeight {
		t.Errorf("the product's image is %dx%d, want the uploaded %dx%d", w, h, uploadWidth, uploadHeight)
	}
	src := eval[string](j, one(card+" img")+`.getAttribute("src")`)
	if !strings.HasPrefix(src, "/images/") {
		t.Errorf("the product's image is %q, want an uploaded file under /images/", src)
	}

	// Edit: the form shows the stored values; a new price keeps the image.
	j.openOK("/admin/products")
	if status := j.follow(j.markCard(title) + ` a[href^="/admin/edit-product/"]`); status != 200 {
		t.Fatalf("Edit: status %d", status)
	}
	if got, want := []string{j.value("#title"), j.value("#price")}, []string{title, "19.99"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the edit form shows %q, want %q", got, want)
	}
	j.fill("#price", "24.5")
	if status := j.follow(`form.product-form button[type="submit"]`); status != 200 {
		t.Fatalf("update the product: status %d\n%s", status, j.body())
	}
	j.mustContain("the admin page", j.text(".flashes"), "Product updated.")
	card = j.markCard(title)
	j.mustContain("the edited card", j.text(card), "$24.50")
	if got := eval[string](j, one(card+" img")+`.getAttribute("src")`); got != src {
		t.Errorf("after a price change the image is %q, want the old %q", got, src)
	}

	// Delete with the async button: the card disappears and the page is not reloaded.
	before := j.count(".product-item")
	eval[bool](j, `window.e2eSamePage = true`)
	j.click(card + " button[data-delete-product]")
	j.waitUntil("the card is gone", fmt.Sprintf(`!Array.from(document.querySelectorAll(".product__title")).some(h => h.innerText.trim() === %s)`, js(title)))
	if !eval[bool](j, `window.e2eSamePage === true`) {
		t.Error("deleting reloaded the page, want the card removed in place")
	}
	if n := j.count(".product-item"); n != before-1 {
		t.Errorf("%d cards after deleting one of %d", n, before)
	}
	if n := j.count("[data-delete-error]"); n != 0 {
		t.Errorf("deleting showed an error: %s", j.text("[data-delete-error]"))
	}
	// And it is gone for real.
	j.openOK("/admin/products")
	j.mustNotContain("the admin page after a reload", j.body(), title)
	if n, err := j.shop.DB.Database.Collection(database.Products).CountDocuments(context.Background(), bson.D{{Key: "title", Value: title}}); err != nil || n != 0 {
		t.Errorf("%d products titled %q stored after deleting (err %v)", n, title, err)
	}
}

// Journey 5: a product form with a short title and a bad price comes back with the message, the
// fields marked with red borders and every typed value still in place.
func TestProductFormShowsValidationErrors(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.login(models.DemoEmail, models.DemoPassword)
	const description = "Typed once, kept after every error."
	image := writePNG(t)

	j.openOK("/admin/add-product")
	j.fill("#title", "ab")
	j.fill("#price", "12.345")
	j.fill("#description", description)
	j.attach("#image", image)
	if status := j.follow(`form.product-form button[type="submit"]`); status != 422 {
		t.Fatalf("submit a short title and a bad price: status %d, want 422", status)
	}
	j.mustContain("the error message", j.text(".user-message--error"), "Title")
	j.expectInvalid(map[string]bool{"#title": true, "#price": true, "#description": false})
	j.expectValues(map[string]string{"#title": "ab", "#price": "12.345", "#description": description})

	// Fix the title only: now the price's message shows, and only the price stays marked.
	j.fill("#title", "A proper title")
	j.attach("#image", image) // a browser never keeps a chosen file across pages
	if status := j.follow(`form.product-form button[type="submit"]`); status != 422 {
		t.Fatalf("submit a bad price: status %d, want 422", status)
	}
	j.mustContain("the error message", j.text(".user-message--error"), "Price")
	j.expectInvalid(map[string]bool{"#title": false, "#price": true, "#description": false})
	j.expectValues(map[string]string{"#title": "A proper title", "#price": "12.345", "#description": description})

	n, err := j.shop.DB.Database.Collection(database.Products).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Errorf("%d products stored after two rejected forms, want the 10 demo products", n)
	}
}

// attach chooses a file in a file input, as the file dialog would.
func (j *journey) attach(sel, path string) {
	j.t.Helper()
	j.mustExist(sel)
	j.do("choose "+path+" in "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// markCard marks the product card with this title so selectors can reach it, and returns the
// selector of that card.
func (j *journey) markCard(title string) string {
	j.t.Helper()
	found := eval[bool](j, fmt.Sprintf(`(() => {
		document.querySelectorAll("[data-e2e-card]").forEach(c => c.removeAttribute("data-e2e-card"));
		const card = Array.from(document.querySelectorAll(".product-item")).find(c => c.querySelector(".product__title").innerText.trim() === %s);
		if (card) card.setAttribute("data-e2e-card", "");
		return !!card; })()`, js(title)))
	if !found {
		j.t.Fatalf("%s has no card titled %q; it shows %q", j.path(), title, j.texts(".product__title"))
	}
	return "[data-e2e-card]"
}

// findInShop walks the shop's pages from the first, through the pagination's links, until one
// lists the title.
func (j *journey) findInShop(title string) {
	j.t.Helper()
	j.openOK("/")
	for range 10 {
		for _, t := range j.texts(".product__title") {
			if t == title {
				return
			}
		}
		next := fmt.Sprintf(`.pagination a[href="?page=%d"]`, eval[int](j, `Number(new URLSearchParams(location.search).get("page") || 1)`)+1)
		if j.count(next) == 0 {
			break
		}
		j.follow(next)
	}
	j.t.Fatalf("no page of the shop lists %q", title)
}

// expectInvalid checks which fields are marked invalid: the class, and the red border it gives.
func (j *journey) expectInvalid(want map[string]bool) {
	j.t.Helper()
	for sel, invalid := range want {
		marked := eval[bool](j, one(sel)+`.classList.contains("invalid")`)
		border := eval[string](j, fmt.Sprintf(`getComputedStyle(%s).borderTopColor`, one(sel)))
		red := border == "rgb(255, 0, 0)"
		if marked != invalid || red != invalid {
			j.t.Errorf("%s: marked invalid %v with border %s, want invalid %v (red border)", sel, marked, border, invalid)
		}
	}
}

// expectValues checks the form fields still hold what was typed.
func (j *journey) expectValues(want map[string]string) {
	j.t.Helper()
	for sel, v := range want {
		if got := j.value(sel); got != v {
			j.t.Errorf("%s holds %q, want the typed %q", sel, got, v)
		}
	}
}

// writePNG writes a small real PNG picture and returns its path.
func writePNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, uploadWidth, uploadHeight))
	for y := range uploadHeight {
		for x := range uploadWidth {
			img.Set(x, y, color.RGBA{R: uint8(4 * x), G: 0x96, B: uint8(5 * y), A: 0xff})
		}
	}
	path := filepath.Join(t.TempDir(), "lamp.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
