// Package static holds the site's stylesheet and icons, embedded so that one
// binary carries them.
package static

import "embed"

// FS holds every static file.
//
//go:embed *.css *.svg
var FS embed.FS
