package pdftext

import (
	"bufio"
	"fmt"
	"io"
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

// execLimited becomes argv (looked up in PATH) with its address space
// limited to limit bytes, which the program keeps: this is how Tesseract
// runs under the same kind of limit as our own child. It returns only if
// the exec fails.
func execLimited(limit uint64, argv []string, stderr io.Writer) int {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv[0], err)
		return 127
	}
	if limit > 0 {
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			fmt.Fprintf(stderr, "setting memory limit: %v\n", err)
			return 1
		}
	}
	err = syscall.Exec(path, argv, os.Environ())
	fmt.Fprintf(stderr, "%s: %v\n", path, err)
	return 126
}
