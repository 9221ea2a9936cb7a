//go:build !linux

package pdftext

import (
	"os/exec"
)

// limitMemory has no address-space limit to set outside Linux; the child is
// still bounded by debug.SetMemoryLimit and by its time limit.
func limitMemory(limit uint64) error { return nil }

// limitedCommand runs name without a memory limit (there is none to set
// here); the parent's time limit still holds.
func limitedCommand(limit uint64, name string, args ...string) *exec.Cmd {
	return exec.Command(name, args...)
}

func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func peakRSS(cmd *exec.Cmd) int64 { return 0 }
