// Package app is Gin Shop's composition root: it turns a Config into a running shop (database,
// models, session store, views, routes) and shuts it all down again.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/controllers"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/mail"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/public"
	"github.com/ginshop/ginshop/routes"
	"github.com/ginshop/ginshop/sandbox"
	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/uploads"
	"github.com/ginshop/ginshop/views"
)

// catalogSnapshotEvery is how often the catalog in memory is compared with its saved snapshot
// (in memory: free) and saved for the next start when it changed (models/catalog_snapshot.go).
const catalogSnapshotEvery = 10 * time.Second

// sweepEvery is how often expired sessions (where the server has no TTL index) and finished
// throttle counters are deleted.
const sweepEvery = 10 * time.Minute

// Orphaned images (a product write that failed or never happened after its image was stored)
// are looked for this often, and only among images older than imageGrace, far longer than any
// request that stores an image and then its product.
const (
	imageSweepEvery = 30 * time.Minute
	imageGrace      = time.Hour
)

// jobs is the shop's periodic work (runJobs runs it). sweepSessions is false where the server
// deletes expired sessions itself (a TTL index; FerretDB v1 has none).
func (a *App) jobs(sweepSessions bool) []job {
	now := func(f func(context.Context, time.Time) (int64, error)) func(context.Context) (int64, error) {
		return func(ctx context.Context) (int64, error) { return f(ctx, time.Now()) }
	}
	jobs := []job{
		{name: "delete finished login-attempt counters", every: sweepEvery, run: now(a.Models.LoginAttempts.DeleteExpired)},
		{name: "delete finished reset-request counters", every: sweepEvery, run: now(a.Models.ResetRequests.DeleteExpired)},
		{name: "delete expired reset tokens", every: sweepEvery, run: now(a.Models.Users.DeleteExpiredResetTokens)},
		{name: "delete finished address limits", every: sweepEvery, run: now(a.Models.AddressLimits.DeleteExpired)},
		{name: "delete expired lesson traces", every: sweepEvery, run: now(a.Models.LessonTraces.Sweep)},
		{name: "delete orphaned images", every: imageSweepEvery, run: func(ctx context.Context) (int64, error) {
			n, err := a.Images.SweepOrphans(ctx, imageGrace, a.Models.Products.ImagesInUse)
			return int64(n), err
		}},
	}
	jobs = append(jobs, job{name: "save the catalog snapshot", every: catalogSnapshotEvery, run: a.Models.Products.SaveCatalogSnapshot})
	// A deleted product leaves the carts here, woken by the delete, not in its request.
	wake, cleanCarts := a.Models.Users.CartCleanupJob()
	jobs = append(jobs, job{name: "take deleted products out of carts", every: sweepEvery, run: cleanCarts, wake: wake})
	if sweepSessions {
		jobs = append(jobs, job{name: "delete expired sessions", every: sweepEvery, run: a.Sessions.Sweep})
	}
	// The index documents learn what the Node course app wrote (models/reindex.go).
	for _, r := range a.Models.ReindexJobs() {
		jobs = append(jobs, job{name: r.Name, run: r.Pass, gap: r.Gap})
	}
	if every := a.DB.WriterLeaseRenewal(); every > 0 {
		jobs = append(jobs, job{name: "renew the writer lease", every: every, run: a.DB.RenewWriterLease})
	}
	return jobs
}

// App is a built shop, ready to serve.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	DB       *database.DB
	Models   *models.Models
	Sessions *sessionstore.Store
	Mailer   mail.Mailer
	Images   *uploads.Store
	Sandbox  *sandbox.Sandbox // the options sandbox's stores (/lessons/options)
	Handler  http.Handler     // Engine, served by routes.Handler
	Engine   *gin.Engine      // every route (tests list them)

	stopBackground context.CancelFunc
	controllers    *controllers.Controllers
	nodeAppPublic  *os.Root // NODE_APP_PUBLIC_DIR, opened once; nil without it
	sources        fs.FS
	views          *views.Renderer // parsed by build unless WithViews gave them
}

// DatabaseOptions are what the shop needs of its database connection, for main and the tests
// alike: the command monitor that lets the lesson pages show a request's session commands.
func DatabaseOptions(extra ...database.Option) []database.Option {
	return append([]database.Option{database.WithMonitor(sessionstore.CommandMonitor(database.Sessions))}, extra...)
}

// Option changes how New builds the shop.
type Option func(*App)

// WithSources hands the lesson pages the Go files of this build (main.go embeds them; tests pass
// the repository's files), which /lessons/source shows and the lesson steps quote.
func WithSources(files fs.FS) Option { return func(a *App) { a.sources = files } }

// WithViews hands New pages already parsed (views.New), instead of parsing them again: the tests
// start hundreds of shops in one process, and parse them once.
func WithViews(r *views.Renderer) Option { return func(a *App) { a.views = r } }

// New builds the shop on an open database: seeds the demo data on a first start, creates the
// session store and the routes. The App owns db from here on and closes it in Close.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, db *database.DB, opts ...Option) (*App, error) {
	gin.SetMode(gin.ReleaseMode)
	a := &App{Config: cfg, Logger: logger, DB: db, Models: models.New(db.Database, db.Reads, db.AtomicUpdatesAcrossConnections())}
	for _, o := range opts {
		o(a)
	}
	if err := a.build(ctx); err != nil {
		a.Close(context.Background())
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	if err := models.EnsureIndexes(ctx, a.DB.Database); err != nil {
		return err
	}
	err := a.seedDemo(ctx)
	if err != nil {
		return err
	}
	// Background work lives until Close; the catalog's read is the first of it: every shop page
	// needs the catalog, so its read starts now, while the rest starts up.
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stopBackground = stop
	go a.Models.Products.WarmCatalog(bg)

	secrets := a.Config.SessionSecrets
	if len(secrets) == 0 {
		s, err := developmentSecret(a.Config.DataDir)
		if err != nil {
			return fmt.Errorf("SESSION_SECRET: %w", err)
		}
		secrets = []string{s}
	}
	storeCfg := sessionstore.Config{
		Name:            a.Config.SessionName,
		Secrets:         secrets,
		IdleTimeout:     a.Config.SessionIdleTimeout,
		AbsoluteTimeout: a.Config.SessionAbsoluteTimeout,
		Secure:          a.Config.IsProduction(),
		Reads:           a.DB.Reads.Collection(database.Sessions),
	}
	if a.Config.SessionStore == config.SessionStoreMemory {
		// express-session's default MemoryStore, the course's step before connect-mongodb-session.
		a.Sessions, err = sessionstore.NewMemory(storeCfg)
		a.Logger.Warn("SESSION_STORE=memory: sessions live in this process only; a restart logs everyone out")
	} else {
		// new MongoDBStore({uri: MONGODB_URI, collection: 'sessions'})
		a.Sessions, err = sessionstore.New(a.DB.Database.Collection(database.Sessions), storeCfg)
	}
	if err != nil {
		return err
	}
	ttl, err := a.Sessions.EnsureExpiryIndex(ctx)
	if err != nil {
		return fmt.Errorf("session expiry index: %w", err)
	}

	assets, err := public.NewAssets()
	if err != nil {
		return fmt.Errorf("static files: %w", err)
	}
	renderer := a.views
	if renderer == nil {
		if renderer, err = views.New(assets.URL); err != nil {
			return err
		}
	}
	if a.Mailer, err = mail.New(a.Config.SMTPURL, a.Models.Mails, a.Logger); err != nil {
		return err
	}
	a.logMailDestination()
	// Uploaded images live in GridFS, so every instance serves them.
	images := uploads.New(a.DB.Database, a.DB.Reads, controllers.MaxImageBytes)
	a.Images = images
	if err := a.shareImagesWithNodeApp(ctx, images); err != nil {
		return fmt.Errorf("NODE_APP_PUBLIC_DIR: %w", err)
	}
	runJobs(bg, a.Logger, a.jobs(!ttl))
	// The options sandbox's store has a client of its own, so its command monitor shows a
	// student the sandbox's commands and nothing of the shop's.
	sandboxDB, err := a.DB.Monitored(sandbox.Monitor())
	if err != nil {
		return fmt.Errorf("options sandbox: %w", err)
	}
	a.Sandbox = sandbox.New(sandbox.NewMongoStore(sandboxDB.Collection(database.SandboxSessions)), secrets, a.Config.IsProduction())
	ctl := &controllers.Controllers{
		Config:      a.Config,
		Models:      a.Models,
		Views:       renderer,
		Sessions:    a.Sessions,
		DB:          a.DB,
		Logger:      a.Logger,
		Mailer:      a.Mailer,
		Images:      images,
		Passwords:   controllers.NewPasswords(a.Config.BcryptCost),
		Sandbox:     a.Sandbox,
		Background:  bg, // the session lab's slow save outlives its request, not the app
		Sources:     a.sources,
		DatabaseURI: a.DB.URI,
	}
	ctl.NodeAppPublic = a.nodeAppPublic // nil unless NODE_APP_PUBLIC_DIR is set
	a.controllers = ctl
	engine, err := routes.New(routes.Deps{Config: a.Config, Controllers: ctl, Sessions: a.Sessions, Assets: assets, Logger: a.Logger,
		DatabaseDeadline: a.DB.RequestContext})
	if err != nil {
		return err
	}
	a.Engine, a.Handler = engine, routes.Handler(engine)
	return nil
}

// shareImagesWithNodeApp makes every product image show on the Node course app's pages as
// well as on Gin Shop's (docs/NODE-APP.md) when NODE_APP_PUBLIC_DIR names the Node app's public
// folder: the demo pictures and every uploaded image get a copy there, at the path of their
// URL, and uploads keep it in step from here on. The same folder's pictures are served by
// Gin Shop for the URLs it has no route for (controllers.NodeAppImage).
func (a *App) shareImagesWithNodeApp(ctx context.Context, images *uploads.Store) error {
	dir := a.Config.NodeAppPublicDir
	if dir == "" {
		return nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	a.nodeAppPublic = root
	demo, err := public.CopyProductImages(root)
	if err != nil {
		return err
	}
	images.MirrorTo(root)
	written, deleted, err := images.SyncMirror(ctx)
	if err != nil {
		return err
	}
	a.Logger.Info("sharing product images with the Node app", "folder", dir,
		"demo_copied", demo, "uploads_copied", written, "stale_copies_deleted", deleted)
	return nil
}

// seedDemo stores the demo user and products on an empty database. Their password is published
// in the README, so only development does it, or production with SEED_DEMO=on.
func (a *App) seedDemo(ctx context.Context) error {
	if !a.Config.SeedDemo {
		return nil
	}
	seeded, err := a.Models.SeedDemo(ctx, a.Config.BcryptCost)
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if seeded {
		// The password is in the README; a log is no place for one, even a published one.
		a.Logger.Info("demo data stored", "email", models.DemoEmail)
	}
	return nil
}

// Close stops background work and closes the database (and the embedded server) cleanly.
func (a *App) Close(ctx context.Context) error {
	if a.controllers != nil {
		a.controllers.WaitAfterAnswer() // the answers' bookkeeping, before the database closes
	}
	if a.stopBackground != nil {
		a.stopBackground()
	}
	if m, ok := a.Mailer.(interface{ Close() }); ok {
		m.Close() // let mail being sent in the background finish
	}
	if a.nodeAppPublic != nil {
		_ = a.nodeAppPublic.Close()
	}
	return a.DB.Close(ctx)
}

// logMailDestination says at start-up where mail goes, so nobody waits for mail that is only
// kept in the outbox.
func (a *App) logMailDestination() {
	switch {
	case a.Config.SMTPURL != "":
		a.Logger.Info("mail is sent through the SMTP server of SMTP_URL")
	case a.Config.IsProduction():
		a.Logger.Warn("SMTP_URL is not set: mail is only stored in the mails collection, nobody receives it")
	default:
		a.Logger.Info("development: mail is kept in the outbox at /dev/mailbox (set SMTP_URL to send it)")
	}
}

// Serve answers HTTP on addr until ctx is done, then lets running requests finish (up to 10s).
// ready, if not nil, receives the listening address once requests are accepted.
func (a *App) Serve(ctx context.Context, addr string, ready func(addr string)) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second, // uploads are at most a few MB
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HOST/PORT: %w", err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// developmentSecret keeps a generated session secret in DATA_DIR, so sessions survive restarts
// in development without anyone having to invent a secret.
func developmentSecret(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "session-secret")
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return s, nil
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	s := hex.EncodeToString(buf)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	return s, os.WriteFile(path, []byte(s+"\n"), 0o600)
}
