//go:build noembedded

// Package inprocess would start the embedded database; this binary was built with -tags
// noembedded, without FerretDB and SQLite, and needs MONGODB_URI.
package inprocess

import (
	"context"
	"log/slog"

	"github.com/ginshop/ginshop/database/embedded"
)

// Start always fails: set MONGODB_URI.
func Start(context.Context, string, string, *slog.Logger) (*embedded.Server, error) {
	return nil, embedded.ErrNotBuiltIn
}
