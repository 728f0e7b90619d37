package models

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Password-reset throttling: each email gets at most MaxResetRequestsPerEmail reset mails per
// ResetRequestWindow, and each client address may ask at most MaxResetRequestsPerAddress times,
// so nobody can flood an inbox or spray the form over many addresses.
const (
	MaxResetRequestsPerEmail   = 3
	MaxResetRequestsPerAddress = 10
	ResetRequestWindow         = 15 * time.Minute
)

// resetRequestCount is the part of a counter document Allow reads.
type resetRequestCount struct {
	Requests int `bson:"requests"`
}

// ResetRequestModel owns the queries on resetRequests.
type ResetRequestModel struct {
	coll *mongo.Collection
}

// Allow counts a reset request for email from clientIP (both counters, whether or not the
// account exists, so the answer reveals nothing) and reports whether it may send a mail.
func (m *ResetRequestModel) Allow(ctx context.Context, email, clientIP string, now time.Time) (bool, error) {
	var byEmail, byAddress resetRequestCount
	if err := countInWindow(ctx, m.coll, throttleKey("email", NormalizeEmail(email)), "requests", now, ResetRequestWindow, &byEmail); err != nil {
		return false, err
	}
	if err := countInWindow(ctx, m.coll, throttleKey("address", clientIP), "requests", now, ResetRequestWindow, &byAddress); err != nil {
		return false, err
	}
	return byEmail.Requests <= MaxResetRequestsPerEmail && byAddress.Requests <= MaxResetRequestsPerAddress, nil
}

// DeleteExpired removes the counters whose window is over.
func (m *ResetRequestModel) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return deleteExpired(ctx, m.coll, now)
}
