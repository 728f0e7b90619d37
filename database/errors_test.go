package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestUnavailableKnowsEveryWayTheServerIsGone drives the real driver into each way a database
// can fail to serve, and checks that Unavailable calls each one a 503, while a plain bug (a bad
// command) stays a 500.
func TestUnavailableKnowsEveryWayTheServerIsGone(t *testing.T) {
	// A port where nothing listens: connection refused, then no server to select.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()

	// A server that accepts and hangs up at once: EOF in the handshake.
	hangUp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hangUp.Close()
	go func() {
		for {
			c, err := hangUp.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	find := func(addr string) error {
		client, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + addr).SetServerSelectionTimeout(300 * time.Millisecond))
		if err != nil {
			return err
		}
		defer client.Disconnect(context.Background())
		return client.Database("x").Collection("y").FindOne(context.Background(), bson.D{}).Err()
	}
	cases := map[string]error{
		"connection refused":       find(refused),
		"hung up (EOF)":            find(hangUp.Addr().String()),
		"request deadline":         fmt.Errorf("load: %w", context.DeadlineExceeded),
		"disk full (FerretDB)":     mongo.CommandError{Code: 1, Name: "InternalError", Message: "sqlite: database or disk is full (13)"},
		"disk full (MongoDB)":      mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 14031, Message: "OutOfDiskSpace"}}},
		"read-only database files": mongo.CommandError{Code: 1, Message: "attempt to write a readonly database (8)"},
		"pool cleared":             retryable{errors.New("connection pool for 127.0.0.1:1 was cleared because another operation failed with: EOF")},
		"client disconnected":      mongo.ErrClientDisconnected,
	}
	for name, err := range cases {
		if !Unavailable(err) {
			t.Errorf("%s: Unavailable(%v) = false, want true", name, err)
		}
	}
	for _, err := range []error{nil, errors.New("bug"), mongo.CommandError{Code: 2, Name: "BadValue", Message: "unknown operator"}, mongo.ErrNoDocuments} {
		if Unavailable(err) {
			t.Errorf("Unavailable(%v) = true, want false", err)
		}
	}
}

// retryable stands for the driver's unexported poolClearedError, which says Retryable().
type retryable struct{ error }

func (retryable) Retryable() bool { return true }
