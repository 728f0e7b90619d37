package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

const msgLoginLocked = "Too many failed logins for this email. Please wait 15 minutes and try again, or reset your password."

// attemptLogin posts the login form, optionally with an X-Forwarded-For header.
func attemptLogin(t *testing.T, c *apptest.Client, email, password, forwardedFor string) *apptest.Response {
	t.Helper()
	return postFrom(t, c, "/login", url.Values{"email": {email}, "password": {password}}, forwardedFor)
}

// postFrom submits the form of page path (with a fresh CSRF token from it), optionally with an
// X-Forwarded-For header: a client behind a proxy, for shops that trust 127.0.0.1.
func postFrom(t *testing.T, c *apptest.Client, path string, form url.Values, forwardedFor string) *apptest.Response {
	t.Helper()
	form.Set("_csrf", c.CSRF(path))
	req, err := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return c.Do(req)
}

// failLogins makes n failed logins and expects each to be the ordinary 422.
func failLogins(t *testing.T, c *apptest.Client, email string, n int, forwardedFor func(i int) string) {
	t.Helper()
	for i := range n {
		xff := ""
		if forwardedFor != nil {
			xff = forwardedFor(i)
		}
		res := attemptLogin(t, c, email, "wrong password", xff)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if got := alertText(t, res.Body); got != "Invalid email or password." {
			t.Fatalf("failure %d: message %q", i+1, got)
		}
	}
}

// expectLocked checks the 429 answer: the message, a Retry-After of about 15 minutes, the typed
// email kept, and no login.
func expectLocked(t *testing.T, res *apptest.Response, c *apptest.Client, email string) {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusTooManyRequests)
	if got := alertText(t, res.Body); got != msgLoginLocked {
		t.Errorf("message %q", got)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 60 || s > 15*60+1 {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if v, _ := htmlAttr(formField(t, parseHTML(t, res.Body), "email"), "value"); v != email { // as typed
		t.Errorf("email field %q", v)
	}
	if navShowsLogout(t, c) {
		t.Error("logged in while locked out")
	}
}

func TestLoginLocksAfterFiveFailures(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	failLogins(t, c, models.DemoEmail, models.MaxLoginFailures, nil)
	// Even the right password is refused now, in any letter case.
	expectLocked(t, attemptLogin(t, c, "Demo@GinShop.test", models.DemoPassword, ""), c, "Demo@GinShop.test")

	// Another email from the same address, and the same email from another browser on the same
	// address, are different: only the pair is locked.
	other := createAccount(t, shop, "other@example.com", "other password")
	c.Login(other.Email, "other password")
	if !navShowsLogout(t, c) {
		t.Error("another account cannot log in from the same address")
	}
	second := shop.Client(t)
	expectLocked(t, attemptLogin(t, second, models.DemoEmail, models.DemoPassword, ""), second, models.DemoEmail)
}

func TestLockoutLooksTheSameForUnknownAccounts(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	failLogins(t, c, "nobody@example.com", models.MaxLoginFailures, nil)
	expectLocked(t, attemptLogin(t, c, "nobody@example.com", "any password", ""), c, "nobody@example.com")
	if n := countUsers(t, shop, "nobody@example.com"); n != 0 {
		t.Errorf("%d users created", n)
	}
}

func TestSuccessfulLoginResetsTheFailureCount(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	failLogins(t, c, models.DemoEmail, models.MaxLoginFailures-1, nil)
	c.LoginDemo()
	expectSeeOther(t, c.Submit("/", "/logout", nil), "/")
	failLogins(t, c, models.DemoEmail, models.MaxLoginFailures-1, nil)
	c.LoginDemo() // 4 + 4 failures, but never 5 in a row
}

func TestLockoutEndsAfterItsTime(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	failLogins(t, c, models.DemoEmail, models.MaxLoginFailures, nil)
	expectLocked(t, attemptLogin(t, c, models.DemoEmail, models.DemoPassword, ""), c, models.DemoEmail)

	// Move the lockout (and its window) 15 minutes into the past, as the clock would.
	key := models.LoginAttemptKey(models.DemoEmail, "127.0.0.1")
	past := time.Now().Add(-models.LoginLockout - time.Second)
	res, err := shop.DB.Database.Collection("loginAttempts").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lockedUntil", Value: past}, {Key: "windowStart", Value: past.Add(-time.Minute)}}}})
	if err != nil || res.MatchedCount != 1 {
		t.Fatalf("no attempt document under the (email, 127.0.0.1) key: %v %+v", err, res)
	}
	// A new failure starts a new window instead of locking again at once.
	failLogins(t, c, models.DemoEmail, 1, nil)
	c.LoginDemo()
}

func TestForgedForwardedForDoesNotChangeTheThrottleKey(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t)) // TRUSTED_PROXIES empty: trust no proxy
	c := shop.Client(t)
	failLogins(t, c, models.DemoEmail, models.MaxLoginFailures, func(i int) string { return "203.0.113." + strconv.Itoa(i+1) })
	expectLocked(t, attemptLogin(t, c, models.DemoEmail, models.DemoPassword, "198.51.100.7"), c, models.DemoEmail)

	n, err := shop.DB.Database.Collection("loginAttempts").CountDocuments(context.Background(), bson.D{})
	if err != nil || n != 1 {
		t.Fatalf("%d attempt documents (%v), want 1", n, err)
	}
	locked, err := shop.DB.Database.Collection("loginAttempts").CountDocuments(context.Background(),
		bson.D{{Key: "_id", Value: models.LoginAttemptKey(models.DemoEmail, "127.0.0.1")}})
	if err != nil || locked != 1 {
		t.Errorf("the failures are not counted under the connection's address: %d, %v", locked, err)
	}
}

func TestTrustedProxyForwardsTheClientAddress(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.TrustedProxies = []string{"127.0.0.1"}
	shop := cheapDemoHash(t, apptest.Start(t, cfg))
	c := shop.Client(t)
	const client = "203.0.113.9"
	failLogins(t, c, models.DemoEmail, models.MaxLoginFailures, func(int) string { return client })
	expectLocked(t, attemptLogin(t, c, models.DemoEmail, models.DemoPassword, client), c, models.DemoEmail)

	// Another client behind the same proxy is not locked out.
	res := attemptLogin(t, c, models.DemoEmail, models.DemoPassword, "203.0.113.10")
	expectSeeOther(t, res, "/")
}

func TestFinishedLoginAttemptsAreDeleted(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	ctx := context.Background()
	coll := shop.DB.Database.Collection("loginAttempts")
	now := time.Now()
	_, err := coll.InsertMany(ctx, []any{
		models.LoginAttempt{ID: "finished", Failures: 2, WindowStart: now.Add(-time.Hour), Expires: now.Add(-time.Minute)},
		models.LoginAttempt{ID: "locked", Failures: 5, WindowStart: now.Add(-time.Minute), LockedUntil: now.Add(time.Minute), Expires: now.Add(time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := shop.Models.LoginAttempts.DeleteExpired(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d (%v), want 1", n, err)
	}
	if left, _ := coll.CountDocuments(ctx, bson.D{{Key: "_id", Value: "locked"}}); left != 1 {
		t.Error("a running lockout was deleted")
	}
}

// TestParallelWrongPasswordsAreCountedBeforeTheyAreChecked sends 20 wrong passwords for a new
// email at the same moment: the limit must hold (at most 5 checked, the rest 429) and the stored
// count must include every attempt, none lost to a read-then-write.
func TestParallelWrongPasswordsAreCountedBeforeTheyAreChecked(t *testing.T) {
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	const n = 20
	email := "parallel@example.com"
	clients := make([]*apptest.Client, n)
	reqs := make([]*http.Request, n)
	for i := range n {
		clients[i] = shop.Client(t)
		reqs[i] = formRequest(t, shop, "/login", url.Values{"_csrf": {clients[i].CSRF("/login")}, "email": {email}, "password": {"wrong password"}})
	}
	checked, refused := 0, 0
	for i, a := range sendAll(clients, reqs) {
		switch {
		case a.err != nil:
			t.Fatalf("request %d: %v", i, a.err)
		case a.status == http.StatusUnprocessableEntity:
			checked++
		case a.status == http.StatusTooManyRequests && strings.Contains(a.body, msgLoginLocked):
			refused++
		default:
			t.Errorf("request %d: status %d", i, a.status)
		}
	}
	if checked > models.MaxLoginFailures || checked+refused != n {
		t.Errorf("%d checked and %d refused, want at most %d checked and the rest refused", checked, refused, models.MaxLoginFailures)
	}
	var a models.LoginAttempt
	err := shop.DB.Database.Collection("loginAttempts").FindOne(context.Background(),
		bson.D{{Key: "_id", Value: models.LoginAttemptKey(email, "127.0.0.1")}}).Decode(&a)
	if err != nil || a.Failures != n {
		t.Errorf("stored count %d (%v), want %d", a.Failures, err, n)
	}
	// And the pair stays locked, even for the right password of a real account.
	c := shop.Client(t)
	expectLocked(t, attemptLogin(t, c, email, "wrong password", ""), c, email)
}

// TestLoginRefusesPasswordsLongerThanBcryptReads: bcrypt reads only 72 bytes, so a login with
// the right 72 bytes and anything after them must fail like any wrong password, as signup
// refuses such passwords.
func TestLoginRefusesPasswordsLongerThanBcryptReads(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	password := strings.Repeat("0123456789abcdef", 4) + "01234567" // exactly 72 bytes
	createAccount(t, shop, "long@example.com", password)
	c := shop.Client(t)
	for _, tail := range []string{"x", " and whatever else"} {
		res := attemptLogin(t, c, "long@example.com", password+tail, "")
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if got := alertText(t, res.Body); got != "Invalid email or password." {
			t.Errorf("message %q", got)
		}
		if navShowsLogout(t, c) {
			t.Fatalf("logged in with the password plus %q", tail)
		}
	}
	c.Login("long@example.com", password) // the exact password still works
}
