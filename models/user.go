package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// User is a document of the users collection. The cart lives here, never in the session.
type User struct {
	ID                   bson.ObjectID  `bson:"_id"`
	Email                string         `bson:"email"`
	Password             string         `bson:"password"` // bcrypt hash
	ResetToken           string         `bson:"resetToken,omitempty"`
	ResetTokenExpiration *bson.DateTime `bson:"resetTokenExpiration,omitempty"`
	Cart                 Cart           `bson:"cart"`
}

// Cart is the user's cart: product ids and quantities, as in the course.
type Cart struct {
	Items []CartItem `bson:"items"`
}

// CartItem is one line of a cart. Lines written by the Node course app (mongoose) also have
// an _id; Gin Shop's do not, and both are read the same way.
type CartItem struct {
	ProductID bson.ObjectID `bson:"productId"`
	Quantity  int           `bson:"quantity"`
}

// UserModel owns the queries on users.
type UserModel struct {
	coll       *mongo.Collection // writes, and the cart's compare-and-swap reads
	reads      *mongo.Collection // the pages' reads (pooled)
	emails     *mongo.Collection // the userEmails index (user_email.go): writes
	emailReads *mongo.Collection // and lookups (pooled)

	emailIndex reindexer

	resetTokens  *mongo.Collection // the reset tokens by token (user_reset.go)
	cartCleanups *mongo.Collection // deleted products still to be taken out of carts (cart.go)
	carts        *cartLocks        // one user's cart writes one at a time, where updates are not atomic
	cleanupNow   chan struct{}     // wakes the cart cleanup job (CartCleanupJob)
}

// NormalizeEmail is how emails are compared, never how they are stored: trimmed and
// lower-cased. Emails are stored as typed (as the Node course app does), and found by this key
// in the userEmails index (user_email.go).
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ByEmail finds a user by email, whatever its letter case, or ErrNotFound. If several
// accounts differ only by case (possible only through the Node app, which compares exactly),
// the one spelt exactly as typed wins (surrounding spaces included, which the Node app may have
// stored), then the one spelt as typed without them; without one, no account is guessed.
func (m *UserModel) ByEmail(ctx context.Context, email string) (User, error) {
	asked := time.Now()
	users, err := m.byEmailKey(ctx, NormalizeEmail(email))
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		// Maybe an account the Node app made since the index was last brought up to date.
		ran, err := m.emailIndex.catchUp(ctx, asked)
		if err != nil {
			return User{}, err
		}
		if !ran {
			return User{}, ErrNotFound
		}
		if users, err = m.byEmailKey(ctx, NormalizeEmail(email)); err != nil {
			return User{}, err
		}
	}
	for _, typed := range []string{email, strings.TrimSpace(email)} {
		for _, u := range users {
			if u.Email == typed {
				return u, nil
			}
		}
	}
	if len(users) == 1 {
		return users[0], nil
	}
	return User{}, ErrNotFound
}

// ByID finds a user by id, or ErrNotFound.
func (m *UserModel) ByID(ctx context.Context, id bson.ObjectID) (User, error) {
	var u User
	err := m.reads.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&u)
	return u, notFound(err)
}

// ForRequest loads the logged-in user of a request, without the password hash and reset token
// (they stay in the database): the course's app.js middleware
//
//	User.findById(req.session.user._id).then(user => { req.user = user; next() })
//
// It is one read by _id; the cart page uses the cart it brings.
func (m *UserModel) ForRequest(ctx context.Context, id bson.ObjectID) (User, error) {
	var u User
	err := m.reads.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "password", Value: 0}, {Key: "resetToken", Value: 0}})).Decode(&u)
	return u, notFound(err)
}

// Create stores a new user with an empty cart, its email as typed (without surrounding
// spaces), or ErrDuplicateEmail if the address is taken in any letter case. The claim on the
// userEmails index decides races between two signups (user_email.go).
func (m *UserModel) Create(ctx context.Context, email, passwordHash string) (User, error) {
	u := User{ID: bson.NewObjectID(), Email: strings.TrimSpace(email), Password: passwordHash, Cart: Cart{Items: []CartItem{}}}
	if err := m.claimEmail(ctx, u.Email, u.ID); err != nil {
		return User{}, err
	}
	if _, err := m.coll.InsertOne(ctx, u); err != nil {
		// Give the claim back; if even that fails, the claim is a leftover the index's
		// reindexer drops after claimGrace.
		undo := pullEntry(context.WithoutCancel(ctx), m.emails, NormalizeEmail(u.Email), "userIds", u.ID)
		if mongo.IsDuplicateKeyError(err) {
			return User{}, errors.Join(ErrDuplicateEmail, undo)
		}
		return User{}, errors.Join(err, undo)
	}
	return u, nil
}
