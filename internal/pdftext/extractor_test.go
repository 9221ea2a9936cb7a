package pdftext_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"archive/internal/pdftext"
)

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExtractorChild(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.pdf", pageDoc(bt+"72 700 Td (Hello from a child) Tj ET"))
	bad := writeFile(t, dir, "bad.pdf", []byte("not a pdf at all"))
	ex := &pdftext.Extractor{Command: testCommand(), Timeout: 20 * time.Second}

	doc, err := ex.ExtractFile(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Pages[0].Text; got != "Hello from a child" {
		t.Errorf("text %q", got)
	}

	_, err = ex.ExtractFile(context.Background(), bad)
	if err == nil || err.Error() != bad+": not a PDF file (no %PDF header)" {
		t.Errorf("error %v, want %q", err, bad+": not a PDF file (no %PDF header)")
	}

	missing := filepath.Join(dir, "missing.pdf")
	_, err = ex.ExtractFile(context.Background(), missing)
	if err == nil || !strings.HasPrefix(err.Error(), missing+": ") {
		t.Errorf("error %v does not name the file", err)
	}
}

// TestExtractorCache: a second extractor on the same cache directory answers
// from the cache without starting a child (its command would fail).
func TestExtractorCache(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	path := writeFile(t, dir, "a.pdf", pageDoc(bt+"72 700 Td (Cached text) Tj ET"))
	bad := writeFile(t, dir, "b.pdf", []byte("%PDF-1.4\nno trailer"))

	first := &pdftext.Extractor{Command: testCommand(), CacheDir: cache}
	if _, err := first.ExtractFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	_, firstErr := first.ExtractFile(context.Background(), bad)
	if firstErr == nil {
		t.Fatal("damaged file extracted without error")
	}

	restarted := &pdftext.Extractor{Command: []string{"/nonexistent/archive"}, CacheDir: cache}
	doc, err := restarted.ExtractFile(context.Background(), path)
	if err != nil {
		t.Fatalf("not served from the cache: %v", err)
	}
	if doc.Pages[0].Text != "Cached text" {
		t.Errorf("cached text %q", doc.Pages[0].Text)
	}
	if _, err := restarted.ExtractFile(context.Background(), bad); err == nil || err.Error() != firstErr.Error() {
		t.Errorf("cached failure %v, want %v", err, firstErr)
	}

	// Different content under the same name is extracted anew.
	writeFile(t, dir, "a.pdf", pageDoc(bt+"72 700 Td (New text) Tj ET"))
	if _, err := restarted.ExtractFile(context.Background(), path); err == nil {
		t.Errorf("changed file answered from the cache")
	}
}

func TestExtractorTimeout(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "slow.pdf", pageDoc(""))
	// A child that never answers: sh ignores the arguments added after it.
	ex := &pdftext.Extractor{Command: []string{"sh", "-c", "sleep 30", "sh"}, Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := ex.ExtractFile(context.Background(), path)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v with a 300ms limit", elapsed)
	}
	if err == nil || err.Error() != path+": timed out after 300ms" {
		t.Errorf("error %v", err)
	}
}

// TestExtractorPartial: a child that dies after sending some pages leaves
// those pages, and the others marked.
func TestExtractorPartial(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "x.pdf", pageDoc(""))
	script := `echo '{"info":{"Pages":3,"Title":"T"}}'; echo '{"page":{"Number":1,"Text":"first page"}}'; kill -9 $$`
	ex := &pdftext.Extractor{Command: []string{"sh", "-c", script, "sh"}}
	doc, err := ex.ExtractFile(context.Background(), path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": extraction killed") {
		t.Errorf("error %v", err)
	}
	if doc == nil || doc.NumPages() != 3 {
		t.Fatalf("doc %+v", doc)
	}
	if doc.Pages[0].Text != "first page" || !strings.HasPrefix(doc.Pages[2].Err, "not read: extraction killed") {
		t.Errorf("pages %+v", doc.Pages)
	}
}

// TestExtractorMemoryLimit: a file that needs more memory than the limit ends
// its child, not us, and is reported as such.
func TestExtractorMemoryLimit(t *testing.T) {
	bomb := pdfFile("%PDF-1.4\n", []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		stream("/Filter /FlateDecode", spacesBomb(120<<20)),
	}, "")
	path := writeFile(t, t.TempDir(), "bomb.pdf", bomb)
	ex := &pdftext.Extractor{Command: testCommand(), MemoryLimit: 32 << 20, Timeout: 30 * time.Second}
	start := time.Now()
	_, err := ex.ExtractFile(context.Background(), path)
	t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil || !strings.Contains(err.Error(), "out of memory") || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("error %v, want %s: out of memory", err, path)
	}
}

func TestExtractFiles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, word := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		paths = append(paths, writeFile(t, dir, word+".pdf", pageDoc(bt+"72 700 Td ("+word+") Tj ET")))
		_ = i
	}
	paths = append(paths, writeFile(t, dir, "broken.pdf", []byte("garbage")))
	ex := &pdftext.Extractor{Command: testCommand(), Parallel: 2}
	var mu sync.Mutex
	var calls []int
	res := ex.ExtractFiles(context.Background(), paths, func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if total != len(paths) {
			t.Errorf("total %d", total)
		}
		calls = append(calls, done)
	})
	if len(calls) != len(paths) || calls[len(calls)-1] != len(paths) {
		t.Errorf("progress calls %v", calls)
	}
	for _, p := range paths[:5] {
		r := res[p]
		want := strings.TrimSuffix(filepath.Base(p), ".pdf")
		if r.Err != nil || r.Doc.Pages[0].Text != want {
			t.Errorf("%s: %+v", p, r)
		}
	}
	if r := res[paths[5]]; r.Err == nil || r.Doc != nil {
		t.Errorf("broken file: %+v", r)
	}
}

func TestMain_(t *testing.T) {
	dir := t.TempDir()
	one := writeFile(t, dir, "one.pdf", pdfFile("%PDF-1.4\n", []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 7 0 R >> >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Resources << /Font << /F1 7 0 R >> >> >>",
		stream("", bt+"72 700 Td (Page one) Tj ET"),
		stream("", bt+"72 700 Td (Page two) Tj ET"),
		helvetica,
	}, ""))
	bad := writeFile(t, dir, "bad.pdf", []byte("nope"))

	var out, errOut bytes.Buffer
	if code := pdftext.Main([]string{one}, &out, &errOut); code != 0 {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
	if got, want := out.String(), "Page one\n\fPage two\n\f"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}

	out.Reset()
	errOut.Reset()
	if code := pdftext.Main([]string{one, bad}, &out, &errOut); code != 1 {
		t.Errorf("exit %d with an unreadable file", code)
	}
	if got, want := errOut.String(), bad+": not a PDF file (no %PDF header)\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if !strings.HasPrefix(out.String(), "==> "+one+" <==\nPage one\n") {
		t.Errorf("stdout %q", out.String())
	}
}

// TestMainScan: archive pdftext -ocr=false leaves a scan unread and says so;
// -lang takes a BCP 47 tag.
func TestMainScan(t *testing.T) {
	path := writeFile(t, t.TempDir(), "scan.pdf", imagePage("612 0 0 792 0 0", "", stream(grayImage, strings.Repeat("\x80", 100*100))))
	var out, errOut bytes.Buffer
	if code := pdftext.Main([]string{"-ocr=false", "-lang", "zh-Hant", path}, &out, &errOut); code != 0 {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
	if out.String() != "\f" || errOut.String() != path+": no text layer (a scan?)\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}
