//go:build unix

package mapped

import (
	"os"
	"syscall"
)

// Map maps size bytes of f read-only and shared, so that processes serving
// the same file share its pages in the system's cache, and only the pages
// read count in a process's memory. The mapping outlives f's closing.
func Map(f *os.File, size int) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}

// Unmap undoes Map. Nothing may read data after it.
func Unmap(data []byte) error {
	if data == nil {
		return nil
	}
	return syscall.Munmap(data)
}
