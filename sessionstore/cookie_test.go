package sessionstore

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSignMatchesCookieSignature(t *testing.T) {
	// The test vector of the npm package cookie-signature, which express-session uses.
	got := sign("hello", "tobiiscool")
	if want := "hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"; got != want {
		t.Fatalf("sign = %q, want %q", got, want)
	}
	if v, ok := unsign(got, []string{"tobiiscool"}); !ok || v != "hello" {
		t.Fatalf("unsign = %q, %v", v, ok)
	}
	for _, bad := range []string{
		"hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QJ", // last character changed
		"hellp.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI", // value changed
		"hello",
		"",
	} {
		if _, ok := unsign(bad, []string{"tobiiscool"}); ok {
			t.Errorf("unsign(%q) accepted", bad)
		}
	}
	if _, ok := unsign(got, []string{"luna"}); ok {
		t.Error("unsign accepted a signature made with another secret")
	}
}

func TestCookieValueIsURLEncodedLikeExpress(t *testing.T) {
	v := encodeCookieValue("hello", "tobiiscool")
	// encodeURIComponent("s:hello.DGDU...+C0...") in Node.
	if want := "s%3Ahello.DGDUkGlIkCzPz%2BC0B064FNgHdEjox7ch8tOBGslZ5QI"; v != want {
		t.Fatalf("cookie value = %q, want %q", v, want)
	}
	// A browser or proxy may send the '+' unescaped: it must still verify.
	for _, raw := range []string{v, "s%3Ahello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"} {
		if id, ok := decodeCookieValue(raw, []string{"tobiiscool"}); !ok || id != "hello" {
			t.Errorf("decodeCookieValue(%q) = %q, %v", raw, id, ok)
		}
	}
}

func TestNewIDsAreLongRandomAndURLSafe(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := newID()
		b, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(b) < 16 {
			t.Fatalf("id %q is not >= 128 bits of URL-safe base64", id)
		}
		if !validID(id) || url.QueryEscape(id) != id {
			t.Fatalf("id %q is not URL-safe", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestRotatedSecretStillVerifiesAndNewSecretSigns(t *testing.T) {
	old := newTestEnv(t, func(c *Config) { c.Secrets = []string{"old-secret"} })
	cookie := old.login(map[string]any{"isLoggedIn": true})

	// The same collection, after rotation: the new secret first, the old one kept to verify.
	rotated, err := New(old.coll, Config{
		Secrets: []string{"new-secret", "old-secret"}, IdleTimeout: old.store.cfg.IdleTimeout,
		AbsoluteTimeout: old.store.cfg.AbsoluteTimeout, Now: old.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	sess, err := rotated.load(request(cookie), rec, nil)
	if err != nil || sess.ID() == "" || sess.Get("isLoggedIn") != true {
		t.Fatalf("old-secret cookie not accepted after rotation: id=%q err=%v", sess.ID(), err)
	}

	sess.Set("visits", 1)
	if err := sess.Save(); err != nil {
		t.Fatal(err)
	}
	resent := responseCookie(rec)
	if resent == nil {
		t.Fatal("changed session set no cookie")
	}
	if _, ok := decodeCookieValue(resent.Value, []string{"new-secret"}); !ok {
		t.Error("re-sent cookie is not signed with the new secret")
	}
	if _, ok := decodeCookieValue(resent.Value, []string{"old-secret"}); ok {
		t.Error("re-sent cookie is still signed with the old secret")
	}
}

func TestTamperedCookieIsAnonymous(t *testing.T) {
	env := newTestEnv(t)
	victim := env.login(map[string]any{"isLoggedIn": true})
	victimID := env.idOf(victim)
	unescaped, _ := url.PathUnescape(victim.Value)
	signed := strings.TrimPrefix(unescaped, "s:")
	sig := signed[strings.LastIndexByte(signed, '.'):]
	// An id an attacker picked, signed correctly (as if the secret leaked once), with no document.
	unknownID := "attacker-chosen-session-id-000000"

	cases := map[string]string{
		"signature changed":    url.QueryEscape("s:" + victimID + sig[:len(sig)-1] + flip(sig[len(sig)-1])),
		"id changed":           url.QueryEscape("s:" + flipLast(victimID) + sig),
		"unsigned id":          victimID,
		"unsigned with s:":     url.QueryEscape("s:" + victimID),
		"other secret":         encodeCookieValue(victimID, "not-our-secret"),
		"garbage":              "%%%zz not a cookie",
		"empty":                "",
		"gorilla securecookie": "MTcwMDAwMDAwMHxEdi1CQkFFQ180SUFBUkFCRUFBQUJQLUNBQUE9fA==",
		"signed unknown id":    encodeCookieValue(unknownID, "test-secret"),
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			presented := &http.Cookie{Name: cookieName, Value: value}
			presentedID, _ := decodeCookieValue(value, []string{"test-secret", "not-our-secret"})
			before := env.count()

			sess, err := env.store.load(request(presented), httptest.NewRecorder(), nil)
			if err != nil {
				t.Fatalf("load returned an error for a bad cookie: %v", err)
			}
			if sess.ID() != "" || sess.Get("isLoggedIn") != nil {
				t.Fatalf("bad cookie gave a session: ID=%q isLoggedIn=%v", sess.ID(), sess.Get("isLoggedIn"))
			}
			if c := env.save(sess); c != nil || env.count() != before {
				t.Fatal("an untouched anonymous session was stored")
			}

			// Using the session now must create a brand-new id, never the presented one.
			sess.Set("cart", "x")
			c := env.save(sess)
			if c == nil {
				t.Fatal("no cookie for the new session")
			}
			newID := env.idOf(c)
			if newID == victimID || newID == unknownID || (presentedID != "" && newID == presentedID) {
				t.Fatalf("the presented id %q was reused", newID)
			}
			if presentedID != "" && presentedID != victimID && env.doc(presentedID) != nil {
				t.Fatal("a document was created under the presented id")
			}
		})
	}
	// The victim's session is untouched by all of this.
	if doc := env.doc(victimID); doc == nil || doc.Lookup("session", "cart").Type != 0 {
		t.Fatal("the victim's session was changed")
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func flipLast(s string) string { return s[:len(s)-1] + flip(s[len(s)-1]) }
