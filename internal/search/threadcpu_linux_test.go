package search_test

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPUTime is the CPU time of the calling thread, to the nanosecond
// (CLOCK_THREAD_CPUTIME_ID). Getrusage's RUSAGE_THREAD counts in ticks:
// most searches took none, and some a whole tick.
func threadCPUTime() time.Duration {
	const clockThreadCPUTime = 3
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
