package pdftext_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
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
	var logs syncBuffer
	// OCR off: this is about reading the files; scans are read by OCR in
	// ocr_test.go.
	ex := &pdftext.Extractor{Command: testCommand(), Timeout: timeout, MemoryLimit: memory,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), OCR: pdftext.OCRConfig{Off: true}}
	tests := []struct {
		name    string
		wantErr string // substring of the error; "" means no error
		pages   int    // pages expected, -1 for "do not check"
		check   func(t *testing.T, d *pdftext.Document)
	}{
		// Its xref asks for a 137 GB table; the table is rebuilt instead.
		{name: "GHOSTSCRIPT-698804-1-fuzzed.pdf", pages: 1, check: func(t *testing.T, d *pdftext.Document) {
			if !d.Pages[0].NoText {
				t.Errorf("empty page not flagged: %+v", d.Pages[0])
			}
		}},
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
		{name: "issue7229.pdf", pages: 2},
		{name: "libreoffice-writer-password.pdf", wantErr: "encrypted: password required", pages: -1},
		{name: "issue7665.pdf", pages: 1, check: func(t *testing.T, d *pdftext.Document) {
			if d.Pages[0].Text != "Issue 7665" {
				t.Errorf("AES-256 file text %q", d.Pages[0].Text)
			}
		}},
		{name: "HL1396.pdf", pages: 18, check: func(t *testing.T, d *pdftext.Document) {
			if !d.Scanned() {
				t.Errorf("a scan without text layer is not flagged")
			}
			for _, p := range d.Pages {
				if !p.NoText || !p.Scan {
					t.Errorf("page %d not flagged NoText and Scan (text %q, err %q)", p.Number, p.Text, p.Err)
				}
			}
		}},
	}
	t.Cleanup(func() {
		// Each child's peak resident memory, as the Extractor logs it.
		peak := 0
		for line := range strings.Lines(logs.String()) {
			var rec struct {
				Path string `json:"path"`
				RSS  int    `json:"max_rss_mib"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if rec.RSS<<20 > memory {
				t.Errorf("%s: child peaked at %d MiB resident, limit %d MiB", rec.Path, rec.RSS, memory>>20)
			}
			peak = max(peak, rec.RSS)
		}
		t.Logf("largest child peak RSS %d MiB (limit %d MiB)", peak, memory>>20)
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
			case tt.wantErr == "" && err != nil:
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

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
