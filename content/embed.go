// Package content embeds the archive's publications so that one binary can
// be copied to a server and run. Staff edit the Markdown bundles beside this
// file; the Go file itself is ignored by the loader.
package content

import "embed"

// FS holds every publication and attachment.
//
//go:embed *
var FS embed.FS
