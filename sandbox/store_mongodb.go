package sandbox

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MongoStore behaves like connect-mongodb-session 5.0 (index.js), the store of the course:
//
//	get:     findOne({_id}); an expired document is deleted (deleteOne) and counts as none
//	set:     updateOne({_id}, {$set: {_id, session, expires: session.cookie.expires}}, {upsert: true}),
//	         so every save replaces the whole session
//	destroy: deleteOne({_id})
//
// It has no touch method (not in any version of its history), so with resave: false an
// unchanged session's stored expires never moves.
type MongoStore struct {
	coll *mongo.Collection
	now  func() time.Time
}

// NewMongoStore keeps sandbox sessions in coll, which should come from a client whose command
// monitor is Monitor(), so the page can show the commands.
func NewMongoStore(coll *mongo.Collection) *MongoStore {
	return &MongoStore{coll: coll, now: time.Now}
}

// storedSession is the document's session field: req.session as BSON, cookie first.
func storedSession(s *Session) bson.D {
	c := s.Cookie
	doc := bson.D{{Key: "cookie", Value: bson.D{
		// the Node driver stores a whole number that fits in 32 bits as an int32
		{Key: "originalMaxAge", Value: int32(c.OriginalMaxAge / time.Millisecond)},
		{Key: "expires", Value: c.Expires},
		{Key: "httpOnly", Value: c.HTTPOnly},
		{Key: "path", Value: c.Path},
		{Key: "sameSite", Value: c.SameSite},
	}}}
	for _, k := range sortedKeys(s.Data) {
		doc = append(doc, bson.E{Key: k, Value: s.Data[k]})
	}
	return doc
}

type mongoDoc struct {
	Expires time.Time `bson:"expires"`
	Session bson.Raw  `bson:"session"`
}

// Get is MongoDBStore.prototype.get.
func (m *MongoStore) Get(ctx context.Context, id string) (*Session, error) {
	var d mongoDoc
	err := m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !d.Expires.IsZero() && !m.now().Before(d.Expires) {
		// if (!session.expires || new Date < session.expires) ... else _this.destroy(id, callback)
		_, err := m.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		return nil, err
	}
	return decodeSession(d.Session)
}

// Set is MongoDBStore.prototype.set.
func (m *MongoStore) Set(ctx context.Context, id string, sess *Session) error {
	set := bson.D{{Key: "_id", Value: id}, {Key: "session", Value: storedSession(sess)}, {Key: "expires", Value: sess.Cookie.Expires}}
	_, err := m.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}},
		options.UpdateOne().SetUpsert(true))
	return err
}

// Document is the stored document as Extended JSON, the id shortened.
func (m *MongoStore) Document(ctx context.Context, id string) (string, error) {
	raw, err := m.coll.FindOne(unrecorded(ctx), bson.D{{Key: "_id", Value: id}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return extJSON(raw, "  ")
}

// makeRoom keeps the collection at MaxSessions at most before a new session may be stored:
// FerretDB has no TTL index, so expired sessions are deleted here, and if that is not enough
// the ones closest to expiry go. Not a command of connect-mongodb-session: it is not recorded.
func (m *MongoStore) makeRoom(ctx context.Context) error {
	ctx = unrecorded(ctx)
	n, err := m.coll.CountDocuments(ctx, bson.D{})
	if err != nil || n < MaxSessions {
		return err
	}
	if _, err := m.coll.DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: m.now()}}}}); err != nil {
		return err
	}
	if n, err = m.coll.CountDocuments(ctx, bson.D{}); err != nil || n < MaxSessions {
		return err
	}
	cur, err := m.coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "expires", Value: 1}}).
		SetLimit(n-MaxSessions+1).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return err
	}
	var oldest []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &oldest); err != nil {
		return err
	}
	ids := make(bson.A, len(oldest))
	for i, o := range oldest {
		ids[i] = o.ID
	}
	_, err = m.coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	return err
}

// decodeSession is store.createSession: the stored session with its cookie.
func decodeSession(raw bson.Raw) (*Session, error) {
	var fields bson.D
	if err := bson.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	s := &Session{Data: map[string]string{}}
	for _, f := range fields {
		if f.Key != "cookie" {
			if v, ok := f.Value.(string); ok {
				s.Data[f.Key] = v
			}
			continue
		}
		var c struct {
			OriginalMaxAge int64         `bson:"originalMaxAge"`
			Expires        bson.DateTime `bson:"expires"`
			HTTPOnly       bool          `bson:"httpOnly"`
			Path           string        `bson:"path"`
			SameSite       string        `bson:"sameSite"`
		}
		b, err := bson.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		if err := bson.Unmarshal(b, &c); err != nil {
			return nil, err
		}
		s.Cookie = Cookie{OriginalMaxAge: time.Duration(c.OriginalMaxAge) * time.Millisecond, Expires: c.Expires.Time(),
			HTTPOnly: c.HTTPOnly, Path: c.Path, SameSite: c.SameSite}
	}
	return s, nil
}
