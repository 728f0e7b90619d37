package sessionstore

// Every value the app keeps in a session, declared once. The names are the Node course's
// (req.session.isLoggedIn, req.session.user, csurf's req.session.csrfSecret, connect-flash's
// req.session.flash), so the document reads the same whichever app wrote it.
const (
	KeyIsLoggedIn = "isLoggedIn" // req.session.isLoggedIn = true
	KeyUser       = "user"       // req.session.user: {_id, email}; never a password hash or a cart
	KeyCSRFSecret = "csrfSecret" // the secret the forms' masked CSRF tokens come from (csurf)
	KeyFlash      = "flash"      // connect-flash's {type: [messages]}, through AddFlash and Flashes
	KeyLesson     = "lesson"     // the session lab's values: req.session.lesson[key] = value

	// KeyLessonProgress holds the lesson steps this visitor has done (/lessons).
	KeyLessonProgress = "lessonProgress"
	// KeyLessonSetCookie holds the last Set-Cookie line the raw-cookie lesson sent.
	KeyLessonSetCookie = "lessonSetCookie"

	// cookieKey is express-session's req.session.cookie in the document: never a value.
	cookieKey = "cookie"
)

// ReservedKeys are the names a session value may not take in the lab: the app's own keys,
// express-session's cookie, and names that mean something to JavaScript objects.
var ReservedKeys = []string{cookieKey, KeyIsLoggedIn, KeyUser, KeyCSRFSecret, KeyFlash, KeyLesson,
	KeyLessonProgress, KeyLessonSetCookie, "__proto__", "constructor", "prototype"}

// defaultFlashType is connect-flash's type for AddFlash(msg) without one: req.flash('info', msg).
const defaultFlashType = "info"
