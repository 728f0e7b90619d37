package models

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Limits per client address, across every email it tries: loginAttempts locks one
// (email, address) pair, which does nothing against one address trying a password on many
// emails (spraying), and every attempt costs a bcrypt check; signups would make accounts by
// the dozen. Beyond the limit the shop answers 429 with Retry-After, before any password is
// hashed. Like the other throttles they are counters in the database, shared by every instance.
const (
	MaxLoginsPerAddress  = 30
	LoginAddressWindow   = 15 * time.Minute
	MaxSignupsPerAddress = 10
	SignupAddressWindow  = time.Hour
)

// AddressLimit is one kind of limit: at most Max requests from one address per Window.
type AddressLimit struct {
	kind   string
	Max    int
	Window time.Duration
}

// The address limits of the login and signup forms.
var (
	LoginsPerAddress  = AddressLimit{"login", MaxLoginsPerAddress, LoginAddressWindow}
	SignupsPerAddress = AddressLimit{"signup", MaxSignupsPerAddress, SignupAddressWindow}
)

type addressCount struct {
	Requests    int       `bson:"requests"`
	WindowStart time.Time `bson:"windowStart"`
}

// AddressLimitModel owns the queries on addressLimits: one counter document per kind and client
// address, keyed by a hash like the other throttles.
type AddressLimitModel struct {
	coll *mongo.Collection
}

// Allow counts one request of limit's kind from clientIP (a single upsert, so simultaneous
// requests are all counted) and reports whether it is within the limit; when it is not,
// retryAfter is how long until the window ends.
func (m *AddressLimitModel) Allow(ctx context.Context, limit AddressLimit, clientIP string, now time.Time) (retryAfter time.Duration, ok bool, err error) {
	var c addressCount
	if err := countInWindow(ctx, m.coll, throttleKey(limit.kind, clientIP), "requests", now, limit.Window, &c); err != nil {
		return 0, false, err
	}
	if c.Requests <= limit.Max {
		return 0, true, nil
	}
	return max(c.WindowStart.Add(limit.Window).Sub(now), time.Second), false, nil
}

// Refund takes back one request of limit's kind from clientIP: a login that succeeded. So an
// office behind one address whose people log in all day never meets the limit, while the
// failures of a spraying attack add up. (A request refunded after its window ended may leave a
// count of -1 in a fresh window: one attempt more, once.)
func (m *AddressLimitModel) Refund(ctx context.Context, limit AddressLimit, clientIP string) error {
	_, err := m.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: throttleKey(limit.kind, clientIP)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "requests", Value: -1}}}})
	return err
}

// DeleteExpired removes the counters whose window is over.
func (m *AddressLimitModel) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return deleteExpired(ctx, m.coll, now)
}
