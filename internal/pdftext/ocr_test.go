package pdftext_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"archive/internal/pdftext"
	"archive/internal/pdftext/pdftexttest"
)

func TestTesseractLanguage(t *testing.T) {
	for tag, want := range map[string]string{
		"en": "eng", "en-GB": "eng", "zh": "chi_sim", "zh-Hans": "chi_sim", "zh-CN": "chi_sim",
		"zh-Hant": "chi_tra", "zh-HK": "chi_tra", "zh-TW": "chi_tra", "zh-Hant-TW": "chi_tra", "zh_TW": "chi_tra",
		"ja": "jpn", "ko": "kor", "ar": "ara", "fr": "fra", "es-419": "spa", "de": "deu", "ru": "rus",
		"ug": "uig", "": "", "xx": "",
	} {
		if got := pdftext.TesseractLanguage(tag); got != want {
			t.Errorf("TesseractLanguage(%q) = %q, want %q", tag, got, want)
		}
	}
}

// imagePage is a one-page PDF drawing image XObject 6 with CTM cm, with
// text (content operators) beside it.
func imagePage(cm, text, image string) []byte {
	return pageDoc("q "+cm+" cm /Im0 Do Q "+text, "/XObject << /Im0 6 0 R >>", image)
}

const grayImage = "/Type /XObject /Subtype /Image /Width 100 /Height 100 /BitsPerComponent 8 /ColorSpace /DeviceGray"

// TestScanRule: fewer than 20 characters over images covering half the
// page or more make a scan; a text page with a picture is not one.
func TestScanRule(t *testing.T) {
	img := stream(grayImage, strings.Repeat("\x80", 100*100))
	tests := []struct {
		name string
		pdf  []byte
		scan bool
	}{
		{"full-page image", imagePage("612 0 0 792 0 0", "", img), true},
		{"page number on a scan", imagePage("612 0 0 792 0 0", bt+"300 20 Td (Page 3 of 12) Tj ET", img), true},
		{"two strips", pageDoc("q 612 0 0 396 0 0 cm /Im0 Do Q q 612 0 0 396 0 396 cm /Im1 Do Q", "/XObject << /Im0 6 0 R /Im1 7 0 R >>", img, img), true},
		{"image in a form", pageDoc("/Fm0 Do", "/XObject << /Fm0 6 0 R >>",
			stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /Im0 7 0 R >> >>", "q 612 0 0 792 0 0 cm /Im0 Do Q"), img), true},
		{"rotated image", imagePage("0 792 -612 0 612 0", "", img), true},
		{"text over a background picture", imagePage("612 0 0 792 0 0", bt+"72 700 Td (A report with a picture behind its text) Tj ET", img), false},
		{"small photo", imagePage("200 0 0 200 72 500", "", img), false},
		{"no image", pageDoc(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := pdftext.ExtractBytes(tt.pdf)
			if err != nil {
				t.Fatal(err)
			}
			p := doc.Pages[0]
			if p.Scan != tt.scan {
				t.Errorf("Scan = %v, want %v (text %q)", p.Scan, tt.scan, p.Text)
			}
			if tt.scan && (!p.NoText || !doc.Scanned()) {
				t.Errorf("an unread scan has searchable text: NoText %v, Scanned %v", p.NoText, doc.Scanned())
			}
		})
	}
}

func grayPixels(w, h int) []byte {
	b := make([]byte, w*h)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// TestOCRThroughExtractor: a scanned page's image goes to Tesseract at its
// resolution, in the file's language, with the text layer's few characters
// kept; a second Extractor on the same cache runs Tesseract again only for
// other languages.
func TestOCRThroughExtractor(t *testing.T) {
	tess, log := pdftexttest.FakeTesseract(t, pdftexttest.TSV(90, "Scanned", "words"))
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	// 300 × 400 pixels over 144 × 192 points: 150 dpi.
	data := pdftexttest.ImagePDF([]pdftexttest.Image{{Width: 300, Height: 400, DPI: 150, Gray: grayPixels(300, 400)}})
	path := writeFile(t, dir, "scan.pdf", data)

	ex := &pdftext.Extractor{Command: testCommand(), CacheDir: cache, OCR: pdftext.OCRConfig{Command: tess}}
	doc, err := ex.ExtractFileLang(context.Background(), path, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Pages[0]
	if !p.Scan || !p.OCR || p.NoText || p.Text != "Scanned words" || p.Confidence != 90 || p.OCRLang != "chi_sim" || p.OCRErr != "" {
		t.Errorf("page %+v", p)
	}
	if doc.Scanned() {
		t.Error("a scan read by OCR still counts as Scanned")
	}
	r := pdftexttest.Runs(t, log)
	if len(r) != 1 || !strings.Contains(r[0], "--dpi 150 ") || !strings.Contains(r[0], "-l chi_sim") {
		t.Errorf("tesseract runs %q", r)
	}

	again := &pdftext.Extractor{Command: testCommand(), CacheDir: cache, OCR: pdftext.OCRConfig{Command: tess}}
	if doc, err := again.ExtractFileLang(context.Background(), path, "zh-Hans"); err != nil || doc.Pages[0].Text != "Scanned words" {
		t.Errorf("from the cache: %v %+v", err, doc)
	}
	if r := pdftexttest.Runs(t, log); len(r) != 1 {
		t.Errorf("a cached page was read again: %q", r)
	}
	// Japanese is not installed: the site default, then English.
	again.OCR.Languages = []string{"xx"}
	if doc, err := again.ExtractFileLang(context.Background(), path, "ja"); err != nil || doc.Pages[0].OCRLang != "eng" {
		t.Errorf("without jpn: %v %+v", err, doc.Pages[0])
	}
	if r := pdftexttest.Runs(t, log); len(r) != 2 || !strings.Contains(r[1], "-l eng") {
		t.Errorf("tesseract runs %q", r)
	}
}

// TestOCRWithoutTesseract: scanned pages stay unsearchable and say why.
func TestOCRWithoutTesseract(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "scan.pdf", pdftexttest.ImagePDF([]pdftexttest.Image{{Width: 300, Height: 400, DPI: 150, Gray: grayPixels(300, 400)}}))
	ex := &pdftext.Extractor{Command: testCommand(), OCR: pdftext.OCRConfig{Command: filepath.Join(dir, "no-tesseract")}}
	doc, err := ex.ExtractFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if p := doc.Pages[0]; !p.Scan || p.OCR || !p.NoText || p.OCRErr != pdftext.ErrNoTesseract.Error() {
		t.Errorf("page %+v", p)
	}
	if !doc.Scanned() {
		t.Error("not Scanned")
	}
	if _, err := ex.Tesseract(); err == nil {
		t.Error("Tesseract() found one")
	}

	off := &pdftext.Extractor{Command: testCommand(), OCR: pdftext.OCRConfig{Off: true}}
	doc, err = off.ExtractFile(context.Background(), path)
	if err != nil || doc.Pages[0].OCRErr != "" || !doc.Pages[0].NoText {
		t.Errorf("OCR off: %v %+v", err, doc.Pages[0])
	}
}

// TestOCRLimits: Tesseract starts under the memory limit; one that hangs is
// killed at the time limit, one that allocates without end at the memory
// limit; each in one line.
func TestOCRLimits(t *testing.T) {
	path := writeFile(t, t.TempDir(), "scan.pdf", pdftexttest.ImagePDF([]pdftexttest.Image{{Width: 300, Height: 400, DPI: 150, Gray: grayPixels(300, 400)}}))
	tests := []struct {
		name, body string
		want       string
	}{
		{"starts under the limit", `echo "address space $(ulimit -v) KiB" >&2; exit 3`, "OCR failed: address space 65536 KiB"},
		{"hangs", "sleep 30", "OCR timed out after 1s"},
		// tail keeps the whole input in memory, as no newline comes.
		{"allocates", "head -c 2000000000 /dev/zero | tail -c 1000000000 >/dev/null", "OCR out of memory (limit 64 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tess, _ := pdftexttest.FakeTesseract(t, tt.body)
			ex := &pdftext.Extractor{Command: testCommand(), OCR: pdftext.OCRConfig{Command: tess, Timeout: time.Second, MemoryLimit: 64 << 20}}
			start := time.Now()
			doc, err := ex.ExtractFile(context.Background(), path)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if elapsed > 10*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if p := doc.Pages[0]; p.OCRErr != tt.want || !p.NoText || p.OCR {
				t.Errorf("page %+v, want OCRErr %q", p, tt.want)
			}
		})
	}
}

func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 13)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugeJPEGHeader is a small JPEG whose frame header claims w × h.
func hugeJPEGHeader(t *testing.T, w, h int) []byte {
	data := testJPEG(t, 64, 64)
	i := bytes.Index(data, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	data[i+5], data[i+6] = byte(h>>8), byte(h)
	data[i+7], data[i+8] = byte(w>>8), byte(w)
	return data
}

// TestOCRHostileImages: images built to exhaust a decoder end, within the
// limits, as a one-line reason on the page; Tesseract never sees them.
func TestOCRHostileImages(t *testing.T) {
	truncated := testJPEG(t, 400, 400)
	truncated = truncated[:len(truncated)/2]
	tests := []struct {
		name  string
		image string
		want  string
	}{
		{"100000x100000 header", stream("/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /FlateDecode", flateData("tiny")),
			"image Im0: 100000×100000 is too large to read (at most 32767 pixels a side and 50 megapixels)"},
		{"1x1000000 strip", stream("/Type /XObject /Subtype /Image /Width 1 /Height 1000000 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /FlateDecode", spacesBomb(1000000)),
			"image Im0: 1×1000000 is too large to read (at most 32767 pixels a side and 50 megapixels)"},
		{"JPEG header claiming 60000x60000", stream("/Type /XObject /Subtype /Image /Width 64 /Height 64 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /DCTDecode", string(hugeJPEGHeader(t, 60000, 60000))),
			"image Im0: JPEG 60000×60000 is too large to read (at most 32767 pixels a side and 50 megapixels)"},
		{"truncated JPEG", stream("/Type /XObject /Subtype /Image /Width 400 /Height 400 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /DCTDecode", string(truncated)),
			"image Im0: damaged JPEG: invalid JPEG format: short Huffman data"},
		{"Flate bomb", stream("/Type /XObject /Subtype /Image /Width 1000 /Height 1000 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /FlateDecode", spacesBomb(1<<30)),
			"image Im0: FlateDecode data inflates past twice its 1000×1000 pixels (a compression bomb?)"},
		{"JBIG2", stream("/Type /XObject /Subtype /Image /Width 2550 /Height 3300 /BitsPerComponent 1 /ColorSpace /DeviceGray /Filter /JBIG2Decode", "\x00\x00\x00\x00"),
			"image Im0: JBIG2-compressed, which this server does not decode"},
		{"JPEG 2000", stream("/Type /XObject /Subtype /Image /Width 2550 /Height 3300 /Filter /JPXDecode", "\x00\x00\x00\x0cjP  "),
			"image Im0: JPEG 2000-compressed, which this server does not decode"},
		// 7000 × 7000 RGB is 147 MB of samples: within the pixel bound,
		// beyond the child's memory limit.
		{"beyond the memory limit", stream("/Type /XObject /Subtype /Image /Width 7000 /Height 7000 /BitsPerComponent 8 /ColorSpace /DeviceRGB /Filter /FlateDecode", spacesBomb(7000*7000*3)),
			"page image not read: out of memory (limit 96 MiB)"},
	}
	tess, log := pdftexttest.FakeTesseract(t, "exit 1")
	ex := &pdftext.Extractor{Command: testCommand(), MemoryLimit: 96 << 20, Timeout: 20 * time.Second, OCR: pdftext.OCRConfig{Command: tess}}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, fmt.Sprintf("hostile-%d.pdf", i), imagePage("612 0 0 792 0 0", "", tt.image))
			start := time.Now()
			doc, err := ex.ExtractFile(context.Background(), path)
			elapsed := time.Since(start)
			t.Logf("%v", elapsed.Round(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if elapsed > 15*time.Second {
				t.Errorf("took %v", elapsed)
			}
			p := doc.Pages[0]
			if p.OCRErr != tt.want || !p.NoText || p.OCR {
				t.Errorf("OCRErr %q, want %q (page %+v)", p.OCRErr, tt.want, p)
			}
		})
	}
	if r := pdftexttest.Runs(t, log); len(r) > 0 {
		t.Errorf("tesseract ran on hostile images: %q", r)
	}
}

// scanOf makes an image-only PDF of pages of a corpus file, rasterized at
// dpi as JPEG or as 8-bit gray, and returns its path with the reference
// text of each page (pdftotext of the source page).
type scanPage struct {
	src  string
	page int
	dpi  int
	gray bool
}

func (s scanPage) String() string {
	f := "jpeg"
	if s.gray {
		f = "gray"
	}
	return fmt.Sprintf("%s p%d %d dpi %s", s.src, s.page, s.dpi, f)
}

func scanOf(t testing.TB, dir string, pages []scanPage) (string, []string) {
	t.Helper()
	var images []pdftexttest.Image
	var refs []string
	for _, sp := range pages {
		src := corpusFile(t, sp.src)
		images = append(images, pdftexttest.Rasterize(t, src, sp.page, sp.dpi, sp.gray))
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Skip("pdftotext not installed (poppler-utils)")
		}
		p := fmt.Sprint(sp.page)
		out, err := exec.Command("pdftotext", "-q", "-enc", "UTF-8", "-f", p, "-l", p, src, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, string(out))
	}
	path := filepath.Join(dir, "scan.pdf")
	if err := os.WriteFile(path, pdftexttest.ImagePDF(images), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, refs
}

func needTesseract(t testing.TB, langs ...string) {
	t.Helper()
	info, err := (&pdftext.Extractor{}).Tesseract()
	if err != nil {
		t.Skip(err)
	}
	for _, l := range langs {
		if !slices.Contains(info.Languages, l) {
			t.Skipf("Tesseract language %s not installed", l)
		}
	}
}

func cjkOnly(ws []string) []string {
	var out []string
	for _, w := range ws {
		if r := []rune(w); len(r) == 1 && isCJK(r[0]) {
			out = append(out, w)
		}
	}
	return out
}

// TestOCRRecall scans pages of real text PDFs (pdftoppm, 150 and 200 dpi,
// JPEG and gray), reads them back through the Extractor with the real
// Tesseract, and compares with pdftotext's text of the source pages.
func TestOCRRecall(t *testing.T) {
	needTesseract(t, "eng", "chi_sim")
	english := []scanPage{
		{"tracemonkey.pdf", 2, 150, false},
		{"tracemonkey.pdf", 3, 200, true},
		{"WaldenFull.pdf", 12, 150, true},
		{"multicolumn.pdf", 1, 200, false},
	}
	chinese := []scanPage{{"ctex.pdf", 5, 200, true}}
	ex := &pdftext.Extractor{Command: testCommand()}
	var (
		mu      sync.Mutex
		recalls []float64
		table   []string
	)
	check := func(t *testing.T, pages []scanPage, lang string, measure func(ours, ref string) float64, floor float64) {
		path, refs := scanOf(t, t.TempDir(), pages)
		start := time.Now()
		doc, err := ex.ExtractFileLang(context.Background(), path, lang)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		for i, p := range doc.Pages {
			r := measure(p.Text, refs[i])
			mu.Lock()
			if lang == "en" {
				recalls = append(recalls, r)
			}
			table = append(table, fmt.Sprintf("%-34s recall %.3f  confidence %.1f  %s", pages[i], r, p.Confidence, p.OCRLang))
			mu.Unlock()
			if !p.OCR || p.NoText || p.OCRErr != "" {
				t.Errorf("%s: not read by OCR: %+v", pages[i], p)
			}
			if r < floor {
				t.Errorf("%s: recall %.3f below %.2f\nOCR text:\n%s", pages[i], r, floor, p.Text)
			}
		}
		t.Logf("%d pages in %v", len(pages), elapsed.Round(time.Millisecond))
	}
	t.Run("English", func(t *testing.T) {
		t.Parallel()
		check(t, english, "en", func(ours, ref string) float64 { return recall(words(ours), words(ref)) }, 0.85)
	})
	t.Run("Chinese", func(t *testing.T) {
		t.Parallel()
		check(t, chinese, "zh", func(ours, ref string) float64 { return recall(cjkOnly(words(ours)), cjkOnly(words(ref))) }, 0.90)
	})
	t.Cleanup(func() {
		slices.Sort(table)
		t.Logf("OCR recall against pdftotext of the source pages:\n%s", strings.Join(table, "\n"))
		if len(recalls) == 0 {
			return
		}
		med := median(recalls)
		t.Logf("median English word recall %.3f over %d pages", med, len(recalls))
		if med < 0.95 {
			t.Errorf("median word recall %.3f below 0.95", med)
		}
	})
}

// BenchmarkOCR measures OCR pages per second through the Extractor (image
// child and Tesseract, Parallel at its default of one per core), with no
// cache: four pages of tracemonkey.pdf scanned at 150 dpi.
//
//	go test -run XXX -bench OCR -benchtime 2x ./internal/pdftext
func BenchmarkOCR(b *testing.B) {
	needTesseract(b, "eng")
	var pages []scanPage
	for p := 2; p <= 5; p++ {
		pages = append(pages, scanPage{"tracemonkey.pdf", p, 150, false})
	}
	path, _ := scanOf(b, b.TempDir(), pages)
	ex := &pdftext.Extractor{Command: testCommand()}
	n := 0
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		before := childrenCPU()
		doc, err := ex.ExtractFile(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		cpu += childrenCPU() - before
		for _, p := range doc.Pages {
			if !p.OCR {
				b.Fatalf("page %d not read: %s", p.Number, p.OCRErr)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/page")
}
