package sessionstore

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The session values are stored as readable BSON fields of the document's "session"
// sub-document, next to express-session's "cookie" (connect-mongodb-session stores
// req.session the same way), so mongosh shows {isLoggedIn: true, user: {...}, flash: {...}}.
//
// Supported value types and what comes back on the next request:
//
//	nil                               -> nil
//	bool, string                      -> same type
//	int, int8..int64, uint8..uint32   -> int (stored as a BSON int64)
//	float32, float64                  -> float64
//	bson.ObjectID                     -> bson.ObjectID
//	time.Time                         -> time.Time in UTC, truncated to milliseconds (BSON Date)
//	map[string]any, bson.M            -> map[string]any (values converted recursively)
//	[]any, bson.A, []string           -> []any (so a []string comes back as []any of strings)
//	bson.RawValue                     -> bson.RawValue (as stored)
//
// Anything else (structs, pointers, other slices and maps) is refused by Save with an
// error instead of coming back as a different type on the next request.
//
// The Node course app writes into the same documents (see interop/), so reading never
// fails on what it may find: a BSON type Go has no value for (binary, decimal128, regex,
// ...) comes back as a bson.RawValue and is written back unchanged, and a top-level field
// the request did not change is written back with its stored bytes (an int32 stays an
// int32, a field order stays as Node wrote it).
//
// Flashes are stored as connect-flash stores them, req.session.flash = {type: [messages]}.
// Gorilla keeps one list per session key: its default key (AddFlash(msg)) is the "info"
// type, and FlashKey(t) names the list of any other type t.

const (
	// gorillaFlashKey is where gorilla/gin-contrib AddFlash puts flashes by default.
	gorillaFlashKey = "_flash"
	// storedFlashKey is the field name connect-flash uses in the Node app (req.session.flash).
	storedFlashKey = "flash"
	// defaultFlashType is the connect-flash type of gorilla's default flash list, like
	// req.flash('info', msg).
	defaultFlashType = "info"
	// cookieKey holds express-session's cookie description; it is never a session value.
	cookieKey = "cookie"
)

// FlashKey is the session key holding the flashes of one connect-flash type:
// s.AddFlash(msg, sessionstore.FlashKey("error")) is req.flash('error', msg), and
// s.Flashes(sessionstore.FlashKey("error")) is req.flash('error'). The "info" type is
// gorilla's default list, so s.AddFlash(msg) is req.flash('info', msg).
func FlashKey(flashType string) string {
	if flashType == defaultFlashType {
		return gorillaFlashKey
	}
	return gorillaFlashKey + ":" + flashType
}

// flashType is the connect-flash type stored under a gorilla session key, if it is one.
func flashType(key string) (string, bool) {
	if key == gorillaFlashKey {
		return defaultFlashType, true
	}
	t, ok := strings.CutPrefix(key, gorillaFlashKey+":")
	return t, ok
}

// stored is the "session" sub-document as it was loaded: the raw bytes of each field (but
// the cookie) in stored order, and the encoding each had after decoding, so encodeValues can
// tell which fields the request left alone and write those back exactly as they were.
type stored struct {
	order   []string
	raw     map[string]bson.RawValue
	decoded map[string][]byte
}

// encodeValues turns gorilla's session values into the BSON fields stored beside
// "cookie". The fields of the loaded document (in values' load state) keep their order and,
// when unchanged, their stored bytes; new fields follow, sorted by key, so the same values
// always give the same bytes.
func encodeValues(values map[any]any) (bson.D, error) {
	doc, err := encodeFields(values)
	if err != nil {
		return nil, err
	}
	state, _ := values[loadStateKey{}].(*loadState)
	if state == nil || state.stored == nil {
		return doc, nil
	}
	st := state.stored
	if _, ok := st.raw[storedFlashKey]; ok && !slices.ContainsFunc(doc, func(e bson.E) bool { return e.Key == storedFlashKey }) {
		// connect-flash leaves flash: {} behind once read; keep it, so reading the last
		// message does not remove a field from Node's document.
		doc = append(doc, bson.E{Key: storedFlashKey, Value: bson.D{}})
	}
	pos := make(map[string]int, len(st.order))
	for i, k := range st.order {
		pos[k] = i
	}
	for i, e := range doc {
		if _, ok := st.raw[e.Key]; !ok {
			continue
		}
		b, err := fieldBytes(e)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(b, st.decoded[e.Key]) {
			doc[i].Value = st.raw[e.Key]
		}
	}
	// Stored fields first in their stored order, then new ones by key.
	slices.SortStableFunc(doc, func(a, b bson.E) int {
		pa, oka := pos[a.Key]
		pb, okb := pos[b.Key]
		switch {
		case oka && okb:
			return pa - pb
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return doc, nil
}

// encodeFields encodes the values alone, sorted by key, with every flash list gathered into
// connect-flash's flash: {type: [messages]}.
func encodeFields(values map[any]any) (bson.D, error) {
	doc := make(bson.D, 0, len(values))
	var flashes bson.D
	for k, v := range values {
		if _, ok := k.(loadStateKey); ok {
			continue // the store's own bookkeeping, never persisted
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("sessionstore: session key %v (%T) is not a string", k, k)
		}
		if t, ok := flashType(key); ok {
			if err := checkKey(t); err != nil {
				return nil, err
			}
			ev, err := encodeValue(v, key)
			if err != nil {
				return nil, err
			}
			if _, ok := ev.(bson.A); !ok {
				ev = bson.A{ev} // connect-flash reads an array of messages
			}
			flashes = append(flashes, bson.E{Key: t, Value: ev})
			continue
		}
		if key == storedFlashKey || key == cookieKey {
			return nil, fmt.Errorf("sessionstore: session key %q is reserved (flashes are stored as %q; use AddFlash)", key, storedFlashKey)
		}
		if err := checkKey(key); err != nil {
			return nil, err
		}
		ev, err := encodeValue(v, key)
		if err != nil {
			return nil, err
		}
		doc = append(doc, bson.E{Key: key, Value: ev})
	}
	if flashes != nil {
		slices.SortFunc(flashes, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
		doc = append(doc, bson.E{Key: storedFlashKey, Value: flashes})
	}
	slices.SortFunc(doc, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
	return doc, nil
}

// fieldBytes is one field's encoding, to compare a value with the one loaded.
func fieldBytes(e bson.E) ([]byte, error) {
	return bson.Marshal(bson.D{e})
}

// canonical is the byte form used to tell whether the values changed since they were loaded.
func canonical(values bson.D) ([]byte, error) {
	return bson.Marshal(values)
}

func encodeValue(v any, path string) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, float64, bson.ObjectID, bson.RawValue:
		return v, nil
	case int:
		return int64(v), nil
	case int8:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case int64:
		return v, nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case float32:
		return float64(v), nil
	case time.Time:
		return v.UTC().Truncate(time.Millisecond), nil
	case map[string]any:
		return encodeMap(v, path)
	case bson.M:
		return encodeMap(v, path)
	case []any:
		return encodeSlice(v, path)
	case bson.A:
		return encodeSlice(v, path)
	case []string:
		arr := make(bson.A, len(v))
		for i, s := range v {
			arr[i] = s
		}
		return arr, nil
	default:
		return nil, fmt.Errorf("sessionstore: session value %s has unsupported type %T", path, v)
	}
}

func encodeMap(m map[string]any, path string) (bson.D, error) {
	doc := make(bson.D, 0, len(m))
	for k, v := range m {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, path)
		}
		ev, err := encodeValue(v, path+"."+k)
		if err != nil {
			return nil, err
		}
		doc = append(doc, bson.E{Key: k, Value: ev})
	}
	slices.SortFunc(doc, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
	return doc, nil
}

func encodeSlice(s []any, path string) (bson.A, error) {
	arr := make(bson.A, 0, len(s)) // never nil: an empty slice is stored as [], not null
	for i, v := range s {
		ev, err := encodeValue(v, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		arr = append(arr, ev)
	}
	return arr, nil
}

// checkKey refuses field names MongoDB-compatible servers reject or misread
// ("$op", "a.b" would be taken as operators or paths).
func checkKey(k string) error {
	if k == "" || strings.HasPrefix(k, "$") || strings.ContainsAny(k, ".\x00") {
		return fmt.Errorf("sessionstore: session key %q cannot be a BSON field name", k)
	}
	return nil
}

// decodeValues reads the "session" sub-document back into gorilla's values map, and what
// encodeValues needs to write the fields the request leaves alone back as they were.
func decodeValues(session bson.Raw) (map[any]any, *stored, error) {
	elems, err := session.Elements()
	if err != nil {
		return nil, nil, fmt.Errorf("sessionstore: malformed session document: %w", err)
	}
	values := make(map[any]any, len(elems))
	st := &stored{raw: make(map[string]bson.RawValue, len(elems))}
	for _, e := range elems {
		key := e.Key()
		if key == cookieKey {
			continue
		}
		st.order = append(st.order, key)
		st.raw[key] = e.Value()
		v, err := decodeValue(e.Value())
		if err != nil {
			return nil, nil, fmt.Errorf("sessionstore: session value %q: %w", key, err)
		}
		if key == storedFlashKey {
			decodeFlashes(values, v)
			continue
		}
		values[key] = v
	}
	// The encoding of what was decoded: a field that still encodes the same when saved
	// was not changed by the request.
	plain, err := encodeFields(values)
	if err != nil {
		return nil, nil, fmt.Errorf("sessionstore: session document: %w", err)
	}
	st.decoded = make(map[string][]byte, len(plain))
	for _, e := range plain {
		if st.decoded[e.Key], err = fieldBytes(e); err != nil {
			return nil, nil, err
		}
	}
	if _, ok := st.raw[storedFlashKey]; ok && st.decoded[storedFlashKey] == nil {
		st.decoded[storedFlashKey], _ = fieldBytes(bson.E{Key: storedFlashKey, Value: bson.D{}})
	}
	return values, st, nil
}

// decodeFlashes puts a stored flash into gorilla's flash lists. connect-flash stores
// {type: [messages]}; older Gin Shop documents (and hand edits) may hold a bare list or value.
// gorilla's Flashes() asserts []any and would panic on anything else, so every list is one.
func decodeFlashes(values map[any]any, v any) {
	asList := func(v any) []any {
		if l, ok := v.([]any); ok {
			return l
		}
		return []any{v}
	}
	m, ok := v.(map[string]any)
	if !ok {
		values[gorillaFlashKey] = asList(v)
		return
	}
	for t, msgs := range m {
		values[FlashKey(t)] = asList(msgs)
	}
}

func decodeValue(rv bson.RawValue) (any, error) {
	switch rv.Type {
	case bson.TypeNull, bson.TypeUndefined:
		return nil, nil
	case bson.TypeBoolean:
		return rv.Boolean(), nil
	case bson.TypeString:
		return rv.StringValue(), nil
	case bson.TypeInt32:
		return int(rv.Int32()), nil
	case bson.TypeInt64:
		n := rv.Int64()
		if int64(int(n)) != n {
			return nil, fmt.Errorf("integer %d overflows int", n) // only on 32-bit platforms
		}
		return int(n), nil
	case bson.TypeDouble:
		return rv.Double(), nil
	case bson.TypeObjectID:
		return rv.ObjectID(), nil
	case bson.TypeDateTime:
		return time.UnixMilli(rv.DateTime()).UTC(), nil
	case bson.TypeEmbeddedDocument:
		elems, err := rv.Document().Elements()
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(elems))
		for _, e := range elems {
			v, err := decodeValue(e.Value())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.Key(), err)
			}
			m[e.Key()] = v
		}
		return m, nil
	case bson.TypeArray:
		vals, err := rv.Array().Values()
		if err != nil {
			return nil, err
		}
		s := make([]any, 0, len(vals))
		for i, ev := range vals {
			v, err := decodeValue(ev)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			s = append(s, v)
		}
		return s, nil
	default:
		// binary, decimal128, regex, ...: kept as stored, so the visitor stays logged in and
		// the value is written back unchanged.
		return rv, nil
	}
}
