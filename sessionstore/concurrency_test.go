package sessionstore

import (
	"fmt"
	"maps"
	"net/http"
	"sync"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// inParallel sends n requests with cookie through the Middleware at once. Every request loads
// the session before any of them changes it (as when a browser fires parallel requests), then
// change edits the i-th request's session and it saves.
func (e *testEnv) inParallel(cookie *http.Cookie, n int, change func(i int, s sessions.Session)) {
	e.t.Helper()
	var loaded, done sync.WaitGroup
	start := make(chan struct{})
	loaded.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			rec := e.serve(http.MethodPost, cookie, func(c *gin.Context) {
				loaded.Done()
				<-start
				s := sessions.Default(c)
				change(i, s)
				if err := s.Save(); err != nil {
					e.t.Errorf("request %d: Save: %v", i, err)
				}
			})
			if rec.Code != http.StatusOK {
				e.t.Errorf("request %d: status %d", i, rec.Code)
				loaded.Done() // the handler never ran
			}
		}()
	}
	loaded.Wait()
	close(start)
	done.Wait()
}

// Issue 17, point 7: express-session rewrites the whole session, so parallel requests lose each
// other's keys; Gin Shop writes only the keys a request changed.
func TestTwentyParallelSavesOfDifferentKeysAllSurvive(t *testing.T) {
	const n = 20

	t.Run("top-level keys", func(t *testing.T) {
		env := newTestEnv(t)
		cookie := env.login(map[string]any{KeyIsLoggedIn: true})
		env.inParallel(cookie, n, func(i int, s sessions.Session) { s.Set(fmt.Sprintf("k%02d", i), i) })
		doc := env.doc(env.idOf(cookie))
		for i := range n {
			if v, ok := doc.Lookup("session", fmt.Sprintf("k%02d", i)).AsInt64OK(); !ok || v != int64(i) {
				t.Errorf("session.k%02d lost", i)
			}
		}
		if !doc.Lookup("session", KeyIsLoggedIn).Boolean() {
			t.Errorf("the value no request changed was lost: %s", doc)
		}
	})

	// The session lab keeps its values in one map, session.lesson: each request adds its key to
	// the map it loaded, and only that sub-key is written.
	lessonKeys := func(t *testing.T, env *testEnv, cookie *http.Cookie) {
		t.Helper()
		env.inParallel(cookie, n, func(i int, s sessions.Session) {
			lesson := map[string]any{}
			if m, ok := s.Get(KeyLesson).(map[string]any); ok {
				maps.Copy(lesson, m)
			}
			lesson[fmt.Sprintf("k%02d", i)] = fmt.Sprint("value ", i)
			s.Set(KeyLesson, lesson)
		})
		doc := env.doc(env.idOf(cookie))
		for i := range n {
			if v, _ := doc.Lookup("session", KeyLesson, fmt.Sprintf("k%02d", i)).StringValueOK(); v != fmt.Sprint("value ", i) {
				t.Errorf("session.lesson.k%02d lost", i)
			}
		}
	}
	t.Run("lesson sub-keys", func(t *testing.T) {
		env := newTestEnv(t)
		cookie := env.login(map[string]any{KeyLesson: map[string]any{"first": "kept"}})
		lessonKeys(t, env, cookie)
		if v, _ := env.doc(env.idOf(cookie)).Lookup("session", KeyLesson, "first").StringValueOK(); v != "kept" {
			t.Error("the lesson value no request changed was lost")
		}
	})

	t.Run("first lesson keys", func(t *testing.T) {
		env := newTestEnv(t)
		cookie := env.login(map[string]any{KeyIsLoggedIn: true}) // no lesson stored yet
		lessonKeys(t, env, cookie)
	})
	t.Run("reading a flash keeps one added meanwhile", func(t *testing.T) {
		env := newTestEnv(t)
		cookie := env.login(map[string]any{KeyIsLoggedIn: true})
		env.visit(cookie, func(s *Session) { s.AddFlash("old error", "error") })
		env.inParallel(cookie, 2, func(i int, s sessions.Session) {
			if i == 0 {
				_ = s.Flashes("error")
			} else {
				s.AddFlash("Product added.", "success")
			}
		})
		doc := env.doc(env.idOf(cookie))
		if v, _ := doc.Lookup("session", "flash", "success", "0").StringValueOK(); v != "Product added." {
			t.Fatalf("a flash added in parallel was lost: %v", doc.Lookup("session", "flash"))
		}
		if _, err := doc.LookupErr("session", "flash", "error"); err == nil {
			t.Fatal("the flash that was read is still stored")
		}
	})

	t.Run("a deleted key beside a set", func(t *testing.T) {
		env := newTestEnv(t)
		cookie := env.login(map[string]any{"gone": "x", "lesson": map[string]any{"gone": "x", "kept": "y"}})
		env.inParallel(cookie, n, func(i int, s sessions.Session) {
			switch i {
			case 0:
				s.Delete("gone")
			case 1:
				s.Set(KeyLesson, map[string]any{"kept": "y"}) // delete req.session.lesson.gone
			default:
				s.Set(fmt.Sprintf("k%02d", i), i)
			}
		})
		doc := env.doc(env.idOf(cookie))
		if _, err := doc.LookupErr("session", "gone"); err == nil {
			t.Errorf("the deleted key is still stored: %s", doc)
		}
		if _, err := doc.LookupErr("session", KeyLesson, "gone"); err == nil {
			t.Errorf("the deleted lesson key is still stored: %s", doc)
		}
		if v, _ := doc.Lookup("session", KeyLesson, "kept").StringValueOK(); v != "y" {
			t.Errorf("session.lesson.kept lost: %s", doc)
		}
		for i := 2; i < n; i++ {
			if _, err := doc.LookupErr("session", fmt.Sprintf("k%02d", i)); err != nil {
				t.Errorf("session.k%02d lost beside the delete", i)
			}
		}

		// How a delete is written: $unset of that key alone.
		env.cmds.Reset()
		env.visit(cookie, func(s *Session) { s.Delete("k02") })
		upd := env.cmds.Last("update").Lookup("updates", "0", "u").Document()
		unset, err := upd.LookupErr("$unset")
		if err != nil {
			t.Fatalf("a delete was not an $unset: %s", upd)
		}
		if keys := fieldNames(t, unset.Document()); len(keys) != 1 || keys[0] != "session.k02" {
			t.Errorf("$unset %v, want session.k02 alone", keys)
		}
	})
}

// fieldNames lists a document's keys in order.
func fieldNames(t *testing.T, doc bson.Raw) []string {
	t.Helper()
	elems, err := doc.Elements()
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(elems))
	for i, e := range elems {
		keys[i] = e.Key()
	}
	return keys
}
