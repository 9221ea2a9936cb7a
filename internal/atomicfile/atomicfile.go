// Package atomicfile writes a file whole or not at all: into a temporary
// file beside it, renamed into place once complete. A reader never sees a
// half-written file, and a process that has the old file open or mapped
// goes on reading the old one.
package atomicfile

import (
	"bufio"
	"os"
	"path/filepath"
)

// Write writes name with what write puts into w. The file gets mode 0644,
// not the temporary file's 0600: the server reading a build or a cache may
// run as another user than the process that wrote it.
func Write(name string, write func(w *bufio.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil { // reports the first write error too
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
