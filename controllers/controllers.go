// Package controllers holds the request handlers, one file per area as in the course
// (shop.go for controllers/shop.js, auth.go for controllers/auth.js, ...). Handlers are thin:
// read the input, call a model, render or redirect.
package controllers

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/mail"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/sandbox"
	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/uploads"
	"github.com/ginshop/ginshop/views"
)

// Pinger is what /healthz needs of the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Controllers carries every dependency a handler may use; app.build makes it once.
type Controllers struct {
	Config   config.Config
	Models   *models.Models
	Views    *views.Renderer
	Sessions *sessionstore.Store
	DB       Pinger
	Logger   *slog.Logger
	Mailer   mail.Mailer    // SMTP, or the development outbox
	Images   *uploads.Store // uploaded product images, in GridFS
	// NodeAppPublic is the Node course app's public folder (NODE_APP_PUBLIC_DIR), whose
	// pictures NodeAppImage serves; nil when Gin Shop does not run beside the Node app.
	NodeAppPublic *os.Root
	// Passwords runs bcrypt, one hash per CPU at a time.
	Passwords *Passwords
	// Sandbox runs the options sandbox's requests (/lessons/options), on its own cookie and collection.
	Sandbox *sandbox.Sandbox
	// Background is cancelled when the app closes; work that outlives its request uses it
	// instead of the request's context (the session lab's delayed save).
	Background context.Context
	// Sources are this build's Go files (main.go embeds them), shown by the lesson pages.
	Sources fs.FS
	// DatabaseURI is where mongosh reaches this shop's database, as the server really listens
	// (the embedded one moves off 27017 when that port is taken); credentials left out.
	DatabaseURI string

	highlighted     highlightedSources // the lesson pages' code, highlighted once
	afterAnswerWork sync.WaitGroup     // started by afterAnswer, not finished yet
}

// afterAnswer starts bookkeeping that the answer does not wait for (a login's give-back to its
// address); a handler calls it last, once its answer is written. It runs on the app's
// background context, within 10 s; a failure is logged with what. WaitAfterAnswer lets the app
// wait for it before it closes the database.
func (ctl *Controllers) afterAnswer(what string, work func(ctx context.Context) error) {
	ctl.afterAnswerWork.Go(func() {
		ctx, cancel := context.WithTimeout(ctl.Background, 10*time.Second)
		defer cancel()
		if err := work(ctx); err != nil {
			ctl.Logger.Warn(what+" failed", "err", err)
		}
	})
}

// WaitAfterAnswer waits until the work afterAnswer started is done; app.Close calls it once no
// request is running any more.
func (ctl *Controllers) WaitAfterAnswer() { ctl.afterAnswerWork.Wait() }
