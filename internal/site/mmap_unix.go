//go:build unix

package site

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of f read-only and shared, so that processes
// serving the same file share its pages in the system's cache, and only the
// pages read count in a process's memory. The mapping outlives f's closing
// and is never unmapped (see OpenPages).
func mapFile(f *os.File, size int) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}
