//go:build !linux

package pdftext

import "os/exec"

// limitMemory has no address-space limit to set outside Linux; the child is
// still bounded by debug.SetMemoryLimit and by its time limit.
func limitMemory(limit uint64) error { return nil }

func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func peakRSS(cmd *exec.Cmd) int64 { return 0 }
