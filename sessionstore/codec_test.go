package sessionstore

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestValuesRoundTripWithTheirGoTypes(t *testing.T) {
	env := newTestEnv(t)
	oid := bson.NewObjectID()
	when := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("CEST", 2*3600))

	cases := []struct {
		name string
		in   any
		want any // what the next request reads back
	}{
		{"nil", nil, nil},
		{"bool", true, true},
		{"string", "grüße <b>", "grüße <b>"},
		{"empty string", "", ""},
		{"int", 42, 42},
		{"negative int", -7, -7},
		{"int32 comes back as int", int32(7), 7},
		{"int64 comes back as int", int64(1) << 40, 1 << 40},
		{"max int", math.MaxInt, math.MaxInt},
		{"uint8 comes back as int", uint8(200), 200},
		{"float64", 19.99, 19.99},
		{"float32 comes back as float64", float32(0.5), 0.5},
		{"ObjectID", oid, oid},
		{"time comes back UTC with millisecond precision", when, when.UTC().Truncate(time.Millisecond)},
		{"map", map[string]any{"_id": oid, "email": "a@b.c", "n": int32(3)},
			map[string]any{"_id": oid, "email": "a@b.c", "n": 3}},
		{"bson.M comes back as map", bson.M{"k": "v"}, map[string]any{"k": "v"}},
		{"nested map", map[string]any{"a": map[string]any{"b": []any{1, "x"}}},
			map[string]any{"a": map[string]any{"b": []any{1, "x"}}}},
		{"slice", []any{"a", 1, true, nil, 2.5}, []any{"a", 1, true, nil, 2.5}},
		{"empty slice", []any{}, []any{}},
		{"nil slice comes back empty", []any(nil), []any{}},
		{"[]string comes back as []any", []string{"a", "b"}, []any{"a", "b"}},
		{"bson.A comes back as []any", bson.A{"x"}, []any{"x"}},
		{"slice of maps", []any{map[string]any{"productId": oid, "quantity": 2}},
			[]any{map[string]any{"productId": oid, "quantity": 2}}},
	}

	values := map[string]any{}
	for i, c := range cases {
		values[fmt.Sprintf("v%02d", i)] = c.in
	}
	cookie := env.login(values)
	sess := env.get(cookie)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sess.Get(fmt.Sprintf("v%02d", i))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v (%T), want %#v (%T)", got, got, c.want, c.want)
			}
		})
	}
}

func TestSaveRefusesValuesThatWouldNotRoundTrip(t *testing.T) {
	type user struct{ Email string }
	env := newTestEnv(t)
	stored := env.login(map[string]any{"isLoggedIn": true})
	before := env.doc(env.idOf(stored))
	env.clock.Advance(time.Second) // no touch yet: a refused save must write nothing at all
	cases := map[string]func(*Session){
		"non-string key":       func(s *Session) { s.Set(1, "x") },
		"empty key":            func(s *Session) { s.Set("", "x") },
		"struct value":         func(s *Session) { s.Set("user", user{"a@b.c"}) },
		"pointer value":        func(s *Session) { s.Set("user", &user{"a@b.c"}) },
		"uint64 value":         func(s *Session) { s.Set("n", uint64(1)) },
		"struct in a map":      func(s *Session) { s.Set("m", map[string]any{"u": user{}}) },
		"reserved key cookie":  func(s *Session) { s.Set("cookie", "x") },
		"operator key":         func(s *Session) { s.Set("$set", 1) },
		"dotted key":           func(s *Session) { s.Set("a.b", 1) },
		"dotted key in a map":  func(s *Session) { s.Set("m", map[string]any{"a.b": 1}) },
		"map with non-any val": func(s *Session) { s.Set("m", map[string]string{"a": "b"}) },
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			// Refused in a new session (nothing is stored)...
			sess := env.get(nil)
			set(sess)
			if err := sess.Save(); err == nil {
				t.Fatal("Save accepted the value")
			} else if strings.Contains(err.Error(), "unavailable") {
				t.Fatalf("a bad value is reported as a database failure: %v", err)
			}
			if env.count() != 1 { // the stored session below
				t.Fatal("something was stored")
			}
			// ...and in a stored one (which stays as it was).
			sess = env.get(stored)
			set(sess)
			if err := sess.Save(); err == nil {
				t.Fatal("Save of a stored session accepted the value")
			}
			if doc := env.doc(env.idOf(stored)); doc == nil || !bytes.Equal(doc, before) {
				t.Fatalf("the stored session changed: %s", doc)
			}
		})
	}
}

// A Set of a value equal to the stored one is no change (nothing is written): that needs the
// same value to encode to the same bytes, whatever Go's map order.
func TestEncodingIgnoresMapOrder(t *testing.T) {
	a := map[string]any{"x": 1, "y": map[string]any{"b": 1, "a": 2, "c": 3}, "z": "s"}
	var first []byte
	for i := range 20 {
		enc, err := encodeField("k", a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fieldBytes("k", enc)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatal("the same values encoded differently")
		}
	}
}
