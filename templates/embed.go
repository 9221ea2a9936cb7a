// Package templates holds the site's HTML templates, embedded so that one
// binary carries them. The server reads the folder from disk instead when it
// exists beside the binary, so edits show without a rebuild.
package templates

import "embed"

// FS holds every template file.
//
//go:embed *.html *.xml
var FS embed.FS
