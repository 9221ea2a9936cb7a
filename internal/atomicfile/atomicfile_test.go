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
