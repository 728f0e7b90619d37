package e2e

import (
	"slices"
	"testing"
)

// tickedSteps is the numbers of the steps /lessons shows as done.
func (j *journey) tickedSteps() []string {
	j.t.Helper()
	j.openOK("/lessons")
	return eval[[]string](j, `Array.from(document.querySelectorAll(".lesson-step--done"), li => li.id.replace("step-", ""))`)
}

func (j *journey) expectTicked(want ...string) {
	j.t.Helper()
	if got := j.tickedSteps(); !slices.Equal(got, want) {
		j.t.Fatalf("ticked steps %v, want %v", got, want)
	}
}

// TestLessonJourneyTicksEveryStep walks the twelve steps as a student does, from each step's
// "Do it" link, pressing the pages' own buttons, and sees every tick appear; "Start again"
// clears them.
func TestLessonJourneyTicksEveryStep(t *testing.T) {
	j := startJourney(t)
	j.expectTicked()

	// Steps 1–3: the raw cookie, from step 2's link.
	j.follow(`#step-2 a.step-go`)
	j.fill("#value", "true")
	j.follow(`form[action="/lessons/cookie"] button[type="submit"]`)
	j.mustContain("document.cookie beside the header", j.text("#document-cookie"), "document.cookie")
	j.mustNotContain("document.cookie with HttpOnly", j.text("#document-cookie"), "loggedIn=")
	j.expectTicked("1", "2", "3")

	// Steps 4 and 6: open the lab from step 4; it shows the session the cookie lesson's form started.
	j.follow(`#step-4 a.step-go`)
	j.expectTicked("1", "2", "3", "4", "6")

	// Steps 5 and 8: tamper, from step 5's link; the page lands on the cookie panel with the
	// refusal, and the new session's cookie is generated without being asked for.
	j.follow(`#step-5 a.step-go`)
	if status := j.follow("#tamper-cookie"); status != 200 {
		t.Fatalf("tamper: status %d", status)
	}
	j.mustContain("after tampering", j.text("#tampered"), "the store refused the cookie")
	j.mustContain("the cookie panel", j.text("#cookie-verdict"), "no: the store ignores this cookie")
	if hash := eval[string](j, `location.hash`); hash != "#panel-cookie" {
		t.Errorf("after tampering the page is at %q, want #panel-cookie", hash)
	}
	j.expectTicked("1", "2", "3", "4", "5", "6", "8")

	// Steps 7, 9, 10: set a value, reload.
	j.follow(`#step-7 a.step-go`)
	j.setLessonValue("color", "blue", false)
	j.reload()
	j.expectTicked("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")

	// Step 12: redirect first, and see the page before the value.
	j.follow(`#step-12 a.step-go`)
	j.setLessonValue("late", "after the redirect", true)
	j.mustExist("#pending-save")
	j.expectTicked("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12")

	// Step 11: forget the cookie, then destroy a session.
	j.follow(`#step-11 a.step-go`)
	j.follow("#forget-cookie")
	j.mustExist("#orphan")
	j.mustContain("the orphan's local time", j.text("#orphan"), "your time:")
	j.follow("#destroy-session")
	j.mustExist("#destroyed")
	all := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	j.expectTicked(all...)
	j.mustContain("the summary", j.text("#progress-summary"), "12 of 12")

	j.follow("#restart")
	j.expectTicked()
}

// The layout defects of the lesson pages: radios beside their labels, buttons side by side with a
// gap and of their own widths, the forms on the text column, headers and JSON not cut inside a
// token (at 1280 and 390 px).
func TestLessonFormsLineUpAndTokensStayWhole(t *testing.T) {
	j := startJourney(t)
	for _, width := range []int64{desktopWidth, 390} {
		j.viewport(width, desktopHeight)
		j.openOK("/lessons/session")
		j.reload()
		// Each radio button sits on the line of its label text.
		for _, id := range []string{"mode-save", "mode-redirect-first"} {
			dy := eval[float64](j, `(() => { const r = document.getElementById("`+id+`"), l = r.closest("label");
				const a = r.getBoundingClientRect(), b = l.getBoundingClientRect();
				return Math.abs((a.top + a.bottom) / 2 - (b.top + Math.min(b.bottom, b.top + 2 * parseFloat(getComputedStyle(l).lineHeight || 20))) / 2) })()`)
			above := eval[bool](j, `(() => { const r = document.getElementById("`+id+`"); return r.getBoundingClientRect().bottom <= r.closest("label").getBoundingClientRect().top + 1 })()`)
			sameLine := eval[bool](j, `(() => { const r = document.getElementById("`+id+`"), rr = r.getBoundingClientRect();
				const range = document.createRange(); range.selectNodeContents(r.closest("label")); range.setStartAfter(r);
				const t = range.getClientRects()[0]; return t && Math.abs(t.top - rr.top) < rr.height + 4 && t.left >= rr.right })()`)
			if above || !sameLine {
				t.Errorf("at %d px the radio %s is not on its label's line (vertical offset %.0f)", width, id, dy)
			}
		}
		// Forget and Destroy: side by side (or wrapped) with a gap, never touching.
		gap := eval[float64](j, `(() => { const a = document.getElementById("forget-cookie").getBoundingClientRect(), b = document.getElementById("destroy-session").getBoundingClientRect();
			return a.top === b.top ? b.left - a.right : b.top - a.bottom })()`)
		if gap < 8 {
			t.Errorf("at %d px Forget and Destroy are %.0f px apart, want a gap", width, gap)
		}
		// The form starts on the text column's left edge.
		if d := eval[float64](j, `document.getElementById("lesson-form").getBoundingClientRect().left - document.querySelector("#panel-set p").getBoundingClientRect().left`); d < -1 || d > 1 {
			t.Errorf("at %d px the lab's form is %.0f px off the text column", width, d)
		}
		// No line of the document or of a header is broken inside a token: every pre keeps its lines.
		for _, sel := range []string{"#session-document"} {
			if wraps := eval[bool](j, `(() => { const p = document.querySelector("`+sel+`"); return getComputedStyle(p).whiteSpace !== "pre" })()`); wraps {
				t.Errorf("at %d px %s wraps its lines", width, sel)
			}
		}
		j.openOK("/lessons/cookie")
		gap = eval[float64](j, `(() => { const a = document.querySelector('form[action="/lessons/cookie"] button[type="submit"]').getBoundingClientRect(),
			b = document.querySelector('button[formaction="/lessons/cookie/delete"]').getBoundingClientRect();
			return a.top === b.top ? b.left - a.right : b.top - a.bottom })()`)
		if gap < 8 {
			t.Errorf("at %d px Set cookie and Delete the cookie are %.0f px apart, want a gap", width, gap)
		}
		if d := eval[float64](j, `document.querySelector(".lesson-form").getBoundingClientRect().left - document.querySelector("main.lesson > p").getBoundingClientRect().left`); d < -1 || d > 1 {
			t.Errorf("at %d px the cookie form is %.0f px off the text column", width, d)
		}
		if wraps := eval[bool](j, `getComputedStyle(document.getElementById("raw-cookie-header")).whiteSpace !== "pre"`); wraps {
			t.Errorf("at %d px the Cookie header wraps", width)
		}
		// The course map: a wide table scrolls inside itself, the page does not.
		j.openOK("/lessons/course")
		if over := eval[float64](j, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
			t.Errorf("at %d px the course map is %.0f px wider than the window", width, over)
		}
	}
}
