// Package e2e holds Gin Shop's browser journeys: tests that start the real app on a real port
// (embedded FerretDB in a temporary directory) and drive Debian's Chromium through the DevTools
// protocol with github.com/chromedp/chromedp, asserting on what the pages show.
//
// The package has only tests; run them with `go test ./e2e/` (part of `go test ./...`). See the
// docs/TESTING.md section "Browser tests" for the browser it needs, failure artifacts and screenshots.
package e2e
