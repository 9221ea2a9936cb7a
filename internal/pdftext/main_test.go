package pdftext_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"archive/internal/pdftext"
)

// childCommand is the argv of `archive pdftext` for Extractors in tests.
var childCommand []string

func TestMain(m *testing.M) {
	// Started as `TESTBINARY pdftext ...`, this binary is `archive pdftext`:
	// Main starts os.Executable() as its child, and this is the fallback
	// child when the go tool cannot build testdata/child. (Not an
	// environment variable: fuzzing workers inherit the environment.)
	if len(os.Args) > 1 && os.Args[1] == "pdftext" {
		os.Exit(pdftext.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "pdftext-child")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The child is built without -race even when the tests run with it:
	// the race runtime cannot live under an address-space limit.
	bin := filepath.Join(dir, "archive")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/child").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the child (falling back to this test binary): %v\n%s", err, out)
		bin = os.Args[0]
	}
	childCommand = []string{bin, "pdftext"}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testCommand runs `archive pdftext` in a child process.
func testCommand() []string { return childCommand }
