package testcorpus_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"archive/internal/testcorpus"
)

func TestTextPDFs(t *testing.T) {
	dir := t.TempDir()
	tsv := "file\tkind\tsource\n" +
		"b.pdf\ttext\tx\n" +
		"scan.pdf\tscanned\tx\n" +
		"lock.pdf\tencrypted\tx\n" +
		"bad.pdf\tbroken-xref\tx\n" +
		"a.pdf\ttext\tx\n"
	if err := os.WriteFile(filepath.Join(dir, "SOURCES.tsv"), []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := testcorpus.TextPDFs(dir)
	if err != nil || !slices.Equal(got, []string{"a.pdf", "b.pdf"}) {
		t.Errorf("TextPDFs = %q, %v; want [a.pdf b.pdf]", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SOURCES.tsv"), []byte("file\tkind\nscan.pdf\tscanned\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := testcorpus.TextPDFs(dir); err == nil {
		t.Error("a corpus without text-bearing PDFs is no error")
	}
}
