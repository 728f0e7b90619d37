package sessionstore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The session values are stored as readable BSON fields of the document's "session"
// sub-document, next to express-session's "cookie" (connect-mongodb-session stores
// req.session the same way), so mongosh shows {isLoggedIn: true, user: {...}, flash: [...]}.
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
//
// Anything else (structs, pointers, other slices and maps) is refused by Save with an
// error instead of coming back as a different type on the next request.

const (
	// gorillaFlashKey is where gorilla/gin-contrib AddFlash puts flashes by default.
	gorillaFlashKey = "_flash"
	// storedFlashKey is the field name connect-flash uses in the Node app (req.session.flash).
	storedFlashKey = "flash"
	// cookieKey holds express-session's cookie description; it is never a session value.
	cookieKey = "cookie"
)

// encodeValues turns gorilla's session values into the BSON fields stored beside
// "cookie", sorted by key so the same values always give the same bytes.
func encodeValues(values map[any]any) (bson.D, error) {
	doc := make(bson.D, 0, len(values))
	for k, v := range values {
		if _, ok := k.(loadStateKey); ok {
			continue // the store's own bookkeeping, never persisted
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("sessionstore: session key %v (%T) is not a string", k, k)
		}
		switch key {
		case gorillaFlashKey:
			key = storedFlashKey
		case storedFlashKey, cookieKey:
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
	slices.SortFunc(doc, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
	return doc, nil
}

// canonical is the byte form used to tell whether the values changed since they were loaded.
func canonical(values bson.D) ([]byte, error) {
	return bson.Marshal(values)
}

func encodeValue(v any, path string) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, float64, bson.ObjectID:
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

// decodeValues reads the "session" sub-document back into gorilla's values map.
func decodeValues(session bson.Raw) (map[any]any, error) {
	elems, err := session.Elements()
	if err != nil {
		return nil, fmt.Errorf("sessionstore: malformed session document: %w", err)
	}
	values := make(map[any]any, len(elems))
	for _, e := range elems {
		key := e.Key()
		if key == cookieKey {
			continue
		}
		v, err := decodeValue(e.Value())
		if err != nil {
			return nil, fmt.Errorf("sessionstore: session value %q: %w", key, err)
		}
		if key == storedFlashKey {
			key = gorillaFlashKey
			if _, ok := v.([]any); !ok {
				// gorilla's Flashes() asserts []any and would panic on anything else
				// (e.g. a flash edited by hand in mongosh).
				v = []any{v}
			}
		}
		values[key] = v
	}
	return values, nil
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
		return nil, fmt.Errorf("unsupported BSON type %s", rv.Type)
	}
}
