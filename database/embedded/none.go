//go:build noembedded

package embedded

import (
	"context"
	"errors"
	"log/slog"
)

// ErrNotBuiltIn is what Start answers in a binary built with -tags noembedded.
var ErrNotBuiltIn = errors.New("MONGODB_URI: required, this binary was built without the embedded database (-tags noembedded)")

// Server is never started in this build.
type Server struct{}

// Start always fails: set MONGODB_URI.
func Start(context.Context, string, string, *slog.Logger) (*Server, error) { return nil, ErrNotBuiltIn }

// Running is never called in this build.
func Running(string, string, func(context.Context, string) error) *Server { return &Server{} }

// Addr is never called in this build.
func (*Server) Addr() string { return "" }

// URI is never called in this build.
func (*Server) URI(string) string { return "" }

// Stop does nothing.
func (*Server) Stop() {}

// IndexIDs does nothing.
func (*Server) IndexIDs(context.Context, string) error { return nil }
