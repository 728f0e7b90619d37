// Package apptest starts Gin Shop for tests: one embedded FerretDB per test package (started in
// TestMain), a fresh database per test, and the real app behind a real HTTP listener.
package apptest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ginshop/ginshop/app"
	"github.com/ginshop/ginshop/apptest/testserver"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
	embeddeddb "github.com/ginshop/ginshop/database/embedded"
	"github.com/ginshop/ginshop/public"
	"github.com/ginshop/ginshop/views"
)

var (
	embedded *Server
	dbSeq    atomic.Int64
)

// Main runs a test package with one embedded FerretDB in a temporary directory, in a process of
// its own (testserver.StartTemp):
//
//	func TestMain(m *testing.M) { apptest.Main(m) }
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

// Run is Main without the exit, for a TestMain that sets up more around the tests (the browser
// of e2e/) and returns the exit code itself.
func Run(m *testing.M) int { return runMain(m) }

func runMain(m *testing.M) int {
	DefaultParallel(parallelTests)
	var err error
	embedded, err = testserver.StartTemp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start embedded FerretDB:", err)
		return 1
	}
	defer embedded.Stop()
	return m.Run()
}

// parallelTests is how many t.Parallel tests run at once unless -parallel says otherwise. The
// default, GOMAXPROCS, suits tests that keep a CPU busy; these spend much of their time waiting
// for a database in another process, for a browser, or for a shop's timer.
const parallelTests = 8

// DefaultParallel makes n t.Parallel tests run at once unless the command line's -parallel says
// otherwise; the first call decides (a TestMain may call it before Run with its own n).
func DefaultParallel(n int) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(n))
	}
}

// Embedded is the package's shared server, for tests that talk to it directly.
func Embedded() *embeddeddb.Server { return embedded.Server }

// Shop is a running app for one test.
type Shop struct {
	*app.App
	URL string // http://127.0.0.1:port, a real listener
	// transport is what its Clients send with: http.DefaultTransport's settings (a 1 s wait for
	// "100 Continue" included), but its own connections. Closing any httptest server closes the
	// default transport's idle connections, which broke a request of a test running beside it
	// ("http: CloseIdleConnections called", seen in bench/testloop.sh).
	transport *http.Transport
}

// Config returns the configuration a test shop starts with: development defaults, a temporary
// DATA_DIR and a fixed session secret. Change it before calling Start.
func Config(t testing.TB) config.Config {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.SessionSecrets = []string{"test-secret-that-is-long-enough-0123456789"}
	// Under -race one cost-12 bcrypt takes seconds; the shop's own cost is checked in config's
	// tests, and signup/reset tests check that stored hashes use the configured cost.
	cfg.BcryptCost = bcrypt.MinCost
	return cfg
}

// Start builds the shop on a fresh database of the shared server and serves it on a real
// listener; everything is closed and dropped when the test ends.
// opts reach database.Open (e.g. database.WithMonitor to count the commands a page sends).
func Start(t testing.TB, cfg config.Config, opts ...database.Option) *Shop {
	t.Helper()
	if embedded == nil {
		t.Fatal("apptest: call apptest.Main(m) from TestMain")
	}
	cfg.MongoDB = DatabaseName(t)
	db, err := database.OpenEmbedded(context.Background(), embedded.Server, cfg.MongoDB, app.DatabaseOptions(testOptions(opts)...)...)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, cfg, db)
}

// StartExternal builds the shop on cfg.MongoURI, the way MONGODB_URI is used in production (a
// normal connection pool, nothing embedded).
func StartExternal(t testing.TB, cfg config.Config, opts ...database.Option) *Shop {
	t.Helper()
	db, err := database.Open(context.Background(), cfg, testLogger(t), app.DatabaseOptions(testOptions(opts)...)...)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, cfg, db)
}

// StartBeside starts a second instance of the shop on a's database, the way a second process
// behind a load balancer would run: MONGODB_URI names a's embedded server, the session secret
// is a's, and DATA_DIR is its own (no shared disk). The embedded server takes one writer, so B
// would refuse to start; the tests of what instances share let it write too
// (database.SharedWriterForTests), one step at a time, never two updates of one document at once.
func StartBeside(t testing.TB, a *Shop) *Shop {
	t.Helper()
	cfg := a.Config
	cfg.MongoURI = embedded.URI(a.Config.MongoDB)
	cfg.DataDir = t.TempDir()
	return StartExternal(t, cfg, database.SharedWriterForTests())
}

// Heartbeat is how often test apps' drivers check their server (the driver's minimum; its
// default is 10 s), so outage tests see a database come back within a second.
const Heartbeat = 500 * time.Millisecond

func testOptions(opts []database.Option) []database.Option {
	return append([]database.Option{database.WithHeartbeat(Heartbeat)}, opts...)
}

func serve(t testing.TB, cfg config.Config, db *database.DB) *Shop {
	t.Helper()
	renderer, err := parsedViews()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, testLogger(t), db, app.WithSources(Sources(t)), app.WithViews(renderer))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// A test that left its database down gets the short wait of a request, not 3 s per step.
		ctx, cancelDown := a.DB.RequestContext(ctx)
		defer cancelDown()
		_ = a.DB.Database.Drop(ctx)
		_ = a.Close(ctx)
	})
	return &Shop{App: a, URL: srv.URL, transport: transport}
}

// parsedViews parses the pages once for all the shops of a test process (app.WithViews).
var parsedViews = sync.OnceValues(func() (*views.Renderer, error) {
	assets, err := public.NewAssets()
	if err != nil {
		return nil, err
	}
	return views.New(assets.URL)
})

// StartDefault is Start(t, Config(t)).
func StartDefault(t testing.TB) *Shop {
	t.Helper()
	return Start(t, Config(t))
}

var unsafeDBChars = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// DatabaseName is a database name unique to this test (and this run).
func DatabaseName(t testing.TB) string {
	name := unsafeDBChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t%d_%s", dbSeq.Add(1), strings.ToLower(name))
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testLogger sends warnings and errors to the test log (shown when a test fails or with -v).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Sources is the repository's files, found from the test's directory: what main.go embeds for the
// lesson pages, read from disk, since a test binary is built from the same files.
func Sources(t testing.TB) fs.FS {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.DirFS(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("apptest: no go.mod above the test's directory")
		}
		dir = parent
	}
}
