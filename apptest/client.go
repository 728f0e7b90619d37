package apptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/models"
)

// Client is a visitor with a cookie jar. It does not follow redirects, so tests see them.
type Client struct {
	t    testing.TB
	shop *Shop
	HTTP *http.Client
}

// Response is an answer with its body read.
type Response struct {
	*http.Response
	Body string
}

// Client returns a new visitor with an empty cookie jar.
func (s *Shop) Client(t testing.TB) *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{t: t, shop: s, HTTP: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     s.transport, // not http.DefaultTransport (Shop.transport says why)
	}}
}

// On is the same visitor (the same cookie jar) talking to another shop: a browser whose
// requests a load balancer sends to another instance. Cookies are not kept per port, so the
// session cookie of one instance on 127.0.0.1 is sent to the other too.
func (c *Client) On(s *Shop) *Client {
	return &Client{t: c.t, shop: s, HTTP: c.HTTP}
}

// Do sends req (a path relative to the shop is resolved) and reads the answer.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	if req.URL.Host == "" {
		u, _ := url.Parse(c.shop.URL)
		req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &Response{Response: res, Body: string(b)}
}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

// PostForm posts form values to path as a browser form would (urlencoded body).
func (c *Client) PostForm(path string, form url.Values) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF loads page (which must render a form) and returns its _csrf token.
func (c *Client) CSRF(page string) string {
	c.t.Helper()
	res := c.Get(page)
	m := csrfField.FindStringSubmatch(res.Body)
	if m == nil {
		c.t.Fatalf("GET %s (%d): no _csrf field in the page", page, res.StatusCode)
	}
	return m[1]
}

// Submit posts form to path with a fresh token scraped from page, like a user filling in the form.
func (c *Client) Submit(page, path string, form url.Values) *Response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.CSRF(page))
	return c.PostForm(path, form)
}

// Login logs in through the login form and fails the test unless it redirects.
func (c *Client) Login(email, password string) {
	c.t.Helper()
	res := c.Submit("/login", "/login", url.Values{"email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d, want 303", email, res.StatusCode)
	}
}

// LoginDemo logs in as the seeded demo user.
func (c *Client) LoginDemo() { c.Login(models.DemoEmail, models.DemoPassword) }

// Cookie returns the jar's cookie of that name for the shop, or nil.
func (c *Client) Cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.shop.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// ExpectStatus fails the test unless res has status want.
func ExpectStatus(t testing.TB, res *Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		body := res.Body
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Fatalf("%s %s: status %d, want %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, body)
	}
}
