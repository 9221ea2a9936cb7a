package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"archive/internal/pdftext"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// testExtractor runs PDF extraction in children of a real archive binary,
// built once for the test run.
func testExtractor() *pdftext.Extractor {
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "archive-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "archive")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/archive").CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		panic(binErr)
	}
	return &pdftext.Extractor{Command: []string{binPath, "pdftext"}}
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "build archive: " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
