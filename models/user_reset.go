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

// SetResetToken stores token and its expiry on the user with that email and returns the user
// (user.resetToken = token; user.resetTokenExpiration = Date.now() + 3600000; user.save()), or
// ErrNotFound when no account has that email.
func (m *UserModel) SetResetToken(ctx context.Context, email, token string, expires time.Time) (User, error) {
	u, err := m.ByEmail(ctx, email) // in any letter case, like login
	if err != nil {
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
// resetTokenExpiration: {$gt: Date.now()}})), or ErrInvalidResetToken.
func (m *UserModel) ByResetToken(ctx context.Context, token string, now time.Time) (User, error) {
	if !IsResetTokenShaped(token) {
		return User{}, ErrInvalidResetToken
	}
	var u User
	err := m.coll.FindOne(ctx, bson.D{
		{Key: "resetToken", Value: token},
		{Key: "resetTokenExpiration", Value: bson.D{{Key: "$gt", Value: bson.NewDateTimeFromTime(now)}}},
	}).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, ErrInvalidResetToken
	}
	return u, err
}

// ResetPassword sets a new password hash if token is still this user's unexpired token, and
// removes the token in the same update. The token is part of the filter, so of two requests with
// one token only the first matches: a token works once. Otherwise ErrInvalidResetToken.
func (m *UserModel) ResetPassword(ctx context.Context, userID bson.ObjectID, token, passwordHash string, now time.Time) error {
	if !IsResetTokenShaped(token) {
		return ErrInvalidResetToken
	}
	res, err := m.coll.UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: userID},
			{Key: "resetToken", Value: token},
			{Key: "resetTokenExpiration", Value: bson.D{{Key: "$gt", Value: bson.NewDateTimeFromTime(now)}}},
		},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "password", Value: passwordHash}}},
			{Key: "$unset", Value: bson.D{{Key: "resetToken", Value: ""}, {Key: "resetTokenExpiration", Value: ""}}},
		},
	)
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return ErrInvalidResetToken
	}
	return nil
}
