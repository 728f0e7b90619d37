package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// nonASCIIEmails are refused everywhere an email is typed: the shop's rule is printable ASCII
// (see models.ValidEmail), which keeps out look-alikes of existing accounts.
var nonASCIIEmails = []string{
	"üx@exämple.test",
	"dеmo@ginshop.test", // Cyrillic е: the demo account's look-alike
	"demo@ginshоp.test", // Cyrillic о in the domain
	"demo\u200b@ginshop.test",
}

func TestSignupRefusesNonASCIIEmails(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	for _, email := range nonASCIIEmails {
		c := shop.Client(t)
		res := c.Submit("/signup", "/signup", url.Values{"email": {email}, "password": {"a-good-password"}, "confirmPassword": {"a-good-password"}})
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if got := alertText(t, res.Body); got != "Please enter a valid email." {
			t.Errorf("%q: message %q", email, got)
		}
		if n := countUsers(t, shop, models.NormalizeEmail(email)); n != 0 {
			t.Errorf("%q: %d accounts stored", email, n)
		}
	}
}

func TestLoginAndResetRefuseNonASCIIEmails(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	for _, email := range nonASCIIEmails {
		c := shop.Client(t)
		res := c.Submit("/login", "/login", url.Values{"email": {email}, "password": {models.DemoPassword}})
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if got := alertText(t, res.Body); got != "Invalid email or password." {
			t.Errorf("login %q: message %q", email, got)
		}
		if navShowsLogout(t, c) {
			t.Errorf("login %q logged in", email)
		}
		res = c.Submit("/reset", "/reset", url.Values{"email": {email}})
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	}
	if mails := readMailbox(t, shop.Client(t)); len(mails) != 0 {
		t.Errorf("%d reset mails sent to non-ASCII addresses", len(mails))
	}
}

// TestProductTextWithControlCharactersIsRefused: a NUL byte, an escape or a C1 control in a
// title or description is a 422 with the form again, and nothing is stored or changed; line
// breaks and tabs are fine in a description (a textarea sends CRLF).
func TestProductTextWithControlCharactersIsRefused(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]
	png := func() *upload { return &upload{Name: "p.png", ContentType: "image/png", Data: pngBytes(t)} }

	cases := []struct{ title, description string }{
		{"Tea\x00Pot", "Brews four cups."},
		{"Tea\x1b[31mPot", "Brews four cups."},
		{"Tea\tPot", "Brews four cups."},
		{"Tea\u0085Pot", "Brews four cups."},
		{"Tea Pot", "Brews four\x00 cups."},
		{"Tea Pot", "Brews four\x7f cups."},
	}
	for _, tc := range cases {
		before := dbState(t, shop)
		form := url.Values{"title": {tc.title}, "price": {"12"}, "description": {tc.description}}
		res := s.postMultipart("/admin/add-product", form, png())
		t.Logf("title %q, description %q", tc.title, tc.description)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		mustContain(t, res.Body, "Please use only visible characters")

		form.Set("productId", book.ID.Hex())
		res = s.postMultipart("/admin/edit-product", form, nil)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		expectUnchanged(t, shop, before, "a product form with a control character")
	}

	res := s.postMultipart("/admin/add-product", url.Values{"title": {"Tea Pot"}, "price": {"12"},
		"description": {"Brews four cups.\r\n\tThen rests."}}, png())
	expectRedirect(t, res, "/admin/products")
}
