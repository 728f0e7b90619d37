package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ginshop/ginshop/models"
)

// startRun runs the whole program as `go run .` does, on a free port, and waits for /healthz.
func startRun(t *testing.T, dataDir string) (base string, stop func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	env := map[string]string{"PORT": strconv.Itoa(port), "DATA_DIR": dataDir, "EMBEDDED_MONGO_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, io.Discard) }()
	base = "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run returned before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the shop did not become healthy")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return base, func() error { cancel(); return <-done }
}

func TestRunServesShutsDownCleanlyAndKeepsData(t *testing.T) {
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
		t.Fatalf("run after SIGINT-like cancel = %v, want nil", err)
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
		return map[string]string{"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("s", 40),
			"SESSION_STORE": "memory", "DATA_DIR": t.TempDir()}[k]
	}, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "SESSION_STORE:") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("run = %v, want one SESSION_STORE line", err)
	}
}
