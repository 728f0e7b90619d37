package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// The tests that start the whole program run it as a process, built once without the race
// detector: as `go run .` runs it, stopped with SIGINT as Ctrl-C stops it. (Under -race, the
// embedded database and bcrypt's cost 12 inside this test binary took 45 s of CPU; the race
// detector watches the same code in the app package's tests.)
var shopBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shopBinary.dir != "" {
		os.RemoveAll(shopBinary.dir)
	}
	os.Exit(code)
}

// builtShop is the path of this package's program, built with `go build` on first use.
func builtShop(t *testing.T) string {
	t.Helper()
	shopBinary.once.Do(func() {
		if shopBinary.dir, shopBinary.err = os.MkdirTemp("", "gin-shop-main-test-"); shopBinary.err != nil {
			return
		}
		shopBinary.path = filepath.Join(shopBinary.dir, "gin-shop")
		out, err := exec.Command("go", "build", "-o", shopBinary.path, ".").CombinedOutput()
		if err != nil {
			shopBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if shopBinary.err != nil {
		t.Fatal(shopBinary.err)
	}
	return shopBinary.path
}

// startRun starts the program as `go run .` does, on a free port, and waits for /healthz.
func startRun(t *testing.T, dataDir string) (base string, stop func() error) {
	t.Helper()
	return startRunWith(t, map[string]string{"DATA_DIR": dataDir})
}

// startRunWith is startRun with more environment variables (HOST, ...). The port is free when
// chosen but may be taken before the program listens on it (by any process): then it exits
// with "address already in use" and the start is tried again on another port.
func startRunWith(t *testing.T, env map[string]string) (base string, stop func() error) {
	t.Helper()
	for range 5 {
		base, stop, err := tryRun(t, env)
		if err != nil && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		if err != nil {
			t.Fatalf("the program exited before serving: %v", err)
		}
		return base, stop
	}
	t.Fatal("five free ports in a row were taken before the shop could listen")
	return "", nil
}

// tryRun starts the program on a port free right now, with env as its whole environment
// (nothing of this machine's, and no .env: it runs in an empty directory), and waits until it
// listens there (its "Gin Shop is running" line) and answers /healthz, or until it exits. stop
// sends SIGINT and returns an error unless the program then exits with status 0.
func tryRun(t *testing.T, env map[string]string) (base string, stop func() error, err error) {
	t.Helper()
	port := freePort(t)
	env["PORT"], env["EMBEDDED_MONGO_ADDR"] = port, "127.0.0.1:0"
	cmd := exec.Command(builtShop(t))
	cmd.Dir = t.TempDir()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	log := &listenWatch{listening: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = log, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { // a test that fails before stop still stops its shop
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case <-exited:
		return "", nil, fmt.Errorf("%v: %s", exitErr, stderr.Bytes())
	case <-log.listening:
		// The port is this process's now: a /healthz answer below can only come from it.
	}
	base = "http://127.0.0.1:" + port
	apptest.Eventually(t, "the shop answers /healthz", func() bool {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return base, func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return err
		}
		<-exited
		if exitErr != nil {
			return fmt.Errorf("%v: %s", exitErr, stderr.Bytes())
		}
		return nil
	}, nil
}

// listenWatch is the program's log output, watched for the line it logs once it listens.
type listenWatch struct {
	once      sync.Once
	listening chan struct{}
}

func (w *listenWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Gin Shop is running")) {
		w.once.Do(func() { close(w.listening) })
	}
	return len(p), nil
}

func TestRunServesShutsDownCleanlyAndKeepsData(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	base, stop := startRun(t, dataDir)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	if token == nil {
		t.Fatal("no CSRF token on /login")
	}
	res, err = client.PostForm(base+"/login", url.Values{"_csrf": {string(token[1])}, "email": {models.DemoEmail}, "password": {models.DemoPassword}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", res.StatusCode, err)
	}
	res.Body.Close()

	if err := stop(); err != nil {
		t.Fatalf("after SIGINT: %v, want exit status 0", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}

	// A second start on the same DATA_DIR finds everything acknowledged before: the demo data
	// (not seeded again) and the logged-in session, signed with the kept development secret.
	base2, stop2 := startRun(t, dataDir)
	defer func() {
		if err := stop2(); err != nil {
			t.Error(err)
		}
	}()
	u1, _ := url.Parse(base)
	u2, _ := url.Parse(base2)
	jar.SetCookies(u2, jar.Cookies(u1))
	res, err = client.Get(base2 + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	page := string(body)
	if !strings.Contains(page, "Logout") || strings.Count(page, `class="card product-item"`) != 6 {
		t.Fatalf("after restart: logged in = %v, cards = %d", strings.Contains(page, "Logout"), strings.Count(page, `class="card product-item"`))
	}
	expectEmbeddedSources(t, client, base2)
}

// expectEmbeddedSources checks that the binary's embedded Go files (main.go's go:embed) hold
// every file the lesson pages quote and link to: the pages answer, and every source link too.
func expectEmbeddedSources(t *testing.T, client *http.Client, base string) {
	t.Helper()
	links := map[string]bool{}
	for _, page := range []string{"/lessons", "/lessons/cookie", "/lessons/session"} {
		res, err := client.Get(base + page)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d (a quoted source file missing from the embed?)", page, res.StatusCode)
		}
		for _, m := range regexp.MustCompile(`href="(/lessons/source/[^"#]+)#`).FindAllSubmatch(body, -1) {
			links[string(m[1])] = true
		}
	}
	if len(links) < 5 {
		t.Fatalf("only %d source links on the lesson pages", len(links))
	}
	for link := range links {
		res, err := client.Get(base + link)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d: not embedded", link, res.StatusCode)
		}
	}
}

func TestRunRefusesBadConfiguration(t *testing.T) {
	err := run(context.Background(), func(k string) string {
		return map[string]string{"PORT": "eighty", "DATA_DIR": t.TempDir()}[k]
	}, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "PORT:") {
		t.Fatalf("run = %v, want a PORT error", err)
	}
}

// SESSION_STORE=memory replays the course's MemoryStore step; production refuses it at start-up
// with one line, before anything is opened.
func TestRunRefusesTheMemorySessionStoreInProduction(t *testing.T) {
	err := run(context.Background(), func(k string) string {
		return map[string]string{"APP_ENV": "production", "SESSION_SECRET": "q0Zr1cJ3m8Vx+7nKsWb2EoTgYp4LhA9dUf6iRz5NlCw=", "PUBLIC_URL": "https://shop.example.com",
			"SESSION_STORE": "memory", "DATA_DIR": t.TempDir()}[k]
	}, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "SESSION_STORE:") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("run = %v, want one SESSION_STORE line", err)
	}
}

// nonLoopbackAddr is an address of this machine that other machines could reach.
func nonLoopbackAddr(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP
		}
	}
	t.Fatal("this machine has no non-loopback IPv4 address to test from")
	return nil
}

// reachable reports whether something accepts TCP connections at host:port.
func reachable(host net.IP, port string) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host.String(), port), 2*time.Second)
	if err == nil {
		conn.Close()
	}
	return err == nil
}

// TestDevelopmentListensOnLoopbackOnly: /dev/mailbox shows working reset links, so a
// development shop must not be reachable from the network unless HOST says so.
func TestDevelopmentListensOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	lan := nonLoopbackAddr(t)
	base, stop := startRunWith(t, map[string]string{"DATA_DIR": t.TempDir()})
	u, _ := url.Parse(base)
	if reachable(lan, u.Port()) {
		t.Errorf("development shop answers on %s", lan)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	base, stop = startRunWith(t, map[string]string{"DATA_DIR": t.TempDir(), "HOST": "0.0.0.0"})
	defer stop()
	u, _ = url.Parse(base)
	res, err := http.Get("http://" + net.JoinHostPort(lan.String(), u.Port()) + "/healthz")
	if err != nil {
		t.Fatalf("HOST=0.0.0.0: not reachable on %s: %v", lan, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("HOST=0.0.0.0: /healthz on %s = %d", lan, res.StatusCode)
	}
}

// TestProductionRefusesToStartUnsafely: a guessable secret or a missing PUBLIC_URL stops the
// program with one line naming the variable, before anything is opened.
func TestProductionRefusesToStartUnsafely(t *testing.T) {
	const good = "q0Zr1cJ3m8Vx+7nKsWb2EoTgYp4LhA9dUf6iRz5NlCw="
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SESSION_SECRET": strings.Repeat("a", 32), "PUBLIC_URL": "https://shop.example.com"}, "SESSION_SECRET:"},
		{map[string]string{"SESSION_SECRET": strings.Repeat("secret", 8), "PUBLIC_URL": "https://shop.example.com"}, "SESSION_SECRET:"},
		{map[string]string{"SESSION_SECRET": good}, "PUBLIC_URL:"},
	} {
		c.env["APP_ENV"], c.env["DATA_DIR"], c.env["PORT"], c.env["EMBEDDED_MONGO_ADDR"] = "production", t.TempDir(), freePort(t), "127.0.0.1:0"
		// Bounded: a shop that wrongly starts serves until the timeout and then returns nil.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := run(ctx, func(k string) string { return c.env[k] }, io.Discard)
		cancel()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: run = %v, want one line starting %q", c.env, err, c.want)
		}
		if c.want == "SESSION_SECRET:" && (err == nil || !strings.Contains(err.Error(), "openssl rand -base64 32")) {
			t.Errorf("the secret error does not say how to make a good one: %v", err)
		}
	}
}

// freePort is a TCP port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
