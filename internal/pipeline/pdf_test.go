package pipeline_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/pdftext/pdftexttest"
	"archive/internal/pipeline"
	"archive/internal/search"
	"archive/internal/server"
)

// pdfChild builds `archive pdftext` alone (as package pdftext's tests do)
// and returns the argv of an Extractor's Command.
func pdfChild(t *testing.T) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "archive")
	if out, err := exec.Command("go", "build", "-o", bin, repo("internal", "pdftext", "testdata", "child")).CombinedOutput(); err != nil {
		t.Fatalf("building the PDF child: %v\n%s", err, out)
	}
	return []string{bin, "pdftext"}
}

// checkPDFs is archive check's PDF problems for the content folder dir,
// with OCR set so.
func checkPDFs(t *testing.T, dir string, ocr pdftext.OCRConfig) []string {
	problems, _ := checkPDFsRead(t, dir, ocr)
	return problems
}

// checkPDFsRead is checkPDFs with the lines for the files OCR read.
func checkPDFsRead(t *testing.T, dir string, ocr pdftext.OCRConfig) ([]string, []string) {
	t.Helper()
	cs, problems, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil || len(problems.Errors()) > 0 {
		t.Fatal(err, problems)
	}
	ex := &pdftext.Extractor{Command: pdfChild(t), OCR: ocr}
	var out []string
	c := pipeline.CheckPDFs(context.Background(), ex, dir, cs)
	for _, pr := range c.Problems {
		out = append(out, pr.String())
	}
	return out, c.OCRRead
}

// scannedLetter writes a bundle whose PDF is a scan of the open letter's
// two pages (page 1 as JPEG at dpi, page 2 gray at 200 dpi), with no text
// layer.
func scannedLetter(t *testing.T, dir, section, slug, lang string, dpi int) {
	t.Helper()
	src := repo("content", "letters", "open-letter-to-interpol", "open-letter-to-interpol.pdf")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("the letter is not in content/: %v", err)
	}
	scan := pdftexttest.ImagePDF([]pdftexttest.Image{
		pdftexttest.Rasterize(t, src, 1, dpi, false),
		pdftexttest.Rasterize(t, src, 2, 200, true),
	})
	bundle := filepath.Join(dir, section, slug)
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	md := "---\ntitle: Scanned letter " + slug + "\ndate: 2022-01-13\nlang: " + lang + "\nattachments:\n  - file: letter.pdf\n    title: The letter as received (scan)\n---\nThe letter, as a scan.\n"
	if err := os.WriteFile(filepath.Join(bundle, "index.md"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "letter.pdf"), scan, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScannedPDFSearch: a quote from page 2 of a scanned PDF is found, on
// page 2, after a load reads the scan by OCR.
func TestScannedPDFSearch(t *testing.T) {
	if _, err := (&pdftext.Extractor{}).Tesseract(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	scannedLetter(t, dir, "letters", "scanned", "en", 150)
	var logs logBuffer
	p := pipeline.New(pipeline.Config{
		Content:    os.DirFS(dir),
		ContentDir: dir,
		Templates:  os.DirFS(repo("templates")),
		Static:     os.DirFS(repo("static")),
		PDF:        &pdftext.Extractor{Command: pdfChild(t), Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		Logger:     slog.New(slog.NewTextHandler(&logs, nil)),
	})
	st, err := p.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// What OCR read, to tell a misread from a failure.
		if t.Failed() {
			pg, _, _ := st.Index.PDFPage("/letters/scanned/letter.pdf", 2)
			t.Logf("the load's log:\n%s\npage 2 as OCR read it:\n%s", logs.String(), pg.Text)
		}
	}()
	if st.Index == nil {
		t.Fatal("no index")
	}
	res, err := st.Index.Search(context.Background(), search.Request{Query: `"profound chilling effect striking at the heart"`})
	if err != nil {
		t.Fatal(err)
	}
	var pages []int
	for _, h := range res.Hits {
		if h.Source == search.SourcePDF {
			pages = append(pages, h.Page)
		}
	}
	if len(pages) != 1 || pages[0] != 2 {
		t.Errorf("PDF hits on pages %v, want [2] (hits %+v)", pages, res.Hits)
	}
	// Results say that the words were read from a scan, so that a
	// journalist checks the image before quoting them.
	srv := server.New(server.Config{Logger: quietLogger()})
	srv.Publish(st)
	q := "%22profound+chilling+effect+striking+at+the+heart%22"
	if b := body(t, get(t, srv, "GET", "/api/search?q="+q)); !strings.Contains(b, `"page":2,"file":"letter.pdf","text_url":"/letters/scanned/letter.pdf/page/2/?hl=`) || !strings.Contains(b, `"ocr":true`) {
		t.Errorf("the API does not mark the scanned page: %s", b)
	}
	if b := body(t, get(t, srv, "GET", "/search?q="+q)); !strings.Contains(b, "text read from a scan") {
		t.Errorf("the search page does not say the text was read from a scan")
	}
	if b := body(t, get(t, srv, "GET", "/letters/scanned/letter.pdf/page/2/?hl="+q)); !strings.Contains(b, "read from a scan by OCR") || !strings.Contains(b, "<mark") {
		t.Errorf("the page as text does not say it was read from a scan, or marks nothing:\n%s", b)
	}
}

// TestScannedPDFsWithoutTesseract: without Tesseract every scanned page
// is counted in one warning that says what to install, and the load works.
func TestScannedPDFsWithoutTesseract(t *testing.T) {
	dir := t.TempDir()
	scannedLetter(t, dir, "letters", "first", "en", 150)
	scannedLetter(t, dir, "letters", "second", "zh-Hant", 120)
	got := checkPDFs(t, dir, pdftext.OCRConfig{Command: filepath.Join(dir, "no-tesseract")})
	want := "content: warning: 4 scanned pages in 2 PDF files are not searchable: Tesseract (OCR) is not installed; " +
		"install it, with the languages of these files, and start again: apt-get install tesseract-ocr tesseract-ocr-chi-tra"
	if len(got) != 1 || got[0] != want {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

// TestScannedPDFLowConfidence: a page OCR read with little confidence is a
// warning naming the file, the page and the confidence; one read well is
// not.
func TestScannedPDFLowConfidence(t *testing.T) {
	dir := t.TempDir()
	scannedLetter(t, dir, "letters", "faint", "ja", 150)
	tess, _ := pdftexttest.FakeTesseract(t, `case "$1" in *p1-1*) c=42;; *) c=91;; esac
printf 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t%s\tword\n' $c`)
	got, read := checkPDFsRead(t, dir, pdftext.OCRConfig{Command: tess})
	if want := []string{"letters/faint/letter.pdf: read by OCR: page 1, 2, mean confidence 66%"}; !slices.Equal(read, want) {
		t.Errorf("files read by OCR: %q, want %q", read, want)
	}
	want := "letters/faint/letter.pdf: warning: page 1 was read by OCR (Tesseract, eng) with a mean confidence of 42%, below 70%: " +
		"its text may be wrong; check it against the scan (the publication's language ja needs Tesseract's jpn: apt-get install tesseract-ocr-jpn)"
	if len(got) != 1 || got[0] != want {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}
