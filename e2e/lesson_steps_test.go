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
	t.Parallel()
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

// box is an element's getBoundingClientRect.
type box struct{ Left, Right, Top, Bottom, Width, Height float64 }

func (j *journey) box(sel string) box {
	j.t.Helper()
	return eval[box](j, `(() => { const r = `+one(sel)+`.getBoundingClientRect();
		return {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom, Width: r.width, Height: r.height} })()`)
}

// apart is the gap between two buttons: horizontal when they share a row, else vertical.
func apart(a, b box) float64 {
	if a.Top == b.Top {
		return b.Left - a.Right
	}
	return b.Top - a.Bottom
}

// The layout defects of the lesson pages: radios beside their labels, "Forget the cookie" and
// "Destroy the session" of equal widths with a gap, the cookie lesson's two buttons on one line
// with a gap, the forms on the text column, headers and JSON not cut inside a token (at 1280 and
// 390 px).
func TestLessonFormsLineUpAndTokensStayWhole(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	j.openOK("/lessons/session")
	j.setLessonValue("color", "blue", false) // a stored session: the lab shows its document
	for _, width := range []int64{desktopWidth, 390} {
		j.viewport(width, desktopHeight)
		j.openOK("/lessons/session")
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
		// Forget and Destroy: the same width, side by side (or stacked on a phone) with a gap,
		// the first on the text column's left edge.
		forget, destroy := j.box("#forget-cookie"), j.box("#destroy-session")
		if d := forget.Width - destroy.Width; d < -0.5 || d > 0.5 {
			t.Errorf("at %d px Forget is %.1f px and Destroy %.1f px wide, want equal widths", width, forget.Width, destroy.Width)
		}
		if gap := apart(forget, destroy); gap < 8 {
			t.Errorf("at %d px Forget and Destroy are %.0f px apart, want a gap", width, gap)
		}
		if forget.Height != destroy.Height {
			t.Errorf("at %d px Forget is %.0f px and Destroy %.0f px high (a label wrapped)", width, forget.Height, destroy.Height)
		}
		if width == desktopWidth && forget.Top != destroy.Top {
			t.Errorf("at %d px Forget (top %.0f) and Destroy (top %.0f) are not side by side", width, forget.Top, destroy.Top)
		}
		text := j.box("#panel-destroy p:not(.lab-source)")
		if d := forget.Left - text.Left; d < -1 || d > 1 {
			t.Errorf("at %d px Forget is %.0f px off the text column", width, d)
		}
		if destroy.Right > text.Right+1 {
			t.Errorf("at %d px Destroy sticks out of the text column (right %.0f > %.0f)", width, destroy.Right, text.Right)
		}
		// The form starts on the text column's left edge.
		if d := j.box("#lesson-form").Left - j.box("#panel-set p").Left; d < -1 || d > 1 {
			t.Errorf("at %d px the lab's form is %.0f px off the text column", width, d)
		}
		// No line of the document or of a header is broken inside a token: every pre keeps its lines.
		if wraps := eval[bool](j, `getComputedStyle(`+one("#session-document")+`).whiteSpace !== "pre"`); wraps {
			t.Errorf("at %d px the session document wraps its lines", width)
		}

		// The cookie lesson: Set cookie on the form's left edge, Delete beside it on the same
		// line (same top, same height), with a gap.
		j.openOK("/lessons/cookie")
		set, del := j.box(`form[action="/lessons/cookie"] button[type="submit"]:not([formaction])`), j.box(`button[formaction="/lessons/cookie/delete"]`)
		if set.Top != del.Top || set.Height != del.Height {
			t.Errorf("at %d px Set cookie (top %.0f, height %.0f) and Delete the cookie (top %.0f, height %.0f) are not aligned",
				width, set.Top, set.Height, del.Top, del.Height)
		}
		if gap := del.Left - set.Right; gap < 8 {
			t.Errorf("at %d px Set cookie and Delete the cookie are %.0f px apart, want a gap", width, gap)
		}
		form := j.box(".lesson-form")
		if d := set.Left - form.Left; d < -1 || d > 1 {
			t.Errorf("at %d px Set cookie is %.0f px off the form's left edge", width, d)
		}
		if d := form.Left - j.box("main.lesson > p").Left; d < -1 || d > 1 {
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
