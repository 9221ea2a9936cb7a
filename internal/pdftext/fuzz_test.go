package pdftext_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"archive/internal/pdftext"
)

// FuzzExtract feeds arbitrary bytes to the extractor in process. Beyond not
// panicking, whatever it returns must keep the promises made to the index.
//
// Inputs that crash it are kept by the fuzzer under testdata/fuzz and run by
// every `go test` from then on.
func FuzzExtract(f *testing.F) {
	f.Add(pageDoc(bt + "72 700 Td [(Hu) -15 (man) -333 (rights)] TJ ET"))
	f.Add(pageDoc(bt+"72 700 Td (Page) Tj ET /Fm1 Do", "/XObject << /Fm1 6 0 R >>",
		stream("/Type /XObject /Subtype /Form /Resources << /Font << /F1 5 0 R >> >>", bt+"72 700 Td (Form) Tj ET")))
	f.Add(pageDoc("BT /F2 10 Tf <0001000A> Tj ET", "/Font << /F2 6 0 R >>",
		"<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType2 /W [1 [600]] >>",
		stream("", "1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0001> <000A> <0041> endbfrange")))
	f.Add(pdfFile("%PDF-1.4\n", []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents [4 0 R 5 0 R] >>",
		stream("/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", lzwData(bt+"(LZW) Tj ET")),
		stream("/Filter /ASCIIHexDecode", hexData(bt+"(Hex) Tj ET")),
	}, ""))
	// Small real files, hostile ones among them, when the corpus is there.
	if dir := filepath.Join(repoRoot(f), "..", "shared", "corpus", "pdf"); dirExists(dir) {
		for _, name := range []string{"Pages-tree-refs.pdf", "poppler-67295-0.pdf", "GHOSTSCRIPT-698804-1-fuzzed.pdf", "issue7665.pdf", "libreoffice-writer-password.pdf"} {
			if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := pdftext.ExtractBytes(data)
		if err != nil {
			if doc != nil {
				t.Errorf("document and error both returned")
			}
			return
		}
		if doc.NumPages() == 0 {
			t.Errorf("no pages and no error")
		}
		for i, p := range doc.Pages {
			if p.Number != i+1 {
				t.Errorf("page %d numbered %d", i+1, p.Number)
			}
			checkText(t, p.Text)
			if p.NoText && (p.Text != "" || p.Err != "") {
				t.Errorf("page %d flagged as without text layer but has text %q or error %q", p.Number, p.Text, p.Err)
			}
		}
		checkText(t, doc.Title)
		checkText(t, doc.Author)
	})
}

// checkText holds text to what the index is promised: valid UTF-8 in NFC,
// no control characters but newlines, no soft hyphens, no empty lines, no
// spaces at line ends or doubled.
func checkText(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8: %q", s)
	}
	if !norm.NFC.IsNormalString(s) {
		t.Errorf("not NFC: %q", s)
	}
	for _, r := range s {
		if r != '\n' && unicode.IsControl(r) || r == '\u00AD' || r == utf8.RuneError {
			t.Errorf("character %U in %q", r, s)
			break
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if s != "" && l == "" || strings.TrimSpace(l) != l || strings.Contains(l, "  ") {
			t.Errorf("badly spaced line %q in %q", l, s)
			break
		}
	}
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// FuzzPageContent fuzzes what lies behind the file structure, where random
// bytes rarely reach: a page's content stream and a font's ToUnicode CMap.
func FuzzPageContent(f *testing.F) {
	f.Add([]byte(bt+"72 700 Td [(Hu) -15 (man) -333 (rights)] TJ T* (x) ' 1 2 (y) \" ET"), []byte("1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <0042> endbfchar"))
	f.Add([]byte("BT /F2 12 Tf 0 1 -1 0 100 100 Tm <0041> Tj BI /W 1 ID \x00 EI q 2 0 0 2 0 0 cm /F1 9 Tf (a-) Tj 0 -20 Td (b) Tj Q ET"), []byte("1 beginbfrange <0000> <FFFF> <0020> endbfrange 1 begincidrange <00> <FF> 1 endcidrange"))
	f.Fuzz(func(t *testing.T, content, cmap []byte) {
		data := pageDoc(string(content), "/Font << /F2 6 0 R /F3 9 0 R >>",
			"<< /Type /Font /Subtype /Type0 /Encoding 8 0 R /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
			"<< /Type /Font /Subtype /CIDFontType2 /W [1 [600 700] 10 2000 400] >>",
			stream("", string(cmap)),
			"<< /Type /Font /Subtype /Type3 /FontMatrix [0.01 0 0 0.01 0 0] /Encoding << /Differences [1 /a /uni00E9 /f_i] >> /ToUnicode 8 0 R /FirstChar 0 /LastChar 3 /Widths [50 60 70 80] >>")
		doc, err := pdftext.ExtractBytes(data)
		if err != nil {
			t.Fatalf("a well-formed file failed: %v", err)
		}
		if doc.NumPages() != 1 {
			t.Fatalf("%d pages", doc.NumPages())
		}
		checkText(t, doc.Pages[0].Text)
	})
}

// FuzzFontProgram fuzzes the reading of built-in encodings from embedded
// font programs (Type 1 clear text and CFF), which are outside input too.
func FuzzFontProgram(f *testing.F) {
	f.Add([]byte("%!PS-AdobeFont-1.0\n/Encoding 256 array\ndup 65 /gamma put\nreadonly def\ncurrentfile eexec\n"))
	f.Add([]byte{1, 0, 4, 1, 0, 1, 1, 1, 2, 'A', 0, 1, 1, 1, 7, 28, 0, 50, 16, 139, 17, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, program []byte) {
		for _, file := range []string{"/FontFile", "/FontFile3"} {
			data := pageDoc("BT /F2 10 Tf 72 700 Td <0102414243> Tj ET", "/Font << /F2 6 0 R >>",
				"<< /Type /Font /Subtype /Type1 /BaseFont /X /FirstChar 0 /LastChar 255 /Widths [500] /FontDescriptor 7 0 R >>",
				"<< /Type /FontDescriptor /Flags 4 "+file+" 8 0 R >>",
				stream("/Subtype /Type1C", string(program)))
			doc, err := pdftext.ExtractBytes(data)
			if err != nil {
				t.Fatalf("a well-formed file failed: %v", err)
			}
			checkText(t, doc.Pages[0].Text)
		}
	})
}
