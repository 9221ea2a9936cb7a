//go:build !unix

package mapped

import (
	"io"
	"os"
)

// Map reads f whole: on systems without mmap in package syscall, each
// process holds its own copy.
func Map(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, int64(size)), b); err != nil {
		return nil, err
	}
	return b, nil
}

// Unmap lets the copy go to the collector.
func Unmap([]byte) error { return nil }
