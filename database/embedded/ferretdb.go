//go:build !noembedded

package embedded

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
	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses; IndexIDs opens its files
)

// startMu serialises Start: the race detector caught two tests' servers starting at once.
var startMu sync.Mutex

// Server is a FerretDB v1 server (SQLite handler) running inside the app's process.
type Server struct {
	dir  string
	addr string
	stop context.CancelFunc
	done chan struct{}
	// indexIDs, when set, has the process running the server do IndexIDs (see Running).
	indexIDs func(ctx context.Context, dbName string) error
}

// Start starts FerretDB with its files under dir, listening on addr, or on a free port of
// the same host when addr is taken (a second copy of the shop, or a real mongod on 27017).
func Start(ctx context.Context, dir, addr string, logger *slog.Logger) (*Server, error) {
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
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e := &Server{dir: dbDir, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	u, err := url.Parse(f.MongoDBURI())
	if err != nil {
		stop()
		return nil, fmt.Errorf("embedded FerretDB address: %w", err)
	}
	e.addr = u.Host
	return e, nil
}

// Running describes a server that another process started with Start(ctx, dir, …) and that
// listens on addr. The tests run FerretDB in a process of their own (apptest/testdb), built
// without -race: the race detector then checks the shop's code instead of multiplying FerretDB's
// and SQLite's CPU time several times over. Stop does not stop such a server. indexIDs, when not
// nil, asks that process to do IndexIDs, for the same reason.
func Running(dir, addr string, indexIDs func(ctx context.Context, dbName string) error) *Server {
	return &Server{dir: filepath.Join(dir, "db"), addr: addr, indexIDs: indexIDs}
}

// Addr is the host:port the server listens on.
func (e *Server) Addr() string { return e.addr }

// URI is the connection string for database name dbName on the embedded server.
func (e *Server) URI(dbName string) string {
	return "mongodb://" + e.addr + "/" + dbName
}

// Stop closes the listener and the SQLite files, and waits until both are done.
func (e *Server) Stop() {
	if e.stop == nil {
		return // Running: the process that started it stops it
	}
	e.stop()
	<-e.done
}

// IndexIDs works around a FerretDB v1 performance trap: its SQLite tables index _id as
// _ferretdb_sjson->"_id", but its queries filter on _ferretdb_sjson->'$._id', so SQLite never uses
// that index and every lookup by _id scans the table. An expression index on exactly the filtered
// expression makes those lookups independent of the collection's size (see bench/).
func (e *Server) IndexIDs(ctx context.Context, dbName string) error {
	if e.indexIDs != nil {
		return e.indexIDs(ctx, dbName)
	}
	file := filepath.Join(e.dir, dbName+".sqlite")
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
