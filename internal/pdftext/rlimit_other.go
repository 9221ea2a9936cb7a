//go:build !linux

package pdftext

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// limitMemory has no address-space limit to set outside Linux; the child is
// still bounded by debug.SetMemoryLimit and by its time limit.
func limitMemory(limit uint64) error { return nil }

// execLimited runs argv without a memory limit (there is none to set here),
// passing its output through; the parent's time limit still holds.
func execLimited(limit uint64, argv []string, stderr io.Writer) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv[0], err)
		return 127
	}
	return 0
}

func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func peakRSS(cmd *exec.Cmd) int64 { return 0 }
