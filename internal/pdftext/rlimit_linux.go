package pdftext

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// limitMemory caps the address space of this process at what it uses now
// plus limit. The Go runtime reserves about a gigabyte of address space at
// start, so an absolute RLIMIT_AS of "1 GiB" would stop it from doing
// anything; what is counted against the limit is the growth.
func limitMemory(limit uint64) error {
	cur := vmSize()
	as := cur + limit
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: as, Max: as})
}

func vmSize() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmSize:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ownGroup puts the child in a process group of its own, so that a kill
// reaches anything it started too.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Process.Kill()
	}
}

func peakRSS(cmd *exec.Cmd) int64 {
	if cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}

// limitedCommand runs name under an address-space limit of limit bytes
// (none if 0). A shell sets the limit and then becomes the program. Setting
// it in a Go process before an exec would not do: the limit applies at once
// to that process's own runtime, far larger than Tesseract needs to start,
// and a thread or a heap arena it maps before the exec kills it.
func limitedCommand(limit uint64, name string, args ...string) *exec.Cmd {
	if limit == 0 {
		return exec.Command(name, args...)
	}
	script := "ulimit -v " + strconv.FormatUint(max(limit>>10, 1), 10) + ` && exec "$0" "$@"`
	return exec.Command("/bin/sh", append([]string{"-c", script, name}, args...)...)
}
