package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrInvalidResetToken means a password-reset token is unknown, expired or already used.
var ErrInvalidResetToken = errors.New("password reset token invalid or expired")

// ResetTokenTTL is how long a password-reset link works.
const ResetTokenTTL = time.Hour

// resetTokenBytes is the token's entropy: 32 bytes from crypto/rand, like the course's
// crypto.randomBytes(32, ...).toString('hex').
const resetTokenBytes = 32

// NewResetToken returns a fresh random token, hex-encoded (64 characters).
func NewResetToken() string {
	b := make([]byte, resetTokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// IsResetTokenShaped reports whether s looks like a token NewResetToken made, so anything else
// is refused before it reaches a query.
func IsResetTokenShaped(s string) bool {
	if len(s) != 2*resetTokenBytes {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Reset tokens are kept twice: on the user, as the Node course app keeps them (resetToken,
// resetTokenExpiration), and in resetTokens, {_id: token, userId, expires}, so the reset link
// and form find the user by _id: a filter on resetToken reads every user on the embedded
// database. A token is good while both agree and it has not expired. Tokens the Node app
// issued are not in resetTokens, so its links work on the Node app only (they point there).

// resetTokenEntry is a document of resetTokens.
type resetTokenEntry struct {
	Token   string        `bson:"_id"`
	UserID  bson.ObjectID `bson:"userId"`
	Expires time.Time     `bson:"expires"`
}

// SetResetToken stores token and its expiry on the user with that email and returns the user
// (user.resetToken = token; user.resetTokenExpiration = Date.now() + 3600000; user.save()), or
// ErrNotFound when no account has that email.
func (m *UserModel) SetResetToken(ctx context.Context, email, token string, expires time.Time) (User, error) {
	u, err := m.ByEmail(ctx, email) // in any letter case, like login
	if err != nil {
		return User{}, err
	}
	// The entry first: if the user's write then fails, the entry names a token the user does
	// not have, which ByResetToken refuses (and the sweeper deletes once it expires).
	expires = expires.UTC().Truncate(time.Millisecond) // what BSON keeps
	if _, err := m.resetTokens.InsertOne(ctx, resetTokenEntry{Token: token, UserID: u.ID, Expires: expires}); err != nil {
		return User{}, err
	}
	err = m.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: u.ID}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "resetToken", Value: token},
			{Key: "resetTokenExpiration", Value: bson.NewDateTimeFromTime(expires)},
		}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&u)
	return u, notFound(err)
}

// ByResetToken finds the user whose unexpired token this is (User.findOne({resetToken: token,
// resetTokenExpiration: {$gt: Date.now()}})), or ErrInvalidResetToken: the token's entry by
// _id, then its user by _id, who must still have this token.
func (m *UserModel) ByResetToken(ctx context.Context, token string, now time.Time) (User, error) {
	if !IsResetTokenShaped(token) {
		return User{}, ErrInvalidResetToken
	}
	var e resetTokenEntry
	err := m.resetTokens.FindOne(ctx, bson.D{{Key: "_id", Value: token}}).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, ErrInvalidResetToken
	}
	if err != nil {
		return User{}, err
	}
	var u User
	err = m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: e.UserID}}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, ErrInvalidResetToken
	}
	if err != nil {
		return User{}, err
	}
	if !e.Expires.After(now) || u.ResetToken != token || u.ResetTokenExpiration == nil || !u.ResetTokenExpiration.Time().After(now) {
		return User{}, ErrInvalidResetToken // expired, or replaced by a newer token
	}
	return u, nil
}

// ResetPassword sets a new password hash if token is still this user's unexpired token, and
// removes the token. Deleting the token's entry decides: of two requests with one token, only
// the one whose delete removed it goes on, so a token works once. Otherwise
// ErrInvalidResetToken.
func (m *UserModel) ResetPassword(ctx context.Context, userID bson.ObjectID, token, passwordHash string, now time.Time) error {
	u, err := m.ByResetToken(ctx, token, now)
	if err != nil {
		return err
	}
	if u.ID != userID {
		return ErrInvalidResetToken
	}
	res, err := m.resetTokens.DeleteOne(ctx, bson.D{{Key: "_id", Value: token}})
	if err != nil {
		return err
	}
	if res.DeletedCount == 0 {
		return ErrInvalidResetToken // used by a request at the same moment
	}
	_, err = m.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: userID}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "password", Value: passwordHash}}},
			{Key: "$unset", Value: bson.D{{Key: "resetToken", Value: ""}, {Key: "resetTokenExpiration", Value: ""}}},
		},
	)
	return err
}

// DeleteExpiredResetTokens removes the entries of tokens that have expired (used ones are
// deleted when used).
func (m *UserModel) DeleteExpiredResetTokens(ctx context.Context, now time.Time) (int64, error) {
	return deleteExpired(ctx, m.resetTokens, now)
}
