package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

const msgResetLinkInvalid = "This password reset link is invalid, has expired or was already used. Please ask for a new one."

// TestSignupLoginResetLoginFlow is the whole account story through the pages, reading the mail
// from the development outbox like a student would.
func TestSignupLoginResetLoginFlow(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	const email, oldPassword, newPassword = "flow@example.com", "first password", "second password"

	c := shop.Client(t)
	res := c.Submit("/signup", "/signup", url.Values{"email": {email}, "password": {oldPassword}, "confirmPassword": {oldPassword}})
	expectSeeOther(t, res, "/login")
	c.Login(email, oldPassword)

	// A second browser stays logged in with the old password until the reset.
	other := shop.Client(t)
	other.Login(email, oldPassword)

	res = c.Submit("/", "/logout", nil)
	expectSeeOther(t, res, "/")

	link := resetLink(t, c, email)
	if u := storedUser(t, shop, email); u.ResetToken != strings.TrimPrefix(link, "/reset/") || u.ResetTokenExpiration == nil {
		t.Fatalf("stored token %q, link %q", u.ResetToken, link)
	} else if left := time.Until(u.ResetTokenExpiration.Time()); left < 55*time.Minute || left > time.Hour {
		t.Errorf("token expires in %v, want one hour", left)
	}

	form := c.Get(link)
	apptest.ExpectStatus(t, form, http.StatusOK)
	doc := parseHTML(t, form.Body)
	userID, _ := htmlAttr(formField(t, doc, "userId"), "value")
	token, _ := htmlAttr(formField(t, doc, "passwordToken"), "value")
	csrf, _ := htmlAttr(formField(t, doc, "_csrf"), "value")
	if userID != storedUser(t, shop, email).ID.Hex() || "/reset/"+token != link {
		t.Fatalf("new-password form carries userId %q and passwordToken %q", userID, token)
	}
	res = c.PostForm("/new-password", url.Values{"_csrf": {csrf}, "userId": {userID}, "passwordToken": {token}, "password": {newPassword}})
	expectSeeOther(t, res, "/login")
	mustContain(t, c.Get("/login").Body, "Your password has been changed. Please log in with the new password.")

	u := storedUser(t, shop, email)
	if bcrypt.CompareHashAndPassword([]byte(u.Password), []byte(newPassword)) != nil {
		t.Error("the new password does not match the stored hash")
	}
	if cost, _ := bcrypt.Cost([]byte(u.Password)); cost != shop.Config.BcryptCost {
		t.Errorf("new hash has cost %d", cost)
	}
	if u.ResetToken != "" || u.ResetTokenExpiration != nil {
		t.Errorf("token left on the user: %q %v", u.ResetToken, u.ResetTokenExpiration)
	}
	if navShowsLogout(t, other) {
		t.Error("the other browser is still logged in after the password reset")
	}

	// The old password no longer works, the new one does.
	res = c.Submit("/login", "/login", url.Values{"email": {email}, "password": {oldPassword}})
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	c.Login(email, newPassword)
	if !navShowsLogout(t, c) {
		t.Error("not logged in with the new password")
	}
}

func TestResetAnswerIsTheSameWhetherOrNotTheAccountExists(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	type outcome struct {
		status   int
		location string
		flash    string
	}
	ask := func(email string) outcome {
		c := shop.Client(t)
		res := c.Submit("/reset", "/reset", url.Values{"email": {email}})
		loc := res.Header.Get("Location")
		return outcome{res.StatusCode, loc, strings.Join(visibleTexts(parseHTML(t, c.Get(loc).Body)), " ")}
	}
	known := ask(models.DemoEmail)
	unknown := ask("nobody@example.com")
	if known != unknown {
		t.Errorf("known email: %+v\nunknown email: %+v", known, unknown)
	}
	if known.status != http.StatusSeeOther || !strings.Contains(known.flash, "If an account exists for that email, we have sent it a link") {
		t.Errorf("answer %+v", known)
	}
	mails, err := shop.Models.Mails.Recent(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != models.DemoEmail {
		t.Errorf("outbox %+v, want one mail to the demo user and none to the unknown address", mails)
	}
	if n := countUsers(t, shop, "nobody@example.com"); n != 0 {
		t.Errorf("reset created %d users", n)
	}
}

func TestResetRequestValidation(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.CSRF("/reset")
	for _, email := range []string{"", "not-an-email", "demo@ginshop.test, x@example.com"} {
		before := dbSnapshot(t, shop)
		res := c.Submit("/reset", "/reset", url.Values{"email": {email}})
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if got := alertText(t, res.Body); got != "Please enter a valid email." {
			t.Errorf("%q: message %q", email, got)
		}
		if !htmlHasClass(formField(t, parseHTML(t, res.Body), "email"), "invalid") {
			t.Errorf("%q: email field not marked", email)
		}
		expectSameDB(t, "reset with "+email, before, dbSnapshot(t, shop))
	}
}

// TestBadResetTokensChangeNothing tries every kind of bad token on both the link and the form,
// and checks that the password hash (and everything else) stays as it was.
func TestBadResetTokensChangeNothing(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	ctx := context.Background()
	users := shop.DB.Database.Collection("users")
	victim := createAccount(t, shop, "victim@example.com", "victim password")
	demo := storedUser(t, shop, models.DemoEmail)

	// setToken stores a token as POST /reset would, with the given expiry.
	setToken := func(u models.User, expires time.Time) string {
		tok := models.NewResetToken()
		if _, err := shop.Models.Users.SetResetToken(ctx, u.Email, tok, expires); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	usedToken := func() string { // a token that was already used once
		c := shop.Client(t)
		path := resetLink(t, c, victim.Email)
		tok := strings.TrimPrefix(path, "/reset/")
		res := c.Submit(path, "/new-password", url.Values{"userId": {victim.ID.Hex()}, "passwordToken": {tok}, "password": {"victim password"}})
		expectSeeOther(t, res, "/login")
		return tok
	}

	cases := []struct {
		name   string
		userID string
		token  func() string
	}{
		{"forged", victim.ID.Hex(), models.NewResetToken},
		{"malformed", victim.ID.Hex(), func() string { return "not-a-token" }},
		{"empty", victim.ID.Hex(), func() string { return "" }},
		{"expired", victim.ID.Hex(), func() string { return setToken(victim, time.Now().Add(-time.Second)) }},
		{"used", victim.ID.Hex(), usedToken},
		{"another user's", victim.ID.Hex(), func() string { return setToken(demo, time.Now().Add(time.Hour)) }},
		{"set by the Node app", victim.ID.Hex(), func() string { // on the user only, not in resetTokens
			tok := models.NewResetToken()
			_, err := users.UpdateOne(ctx, bson.D{{Key: "_id", Value: victim.ID}}, bson.D{{Key: "$set", Value: bson.D{
				{Key: "resetToken", Value: tok}, {Key: "resetTokenExpiration", Value: bson.NewDateTimeFromTime(time.Now().Add(time.Hour))}}}})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"replaced by a newer one", victim.ID.Hex(), func() string {
			old := setToken(victim, time.Now().Add(time.Hour))
			setToken(victim, time.Now().Add(time.Hour))
			return old
		}},
		{"bad userId", "zzz", func() string { return setToken(victim, time.Now().Add(time.Hour)) }},
		{"unknown userId", bson.NewObjectID().Hex(), func() string { return setToken(victim, time.Now().Add(time.Hour)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token()
			c := shop.Client(t)
			csrf := c.CSRF("/reset")
			before := dbSnapshot(t, shop)
			var victimBefore bson.M
			if err := users.FindOne(ctx, bson.D{{Key: "_id", Value: victim.ID}}).Decode(&victimBefore); err != nil {
				t.Fatal(err)
			}

			if tok != "" && tc.userID == victim.ID.Hex() && tc.name != "another user's" {
				res := c.Get("/reset/" + url.PathEscape(tok))
				apptest.ExpectStatus(t, res, http.StatusNotFound)
				if got := alertText(t, res.Body); got != msgResetLinkInvalid {
					t.Errorf("GET link: message %q", got)
				}
				mustNotContain(t, res.Body, `name="passwordToken"`)
			}
			res := c.PostForm("/new-password", url.Values{"_csrf": {csrf}, "userId": {tc.userID}, "passwordToken": {tok}, "password": {"attacker password"}})
			apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
			if got := alertText(t, res.Body); got != msgResetLinkInvalid {
				t.Errorf("POST: message %q", got)
			}
			var victimAfter bson.M
			if err := users.FindOne(ctx, bson.D{{Key: "_id", Value: victim.ID}}).Decode(&victimAfter); err != nil {
				t.Fatal(err)
			}
			if victimAfter["password"] != victimBefore["password"] {
				t.Error("the password hash changed")
			}
			expectSameDB(t, "bad token", before, dbSnapshot(t, shop))
		})
	}
	for _, email := range []string{victim.Email, models.DemoEmail} {
		if bcrypt.CompareHashAndPassword([]byte(storedUser(t, shop, email).Password), []byte("attacker password")) == nil {
			t.Errorf("%s now has the attacker's password", email)
		}
	}
}

// Expired tokens' entries in resetTokens are deleted by the sweeper; live ones stay.
func TestExpiredResetTokensAreSwept(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	ctx := context.Background()
	now := time.Now()
	demo := storedUser(t, shop, models.DemoEmail)
	for _, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
		if _, err := shop.Models.Users.SetResetToken(ctx, demo.Email, models.NewResetToken(), expires); err != nil {
			t.Fatal(err)
		}
	}
	n, err := shop.Models.Users.DeleteExpiredResetTokens(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("swept %d, %v; want 1", n, err)
	}
	left, err := shop.DB.Database.Collection(database.ResetTokens).CountDocuments(ctx, bson.D{})
	if err != nil || left != 1 {
		t.Fatalf("%d entries left, %v; want the live one", left, err)
	}
}

func TestNewPasswordValidationKeepsTheToken(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	link := resetLink(t, c, models.DemoEmail)
	token := strings.TrimPrefix(link, "/reset/")
	userID := storedUser(t, shop, models.DemoEmail).ID.Hex()
	for _, pw := range []string{"", "short", strings.Repeat("x", 73)} {
		before := dbSnapshot(t, shop)
		res := c.Submit(link, "/new-password", url.Values{"userId": {userID}, "passwordToken": {token}, "password": {pw}})
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if got := alertText(t, res.Body); !strings.HasPrefix(got, "Please enter a password") {
			t.Errorf("%d-byte password: message %q", len(pw), got)
		}
		doc := parseHTML(t, res.Body)
		if !htmlHasClass(formField(t, doc, "password"), "invalid") {
			t.Error("password field not marked")
		}
		if v, _ := htmlAttr(formField(t, doc, "passwordToken"), "value"); v != token {
			t.Errorf("form lost the token: %q", v)
		}
		if v, _ := htmlAttr(formField(t, doc, "userId"), "value"); v != userID {
			t.Errorf("form lost the userId: %q", v)
		}
		expectSameDB(t, "invalid new password", before, dbSnapshot(t, shop))
	}
	// The token still works after the failed attempts.
	res := c.Submit(link, "/new-password", url.Values{"userId": {userID}, "passwordToken": {token}, "password": {"a good new password"}})
	expectSeeOther(t, res, "/login")
}

func TestResetTokenWorksOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	token := strings.TrimPrefix(resetLink(t, c, models.DemoEmail), "/reset/")
	userID := storedUser(t, shop, models.DemoEmail).ID.Hex()

	passwords := []string{"first new password", "second new password"}
	var clients []*apptest.Client
	var reqs []*http.Request
	for _, pw := range passwords {
		cl := shop.Client(t)
		clients = append(clients, cl)
		reqs = append(reqs, formRequest(t, shop, "/new-password", url.Values{
			"_csrf": {cl.CSRF("/reset")}, "userId": {userID}, "passwordToken": {token}, "password": {pw},
		}))
	}
	answers := sendAll(clients, reqs)
	winner := -1
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Fatal(a.err)
		case a.status == http.StatusSeeOther:
			if winner >= 0 {
				t.Fatal("both requests changed the password with one token")
			}
			winner = i
		case a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, msgResetLinkInvalid):
			t.Errorf("answer %d: %.300s", a.status, a.body)
		}
	}
	if winner < 0 {
		t.Fatal("neither request changed the password")
	}
	if bcrypt.CompareHashAndPassword([]byte(storedUser(t, shop, models.DemoEmail).Password), []byte(passwords[winner])) != nil {
		t.Error("the stored password is not the winner's")
	}
}

func TestDevMailboxOnlyInDevelopment(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Get("/dev/mailbox")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "No mail yet.")
	mustContain(t, c.Get("/reset").Body, `href="/dev/mailbox"`)

	cfg := apptest.Config(t)
	cfg.Env = "production"
	prod := apptest.Start(t, cfg)
	pc := prod.Client(t)
	res = pc.Get("/dev/mailbox")
	apptest.ExpectStatus(t, res, http.StatusNotFound)
	mustContain(t, res.Body, "Page Not Found")
	mustNotContain(t, pc.Get("/reset").Body, "/dev/mailbox")
}

func TestResetLinkUsesPublicURLNotAForgedHost(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.PublicURL = "https://shop.example.com"
	shop := apptest.Start(t, cfg)
	createAccount(t, shop, "victim@example.com", "victim password")
	c := shop.Client(t)
	token := c.CSRF("/reset")
	req := formRequest(t, shop, "/reset", url.Values{"_csrf": {token}, "email": {"victim@example.com"}})
	req.Host = "evil.example"
	req.AddCookie(c.Cookie("_csrf")) // the jar would look cookies up by the forged host
	expectSeeOther(t, c.Do(req), "/")
	mails := readMailbox(t, c)
	if len(mails) == 0 || len(mails[0].Links) != 1 || !strings.HasPrefix(mails[0].Links[0], "https://shop.example.com/reset/") {
		t.Fatalf("reset mail links %+v, want https://shop.example.com/reset/...", mails)
	}
	mustNotContain(t, mails[0].Text, "evil.example")
}
