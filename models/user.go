package models

import (
	"context"
	"errors"
	"regexp"
	"strings"

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
	coll  *mongo.Collection // writes, and the cart's compare-and-swap reads
	reads *mongo.Collection // the pages' reads (pooled)
}

// NormalizeEmail is how every email is stored and looked up: trimmed and lower-cased, so the
// unique index makes addresses unique whatever their case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ByEmail finds a user by email, whatever its letter case, or ErrNotFound. Gin Shop stores
// emails lower-cased; the Node course app stores them as typed (User.findOne({email})) and
// may share this collection (see interop/), so "Mixed.Case@Example.test" must find its account.
// If several accounts differ only by case (possible only through the Node app), the one spelt
// exactly as typed wins, and without one no account is guessed.
func (m *UserModel) ByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := m.reads.FindOne(ctx, bson.D{{Key: "email", Value: NormalizeEmail(email)}}).Decode(&u)
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return u, err
	}
	users, err := m.byEmailAnyCase(ctx, email)
	if err != nil {
		return User{}, err
	}
	if len(users) == 1 {
		return users[0], nil
	}
	for _, u := range users {
		if u.Email == strings.TrimSpace(email) {
			return u, nil
		}
	}
	return User{}, ErrNotFound
}

// byEmailAnyCase returns the users whose email equals email ignoring case. The unique index
// on email cannot see case, and FerretDB v1 has no collations, hence the anchored regex.
func (m *UserModel) byEmailAnyCase(ctx context.Context, email string) ([]User, error) {
	pattern := "^" + regexp.QuoteMeta(strings.TrimSpace(email)) + "$"
	cur, err := m.reads.Find(ctx, bson.D{{Key: "email", Value: bson.Regex{Pattern: pattern, Options: "i"}}})
	if err != nil {
		return nil, err
	}
	users := []User{}
	err = cur.All(ctx, &users)
	return users, err
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

// Create stores a new user with an empty cart, or ErrDuplicateEmail if the address is taken in
// any letter case. The unique index on email decides races between two signups.
func (m *UserModel) Create(ctx context.Context, email, passwordHash string) (User, error) {
	u := User{ID: bson.NewObjectID(), Email: NormalizeEmail(email), Password: passwordHash, Cart: Cart{Items: []CartItem{}}}
	// The index only sees exact duplicates; an account the Node app stored with other
	// letter cases must block this address too.
	if others, err := m.byEmailAnyCase(ctx, u.Email); err != nil {
		return User{}, err
	} else if len(others) > 0 {
		return User{}, ErrDuplicateEmail
	}
	if _, err := m.coll.InsertOne(ctx, u); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return User{}, ErrDuplicateEmail
		}
		return User{}, err
	}
	return u, nil
}
