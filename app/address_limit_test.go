package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/ginshop/ginshop/apptest"
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
