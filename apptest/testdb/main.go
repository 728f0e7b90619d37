// Command testdb runs the embedded database (FerretDB on SQLite) in a process of its own, for the
// tests: apptest starts it with `go run`, which builds it without -race even under
// `go test -race`. The race detector then checks the shop's code, where races matter, instead of
// slowing FerretDB's and SQLite's code down several times over on every query of every test.
//
// It prints the address it listens on as its first line. Then each line it reads names a
// database whose _id lookups to index (embedded.Server.IndexIDs, SQLite work too), answered by
// "ok" or the error on one line. It stops when its standard input closes: when the test process
// closes it, or dies.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ginshop/ginshop/database/embedded/inprocess"
)

func main() {
	dir := flag.String("dir", "", "the directory of the database files (like DATA_DIR)")
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	server, err := inprocess.Start(context.Background(), *dir, *addr, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testdb:", err)
		os.Exit(1)
	}
	defer server.Stop()
	fmt.Println(server.Addr())
	requests := bufio.NewScanner(os.Stdin)
	for requests.Scan() {
		if err := server.IndexIDs(context.Background(), requests.Text()); err != nil {
			fmt.Println("error:", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Println("ok")
	}
}
