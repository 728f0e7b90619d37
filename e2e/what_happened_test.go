package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// "What just happened" (issue 18 §1) in the browser: after each lab action the page the redirect
// lands on shows the action's request (its Cookie header, the store's commands and decisions,
// its Set-Cookie lines, the Node line) above its own, and what became of a session the action
// ended.

// requestTexts is the visible text of each request of the "What just happened" panel, in order.
func (j *journey) requestTexts() []string {
	j.t.Helper()
	return j.texts("#what-happened article.request")
}

// TestWhatJustHappenedShowsTheCookieCommandsAndTheEndedSession: set a value (the POST's answer
// carries the new connect.sid, shortened, after an insert), forget the cookie (the orphan is
// looked up and still there), destroy (the lookup finds no document).
func TestWhatJustHappenedShowsTheCookieCommandsAndTheEndedSession(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.openOK("/lessons/session")
	if reqs := j.requestTexts(); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "GET /lessons/session") {
		t.Errorf("a page that no action redirected to shows %q, want only its own GET", reqs)
	}

	j.setLessonValue("color", "blue", false)
	if q, _ := url.ParseQuery(eval[string](j, `location.search.slice(1)`)); q.Get("happened") == "" {
		t.Errorf("the redirect after set a value carries no happened= (address %s)", eval[string](j, `location.href`))
	}
	id := j.sessionID()
	reqs := j.requestTexts()
	if len(reqs) != 2 {
		t.Fatalf("What just happened shows %d requests, want the POST and this page's GET:\n%s", len(reqs), strings.Join(reqs, "\n---\n"))
	}
	j.mustContain("the POST", reqs[0], "POST /lessons/session/value", "req.session.lesson[key] = value; req.session.save(",
		"new: the browser sent no connect.sid cookie", // viewing the lab stored no session
		"insert sessions", `"`+id[:6]+`…"`, "inserted: something was put in a new session",
		"connect.sid=s%3A"+id[:6]+"….")
	setCookie := j.text(`#what-happened article.request:first-of-type .set-cookies li`)
	if !strings.HasPrefix(setCookie, "connect.sid=s%3A"+id[:6]+"….") || !strings.Contains(setCookie, "HttpOnly") {
		t.Errorf("the POST's Set-Cookie line is %q, want connect.sid=s%%3A%s….<signature>…; ...; HttpOnly", setCookie, id[:6])
	}
	j.mustContain("the landing GET", reqs[1], "GET /lessons/session", "connect.sid=s%3A"+id[:6]+"…", "found", "find sessions")
	j.mustNotContain("the panel", j.text("#what-happened"), id)
	j.mustNotContain("the page", j.body(), id)

	// Forget the cookie: the document is looked up by the ended session's id and is still there.
	if status := j.follow("#forget-cookie"); status != 200 {
		t.Fatalf("forget the cookie: status %d", status)
	}
	reqs = j.requestTexts()
	j.mustContain("the forget-cookie POST", reqs[0], "POST /lessons/session/forget-cookie", "res.clearCookie('connect.sid')",
		"connect.sid=s%3A"+id[:6]+"…", "not deleted: only the cookie was expired")
	j.mustContain("the ended session", j.text("#ended-session"), `db.sessions.findOne({_id: "`+id[:6]+`…"})`, "still there", "orphaned")
	j.mustContain("the orphan document", j.text("#ended-document"), `"_id": "`+id[:6]+`…"`, `"color": "blue"`)
	if !sessionStored(t, j.shop, id) {
		t.Fatal("forget-cookie deleted the document the panel says is still there")
	}

	// Destroy a session with a value in it: the lookup of its id finds nothing.
	j.setLessonValue("color", "green", false)
	second := j.sessionID()
	if second == id {
		t.Fatal("the browser still sends the forgotten id")
	}
	if status := j.follow("#destroy-session"); status != 200 {
		t.Fatalf("destroy: status %d", status)
	}
	reqs = j.requestTexts()
	j.mustContain("the destroy POST", reqs[0], "POST /lessons/session/destroy", "req.session.destroy(", "delete sessions", "deleted by destroy")
	ended := j.text("#ended-session")
	j.mustContain("the ended session", ended, `db.sessions.findOne({_id: "`+second[:6]+`…"})`, "no document")
	j.mustNotContain("the ended session", ended, "still there")
	if j.count("#ended-document") != 0 {
		t.Error("after destroy the panel shows a document")
	}
	if sessionStored(t, j.shop, second) {
		t.Error("destroy left the document the panel says is gone")
	}
}
