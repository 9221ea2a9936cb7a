// Package atomicfile writes a file, or a folder of files, whole or not at
// all: into a temporary one beside it, synced to disk and renamed into place
// once complete. A reader never sees a half-written file, a process that has
// the old file open or mapped goes on reading the old one, and a power cut
// leaves the old version or the new one, never a mix: the data reaches the
// disk before the rename does, and the rename before Write returns.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
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
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(name))
}

// Marker is the file WriteDir puts last into a folder it completes.
const Marker = "complete"

// Complete reports whether dir is a folder that WriteDir finished.
func Complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, Marker))
	return err == nil
}

// WriteDir makes the folder dir with what fill writes into the folder it is
// given: a new temporary folder beside dir, whose files and folders are
// synced, marked complete and renamed to dir. A dir left unfinished by a
// crash is replaced. When dir is already complete (another process sharing
// a cache made the same folder first), that one is kept and the new one
// dropped: folders made under one name hold the same thing.
func WriteDir(dir string, fill func(tmp string) error) (err error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, Marker), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return err
	}
	if Complete(dir) {
		os.RemoveAll(tmp)
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if Complete(dir) { // finished by another process just now
			os.RemoveAll(tmp)
			return nil
		}
		return err
	}
	return SyncDir(parent)
}

// syncTree syncs every file and folder under dir, deepest first, so that a
// folder's entries are on disk before the folder that names them.
func syncTree(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := SyncDir(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

// SyncDir makes a folder's entries (a rename into it) durable, for a file
// finished by other means than Write (a pages file filled while mapped).
// Some file systems cannot sync a folder; their renames are as durable as
// they get.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
