package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/ginshop/ginshop/app"
	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/database/embedded/inprocess"
)

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
	db, err := database.Open(ctx, cfg, logger, cmds.Option(), database.EmbeddedServer(inprocess.Start))
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
