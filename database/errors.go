package database

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Unavailable reports whether err means the database cannot serve the request right now: the
// server is gone or unreachable (connection refused, EOF, a pool cleared after another
// operation failed, no server selected), it did not answer in time, or it cannot write (its disk
// is full). The shop answers all of these with the 503 page and recovers by itself when the
// server does; every other error is a bug or bad data, and a 500.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		mongo.IsTimeout(err) || mongo.IsNetworkError(err) {
		return true
	}
	// "connection pool ... was cleared because another operation failed": the driver marks the
	// errors it would retry on another connection.
	var retry interface{ Retryable() bool }
	if errors.As(err, &retry) && retry.Retryable() {
		return true
	}
	var le mongo.LabeledError
	if errors.As(err, &le) && (le.HasErrorLabel("RetryableWriteError") || le.HasErrorLabel("NetworkError")) {
		return true
	}
	var sse mongo.ServerError
	if errors.As(err, &sse) && (sse.HasErrorCode(diskFullCode) || sse.HasErrorCode(notWritablePrimary) ||
		sse.HasErrorCode(hostUnreachable) || sse.HasErrorCode(shutdownInProgress)) {
		return true
	}
	// The driver's server-selection and pool errors are not exported as types outside x/; they
	// say what they are in their text. FerretDB passes SQLite's "database or disk is full (13)"
	// on as an internal error, and "attempt to write a readonly database (8)" for a read-only one.
	msg := err.Error()
	for _, s := range unavailableTexts {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isTimeout reports whether err only says that an answer took too long.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || mongo.IsTimeout(err) || (errors.As(err, &ne) && ne.Timeout())
}

// Server error codes that mean the server cannot take writes now.
const (
	hostUnreachable    = 6
	diskFullCode       = 14031 // MongoDB: OutOfDiskSpace
	notWritablePrimary = 10107
	shutdownInProgress = 91
)

var unavailableTexts = []string{
	"server selection error",
	"connection pool",
	"database or disk is full",
	"attempt to write a readonly database",
	"disk I/O error",
	"no reachable servers",
}
