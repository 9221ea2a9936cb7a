//go:build unix

package server

import "syscall"

// descriptorLimit is the process's soft RLIMIT_NOFILE, first raised to the
// hard limit if it is below. Go raises it at start on most systems (to one
// below the hard limit, the mark it uses to notice another process
// changing it), so this only acts where Go did not.
func descriptorLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	if lim.Cur < lim.Max-1 {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return int(min(lim.Cur, 1<<30))
}
