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

// Emails are stored as typed (issue 21.1) and compared case-insensitively through the
// userEmails index (models/user_email.go).

// insertNodeAccount stores an account as the Node app would, with its own password.
func insertNodeAccount(t *testing.T, shop *apptest.Shop, email, password string) bson.ObjectID {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	id := bson.NewObjectID()
	_, err = shop.DB.Database.Collection("users").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: id}, {Key: "email", Value: email}, {Key: "password", Value: string(hash)},
		{Key: "cart", Value: bson.D{{Key: "items", Value: bson.A{}}}}, {Key: "__v", Value: int32(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// loginAs submits the login form and returns the answer and the client.
func loginAs(t *testing.T, shop *apptest.Shop, email, password string) (*apptest.Response, *apptest.Client) {
	t.Helper()
	c := shop.Client(t)
	return c.Submit("/login", "/login", url.Values{"email": {email}, "password": {password}}), c
}

// cartOwner is whose cart the client sees: it adds nothing, it asks the user id the page's
// session carries through the orders page of a product-less cart... simpler: the stored
// session's user id.
func sessionUserID(t *testing.T, shop *apptest.Shop, c *apptest.Client) bson.ObjectID {
	t.Helper()
	ck := c.Cookie(shop.Config.SessionName)
	if ck == nil {
		t.Fatal("no session cookie")
	}
	raw, _ := url.QueryUnescape(ck.Value)
	id := strings.TrimPrefix(raw[:strings.LastIndexByte(raw, '.')], "s:")
	var doc struct {
		Session struct {
			User struct {
				ID bson.ObjectID `bson:"_id"`
			} `bson:"user"`
		} `bson:"session"`
	}
	if err := shop.DB.Database.Collection("sessions").FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Session.User.ID
}

func TestEmailSignedUpInMixedCaseLogsInWithAnyCase(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	u := createAccount(t, shop, "Bob.Mixed@Example.COM", "bob-password-1")
	if u.Email != "Bob.Mixed@Example.COM" {
		t.Fatalf("stored %q, want the email as typed", u.Email)
	}
	for _, typed := range []string{"Bob.Mixed@Example.COM", "bob.mixed@example.com", "BOB.MIXED@EXAMPLE.COM"} {
		res, c := loginAs(t, shop, typed, "bob-password-1")
		expectSeeOther(t, res, "/")
		if got := sessionUserID(t, shop, c); got != u.ID {
			t.Fatalf("%q logged in as %s, want %s", typed, got.Hex(), u.ID.Hex())
		}
	}
}

func TestSignupRefusesAnEmailDifferingOnlyByCaseFromAGinShopAccount(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	createAccount(t, shop, "Bob.Mixed@Example.COM", "bob-password-1")
	before := dbState(t, shop)
	c := shop.Client(t)
	res := c.Submit("/signup", "/signup", url.Values{
		"email": {"bob.mixed@EXAMPLE.com"}, "password": {"another-password-1"}, "confirmPassword": {"another-password-1"}})
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	if !strings.Contains(alertText(t, res.Body), "E-Mail exists already") {
		t.Fatalf("message: %q", alertText(t, res.Body))
	}
	expectUnchanged(t, shop, before, "a signup differing only by case")
}

func TestNodeAccountsDifferingOnlyByCaseEachLogInWithTheirOwnPassword(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	upper := insertNodeAccount(t, shop, "Twin@Example.test", "upper-password")
	lower := insertNodeAccount(t, shop, "twin@example.test", "lower-password")

	res, c := loginAs(t, shop, "Twin@Example.test", "upper-password")
	expectSeeOther(t, res, "/")
	if got := sessionUserID(t, shop, c); got != upper {
		t.Fatalf("Twin@ logged in as %s, want %s", got.Hex(), upper.Hex())
	}
	res, c = loginAs(t, shop, "twin@example.test", "lower-password")
	expectSeeOther(t, res, "/")
	if got := sessionUserID(t, shop, c); got != lower {
		t.Fatalf("twin@ logged in as %s, want %s", got.Hex(), lower.Hex())
	}
	// Exact match first: the other account's password does not open this one.
	res, _ = loginAs(t, shop, "twin@example.test", "upper-password")
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	// A third spelling matches neither exactly: no account is guessed.
	res, _ = loginAs(t, shop, "TWIN@EXAMPLE.TEST", "upper-password")
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
}

func TestNodeEmailStoredWithSurroundingSpacesLogsInTypedTheSame(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	id := insertNodeAccount(t, shop, " spaced@example.test ", "spaced-password")
	res, c := loginAs(t, shop, " spaced@example.test ", "spaced-password")
	expectSeeOther(t, res, "/")
	if got := sessionUserID(t, shop, c); got != id {
		t.Fatalf("logged in as %s, want %s", got.Hex(), id.Hex())
	}
}

func TestSignupIsListedInTheEmailIndex(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Submit("/signup", "/signup", url.Values{
		"email": {"New.Person@Example.test"}, "password": {"new-password-1"}, "confirmPassword": {"new-password-1"}})
	expectSeeOther(t, res, "/login")
	u := storedUser(t, shop, "new.person@example.test")
	entry := indexEntry(t, shop, "userEmails", "new.person@example.test", "userIds")
	if len(entry) != 1 || entry[0] != u.ID {
		t.Fatalf("userEmails lists %v, want [%s]", entry, u.ID.Hex())
	}
}

func TestEmailClaimLeftByADeadSignupBlocksOnlyForAMinute(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	emails := shop.DB.Database.Collection("userEmails")
	// A signup in flight (its claim is seconds old, its user not written yet) blocks...
	fresh := bson.NewObjectID()
	if _, err := emails.InsertOne(context.Background(), bson.D{{Key: "_id", Value: "inflight@example.test"}, {Key: "userIds", Value: bson.A{fresh}}}); err != nil {
		t.Fatal(err)
	}
	c := shop.Client(t)
	res := c.Submit("/signup", "/signup", url.Values{"email": {"inflight@example.test"}, "password": {"new-password-1"}, "confirmPassword": {"new-password-1"}})
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	// ...but a claim older than a minute with no account is a leftover of a process that died.
	stale := bson.NewObjectIDFromTimestamp(bson.NewObjectID().Timestamp().Add(-2 * 60e9))
	if _, err := emails.InsertOne(context.Background(), bson.D{{Key: "_id", Value: "ghost@example.test"}, {Key: "userIds", Value: bson.A{stale}}}); err != nil {
		t.Fatal(err)
	}
	res = c.Submit("/signup", "/signup", url.Values{"email": {"Ghost@example.test"}, "password": {"new-password-1"}, "confirmPassword": {"new-password-1"}})
	expectSeeOther(t, res, "/login")
	res, _ = loginAs(t, shop, "ghost@example.test", "new-password-1")
	expectSeeOther(t, res, "/")
}

// indexEntry reads the ids an index document lists.
func indexEntry(t *testing.T, shop *apptest.Shop, coll string, key any, field string) []bson.ObjectID {
	t.Helper()
	var doc bson.M
	err := shop.DB.Database.Collection(coll).FindOne(context.Background(), bson.D{{Key: "_id", Value: key}}).Decode(&doc)
	if err != nil {
		t.Fatalf("%s %v: %v", coll, key, err)
	}
	var ids []bson.ObjectID
	arr, _ := doc[field].(bson.A)
	for _, v := range arr {
		ids = append(ids, v.(bson.ObjectID))
	}
	return ids
}
