package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginshop/ginshop/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// expressApp is the fixture in express/, running with node beside one test's shop.
type expressApp struct {
	URL string
}

// startExpress runs express/app.js on a free port against shop's database, with shop's
// cookie name and secrets, serving shop's NODE_APP_PUBLIC_DIR if it has one. Without node (or without `npm ci` having run) the test is skipped,
// or fails in CI.
func startExpress(t *testing.T, shop *apptest.Shop) *expressApp {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if apptest.InCI() {
			t.Fatalf("interop tests need %s (CI is set)", why)
		}
		t.Skipf("needs %s", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node on PATH")
	}
	dir, err := filepath.Abs("express")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "connect-mongodb-session")); err != nil {
		missing("the Express fixture's modules: run (cd interop/express && npm ci)")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "app.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"MONGODB_URI="+apptest.Embedded().URI(""),
		"MONGODB_DB="+shop.Config.MongoDB,
		"SESSION_SECRET="+strings.Join(shop.Config.SessionSecrets, ","),
		"SESSION_NAME="+shop.Config.SessionName,
		"PORT=0",
		"BCRYPT_COST=4", // bcrypt's lowest cost, as apptest.Config gives Gin Shop
	)
	if dir := shop.Config.NodeAppPublicDir; dir != "" {
		cmd.Env = append(cmd.Env, "PUBLIC_DIR="+dir) // the folder Gin Shop was told
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("express stderr:\n%s", stderr.String())
		}
	})

	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		return &expressApp{URL: "http://127.0.0.1:" + p}
	case <-time.After(30 * time.Second):
		t.Fatalf("the Express app did not start within 30s:\n%s", stderr.String())
	}
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// visitor is one browser: one cookie jar for both apps (cookies do not care about ports, so
// both see the same connect.sid, as on one host behind a proxy).
type visitor struct {
	*apptest.Client
	t       *testing.T
	express *expressApp
}

func newVisitor(t *testing.T, shop *apptest.Shop, express *expressApp) *visitor {
	return &visitor{Client: shop.Client(t), t: t, express: express}
}

// onExpress sends a request to the Express app (form may be nil for a GET) and decodes its
// JSON answer into out, if out is not nil.
func (v *visitor) onExpress(method, path string, form url.Values, out any) *apptest.Response {
	v.t.Helper()
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest(method, v.express.URL+path, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, v.express.URL+path, nil)
	}
	if err != nil {
		v.t.Fatal(err)
	}
	res := v.Do(req)
	if out != nil {
		if err := json.Unmarshal([]byte(res.Body), out); err != nil {
			v.t.Fatalf("%s %s on Express: %d %q: %v", method, path, res.StatusCode, res.Body, err)
		}
	}
	return res
}

// expressSession is what the Express app shows of req.session.
type expressSession struct {
	ID      string `json:"id"`
	Session struct {
		IsLoggedIn bool `json:"isLoggedIn"`
		User       *struct {
			ID       string `json:"_id"`
			Email    string `json:"email"`
			Password string `json:"password"`
		} `json:"user"`
		Flash map[string][]string `json:"flash"`
	} `json:"session"`
}

func (v *visitor) expressSession() expressSession {
	v.t.Helper()
	var s expressSession
	res := v.onExpress(http.MethodGet, "/session", nil, &s)
	apptest.ExpectStatus(v.t, res, http.StatusOK)
	return s
}

// loggedInOnGinShop tells whether Gin Shop's navigation offers the logout form.
func (v *visitor) loggedInOnGinShop() bool {
	v.t.Helper()
	res := v.Get("/")
	apptest.ExpectStatus(v.t, res, http.StatusOK)
	return strings.Contains(res.Body, `action="/logout"`)
}

// expressSignupAndLogin creates an account through the Express app (email stored as typed)
// and logs in there.
func (v *visitor) expressSignupAndLogin(email, password string) bson.ObjectID {
	v.t.Helper()
	var created struct {
		ID string `json:"_id"`
	}
	res := v.onExpress(http.MethodPost, "/signup", url.Values{"email": {email}, "password": {password}}, &created)
	apptest.ExpectStatus(v.t, res, http.StatusCreated)
	res = v.onExpress(http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}}, nil)
	apptest.ExpectStatus(v.t, res, http.StatusOK)
	id, err := bson.ObjectIDFromHex(created.ID)
	if err != nil {
		v.t.Fatal(err)
	}
	return id
}

// sessionDoc reads a session document as stored.
func sessionDoc(t *testing.T, shop *apptest.Shop, id string) bson.Raw {
	t.Helper()
	raw, err := shop.DB.Database.Collection("sessions").FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Raw()
	if err != nil {
		return nil
	}
	return raw
}

// setPassword gives an existing account the tests' password (cheap bcrypt cost).
func setPassword(t *testing.T, shop *apptest.Shop, email string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	_, err = shop.DB.Database.Collection("users").UpdateOne(context.Background(), bson.D{{Key: "email", Value: email}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "password", Value: string(hash)}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// expectLoggedOutOnBoth checks that neither app knows the visitor and session id is deleted.
func (v *visitor) expectLoggedOutOnBoth(shop *apptest.Shop, id string) {
	v.t.Helper()
	if s := v.expressSession(); s.Session.IsLoggedIn {
		v.t.Fatal("still logged in on Express")
	}
	if v.loggedInOnGinShop() {
		v.t.Fatal("still logged in on Gin Shop")
	}
	if sessionDoc(v.t, shop, id) != nil {
		v.t.Fatal("the session document is still stored")
	}
}
