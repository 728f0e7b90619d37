package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginshop/ginshop/apptest"
)

func TestSignupCreatesAccountAndSendsWelcomeMail(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	page := c.Get("/signup")
	apptest.ExpectStatus(t, page, http.StatusOK)
	doc := parseHTML(t, page.Body)
	for _, name := range []string{"email", "password", "confirmPassword", "_csrf"} {
		formField(t, doc, name)
	}

	res := c.Submit("/signup", "/signup", url.Values{
		"email": {"  New.Customer@Example.COM "}, "password": {"correct horse"}, "confirmPassword": {"correct horse"},
	})
	expectSeeOther(t, res, "/login")
	login := c.Get("/login")
	mustContain(t, login.Body, "Your account was created. Please log in.")

	u := storedUser(t, shop, "new.customer@example.com")
	if u.Email != "New.Customer@Example.COM" {
		t.Errorf("stored email %q, want it as typed without the surrounding spaces", u.Email)
	}
	if cost, err := bcrypt.Cost([]byte(u.Password)); err != nil || cost != shop.Config.BcryptCost {
		t.Errorf("password stored as %q (bcrypt cost %d, %v), want a bcrypt hash of the configured cost (12 outside tests)", u.Password, cost, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.Password), []byte("correct horse")) != nil {
		t.Error("stored hash does not match the password")
	}
	if len(u.Cart.Items) != 0 {
		t.Errorf("new account has a cart: %+v", u.Cart)
	}

	mails := readMailbox(t, c)
	if len(mails) != 1 || mails[0].To != "New.Customer@Example.COM" || mails[0].Subject != "Signup succeeded!" {
		t.Fatalf("mailbox = %+v, want the welcome mail", mails)
	}
	if len(mails[0].Links) != 1 || mails[0].Links[0] != shop.URL+"/login" {
		t.Errorf("welcome mail links %v, want %s/login", mails[0].Links, shop.URL)
	}

	// The new account logs in, whatever the case of the typed address.
	c2 := shop.Client(t)
	c2.Login("NEW.customer@example.com", "correct horse")
	if !navShowsLogout(t, c2) {
		t.Error("not logged in with the new account")
	}
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	const good = "correct horse"
	long := strings.Repeat("p", 73)
	longUTF8 := strings.Repeat("€", 25) // 25 characters, 75 bytes
	cases := []struct {
		name, email, password, confirm string
		field, message                 string
	}{
		{"empty email", "", good, good, "email", "Please enter a valid email."},
		{"no at sign", "customer.example.com", good, good, "email", "Please enter a valid email."},
		{"no domain dot", "customer@example", good, good, "email", "Please enter a valid email."},
		{"display name", "Customer <customer@example.com>", good, good, "email", "Please enter a valid email."},
		{"two addresses", "a@example.com,b@example.com", good, good, "email", "Please enter a valid email."},
		{"short password", "customer@example.com", "1234567", "1234567", "password", "Please enter a password with at least 8 characters."},
		{"empty password", "customer@example.com", "", "", "password", "Please enter a password with at least 8 characters."},
		{"73-byte password", "customer@example.com", long, long, "password", "Please enter a password of at most 72 bytes"},
		{"75-byte password of 25 characters", "customer@example.com", longUTF8, longUTF8, "password", "Please enter a password of at most 72 bytes"},
		{"mismatch", "customer@example.com", good, good + "!", "confirmPassword", "Passwords have to match!"},
		{"taken email, other case", "  DEMO@GinShop.test", good, good, "email", "E-Mail exists already, please pick a different one."},
	}
	c := shop.Client(t)
	c.CSRF("/signup") // the session (with its token) exists before the first snapshot
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := dbSnapshot(t, shop)
			res := c.Submit("/signup", "/signup", url.Values{"email": {tc.email}, "password": {tc.password}, "confirmPassword": {tc.confirm}})
			apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
			if got := alertText(t, res.Body); !strings.HasPrefix(got, tc.message) {
				t.Errorf("message %q, want %q", got, tc.message)
			}
			doc := parseHTML(t, res.Body)
			for _, name := range []string{"email", "password", "confirmPassword"} {
				if marked := htmlHasClass(formField(t, doc, name), "invalid"); marked != (name == tc.field) {
					t.Errorf("field %s marked invalid: %v", name, marked)
				}
			}
			if v, _ := htmlAttr(formField(t, doc, "email"), "value"); v != strings.TrimSpace(tc.email) {
				t.Errorf("email field keeps %q, want %q", v, strings.TrimSpace(tc.email))
			}
			for _, name := range []string{"password", "confirmPassword"} {
				if v, ok := htmlAttr(formField(t, doc, name), "value"); ok {
					t.Errorf("%s field sent back with value %q", name, v)
				}
			}
			if tc.password != "" && strings.Contains(res.Body, tc.password) {
				t.Error("the page contains the typed password")
			}
			expectSameDB(t, "failed signup", before, dbSnapshot(t, shop))
		})
	}
}

func TestSimultaneousSignupsCreateOneUser(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	const email = "twice@example.com"
	var clients []*apptest.Client
	var reqs []*http.Request
	for range 2 {
		c := shop.Client(t)
		clients = append(clients, c)
		reqs = append(reqs, formRequest(t, shop, "/signup", url.Values{
			"_csrf": {c.CSRF("/signup")}, "email": {email}, "password": {"correct horse"}, "confirmPassword": {"correct horse"},
		}))
	}
	answers := sendAll(clients, reqs)
	created, refused := 0, 0
	for _, a := range answers {
		switch {
		case a.err != nil:
			t.Fatal(a.err)
		case a.status == http.StatusSeeOther:
			created++
		case a.status == http.StatusUnprocessableEntity && strings.Contains(a.body, "E-Mail exists already, please pick a different one."):
			refused++
		default:
			t.Errorf("answer %d: %.300s", a.status, a.body)
		}
	}
	if created != 1 || refused != 1 {
		t.Errorf("%d signups succeeded and %d were refused, want 1 and 1", created, refused)
	}
	if n := countUsers(t, shop, email); n != 1 {
		t.Errorf("%d users with %s, want 1", n, email)
	}
	n, err := shop.DB.Database.Collection("mails").CountDocuments(context.Background(), bson.D{{Key: "to", Value: email}})
	if err != nil || n != 1 {
		t.Errorf("%d welcome mails (%v), want 1", n, err)
	}
}
