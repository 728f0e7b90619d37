package models

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Login throttling: after MaxLoginFailures failed logins for one email from one client address
// within LoginFailureWindow, that pair is refused for LoginLockout.
const (
	MaxLoginFailures   = 5
	LoginFailureWindow = 15 * time.Minute
	LoginLockout       = 15 * time.Minute
)

// LoginAttempt is a document of the loginAttempts collection: the attempts of one
// (email, client address) pair in the current window. Each attempt is counted before its
// password is checked, and a successful login deletes the document, so Failures is the number
// of attempts that failed or are still being checked.
type LoginAttempt struct {
	ID          string    `bson:"_id"`
	Failures    int       `bson:"failures"`
	WindowStart time.Time `bson:"windowStart"`
	LockedUntil time.Time `bson:"lockedUntil,omitempty"`
	Expires     time.Time `bson:"expires"` // when the document is no longer needed
}

// Locked reports whether this attempt must be refused without checking its password: the pair
// is locked out, or more than MaxLoginFailures attempts were counted in the window (some of them
// may still be in flight, which is what keeps the limit under concurrency).
func (a LoginAttempt) Locked(now time.Time) bool {
	return a.Failures > MaxLoginFailures || a.LockedUntil.After(now)
}

// RetryAt is when a refused pair may try again.
func (a LoginAttempt) RetryAt(now time.Time) time.Time {
	if a.LockedUntil.After(now) {
		return a.LockedUntil
	}
	return now.Add(LoginLockout) // the attempt that reaches the limit has not stored its lockout yet
}

// LoginAttemptModel owns the queries on loginAttempts.
type LoginAttemptModel struct {
	coll *mongo.Collection
}

// LoginAttemptKey is the _id for an email (normalised here) and a client address.
func LoginAttemptKey(email, clientIP string) string {
	return throttleKey(NormalizeEmail(email), clientIP)
}

// Count records an attempt for the pair before its password is checked (one upsert with $inc)
// and returns the pair's state including it; see LoginAttempt.Locked.
func (m *LoginAttemptModel) Count(ctx context.Context, email, clientIP string, now time.Time) (LoginAttempt, error) {
	var a LoginAttempt
	err := countInWindow(ctx, m.coll, LoginAttemptKey(email, clientIP), "failures", now, LoginFailureWindow, &a)
	return a, err
}

// Failed is told that the attempt a (as Count returned it) had a wrong password: the attempt
// that reached MaxLoginFailures starts the lockout.
func (m *LoginAttemptModel) Failed(ctx context.Context, a LoginAttempt, now time.Time) error {
	if a.Failures < MaxLoginFailures {
		return nil
	}
	until := now.Add(LoginLockout)
	_, err := m.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: a.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "lockedUntil", Value: until}, {Key: "expires", Value: until}}}})
	return err
}

// Reset forgets the pair's failures (after a successful login or password reset).
func (m *LoginAttemptModel) Reset(ctx context.Context, email, clientIP string) error {
	_, err := m.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: LoginAttemptKey(email, clientIP)}})
	return err
}

// DeleteExpired removes the documents whose window and lockout are over, so the collection does
// not grow with every email anyone ever mistyped (the embedded server has no TTL indexes).
func (m *LoginAttemptModel) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return deleteExpired(ctx, m.coll, now)
}
