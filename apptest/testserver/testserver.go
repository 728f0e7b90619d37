// Package testserver runs the embedded database for tests in a process of its own
// (apptest/testdb), built without -race: the way every test reaches its database, over the wire,
// as the shop reaches MONGODB_URI. It imports nothing of the shop but package embedded, so the
// tests of any package can use it, and no test binary links FerretDB or SQLite.
package testserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"

	embeddeddb "github.com/ginshop/ginshop/database/embedded"
)

// Server is an embedded database running in a process of its own.
type Server struct {
	*embeddeddb.Server
	cmd *exec.Cmd

	mu      sync.Mutex // one IndexIDs request at a time on the pipes
	stdin   io.WriteCloser
	answers *bufio.Reader
	tempDir string // StartTemp's directory, removed by Stop
}

// StartTemp starts the server on a new temporary directory and a free loopback port: one test
// package's database. Stop also removes the directory.
func StartTemp() (*Server, error) {
	dir, err := os.MkdirTemp("", "ginshop-test-*")
	if err != nil {
		return nil, err
	}
	s, err := Start(dir, "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.tempDir = dir
	return s, nil
}

// Start starts the embedded database on dir (as DATA_DIR) listening on addr, or on a free
// port of the same host when addr is taken, in a process of its own built without -race (see
// apptest/testdb). It has stopped when Stop returns, and also stops if the test process dies.
func Start(dir, addr string) (*Server, error) {
	cmd := exec.Command("go", "run", "github.com/ginshop/ginshop/apptest/testdb", "-dir", dir, "-addr", addr)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), "GOFLAGS=") // never -race, whatever the tests were built with
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("go run apptest/testdb: %w", err)
	}
	s := &Server{cmd: cmd, stdin: stdin, answers: bufio.NewReader(stdout)}
	line, err := s.answers.ReadString('\n')
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("apptest/testdb did not start: %w", err)
	}
	s.Server = embeddeddb.NewServer(strings.TrimSpace(line), s.Stop, s.indexIDs)
	return s, nil
}

// Starter is an embedded.Starter that starts the server in a process of its own (for a test of
// database.Open without MONGODB_URI). Stopping the embedded.Server stops the process.
func Starter(_ context.Context, dataDir, addr string, _ *slog.Logger) (*embeddeddb.Server, error) {
	s, err := Start(dataDir, addr)
	if err != nil {
		return nil, err
	}
	return s.Server, nil
}

// indexIDs has the server's process index a database's _id lookups: SQLite's work, like
// FerretDB's, stays out of the race detector.
func (s *Server) indexIDs(_ context.Context, dbName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintln(s.stdin, dbName); err != nil {
		return err
	}
	answer, err := s.answers.ReadString('\n')
	if err != nil {
		return err
	}
	if answer = strings.TrimSpace(answer); answer != "ok" {
		return errors.New(answer)
	}
	return nil
}

// Stop stops the server and waits until its files are closed. Stopping twice is fine.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stdin.Close() == nil { // a second Stop finds the pipe closed
		_ = s.cmd.Wait()
		if s.tempDir != "" {
			_ = os.RemoveAll(s.tempDir)
		}
	}
}
