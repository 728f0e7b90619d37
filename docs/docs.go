// Package docs embeds the course map (COURSE.md), so the running shop can serve it at
// /lessons/course without the repository beside it.
package docs

import _ "embed"

// CourseMap is COURSE.md: every file and lesson call of the Node course app with its Go twin.
//
//go:embed COURSE.md
var CourseMap []byte
