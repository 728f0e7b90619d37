package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

const msgTooManyFromAddress = "Too many attempts from your network. Please wait a while and try again."

// twoInstancesBehindProxy is twoInstances with 127.0.0.1 as a trusted proxy, so each request can
// come from the client address its X-Forwarded-For names.
func twoInstancesBehindProxy(t *testing.T) (a, b *apptest.Shop) {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.TrustedProxies = []string{"127.0.0.1"}
	a = apptest.Start(t, cfg)
	return a, apptest.StartBeside(t, a)
}

func expectTooManyFromAddress(t *testing.T, res *apptest.Response) {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusTooManyRequests)
	if got := alertText(t, res.Body); got != msgTooManyFromAddress {
		t.Errorf("message %q", got)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want a number of seconds", res.Header.Get("Retry-After"))
	}
}

// TestPasswordSprayingFromOneAddressIsLimited: one address tries one password on many emails,
// half of the attempts on each instance. Each email is tried once, so the per-email lockout
// never triggers; the per-address limit does, counted together by both instances, and then even
// the right password is refused from that address (without a bcrypt check), while another
// address still logs in.
func TestPasswordSprayingFromOneAddressIsLimited(t *testing.T) {
	t.Parallel()
	a, b := twoInstancesBehindProxy(t)
	cheapDemoHash(t, a)
	const sprayer = "198.51.100.7"
	for i := range models.MaxLoginsPerAddress {
		shop := []*apptest.Shop{a, b}[i%2]
		res := attemptLogin(t, shop.Client(t), fmt.Sprintf("victim%d@example.com", i), "Summer2026!", sprayer)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	}
	c := b.Client(t)
	expectTooManyFromAddress(t, attemptLogin(t, c, "victim-last@example.com", "Summer2026!", sprayer))
	expectTooManyFromAddress(t, attemptLogin(t, c, models.DemoEmail, models.DemoPassword, sprayer))
	if navShowsLogout(t, c) {
		t.Error("a login over the address limit went through")
	}

	other := a.Client(t)
	expectSeeOther(t, attemptLogin(t, other, models.DemoEmail, models.DemoPassword, "203.0.113.9"), "/")
}

// TestLoginsThatSucceedAreGivenBackToTheirAddress: an office behind one address logs in more
// often than the address's limit of attempts. Only failures add up against an address: each
// login that succeeds is given back (after its answer, controllers.refundAddressLater), so every
// login goes through, and the failures that follow from the same address still meet the limit.
func TestLoginsThatSucceedAreGivenBackToTheirAddress(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.TrustedProxies = []string{"127.0.0.1"}
	shop := cheapDemoHash(t, apptest.Start(t, cfg))
	const office = "198.51.100.20"
	for range models.MaxLoginsPerAddress + 5 {
		expectSeeOther(t, attemptLogin(t, shop.Client(t), models.DemoEmail, models.DemoPassword, office), "/")
	}
	// The office's one counter document is back to no attempts once the last refund is in.
	counters := shop.DB.Database.Collection(database.AddressLimits)
	apptest.Eventually(t, "every successful login is given back to its address", func() bool {
		var docs []struct {
			Requests int `bson:"requests"`
		}
		cur, err := counters.Find(context.Background(), bson.D{})
		if err != nil || cur.All(context.Background(), &docs) != nil {
			t.Fatal("reading addressLimits:", err)
		}
		return len(docs) == 1 && docs[0].Requests == 0
	})
	for i := range models.MaxLoginsPerAddress {
		res := attemptLogin(t, shop.Client(t), fmt.Sprintf("typo%d@example.com", i), models.DemoPassword, office)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	}
	expectTooManyFromAddress(t, attemptLogin(t, shop.Client(t), models.DemoEmail, models.DemoPassword, office))
}

// TestSignupsFromOneAddressAreLimited: one address makes accounts on both instances; beyond the
// limit the signup form answers 429 and no account is stored.
func TestSignupsFromOneAddressAreLimited(t *testing.T) {
	t.Parallel()
	a, b := twoInstancesBehindProxy(t)
	const flooder = "198.51.100.8"
	signup := func(shop *apptest.Shop, email, from string) *apptest.Response {
		return postFrom(t, shop.Client(t), "/signup", url.Values{
			"email": {email}, "password": {"a-good-password"}, "confirmPassword": {"a-good-password"},
		}, from)
	}
	for i := range models.MaxSignupsPerAddress {
		expectSeeOther(t, signup([]*apptest.Shop{a, b}[i%2], fmt.Sprintf("bulk%d@example.com", i), flooder), "/login")
	}
	expectTooManyFromAddress(t, signup(b, "bulk-last@example.com", flooder))
	if n := countUsers(t, a, "bulk-last@example.com"); n != 0 {
		t.Errorf("the refused signup stored %d accounts", n)
	}
	expectSeeOther(t, signup(a, "someone@example.com", "203.0.113.9"), "/login")
}
