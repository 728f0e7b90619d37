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
// ...) comes back as a bson.RawValue. A save writes only the keys the request changed
// ($set of session.<key>), so whatever the request left alone stays byte for byte as the
// other app wrote it.

// encodeFields encodes the values, sorted by key.
func encodeFields(values map[string]any) (bson.D, error) {
	doc := make(bson.D, 0, len(values))
	for k, v := range values {
		ev, err := encodeField(k, v)
		if err != nil {
			return nil, err
		}
		doc = append(doc, bson.E{Key: k, Value: ev})
	}
	slices.SortFunc(doc, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
	return doc, nil
}

// encodeField checks one top-level key and encodes its value.
func encodeField(k string, v any) (any, error) {
	if k == cookieKey {
		return nil, fmt.Errorf("sessionstore: session key %q is reserved for express-session's cookie", k)
	}
	if err := checkKey(k); err != nil {
		return nil, err
	}
	return encodeValue(v, k)
}

// fieldBytes is one field's encoding, to tell whether a Set changed the value.
func fieldBytes(k string, ev any) ([]byte, error) {
	return bson.Marshal(bson.D{{Key: k, Value: ev}})
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

// decodeValues reads the "session" sub-document into the values map, and the encoding each
// value has once decoded (to tell later whether a Set changed it).
func decodeValues(session bson.Raw) (map[string]any, map[string][]byte, error) {
	elems, err := session.Elements()
	if err != nil {
		return nil, nil, fmt.Errorf("sessionstore: malformed session document: %w", err)
	}
	values := make(map[string]any, len(elems))
	loaded := make(map[string][]byte, len(elems))
	for _, e := range elems {
		key := e.Key()
		if key == cookieKey {
			continue
		}
		v, err := decodeValue(e.Value())
		if err != nil {
			return nil, nil, fmt.Errorf("sessionstore: session value %q: %w", key, err)
		}
		if key == KeyFlash {
			v = flashMap(v)
		}
		values[key] = v
		ev, err := encodeValue(v, key)
		if err != nil {
			return nil, nil, fmt.Errorf("sessionstore: session value %q: %w", key, err)
		}
		if loaded[key], err = fieldBytes(key, ev); err != nil {
			return nil, nil, err
		}
	}
	return values, loaded, nil
}

// flashMap reads a stored flash as connect-flash's {type: [messages]}; older documents (and
// hand edits) may hold a bare list or value, which become the "info" messages.
func flashMap(v any) map[string]any {
	asList := func(v any) []any {
		if l, ok := v.([]any); ok {
			return l
		}
		return []any{v}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return map[string]any{defaultFlashType: asList(v)}
	}
	for t, msgs := range m {
		m[t] = asList(msgs)
	}
	return m
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
