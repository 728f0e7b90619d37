// Package embedded is everything Gin Shop does because of FerretDB, the database it starts when
// MONGODB_URI is empty: a running server (Server: where it listens, how it stops, the SQLite index
// that makes lookups by _id fast), and the reason why only one instance may write to it
// (AtomicUpdates). The rest of the shop talks to any server through the official driver as if it
// were MongoDB, and asks package database one question: are updates atomic across connections?
//
// Starting FerretDB inside the process is package inprocess, which links FerretDB and SQLite. Only
// the programs that start it import it (main.go, the benchmark, apptest/testdb): the tests reach
// their database in a process of its own, so their binaries leave both out and link in about half
// the time. Build with -tags noembedded to leave them out of the shop too (docs/OPERATIONS.md);
// such a binary needs MONGODB_URI.
package embedded

import (
	"context"
	"errors"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrNotBuiltIn is what opening the embedded database answers in a program that cannot start it.
var ErrNotBuiltIn = errors.New("MONGODB_URI: required, this program was built without the embedded database (-tags noembedded)")

// Starter starts the embedded database with its files under dataDir/db, listening on addr (or on
// a free port of the same host when addr is taken). inprocess.Start is the shop's.
type Starter func(ctx context.Context, dataDir, addr string, logger *slog.Logger) (*Server, error)

// Server is a running embedded database.
type Server struct {
	addr     string
	stop     func() // nil: the process that started it stops it
	indexIDs func(ctx context.Context, dbName string) error
}

// NewServer describes a server listening on addr: stop stops it and returns once its files are
// closed (nil when another process stops it), indexIDs adds the _id index to a database (see
// IndexIDs).
func NewServer(addr string, stop func(), indexIDs func(ctx context.Context, dbName string) error) *Server {
	return &Server{addr: addr, stop: stop, indexIDs: indexIDs}
}

// Addr is the host:port the server listens on.
func (e *Server) Addr() string { return e.addr }

// URI is the connection string for database name dbName on the embedded server.
func (e *Server) URI(dbName string) string {
	return "mongodb://" + e.addr + "/" + dbName
}

// Stop stops the server and waits until its files are closed. Stopping twice is fine.
func (e *Server) Stop() {
	if e.stop != nil {
		e.stop()
	}
}

// IndexIDs works around a FerretDB v1 performance trap: its SQLite tables index _id as
// _ferretdb_sjson->"_id", but its queries filter on _ferretdb_sjson->'$._id', so SQLite never uses
// that index and every lookup by _id scans the table. An expression index on exactly the filtered
// expression, for every collection of database dbName, makes those lookups independent of the
// collection's size (see bench/). The process running the server does it.
func (e *Server) IndexIDs(ctx context.Context, dbName string) error {
	if e.indexIDs == nil {
		return nil
	}
	return e.indexIDs(ctx, dbName)
}

// AtomicUpdates reports whether the server that answered buildInfo with info applies each update
// atomically, whoever sends it.
//
// MongoDB does. FerretDB v1 does not: it applies an update as "read the document, change it in
// Go, write it back", so two connections updating one document at the same moment both read the
// old version and the second write drops the first one's change (two "add to cart" clicks keep
// one item). Within one process package database sends every write through a single
// connection, which makes them atomic again; a second process would have a connection of its
// own, so on such a server at most one instance may write (database.DB takes a writer lease).
// FerretDB says what it is with a ferretdbVersion field in buildInfo, embedded or external.
func AtomicUpdates(info bson.M) bool {
	_, ferret := info["ferretdbVersion"]
	return !ferret
}
