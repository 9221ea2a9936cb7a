package atomicfile_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"archive/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("cut short")
	err := atomicfile.Write(name, func(w *bufio.Writer) error {
		w.WriteString("half")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "old" {
		t.Errorf("a failed write left %q, want the old file", b)
	}
	if err := atomicfile.Write(name, func(w *bufio.Writer) error { _, err := w.WriteString("new"); return err }); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "new" || info.Mode().Perm() != 0o644 {
		t.Errorf("file %q with mode %v, want \"new\" with 0644", b, info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the folder, want no temporary file left", len(entries))
	}
}

func TestWriteDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "state")
	failed := errors.New("cut short")
	err := atomicfile.WriteDir(dir, func(tmp string) error {
		os.WriteFile(filepath.Join(tmp, "half"), []byte("x"), 0o644)
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("WriteDir = %v, want the fill's error", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("a failed WriteDir left %d entries", len(entries))
	}
	// A folder a crash left unfinished is replaced.
	os.MkdirAll(filepath.Join(dir, "stale"), 0o755)
	fill := func(content string) func(string) error {
		return func(tmp string) error {
			if err := os.MkdirAll(filepath.Join(tmp, "sub"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(tmp, "sub", "f"), []byte(content), 0o644)
		}
	}
	if err := atomicfile.WriteDir(dir, fill("first")); err != nil {
		t.Fatal(err)
	}
	if !atomicfile.Complete(dir) {
		t.Fatal("not complete")
	}
	if _, err := os.Stat(filepath.Join(dir, "stale")); err == nil {
		t.Error("the unfinished folder's files are still there")
	}
	// A complete one is kept: another process made it first.
	if err := atomicfile.WriteDir(dir, fill("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub", "f")); string(b) != "first" {
		t.Errorf("the complete folder holds %q, want the first one kept", b)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("%d entries beside the folder, want no temporary one left", len(entries))
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o755 {
		t.Errorf("folder mode %v, want 0755", info.Mode().Perm())
	}
}
