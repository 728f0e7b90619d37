//go:build !noembedded

// Package inprocess starts the embedded database, FerretDB v1 on SQLite, inside the shop's own
// process (Start), and adds the _id index to its SQLite files (embedded.Server.IndexIDs). It is
// the only package that links FerretDB and SQLite.
package inprocess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses; indexIDs opens its files

	"github.com/ginshop/ginshop/database/embedded"
)

// startMu serialises Start: the race detector caught two tests' servers starting at once.
var startMu sync.Mutex

// Start starts FerretDB with its files under dir/db, listening on addr, or on a free port of
// the same host when addr is taken (a second copy of the shop, or a real mongod on 27017). It is
// an embedded.Starter.
func Start(ctx context.Context, dir, addr string, logger *slog.Logger) (*embedded.Server, error) {
	dbDir, err := filepath.Abs(filepath.Join(dir, "db"))
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("EMBEDDED_MONGO_ADDR: %w", err)
	}
	if !portFree(addr) {
		logger.Warn("embedded database address taken, using a free port", "wanted", addr)
		addr = net.JoinHostPort(host, "0")
	}
	// FerretDB logs every connection at info level; the shop only wants its errors.
	quiet := slog.New(levelFilter{logger.Handler(), slog.LevelError}).With("component", "ferretdb")
	// synchronous=NORMAL: in WAL mode, SQLite's recommended setting; a commit does not wait for
	// the disk to flush (about 0.8 ms a write), and only a power loss may roll back the last ones.
	startMu.Lock() // ferretdb.New sets FerretDB's package state: two servers start one at a time
	defer startMu.Unlock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: dbDir + "/", RawQuery: "_pragma=synchronous(normal)"}).String(),
		Logger:    quiet,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	u, err := url.Parse(f.MongoDBURI())
	if err != nil {
		stop()
		return nil, fmt.Errorf("embedded FerretDB address: %w", err)
	}
	return embedded.NewServer(u.Host, stop, func(ctx context.Context, dbName string) error {
		return indexIDs(ctx, dbDir, dbName)
	}), nil
}

// indexIDs is embedded.Server.IndexIDs for a server of this process whose files are in dbDir:
// an index on exactly the expression FerretDB filters _id with, in every collection's table.
func indexIDs(ctx context.Context, dbDir, dbName string) error {
	file := filepath.Join(dbDir, dbName+".sqlite")
	conn, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: file, RawQuery: "_pragma=busy_timeout(10000)"}).String())
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT table_name FROM "_ferretdb_collections"`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`,
			quoteIdent(t+"_id_expr"), quoteIdent(t))
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// levelFilter drops records below min; FerretDB takes a *slog.Logger, not a level.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h.Handler.WithAttrs(a), h.min}
}

func (h levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{h.Handler.WithGroup(n), h.min}
}
