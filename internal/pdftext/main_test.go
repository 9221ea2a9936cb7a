package pdftext_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"archive/internal/pdftext"
)

func TestMain(m *testing.M) {
	// Started as `TESTBINARY pdftext ...`, this binary is `archive pdftext`:
	// Main starts os.Executable() as its child, and this is the fallback
	// child when the go tool cannot build testdata/child. (Not an
	// environment variable: fuzzing workers inherit the environment.)
	if len(os.Args) > 1 && os.Args[1] == "pdftext" {
		os.Exit(pdftext.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if childDir != "" {
		os.RemoveAll(childDir)
	}
	os.Exit(code)
}

var (
	childOnce    sync.Once
	childDir     string
	childCommand []string
)

// testCommand is the argv of `archive pdftext` for Extractors in tests. The
// child is built on first use (fuzzing workers never need it) and without
// -race even when the tests run with it: the race runtime cannot live under
// an address-space limit, and in process under -race the big corpus files
// take minutes.
func testCommand() []string {
	childOnce.Do(func() {
		childCommand = []string{os.Args[0], "pdftext"}
		dir, err := os.MkdirTemp("", "pdftext-child")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		childDir = dir
		bin := filepath.Join(dir, "archive")
		if out, err := exec.Command("go", "build", "-o", bin, "./testdata/child").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the child (falling back to this test binary): %v\n%s", err, out)
			return
		}
		childCommand = []string{bin, "pdftext"}
	})
	return childCommand
}
