package sessionstore

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/tester"
	"github.com/gin-gonic/gin"
)

// gin-contrib/sessions ships a conformance suite for stores; these run it against
// this store on the embedded FerretDB.

func newTesterStore(t *testing.T) sessions.Store {
	return newTestEnv(t).store
}

func TestGinContribSuiteGetSet(t *testing.T)     { tester.GetSet(t, newTesterStore) }
func TestGinContribSuiteDeleteKey(t *testing.T)  { tester.DeleteKey(t, newTesterStore) }
func TestGinContribSuiteFlashes(t *testing.T)    { tester.Flashes(t, newTesterStore) }
func TestGinContribSuiteClear(t *testing.T)      { tester.Clear(t, newTesterStore) }
func TestGinContribSuiteMany(t *testing.T)       { tester.Many(t, newTesterStore) }
func TestGinContribSuiteManyStores(t *testing.T) { tester.ManyStores(t, newTesterStore) }

// tester.Options is not run: it conflicts with the contract's cookie attributes. It
// calls store.Options(sessions.Options{Domain: "localhost"}) and session.Options(
// sessions.Options{SameSite: Strict}) and then requires the second attribute of the
// Set-Cookie line to be "Domain=localhost" / "SameSite=Strict", i.e. a cookie with no
// Path. This store always sends Path=/ (and HttpOnly, and Expires/Max-Age), because
// express-session does and because a logout cookie without the login cookie's path
// would not delete it. The test below makes the same requests and checks the same
// options take effect, with the contract's attributes.
func TestGinContribOptionsTakeEffectWithContractDefaults(t *testing.T) {
	store := newTesterStore(t)
	store.Options(sessions.Options{Domain: "localhost"})
	r := gin.New()
	r.Use(sessions.Sessions("mysession", store))
	set := func(opts *sessions.Options) gin.HandlerFunc {
		return func(c *gin.Context) {
			s := sessions.Default(c)
			s.Set("key", "ok")
			if opts != nil {
				s.Options(*opts)
			}
			if err := s.Save(); err != nil {
				t.Error(err)
			}
		}
	}
	r.GET("/domain", set(&sessions.Options{Path: "/foo/bar/bat"}))
	r.GET("/path", set(nil))
	r.GET("/sameSite", set(&sessions.Options{SameSite: http.SameSiteStrictMode}))
	r.GET("/expire", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Options(sessions.Options{MaxAge: -1})
		if err := s.Save(); err != nil {
			t.Error(err)
		}
	})

	serve := func(path string, cookie string) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		r.ServeHTTP(rec, req)
		return rec.Header().Get("Set-Cookie")
	}
	want := map[string][]string{
		"/domain":   {"; Path=/foo/bar/bat;", "; Domain=localhost;", "; HttpOnly"},
		"/path":     {"; Path=/;", "; Domain=localhost;", "; HttpOnly", "; SameSite=Lax"},
		"/sameSite": {"; Path=/;", "; Domain=localhost;", "; SameSite=Strict"},
	}
	for path, attrs := range want {
		line := serve(path, "")
		for _, a := range attrs {
			if !strings.Contains(line, a) {
				t.Errorf("%s: cookie lacks %q: %s", path, a, line)
			}
		}
	}

	// MaxAge -1 destroys the session: the cookie is expired and no longer opens it.
	line := serve("/path", "")
	cookie := line[:strings.IndexByte(line, ';')]
	expired := serve("/expire", cookie)
	if !strings.Contains(expired, "; Max-Age=0") || !strings.Contains(expired, "; Domain=localhost;") {
		t.Errorf("/expire: %s", expired)
	}
	r.GET("/check", func(c *gin.Context) {
		if v := sessions.Default(c).Get("key"); v != nil {
			t.Errorf("destroyed session still has key = %v", v)
		}
	})
	serve("/check", cookie)
}
