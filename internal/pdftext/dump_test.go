package pdftext_test

import (
	"fmt"
	"os"
	"testing"

	"archive/internal/pdftext"
)

// TestDump prints a file's text when PDFTEXT_DUMP names it; a tool for
// looking at output while working on the layout, skipped otherwise.
func TestDump(t *testing.T) {
	path := os.Getenv("PDFTEXT_DUMP")
	if path == "" {
		t.Skip("set PDFTEXT_DUMP=file.pdf to print its text")
	}
	doc, err := pdftext.Extract(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Pages {
		fmt.Printf("%s\n--- page %d err=%q notext=%v\f\n", p.Text, p.Number, p.Err, p.NoText)
	}
}
