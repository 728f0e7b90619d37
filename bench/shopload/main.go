// Command shopload is Gin Shop's load benchmark, one command from the project's root:
//
//	go run ./bench/shopload                        # the default `go run .` shop: embedded database
//	MONGODB_URI=mongodb://127.0.0.1:27117/shop go run ./bench/shopload   # an external server
//
// It builds the shop, starts the binary on a scratch DATA_DIR with its demo data, logs in through
// the real login form, puts a product in the cart, and then loads four scenarios at a fixed
// concurrency with vegeta (github.com/tsenart/vegeta): anonymous GET /products, logged-in
// GET /products, logged-in GET /cart and logged-in POST /cart. For each it prints requests/s,
// p50/p99 latency, errors and the shop's peak RSS (VmHWM of the process, the embedded database
// included). After the last round it sends bursts (50 logins, 200 page views at once) and
// counts failures. It then counts the database commands each scenario's request costs with the
// driver's command monitor (an in-process shop on the same kind of database), and times a
// restart of the binary on the data it has just written up to its first page.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/ginshop/ginshop/app"
	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

type options struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	runs        int
	binary      string
	only        string
	keep        bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each scenario")
	flag.IntVar(&o.connections, "connections", 16, "simultaneous connections (fixed concurrency)")
	flag.IntVar(&o.runs, "runs", 1, "rounds of all scenarios (each round on a freshly started shop)")
	flag.StringVar(&o.binary, "binary", "", "a built shop binary (default: go build one)")
	flag.StringVar(&o.only, "only", "", "run only scenarios whose name contains this")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch directory (the shop's data and logs)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "shopload:", err)
		os.Exit(1)
	}
}

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

func run(o options) error {
	selected := slices.DeleteFunc(slices.Clone(scenarios), func(s scenario) bool { return !strings.Contains(s.name, o.only) })
	if len(selected) == 0 {
		return fmt.Errorf("no scenario matches -only %q", o.only)
	}
	scratch, err := os.MkdirTemp("", "shopload-*")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "keeping", scratch)
	} else {
		defer os.RemoveAll(scratch)
	}
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(scratch, "gin-shop")
		fmt.Fprintln(os.Stderr, "building the shop:", bin)
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	mode := "embedded FerretDB (the default)"
	if os.Getenv("MONGODB_URI") != "" {
		mode = "MONGODB_URI=" + os.Getenv("MONGODB_URI")
	}
	fmt.Printf("# Gin Shop load benchmark\n\n%s, %d connections, %s warm-up + %s measured per scenario, %d round(s); %s\n\n",
		mode, o.connections, o.warmup, o.duration, o.runs, machine())

	var all []result
	var dataDir string
	var burstReport strings.Builder
	for round := 1; round <= o.runs; round++ {
		dataDir = filepath.Join(scratch, fmt.Sprintf("data%d", round))
		shop, err := startShop(bin, dataDir)
		if err != nil {
			return err
		}
		results, err := loadRound(shop, selected, o)
		if err == nil && round == o.runs {
			err = bursts(shop, &burstReport)
		}
		shop.stop()
		if err != nil {
			return err
		}
		for _, r := range results {
			fmt.Fprintf(os.Stderr, "round %d: %-24s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %d  peak RSS %.0f MiB\n",
				round, r.scenario, r.rps, ms(r.p50), ms(r.p99), r.errors, r.rssMiB)
		}
		all = append(all, results...)
	}
	printTable(all, selected)
	fmt.Print(burstReport.String())

	costs, err := commandCosts(selected)
	if err != nil {
		return fmt.Errorf("counting commands: %w", err)
	}
	fmt.Printf("\n## Database commands per request (driver command monitor, 50 sequential requests each)\n\n| scenario | commands/request | of which writes | commands seen |\n|---|---|---|---|\n")
	for _, c := range costs {
		fmt.Printf("| %s | %.2f | %.2f | %s |\n", c.scenario, c.perRequest, c.writesPerRequest, c.summary)
	}

	startup, err := timeStartup(bin, dataDir)
	if err != nil {
		return fmt.Errorf("start-up: %w", err)
	}
	fmt.Printf("\nStart-up of the built binary on existing data to its first page (GET / answered 200): %s\n", startup.Round(time.Millisecond))
	return nil
}

// bursts sends 50 logins through the real form at the same moment (bcrypt at the shop's own
// cost 12), then 200 page views at once (anonymous /products and logged-in /cart), and reports
// how many failed: they should all queue, none fail.
func bursts(shop *shopProcess, out io.Writer) error {
	v, err := logIn(shop.url)
	if err != nil {
		return err
	}
	type visitorForm struct {
		client *http.Client
		form   url.Values
	}
	const logins, views = 50, 200
	// 50 different accounts, signed up through the real form first: 50 logins to one account
	// from one address would (rightly) meet the login throttle after 5.
	forms := make([]visitorForm, logins)
	for i := range forms {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		form := func(page string) (url.Values, error) {
			res, err := c.Get(shop.url + page)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			m := csrfField.FindSubmatch(b)
			if m == nil {
				return nil, fmt.Errorf("no _csrf on %s", page)
			}
			return url.Values{"_csrf": {string(m[1])}}, nil
		}
		email, password := fmt.Sprintf("burst%d@example.com", i), "burst-password"
		signup, err := form("/signup")
		if err != nil {
			return err
		}
		signup.Set("email", email)
		signup.Set("password", password)
		signup.Set("confirmPassword", password)
		res, err := c.PostForm(shop.url+"/signup", signup)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("signup %s: status %d", email, res.StatusCode)
		}
		login, err := form("/login")
		if err != nil {
			return err
		}
		login.Set("email", email)
		login.Set("password", password)
		forms[i] = visitorForm{c, login}
	}
	report := func(name string, n int, send func(i int) (*http.Response, error), ok int) {
		statuses := make([]int, n)
		start := make(chan struct{})
		began := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				res, err := send(i)
				if err != nil {
					return // status 0: a transport error
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i] = res.StatusCode
			})
		}
		close(start)
		wg.Wait()
		failed := map[int]int{}
		for _, st := range statuses {
			if st != ok {
				failed[st]++
			}
		}
		text := "0"
		if len(failed) > 0 {
			text = fmt.Sprint(failed) // status → count; 0 is a transport error
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s |\n", name, n, text, time.Since(began).Round(10*time.Millisecond))
	}
	fmt.Fprintf(out, "\n## Bursts (all requests sent at the same moment)\n\n| burst | requests | failed (not the expected status) | until the last answer |\n|---|---|---|---|\n")
	report("POST /login of 50 accounts, bcrypt cost 12, expecting 303", logins, func(i int) (*http.Response, error) {
		return forms[i].client.PostForm(shop.url+"/login", forms[i].form)
	}, http.StatusSeeOther)
	client := &http.Client{Timeout: time.Minute}
	report("GET /products anonymous and /cart logged in, expecting 200", views, func(i int) (*http.Response, error) {
		if i%2 == 0 {
			return client.Get(shop.url + "/products")
		}
		req, _ := http.NewRequest("GET", shop.url+"/cart", nil)
		req.Header.Set("Cookie", v.cookie)
		return client.Do(req)
	}, http.StatusOK)
	return nil
}

// shopProcess is the shop binary running on a free port.
type shopProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

func startShop(bin, dataDir string) (*shopProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dbPort, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(port),
		"DATA_DIR="+dataDir,
		"EMBEDDED_MONGO_ADDR=127.0.0.1:"+strconv.Itoa(dbPort),
		"APP_ENV=development",
	)
	logFile, err := os.OpenFile(dataDir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &shopProcess{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	if err := p.waitFor("/healthz", 60*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("the shop did not start (log: %s.log): %w", dataDir, err)
	}
	return p, nil
}

// waitFor polls path until it answers 200.
func (p *shopProcess) waitFor(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		res, err := http.Get(p.url + path)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-p.done:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			return errors.New("no answer in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *shopProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// peakRSS is the process's VmHWM in MiB: the embedded database runs in the same process.
func (p *shopProcess) peakRSS() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
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

func printTable(all []result, selected []scenario) {
	fmt.Printf("| scenario | rounds | req/s (median, min–max) | p50 ms | p99 ms | errors | peak RSS MiB |\n|---|---|---|---|---|---|---|\n")
	for _, s := range selected {
		var rs []result
		for _, r := range all {
			if r.scenario == s.name {
				rs = append(rs, r)
			}
		}
		rps := pick(rs, func(r result) float64 { return r.rps })
		p50 := pick(rs, func(r result) float64 { return ms(r.p50) })
		p99 := pick(rs, func(r result) float64 { return ms(r.p99) })
		rss := pick(rs, func(r result) float64 { return r.rssMiB })
		errs := 0
		for _, r := range rs {
			errs += r.errors
		}
		fmt.Printf("| %s | %d | %.0f (%.0f–%.0f) | %.2f | %.2f | %d | %.0f |\n",
			s.name, len(rs), median(rps), rps[0], rps[len(rps)-1], median(p50), median(p99), errs, slices.Max(rss))
	}
}

func pick(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	slices.Sort(out)
	return out
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cost is what one request of a scenario costs the database.
type cost struct {
	scenario                     string
	perRequest, writesPerRequest float64
	summary                      string
}

// commandCosts runs the shop in this process, on the same kind of database, with the driver's
// command monitor on both of its clients, and sends each scenario's request 50 times in a row.
func commandCosts(selected []scenario) ([]cost, error) {
	ctx := context.Background()
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "shopload-count-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	cfg.DataDir, cfg.Env = scratch, "development"
	cfg.EmbeddedMongoAddr = "127.0.0.1:0"
	if !cfg.Embedded() {
		cfg.MongoDB = "shopload_count"
	}
	cmds := &apptest.Commands{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := database.Open(ctx, cfg, logger, cmds.Option())
	if err != nil {
		return nil, err
	}
	if !cfg.Embedded() {
		defer db.Database.Drop(ctx)
	}
	shop, err := app.New(ctx, cfg, logger, db)
	if err != nil {
		return nil, err
	}
	defer shop.Close(ctx)
	srv := httptest.NewServer(shop.Handler)
	defer srv.Close()
	v, err := logIn(srv.URL)
	if err != nil {
		return nil, err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const n = 50
	var costs []cost
	for _, s := range selected {
		t := s.target(srv.URL, v)
		cmds.Reset()
		for range n {
			req, err := t.Request()
			if err != nil {
				return nil, err
			}
			res, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode >= 400 {
				return nil, fmt.Errorf("%s: status %d", s.name, res.StatusCode)
			}
		}
		costs = append(costs, cost{
			scenario:         s.name,
			perRequest:       float64(len(cmds.Seen())) / n,
			writesPerRequest: float64(len(cmds.Writes())) / n,
			summary:          cmds.Summary(),
		})
	}
	return costs, nil
}

// timeStartup starts the binary again on the data of the last round and times it up to its
// first product page.
func timeStartup(bin, dataDir string) (time.Duration, error) {
	start := time.Now()
	shop, err := startShop(bin, dataDir)
	if err != nil {
		return 0, err
	}
	defer shop.stop()
	if err := shop.waitFor("/", 10*time.Second); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// machine describes where the numbers were taken.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s)", numCPU(), cpu)
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}
