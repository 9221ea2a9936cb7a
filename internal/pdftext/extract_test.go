package pdftext_test

import (
	"compress/zlib"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/pdftext"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// render shows a Document the way the golden files keep it.
func render(d *pdftext.Document, err error) string {
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var b strings.Builder
	if d.Title != "" || d.Author != "" {
		fmt.Fprintf(&b, "title: %s\nauthor: %s\n", d.Title, d.Author)
	}
	if !d.Created.IsZero() {
		fmt.Fprintf(&b, "created: %s\n", d.Created.Format(time.RFC3339))
	}
	for _, p := range d.Pages {
		fmt.Fprintf(&b, "--- page %d", p.Number)
		if p.NoText {
			b.WriteString(" (no text layer)")
		}
		if p.Scan {
			b.WriteString(" (scan)")
		}
		if p.Err != "" {
			fmt.Fprintf(&b, " (error: %s)", p.Err)
		}
		b.WriteString("\n")
		if p.Text != "" {
			b.WriteString(p.Text)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// extractBytes writes data to a file and extracts it.
func extractBytes(t testing.TB, data []byte) (*pdftext.Document, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return pdftext.Extract(path)
}

const bt = "BT /F1 10 Tf "

func TestExtractGolden(t *testing.T) {
	type0Font := "<< /Type /Font /Subtype /Type0 /BaseFont /Uni /Encoding /Identity-H /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>"
	type0Desc := "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Uni /DW 500 /W [1 [600 600] 10 20 400] >>"
	toUnicode := stream("", "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n"+
		"2 beginbfchar <0001> <00C4> <0002> <006C> endbfchar\n1 beginbfrange <000A> <000C> <0061> endbfrange\nendcmap end end")
	ligFont := "<< /Type /Font /Subtype /Type1 /BaseFont /Lig /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [1 /fi /f_f_l /uni00E9 /g17] >> " + widths500 + " >>"

	tests := []struct {
		name string
		pdf  []byte
	}{
		{"tj-spacing", pageDoc(bt + "72 700 Td [(Hu) -15 (man) -333 (rights) -250 (report)] TJ ET")},
		{"td-words", pageDoc(bt + "72 700 Td (Quote) Tj 30 0 Td (this) Tj 22 0 Td (one) Tj ET")},
		{"tm-lines", pageDoc(bt + "1 0 0 1 72 700 Tm (First line) Tj 1 0 0 1 72 686 Tm (second line) Tj ET")},
		{"tstar-lines", pageDoc(bt + "14 TL 72 700 Td (One) Tj T* (Two) Tj (Three) ' ET")},
		{"hyphenation", pageDoc(bt + "72 700 Td (The extrac-) Tj 0 -12 Td (tion is done. Well-) Tj 0 -12 Td (Known names.) Tj ET")},
		{"ligatures", pageDoc("BT /F2 10 Tf 72 700 Td (of) Tj <01> Tj (ce ba) Tj <02> Tj (e caf) Tj <03> Tj ( d\\351j\\340 x) Tj <04> Tj (y) Tj ET", "/Font << /F2 6 0 R >>", ligFont)},
		{"superscript", pageDoc(bt + "72 700 Td (Footnote) Tj 3 Ts (12) Tj 0 Ts ( text) Tj ET")},
		{"fake-bold", pageDoc(bt + "72 700 Td (Bold) Tj ET " + bt + "72.3 700 Td (Bold) Tj ET")},
		{"out-of-order", pageDoc(bt + "150 700 Td (second) Tj ET " + bt + "72 700 Td (first) Tj ET")},
		{"rotated", pageDoc("BT /F1 10 Tf 0 1 -1 0 300 100 Tm (Rotated text) Tj ET")},
		{"form-xobject", pageDoc(bt+"72 700 Td (Page) Tj ET q 1 0 0 1 0 -50 cm /Fm1 Do Q", "/XObject << /Fm1 6 0 R >>",
			stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>", bt+"72 700 Td (Inside the form) Tj ET"))},
		{"form-loop", pageDoc(bt+"72 700 Td (Before) Tj ET /Fm1 Do", "/XObject << /Fm1 6 0 R >>",
			stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /Fm1 6 0 R >> /Font << /F1 5 0 R >> >>", bt+"72 650 Td (Once) Tj ET /Fm1 Do"))},
		{"broken-operators", pageDoc(bt + "72 700 Td (Before) Tj ) ] } >> 1.2.3 --4 Tj Tf <zz> 0 -12 Td (after the fault) Tj ET")},
		{"bad-hex-string", pageDoc(bt + "72 700 Td <48656C6C6FZZ> Tj 0 -12 Td (next) Tj ET")},
		{"inline-image", pageDoc(bt + "72 700 Td (Above) Tj ET BI /W 4 /H 1 /BPC 8 /CS /G ID \x00EI\xff\x01 EI Q " + bt + "72 600 Td (Below the image) Tj ET")},
		{"unclosed-array", pageDoc(bt + "72 700 Td [(Lost bracket) Tj 0 -12 Td (Next line) Tj ET")},
		{"type1-builtin-encoding", pageDoc("BT /F2 10 Tf 72 700 Td <01022003> Tj ET", "/Font << /F2 6 0 R >>",
			"<< /Type /Font /Subtype /Type1 /BaseFont /CMMI10 /FirstChar 1 /LastChar 32 /Widths ["+strings.Repeat("500 ", 32)+"] /FontDescriptor 7 0 R >>",
			"<< /Type /FontDescriptor /FontName /CMMI10 /Flags 4 /FontFile 8 0 R >>",
			stream("/Length1 200 /Length2 0 /Length3 0", "%!PS-AdobeFont-1.0: CMMI10\n/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\ndup 1 /gamma put\ndup 2 /phi put\ndup 3 /x put\ndup 32 /space put\nreadonly def\ncurrentfile eexec\n\x8f\x00binary"))},
		{"type0-identity", pageDoc("BT /F2 10 Tf 72 700 Td <0001000A000B000C0002> Tj ET", "/Font << /F2 6 0 R >>", type0Font, type0Desc, toUnicode)},
		{"no-font", pageDoc("BT /F9 10 Tf 72 700 Td (Invisible) Tj ET " + bt + "72 680 Td (Visible) Tj ET")},
		{"empty-page", pageDoc("")},
		{"scan", pageDoc("q 612 0 0 792 0 0 cm /Im1 Do Q", "/XObject << /Im1 6 0 R >>",
			stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray", "\x80"))},
		{"garbage-before-header", append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n\r\n"), pageDoc(bt+"72 700 Td (After the garbage) Tj ET")...)},
		{"pdf-2.0-header", []byte(strings.Replace(string(pageDoc(bt+"72 700 Td (Version two) Tj ET")), "%PDF-1.4", "%PDF-2.0", 1))},
		{"garbage-after-eof", append(pageDoc(bt+"72 700 Td (Trailing bytes) Tj ET"), "\n<html>junk</html>\n"...)},
		{"not-a-pdf", []byte("<html>This is not a PDF</html>")},
		{"info", pdfFile("%PDF-1.4\n", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
			stream("", bt+"72 700 Td (Body) Tj ET"),
			helvetica,
			"<< /Title <FEFF004F00700065006E0020006C0065007400740065007200200074006F00200049004E0054004500520050004F004C> /Author (J\\374rgen) /CreationDate (D:20190315120000+01'00') >>",
		}, "/Info 6 0 R")},
		{"count-lies", pdfFile("%PDF-1.4\n", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 9999999999 >>",
			"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>",
			"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>",
			stream("", bt+"72 700 Td (Same text) Tj ET"),
			helvetica,
		}, "")},
		{"filters", pdfFile("%PDF-1.4\n", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /Contents [4 0 R 5 0 R 6 0 R 7 0 R 8 0 R] /Resources << /Font << /F1 9 0 R >> >> >>",
			stream("/Filter /FlateDecode", flateData(bt+"72 700 Td (Flate) Tj ET")),
			stream("/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", lzwData(bt+"72 680 Td (LZW, a filter the library lacks) Tj ET")),
			stream("/Filter /ASCIIHexDecode", hexData(bt+"72 660 Td (ASCIIHex) Tj ET")),
			stream("/Filter [/ASCIIHexDecode /FlateDecode]", hexData(flateData(bt+"72 640 Td (Two filters) Tj ET"))),
			stream("/Filter /DCTDecode", "not a content stream"),
			helvetica,
		}, "")},
		{"truncated-flate", pageDoc("", "")},
		{"wrong-length", []byte(strings.Replace(string(pageDoc(bt+"72 700 Td (Length is wrong) Tj ET")), fmt.Sprintf("/Length %d", len(bt+"72 700 Td (Length is wrong) Tj ET")), "/Length 07", 1))},
	}
	// A stream cut short keeps what decodes before the cut.
	full := flushedFlate(bt+"72 700 Td (Kept before the cut) Tj ", "0 -12 Td (and more text that is lost) Tj ET")
	tests[len(tests)-2].pdf = pdfFile("%PDF-1.4\n", []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		stream("/Filter /FlateDecode", full[:len(full)/2+4]),
		helvetica,
	}, "")

	// Damaged cross-reference data: the table is rebuilt from the objects.
	healthy := string(pageDoc(bt + "72 700 Td (Rebuilt from the objects) Tj ET"))
	xref := strings.Index(healthy, "xref\n")
	tests = append(tests,
		struct {
			name string
			pdf  []byte
		}{"truncated-file", []byte(healthy[:xref+20])},
		struct {
			name string
			pdf  []byte
		}{"wrong-offsets", []byte(strings.Replace(healthy, "0000000009 00000 n", "0000000001 00000 n", 1))},
		struct {
			name string
			pdf  []byte
		}{"huge-xref-section", []byte(strings.Replace(healthy, "xref\n0 6", "xref\n0 99999999999", 1))},
	)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(extractBytes(t, tt.pdf))
			golden := filepath.Join("testdata", "golden", tt.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("text differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestSpacesBomb checks the test helper itself: it must be a valid stream.
func TestSpacesBomb(t *testing.T) {
	zr, err := zlib.NewReader(strings.NewReader(spacesBomb(1000)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != strings.Repeat(" ", 1000) {
		t.Fatalf("spacesBomb(1000) decodes to %d bytes, %v", len(got), err)
	}
	data := pdfFile("%PDF-1.4\n", []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		stream("/Filter [/FlateDecode /ASCIIHexDecode]", spacesBomb(1000)),
		helvetica,
	}, "")
	doc, err := extractBytes(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Pages[0].Err != "" {
		t.Errorf("stream not decoded cleanly: %s", doc.Pages[0].Err)
	}
}
