// Command child is `archive pdftext` alone, built by the tests without the
// race detector: a race-instrumented child cannot run under an address-space
// limit, and the memory limit is what the tests check.
package main

import (
	"os"

	"archive/internal/pdftext"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "pdftext" {
		args = args[1:]
	}
	os.Exit(pdftext.Main(args, os.Stdout, os.Stderr))
}
