package sessionstore

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzDecodeCookieValue: the session cookie's unsigning never panics, and whatever it accepts
// is a valid id whose signature one of the secrets made: there is no value it takes without the
// secret. Its seed corpus in testdata/fuzz runs as an ordinary test; `go test -fuzz
// FuzzDecodeCookieValue ./sessionstore` explores further.
func FuzzDecodeCookieValue(f *testing.F) {
	secrets := []string{"fuzz-secret-new", "fuzz-secret-old"}
	f.Add(encodeCookieValue("abcDEF123-_", secrets[0]))
	f.Add(encodeCookieValue("abcDEF123-_", secrets[1]))
	f.Fuzz(func(t *testing.T, raw string) {
		id, ok := decodeCookieValue(raw, secrets)
		if !ok {
			if id != "" {
				t.Fatalf("refused %q but returned id %q", raw, id)
			}
			return
		}
		if !validID(id) {
			t.Fatalf("accepted %q with invalid id %q", raw, id)
		}
		v, err := url.PathUnescape(raw)
		if err != nil || !strings.HasPrefix(v, signedPrefix) {
			t.Fatalf("accepted %q, which is not a signed value", raw)
		}
		signed := v[len(signedPrefix):]
		if signed != sign(id, secrets[0]) && signed != sign(id, secrets[1]) {
			t.Fatalf("accepted %q, whose signature no secret made", raw)
		}
	})
}
