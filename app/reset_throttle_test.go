package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

const msgResetThrottled = "Too many password reset requests. Please wait 15 minutes and try again."

// requestReset posts the reset form for email as if from client address from (the shop trusts
// 127.0.0.1 as its proxy in these tests).
func requestReset(t *testing.T, c *apptest.Client, email, from string) *apptest.Response {
	t.Helper()
	return postFrom(t, c, "/reset", url.Values{"email": {email}}, from)
}

func countMails(t *testing.T, shop *apptest.Shop, to string) int64 {
	t.Helper()
	n, err := shop.DB.Database.Collection("mails").CountDocuments(context.Background(), bson.D{{Key: "to", Value: to}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestResetRequestsAreThrottled: ten requests for one email send three mails, not ten; the
// answers are the same whether or not the account exists; one client address cannot spray
// requests over many emails either.
func TestResetRequestsAreThrottled(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.TrustedProxies = []string{"127.0.0.1"}
	shop := apptest.Start(t, cfg)
	c := shop.Client(t)

	statuses := func(email, from string) []int {
		var out []int
		for range 10 {
			res := requestReset(t, c, email, from)
			out = append(out, res.StatusCode)
			if res.StatusCode == http.StatusTooManyRequests {
				mustContain(t, res.Body, msgResetThrottled)
				if res.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			}
		}
		return out
	}
	want := []int{303, 303, 303, 429, 429, 429, 429, 429, 429, 429}
	if got := statuses(models.DemoEmail, "203.0.113.1"); !slices.Equal(got, want) {
		t.Errorf("existing account: statuses %v, want %v", got, want)
	}
	if n := countMails(t, shop, models.DemoEmail); n != int64(models.MaxResetRequestsPerEmail) {
		t.Errorf("%d reset mails sent, want %d", n, models.MaxResetRequestsPerEmail)
	}
	// The link of the last mail sent still works: refused requests did not replace the token.
	resetPath := readMailbox(t, c)[0].Links[0]
	if u, _ := url.Parse(resetPath); c.Get(u.Path).StatusCode != http.StatusOK {
		t.Error("a refused request replaced the token of the last mail")
	}
	if got := statuses("nobody@example.com", "203.0.113.2"); !slices.Equal(got, want) {
		t.Errorf("unknown account: statuses %v, want %v (the same as for an existing one)", got, want)
	}
	// The email limit holds from any address.
	apptest.ExpectStatus(t, requestReset(t, c, models.DemoEmail, "203.0.113.3"), http.StatusTooManyRequests)

	// One address, many emails: at most MaxResetRequestsPerAddress are answered with a mail.
	from := "203.0.113.4"
	for i := range models.MaxResetRequestsPerAddress {
		apptest.ExpectStatus(t, requestReset(t, c, fmt.Sprintf("spray%d@example.com", i), from), http.StatusSeeOther)
	}
	createAccount(t, shop, "victim@example.com", "victim password")
	apptest.ExpectStatus(t, requestReset(t, c, "victim@example.com", from), http.StatusTooManyRequests)
	if n := countMails(t, shop, "victim@example.com"); n != 0 {
		t.Errorf("%d mails sent beyond the address limit", n)
	}
	if storedUser(t, shop, "victim@example.com").ResetToken != "" {
		t.Error("a refused request stored a reset token")
	}
	// Another address is not affected.
	apptest.ExpectStatus(t, requestReset(t, c, "victim@example.com", "203.0.113.5"), http.StatusSeeOther)
}
