package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Login throttling: after MaxLoginFailures failed logins for one email from one client address
// within LoginFailureWindow, that pair is refused for LoginLockout.
const (
	MaxLoginFailures   = 5
	LoginFailureWindow = 15 * time.Minute
	LoginLockout       = 15 * time.Minute
)

// LoginAttempt is a document of the loginAttempts collection: the failures of one
// (email, client address) pair. The _id is a hash of the pair, so every lookup is by _id (fast
// on the embedded server) and the collection holds no email addresses or IPs in clear.
type LoginAttempt struct {
	ID          string    `bson:"_id"`
	Failures    int       `bson:"failures"`
	WindowStart time.Time `bson:"windowStart"`
	LockedUntil time.Time `bson:"lockedUntil,omitempty"`
	Expires     time.Time `bson:"expires"` // when the document is no longer needed
}

// LoginAttemptModel owns the queries on loginAttempts.
type LoginAttemptModel struct {
	coll *mongo.Collection
}

// LoginAttemptKey is the _id for an email (normalised here) and a client address.
func LoginAttemptKey(email, clientIP string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email) + "\x00" + clientIP))
	return hex.EncodeToString(sum[:])
}

// LockedUntil returns when the pair's lockout ends, and whether it is locked at now.
func (m *LoginAttemptModel) LockedUntil(ctx context.Context, email, clientIP string, now time.Time) (time.Time, bool, error) {
	var a LoginAttempt
	err := m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: LoginAttemptKey(email, clientIP)}}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return a.LockedUntil, a.LockedUntil.After(now), nil
}

// Fail records a failed login and reports whether the pair is now locked. A failure inside the
// current window increments the count ($inc, atomic); one after the window starts a new window.
func (m *LoginAttemptModel) Fail(ctx context.Context, email, clientIP string, now time.Time) (bool, error) {
	key := LoginAttemptKey(email, clientIP)
	var a LoginAttempt
	err := m.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: key}, {Key: "windowStart", Value: bson.D{{Key: "$gt", Value: now.Add(-LoginFailureWindow)}}}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "failures", Value: 1}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		a = LoginAttempt{ID: key, Failures: 1, WindowStart: now, Expires: now.Add(LoginFailureWindow)}
		_, err = m.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}}, a, options.Replace().SetUpsert(true))
	}
	if err != nil {
		return false, err
	}
	if a.Failures < MaxLoginFailures {
		return false, nil
	}
	until := now.Add(LoginLockout)
	_, err = m.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lockedUntil", Value: until}, {Key: "expires", Value: until}}}})
	return err == nil, err
}

// Reset forgets the pair's failures (after a successful login or password reset).
func (m *LoginAttemptModel) Reset(ctx context.Context, email, clientIP string) error {
	_, err := m.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: LoginAttemptKey(email, clientIP)}})
	return err
}

// DeleteExpired removes the documents whose window and lockout are over, so the collection does
// not grow with every email anyone ever mistyped (the embedded server has no TTL indexes).
func (m *LoginAttemptModel) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := m.coll.DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

// RunSweeper deletes finished login-attempt documents every interval until ctx is done.
func (m *LoginAttemptModel) RunSweeper(ctx context.Context, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := m.DeleteExpired(ctx, time.Now()); err != nil && ctx.Err() == nil {
				logger.Warn("delete expired login attempts", "err", err)
			}
		}
	}
}
