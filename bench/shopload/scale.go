package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The scale benchmark (go run ./bench/shopload -scale): does a page cost the same in a large
// shop as in a small one? It fills a fresh embedded database with a large shop (20,000
// products, 20,000 users, 50,000 orders, 1,000 images of 200 KB, 100,000 sessions) and with 1%
// of it, starts the built binary on each, and times the same requests one at a time (p50, p99):
// the pages of the issue, one image, one product, a login (bcrypt timed apart) and the start-up
// to the first page; then prints both sizes side by side, their ratio and the peak RSS.

// shopSize is how much data a filled shop holds.
type shopSize struct {
	name                                             string
	products, users, orders, images, sessions, owner int
}

func sizes(factor float64) []shopSize {
	n := func(v float64) int { return max(1, int(v*factor)) }
	return []shopSize{
		{name: "1%", products: n(200), users: n(200), orders: n(500), images: n(10), sessions: n(1000)},
		{name: "100%", products: n(20000), users: n(20000), orders: n(50000), images: n(1000), sessions: n(100000)},
	}
}

const (
	scaleEmail    = "Scale.Shopper@Example.test" // stored as typed; the login types it lower-cased
	scalePassword = "scale-password"
	ownedProducts = 20 // the shopper's own products (/admin/products)
	shopperOrders = 3
)

// filled is what the benchmark needs to know about a filled shop.
type filled struct {
	bcryptHash string
	productID  string
	imageURL   string
	indexBuild time.Duration // models.EnsureIndexes over the full data
}

func runScale(o options) error {
	scratch, bin, cleanup, err := prepare(o, "shopload-scale-*")
	if err != nil {
		return err
	}
	defer cleanup()
	type column struct {
		size shopSize
		rows map[string][]time.Duration
		rss  float64
	}
	var cols []column
	var order []string
	for _, size := range sizes(o.scaleFactor) {
		dir := filepath.Join(scratch, "data-"+strings.TrimSuffix(size.name, "%"))
		began := time.Now()
		f, err := fill(dir, size)
		if err != nil {
			return fmt.Errorf("fill %s: %w", size.name, err)
		}
		fmt.Fprintf(os.Stderr, "filled %s in %s\n", size.name, time.Since(began).Round(time.Second))
		rows, names, rss, err := measure(bin, dir, f, o.samples)
		if err != nil {
			return fmt.Errorf("measure %s: %w", size.name, err)
		}
		order = names
		cols = append(cols, column{size, rows, rss})
	}
	small, large := cols[0], cols[1]
	fmt.Printf("# Gin Shop scale benchmark\n\nEmbedded FerretDB (the default), one client, requests one at a time, %d samples per row; %s\n\n", o.samples, machine())
	for _, c := range cols {
		s := c.size
		fmt.Printf("- %s: %d products, %d users, %d orders, %d images of 200 KB, %d sessions\n", s.name, s.products, s.users, s.orders, s.images, s.sessions)
	}
	fmt.Printf("\n| row | %s p50 ms | %s p99 ms | %s p50 ms | %s p99 ms | p50 ratio |\n|---|---|---|---|---|---|\n",
		small.size.name, small.size.name, large.size.name, large.size.name)
	for _, name := range order {
		a, b := small.rows[name], large.rows[name]
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, ms(pct(a, 50)), ms(pct(a, 99)), ms(pct(b, 50)), ms(pct(b, 99)),
			float64(pct(b, 50))/float64(max(pct(a, 50), 1)))
	}
	fmt.Printf("| peak RSS MiB | %.0f | | %.0f | | %.2f |\n", small.rss, large.rss, large.rss/max(small.rss, 1))
	return nil
}

// measure starts the binary on dir and times each row's requests; it returns the rows in
// order and the process's peak RSS.
func measure(bin, dir string, f filled, samples int) (map[string][]time.Duration, []string, float64, error) {
	rows := map[string][]time.Duration{}
	var names []string
	add := func(name string, d time.Duration) {
		if _, ok := rows[name]; !ok {
			names = append(names, name)
		}
		rows[name] = append(rows[name], d)
	}
	add("once, on an upgrade: building the declared indexes over the full data", f.indexBuild)
	// A first start has no saved catalog yet and reads it whole before the catalog pages; a shop
	// starts so again only when it stopped within 10 s of a product write (the snapshot's gap).
	// The start-up measured is the second.
	began := time.Now()
	warm, err := startShopWithin(bin, dir, 10*time.Minute)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := warm.waitFor("/", 10*time.Minute); err != nil {
		return nil, nil, 0, err
	}
	add("first start: no saved catalog yet, to the first page", time.Since(began))
	// Stopped once its start-up work is done, as a shop that ran for a while is: the jobs have
	// run, the catalog's snapshot is saved.
	warm.waitQuiet(5 * time.Minute)
	warm.stop()
	began = time.Now()
	shop, err := startShopWithin(bin, dir, 10*time.Minute)
	if err != nil {
		return nil, nil, 0, err
	}
	defer shop.stop()
	if err := shop.waitFor("/", 10*time.Minute); err != nil {
		return nil, nil, 0, err
	}
	add("start-up to the first page", time.Since(began))

	newVisitor := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	browser := newVisitor()
	anonymous := &http.Client{Timeout: time.Minute}
	get := func(c *http.Client, path string) (string, time.Duration, error) {
		start := time.Now()
		res, err := c.Get(shop.url + path)
		if err != nil {
			return "", 0, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", path, res.StatusCode)
		}
		return string(b), took, err
	}
	login := func(visitor *http.Client, email string) (time.Duration, error) {
		page, _, err := get(visitor, "/login")
		if err != nil {
			return 0, err
		}
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			return 0, fmt.Errorf("no _csrf on /login")
		}
		start := time.Now()
		res, err := visitor.PostForm(shop.url+"/login", url.Values{"email": {email}, "password": {scalePassword}, "_csrf": {m[1]}})
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return 0, fmt.Errorf("login: status %d", res.StatusCode)
		}
		return time.Since(start), nil
	}

	// A shop that has been running is measured, not one still doing its start-up's background
	// work (the reindexers' first passes): how long that took is a row of its own.
	add("after start-up: background work until the process is quiet", shop.waitQuiet(5*time.Minute))

	first, _, err := get(anonymous, "/products")
	if err != nil {
		return nil, nil, 0, err
	}
	last := 1
	for _, m := range pageCount.FindAllStringSubmatch(first, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		last = max(last, n)
	}
	if _, err := login(browser, strings.ToLower(scaleEmail)); err != nil {
		return nil, nil, 0, err
	}
	rowsToTime := []struct {
		name   string
		client *http.Client
		path   string
	}{
		{"anonymous /products, first page", anonymous, "/products"},
		{"anonymous /products, middle page", anonymous, fmt.Sprintf("/products?page=%d", max(1, last/2))},
		{"anonymous /products, last page", anonymous, fmt.Sprintf("/products?page=%d", last)},
		{"logged-in /products", browser, "/products"},
		{"logged-in /cart", browser, "/cart"},
		{"logged-in /orders", browser, "/orders"},
		{"logged-in /admin/products", browser, "/admin/products"},
		{"one product page", anonymous, "/products/" + f.productID},
		{"one image download (200 KB)", anonymous, f.imageURL},
	}
	// A few unmeasured rounds first: the start-up's background work (the reindexers' first
	// passes, the session sweeper) settles, as it would on a shop that has been running.
	const warmRounds = 3
	for round := range warmRounds + samples {
		for _, r := range rowsToTime {
			_, took, err := get(r.client, r.path)
			if err != nil {
				return nil, nil, 0, err
			}
			if round >= warmRounds {
				add(r.name, took)
			}
		}
	}
	// A login is bcrypt (cost 12, about 250 ms on a quiet core) plus the shop's own work. The
	// compare is timed here, in this process, and reported apart; and the shop's own work is
	// timed by logging in user 1, whose stored hash has bcrypt's lowest cost (about 1 ms). Each
	// login is a visitor's who is not logged in (the login page gave it its _csrf cookie only).
	var logins, compares, cheapLogins []time.Duration
	for range 10 {
		took, err := login(newVisitor(), strings.ToLower(scaleEmail))
		if err != nil {
			return nil, nil, 0, err
		}
		logins = append(logins, took)
		start := time.Now()
		_ = bcrypt.CompareHashAndPassword([]byte(f.bcryptHash), []byte(scalePassword))
		compares = append(compares, time.Since(start))
		if took, err = login(newVisitor(), "user1@example.test"); err != nil {
			return nil, nil, 0, err
		}
		cheapLogins = append(cheapLogins, took)
	}
	for i := range logins {
		add("login (POST /login, bcrypt included)", logins[i])
	}
	for i := range compares {
		add("bcrypt compare alone, cost 12", compares[i])
	}
	for i := range cheapLogins {
		add("login with a cost-4 hash: the shop's own work + ~1 ms of bcrypt", cheapLogins[i])
	}
	return rows, names, shop.peakRSS(), nil
}

// pct is the p-th percentile of ds (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := (p*len(s) + 99) / 100
	return s[max(0, min(i, len(s))-1)]
}
