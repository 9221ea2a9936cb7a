//go:build !unix

package site

import (
	"io"
	"os"
)

// mapFile reads f whole: on systems without mmap in package syscall, each
// server holds its own copy of the pages.
func mapFile(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, int64(size)), b); err != nil {
		return nil, err
	}
	return b, nil
}
