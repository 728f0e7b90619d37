// Package controllers holds the request handlers, one file per area as in the course
// (shop.go for controllers/shop.js, auth.go for controllers/auth.js, ...). Handlers are thin:
// read the input, call a model, render or redirect.
package controllers

import (
	"context"
	"log/slog"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/mail"
	"github.com/ginshop/ginshop/models"
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
	// Passwords runs bcrypt, one hash per CPU at a time.
	Passwords *Passwords
	// Background is cancelled when the app closes; work that outlives its request uses it
	// instead of the request's context (the session lab's delayed save).
	Background context.Context
}
