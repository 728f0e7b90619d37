// Gin Shop: the Node.js course's "shop with login" in Go. main only wires the process to run:
// configuration from the environment, logs to stdout, stop on SIGINT/SIGTERM.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/joho/godotenv"

	"github.com/ginshop/ginshop/app"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/database/embedded/inprocess"
)

// sources are the Go files the lesson pages show (/lessons/source, the code of each step):
// embedded, so a page shows the code this binary runs. go:embed cannot reach into parent
// directories, so the embed lives here at the root and is handed to app.New.
//
//go:embed app/*.go controllers/*.go middleware/*.go models/*.go routes/*.go sessionstore/*.go
var sources embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gin-shop:", err)
		os.Exit(1)
	}
}

// run is the whole program, with its environment passed in so tests can start it too.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	getenv, err := withDotEnv(getenv, ".env")
	if err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))

	// With MONGODB_URI empty, the shop starts its database inside this process.
	db, err := database.Open(ctx, cfg, logger, app.DatabaseOptions(database.EmbeddedServer(inprocess.Start))...)
	if err != nil {
		return err
	}
	shop, err := app.New(ctx, cfg, logger, db, app.WithSources(sources))
	if err != nil {
		return err
	}
	defer func() {
		if err := shop.Close(context.Background()); err != nil {
			logger.Error("close database", "err", err)
		}
		logger.Info("stopped")
	}()

	return shop.Serve(ctx, cfg.ListenAddr(), func(addr string) {
		logger.Info("Gin Shop is running", "url", fmt.Sprintf("http://localhost:%d", cfg.Port), "listen", addr, "env", cfg.Env)
		logger.Info("follow the lesson's steps", "url", fmt.Sprintf("http://localhost:%d/lessons", cfg.Port))
		shop.DB.LogMode(logger)
		if shop.DB.Embedded() {
			logger.Info("open the embedded database with mongosh", "data", cfg.DataDir, "mongosh", "npx mongosh "+shop.DB.URI)
		}
	})
}

// withDotEnv reads .env if it exists (like require('dotenv').config()); variables set in the real
// environment win over it.
func withDotEnv(getenv func(string) string, file string) (func(string) string, error) {
	vars, err := godotenv.Read(file)
	if errors.Is(err, fs.ErrNotExist) {
		return getenv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return vars[key]
	}, nil
}
