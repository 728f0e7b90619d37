package app_test

// Helpers of the account, CSRF, reset, lockout, header and XSS tests.

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

// parseHTML parses a page the way a browser does.
func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// elements returns the element nodes under n that match.
func htmlElements(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func htmlTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func htmlAttr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func htmlHasClass(n *html.Node, class string) bool {
	v, _ := htmlAttr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// input returns the form field with that name; the test fails if there is not exactly one.
func formField(t *testing.T, doc *html.Node, name string) *html.Node {
	t.Helper()
	found := htmlElements(doc, func(n *html.Node) bool {
		v, _ := htmlAttr(n, "name")
		return (n.Data == "input" || n.Data == "textarea") && v == name
	})
	if len(found) != 1 {
		t.Fatalf("%d fields named %q, want 1", len(found), name)
	}
	return found[0]
}

// texts returns the page's visible text nodes, trimmed, outside <script> and <style>.
func visibleTexts(doc *html.Node) []string {
	var out []string
	for d := range doc.Descendants() {
		if d.Type != html.TextNode || d.Parent == nil || d.Parent.Data == "script" || d.Parent.Data == "style" {
			continue
		}
		if s := strings.TrimSpace(d.Data); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// alertText is the text of the page's error message box ("" if none).
func alertText(t *testing.T, body string) string {
	t.Helper()
	for _, n := range htmlElements(parseHTML(t, body), func(n *html.Node) bool { return htmlHasClass(n, "user-message--error") }) {
		return strings.Join(visibleTexts(n), " ")
	}
	return ""
}

// dbSnapshot is every document of every collection as canonical extended JSON, so two snapshots
// compare equal only if nothing was stored, changed or deleted. Sessions' expiry times are left
// out: extending them on use (touch) is not a change of data; so are the writer lease, which the
// shop renews every few seconds, and the per-address counters, which count every attempt
// (app/address_limit_test.go tests them).
func dbSnapshot(t *testing.T, shop *apptest.Shop) map[string][]string {
	t.Helper()
	ctx := context.Background()
	names, err := shop.DB.Database.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	snap := map[string][]string{}
	for _, name := range names {
		// The periodic jobs' own documents (the writer lease, the catalog's snapshot) change
		// whatever the requests do.
		if name == database.Leases || name == database.CatalogSnapshots || name == database.AddressLimits {
			continue
		}
		cur, err := shop.DB.Database.Collection(name).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.D
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if name == "sessions" {
				d = withoutExpiry(d)
			}
			b, err := bson.MarshalExtJSON(d, true, false)
			if err != nil {
				t.Fatal(err)
			}
			snap[name] = append(snap[name], string(b))
		}
	}
	return snap
}

func withoutExpiry(d bson.D) bson.D {
	var out bson.D
	for _, e := range d {
		switch e.Key {
		case "expires":
			continue
		case "cookie", "session":
			if sub, ok := e.Value.(bson.D); ok {
				e.Value = withoutExpiry(sub)
			}
		}
		out = append(out, e)
	}
	return out
}

// expectSameDB fails the test if the database changed between two snapshots.
func expectSameDB(t *testing.T, what string, before, after map[string][]string) {
	t.Helper()
	for _, name := range sortedKeys(before, after) {
		if !slices.Equal(before[name], after[name]) {
			t.Errorf("%s changed collection %s:\nbefore %v\nafter  %v", what, name, before[name], after[name])
		}
	}
}

func sortedKeys(maps ...map[string][]string) []string {
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// storedUser reads a user straight from the database.
func storedUser(t *testing.T, shop *apptest.Shop, email string) models.User {
	t.Helper()
	u, err := shop.Models.Users.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func countUsers(t *testing.T, shop *apptest.Shop, email string) int64 {
	t.Helper()
	n, err := shop.DB.Database.Collection("users").CountDocuments(context.Background(), bson.D{{Key: "email", Value: email}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// createUser stores an account directly (cheap bcrypt cost: only the comparison matters here).
func createAccount(t *testing.T, shop *apptest.Shop, email, password string) models.User {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := shop.Models.Users.Create(context.Background(), email, string(hash))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// shownMail is one mail as /dev/mailbox shows it.
type shownMail struct {
	To, Subject, Text string
	Links             []string
}

// readMailbox opens /dev/mailbox and returns the mails it shows, newest first.
func readMailbox(t *testing.T, c *apptest.Client) []shownMail {
	t.Helper()
	res := c.Get("/dev/mailbox")
	apptest.ExpectStatus(t, res, http.StatusOK)
	var mails []shownMail
	for _, art := range htmlElements(parseHTML(t, res.Body), func(n *html.Node) bool { return htmlHasClass(n, "mail") }) {
		var m shownMail
		for _, n := range htmlElements(art, func(*html.Node) bool { return true }) {
			switch {
			case htmlHasClass(n, "mail__subject"):
				m.Subject = strings.Join(visibleTexts(n), " ")
			case htmlHasClass(n, "mail__to"):
				m.To = strings.Join(visibleTexts(n), " ")
			case htmlHasClass(n, "mail__text"):
				m.Text = strings.Join(visibleTexts(n), "\n")
				for _, a := range htmlElements(n, htmlTag("a")) {
					href, _ := htmlAttr(a, "href")
					m.Links = append(m.Links, href)
				}
			}
		}
		mails = append(mails, m)
	}
	return mails
}

// resetLink asks for a reset link for email and returns the path of the link in the mail.
func resetLink(t *testing.T, c *apptest.Client, email string) string {
	t.Helper()
	res := c.Submit("/reset", "/reset", url.Values{"email": {email}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	mails := readMailbox(t, c)
	if len(mails) == 0 || mails[0].To != email || mails[0].Subject != "Password reset" || len(mails[0].Links) != 1 {
		t.Fatalf("newest mail is not a reset mail to %s: %+v", email, mails)
	}
	u, err := url.Parse(mails[0].Links[0])
	if err != nil || !strings.HasPrefix(u.Path, "/reset/") {
		t.Fatalf("reset link %q", mails[0].Links[0])
	}
	return u.Path
}

// answer is the answer to a request sent from a goroutine (which must not call t.Fatal).
type answer struct {
	status int
	body   string
	err    error
}

// sendAll sends the requests at the same time and returns the answers in order.
func sendAll(clients []*apptest.Client, reqs []*http.Request) []answer {
	out := make([]answer, len(reqs))
	done := make(chan struct{})
	for i := range reqs {
		go func() {
			defer func() { done <- struct{}{} }()
			res, err := clients[i].HTTP.Do(reqs[i])
			if err != nil {
				out[i].err = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			out[i] = answer{status: res.StatusCode, body: string(b), err: err}
		}()
	}
	for range reqs {
		<-done
	}
	return out
}

// formRequest builds a urlencoded POST to the shop, for sendAll.
func formRequest(t *testing.T, shop *apptest.Shop, path string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, shop.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// navShowsLogout reports whether the client's session is logged in (the navigation offers Logout).
func navShowsLogout(t *testing.T, c *apptest.Client) bool {
	t.Helper()
	res := c.Get("/")
	apptest.ExpectStatus(t, res, http.StatusOK)
	return strings.Contains(res.Body, `action="/logout"`)
}

// expectSeeOther fails the test unless res is a 303 to location.
func expectSeeOther(t *testing.T, res *apptest.Response, location string) {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if got := withoutHappened(res.Header.Get("Location")); got != withoutHappened(location) {
		t.Fatalf("%s %s redirects to %q, want %q", res.Request.Method, res.Request.URL.Path, got, location)
	}
}

// cheapDemoHash stores the demo user's password again at bcrypt's minimum cost and returns
// shop. Under -race one comparison at cost 12 takes seconds, and these tests log in often; the
// cost of stored hashes is checked where it matters (signup, reset).
func cheapDemoHash(t *testing.T, shop *apptest.Shop) *apptest.Shop {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(models.DemoPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	_, err = shop.DB.Database.Collection("users").UpdateOne(context.Background(),
		bson.D{{Key: "email", Value: models.DemoEmail}}, bson.D{{Key: "$set", Value: bson.D{{Key: "password", Value: string(hash)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

// withoutHappened drops the parameter with which a lesson action's redirect names what the
// action did ("what just happened"; lessons_trace_test.go checks it), and puts the query in
// one order, so two locations compare by what they say.
func withoutHappened(location string) string {
	u, err := url.Parse(location)
	if err != nil || u.RawQuery == "" {
		return location
	}
	q := u.Query()
	q.Del("happened")
	u.RawQuery = q.Encode()
	return u.String()
}
