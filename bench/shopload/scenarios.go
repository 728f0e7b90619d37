package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/ginshop/ginshop/models"
)

// scenario is one measured load.
type scenario struct {
	name     string
	loggedIn bool
	method   string
	path     string
	form     bool // POST /cart: productId and _csrf
}

var scenarios = []scenario{
	{name: "anonymous GET /products", method: "GET", path: "/products"},
	{name: "logged-in GET /products", loggedIn: true, method: "GET", path: "/products"},
	{name: "logged-in GET /cart", loggedIn: true, method: "GET", path: "/cart"},
	{name: "logged-in POST /cart", loggedIn: true, method: "POST", path: "/cart", form: true},
}

// result is one scenario of one round.
type result struct {
	scenario string
	rps      float64
	p50, p99 time.Duration
	requests uint64
	errors   int // transport errors and 5xx
	rssMiB   float64
}

// visitor is a logged-in browser: its cookie, its CSRF token and a product for the cart.
type visitor struct {
	cookie, csrf, productID string
}

var (
	csrfField   = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	productLink = regexp.MustCompile(`href="/products/([0-9a-f]{24})"`)
)

// logIn logs in through the real form, as a browser would, and adds one product to the cart.
func logIn(base string) (visitor, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(method, path string, form url.Values) (int, string, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, base+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, string(b), err
	}
	_, login, err := page("GET", "/login", nil)
	if err != nil {
		return visitor{}, err
	}
	m := csrfField.FindStringSubmatch(login)
	if m == nil {
		return visitor{}, errors.New("no _csrf on /login")
	}
	status, _, err := page("POST", "/login", url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}, "_csrf": {m[1]}})
	if err != nil || status != http.StatusSeeOther {
		return visitor{}, fmt.Errorf("login: status %d, %v", status, err)
	}
	_, products, err := page("GET", "/products", nil)
	if err != nil {
		return visitor{}, err
	}
	v := visitor{}
	if m = csrfField.FindStringSubmatch(products); m == nil {
		return visitor{}, errors.New("no _csrf on /products after login")
	}
	v.csrf = m[1]
	if m = productLink.FindStringSubmatch(products); m == nil {
		return visitor{}, errors.New("no product on /products")
	}
	v.productID = m[1]
	if status, _, err = page("POST", "/cart", url.Values{"productId": {v.productID}, "_csrf": {v.csrf}}); err != nil || status != http.StatusSeeOther {
		return visitor{}, fmt.Errorf("add to cart: status %d, %v", status, err)
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "connect.sid" {
			v.cookie = ck.Name + "=" + ck.Value
		}
	}
	if v.cookie == "" {
		return visitor{}, errors.New("no session cookie after login")
	}
	return v, nil
}

func (s scenario) target(base string, v visitor) vegeta.Target {
	t := vegeta.Target{Method: s.method, URL: base + s.path, Header: http.Header{}}
	if s.loggedIn {
		t.Header.Set("Cookie", v.cookie)
	}
	if s.form {
		t.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		t.Body = []byte(url.Values{"productId": {v.productID}, "_csrf": {v.csrf}}.Encode())
	}
	return t
}

func loadRound(shop *shopProcess, selected []scenario, o options) ([]result, error) {
	v, err := logIn(shop.url)
	if err != nil {
		return nil, err
	}
	var results []result
	for _, s := range selected {
		targeter := vegeta.NewStaticTargeter(s.target(shop.url, v))
		attack := func(d time.Duration) vegeta.Metrics {
			// Rate 0 with a fixed number of workers: each connection sends its next request as
			// soon as the previous one is answered (like wrk -c N).
			atk := vegeta.NewAttacker(
				vegeta.Workers(uint64(o.connections)), vegeta.MaxWorkers(uint64(o.connections)),
				vegeta.Connections(o.connections), vegeta.MaxConnections(o.connections),
				vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(10*time.Second))
			var m vegeta.Metrics
			for res := range atk.Attack(targeter, vegeta.Rate{Freq: 0}, d, s.name) {
				m.Add(res)
			}
			m.Close()
			return m
		}
		attack(o.warmup)
		m := attack(o.duration)
		errs := 0
		for code, n := range m.StatusCodes {
			if c, _ := strconv.Atoi(code); c == 0 || c >= 500 {
				errs += n
			}
		}
		results = append(results, result{
			scenario: s.name, rps: float64(m.Requests) / m.Duration.Seconds(), p50: m.Latencies.P50, p99: m.Latencies.P99,
			requests: m.Requests, errors: errs, rssMiB: shop.peakRSS(),
		})
	}
	return results, nil
}
