// Package app is Gin Shop's composition root: it turns a Config into a running shop (database,
// models, session store, views, routes) and shuts it all down again.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/uploads"
	"github.com/ginshop/ginshop/views"
)

// sweepEvery is how often expired sessions are deleted where the server has no TTL index.
const sweepEvery = 10 * time.Minute

// Orphaned images (a product write that failed or never happened after its image was stored)
// are looked for this often, and only among images older than imageGrace, far longer than any
// request that stores an image and then its product.
const (
	imageSweepEvery = 30 * time.Minute
	imageGrace      = time.Hour
)

// App is a built shop, ready to serve.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	DB       *database.DB
	Models   *models.Models
	Sessions *sessionstore.Store
	Mailer   mail.Mailer
	Images   *uploads.Store
	Handler  http.Handler

	stopBackground context.CancelFunc
}

// New builds the shop on an open database: seeds the demo data on a first start, creates the
// session store and the routes. The App owns db from here on and closes it in Close.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, db *database.DB) (*App, error) {
	gin.SetMode(gin.ReleaseMode)
	a := &App{Config: cfg, Logger: logger, DB: db, Models: models.New(db.Database, db.Reads)}
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

	secrets := a.Config.SessionSecrets
	if len(secrets) == 0 {
		s, err := developmentSecret(a.Config.DataDir)
		if err != nil {
			return fmt.Errorf("SESSION_SECRET: %w", err)
		}
		secrets = []string{s}
	}
	storeCfg := sessionstore.Config{
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
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stopBackground = stop
	ttl, err := a.Sessions.EnsureExpiryIndex(ctx)
	if err != nil {
		return fmt.Errorf("session expiry index: %w", err)
	}
	if !ttl {
		// FerretDB v1 has no TTL indexes: delete expired sessions ourselves.
		go a.Sessions.RunSweeper(bg, sweepEvery, a.Logger)
	}

	assets, err := public.NewAssets()
	if err != nil {
		return fmt.Errorf("static files: %w", err)
	}
	renderer, err := views.New(assets.URL)
	if err != nil {
		return err
	}
	if a.Mailer, err = mail.New(a.Config.SMTPURL, a.Models.Mails, a.Logger); err != nil {
		return err
	}
	a.logMailDestination()
	// The index documents learn what the Node course app wrote (models/reindex.go).
	a.Models.RunReindexers(bg, a.Logger)
	go a.Models.LoginAttempts.RunSweeper(bg, sweepEvery, a.Logger)
	go a.Models.ResetRequests.RunSweeper(bg, sweepEvery, a.Logger)
	// Uploaded images live in GridFS, so every instance serves them; an earlier version kept
	// them in DATA_DIR/images, and they move over once.
	images := uploads.New(a.DB.Database, a.DB.Reads, controllers.MaxImageBytes)
	a.Images = images
	if moved, err := images.MoveFromDir(ctx, filepath.Join(a.Config.DataDir, "images"), a.Logger); err != nil {
		return fmt.Errorf("move DATA_DIR/images into GridFS: %w", err)
	} else if moved > 0 {
		a.Logger.Info("moved uploaded images from DATA_DIR/images into GridFS", "count", moved)
	}
	go images.RunSweeper(bg, imageSweepEvery, imageGrace, a.Models.Products.ImagesInUse, a.Logger)
	ctl := &controllers.Controllers{
		Config:     a.Config,
		Models:     a.Models,
		Views:      renderer,
		Sessions:   a.Sessions,
		DB:         a.DB,
		Logger:     a.Logger,
		Mailer:     a.Mailer,
		Images:     images,
		Passwords:  controllers.NewPasswords(a.Config.BcryptCost),
		Background: bg, // the session lab's slow save outlives its request, not the app
	}
	engine, err := routes.New(routes.Deps{Config: a.Config, Controllers: ctl, Sessions: a.Sessions, Assets: assets, Logger: a.Logger,
		DatabaseDeadline: a.DB.RequestContext})
	if err != nil {
		return err
	}
	a.Handler = engine
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
		a.Logger.Info("demo data stored", "email", models.DemoEmail, "password", models.DemoPassword)
	}
	return nil
}

// Close stops background work and closes the database (and the embedded server) cleanly.
func (a *App) Close(ctx context.Context) error {
	if a.stopBackground != nil {
		a.stopBackground()
	}
	if m, ok := a.Mailer.(interface{ Close() }); ok {
		m.Close() // let mail being sent in the background finish
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
