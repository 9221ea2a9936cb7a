package pdftext

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"archive/internal/pdftext/pdftexttest"
)

// TestScanImageCCITT writes the image of a real scan (HL1396.pdf: CCITT
// Group 4 at 300 dpi, on a page turned by /Rotate 270) as Tesseract gets
// it: turned upright, 1-bit, with its resolution; and, where Tesseract is
// installed, reads the heading on it.
func TestScanImageCCITT(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "corpus", "pdf", "HL1396.pdf")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("corpus file not found: %v", err)
	}
	dir := t.TempDir()
	var got []pageImages
	if err := writePageImages(path, []int{1}, dir, func(p pageImages) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Err != "" || len(got[0].Images) != 1 || got[0].Images[0].Err != "" {
		t.Fatalf("images %+v", got)
	}
	im := got[0].Images[0]
	if im.DPI != 300 || !strings.HasSuffix(im.Name, ".png") {
		t.Errorf("image %+v, want a PNG at 300 dpi", im)
	}
	f, err := os.Open(filepath.Join(dir, im.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// Stored 2548 × 3300, shown turned: landscape.
	if cfg.Width != 3300 || cfg.Height != 2548 {
		t.Errorf("image %d×%d, want 3300×2548 (turned upright)", cfg.Width, cfg.Height)
	}
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("tesseract not installed")
	}
	out, err := exec.Command("tesseract", filepath.Join(dir, im.Name), "stdout", "--dpi", "300", "-l", "eng", "--psm", "3").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"How did language go discrete?", "Introduction"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("OCR text lacks %q:\n%s", want, out)
		}
	}
}

func TestOrient(t *testing.T) {
	// A 3 × 2 image; its pixel (x, y) holds 10*y + x.
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range g.Pix {
		g.Pix[i] = byte(10*(i/3) + i%3)
	}
	rows := func(g *image.Gray) string {
		var b strings.Builder
		for y := range g.Rect.Dy() {
			for x := range g.Rect.Dx() {
				b.WriteByte('0' + g.Pix[y*g.Stride+x]/10)
				b.WriteByte('0' + g.Pix[y*g.Stride+x]%10)
				b.WriteByte(' ')
			}
			b.WriteByte('|')
		}
		return b.String()
	}
	tests := []struct {
		name string
		m    matrix
		rot  int
		want string
	}{
		{"upright", matrix{3, 0, 0, 2, 0, 0}, 0, "00 01 02 |10 11 12 |"},
		{"page turned 90", matrix{3, 0, 0, 2, 0, 0}, 1, "10 00 |11 01 |12 02 |"},
		{"page turned 270", matrix{3, 0, 0, 2, 0, 0}, 3, "02 12 |01 11 |00 10 |"},
		{"page turned 180", matrix{3, 0, 0, 2, 0, 0}, 2, "12 11 10 |02 01 00 |"},
		{"drawn upside down", matrix{-3, 0, 0, -2, 3, 2}, 0, "12 11 10 |02 01 00 |"},
		{"mirrored rows", matrix{3, 0, 0, -2, 0, 2}, 0, "10 11 12 |00 01 02 |"},
		{"turned by the CTM", matrix{0, 3, -2, 0, 2, 0}, 0, "02 12 |01 11 |00 10 |"},
		{"turned back by the page", matrix{0, 3, -2, 0, 2, 0}, 1, "00 01 02 |10 11 12 |"},
	}
	for _, tt := range tests {
		o := orient(tt.m, tt.rot)
		if got := rows(o.apply(g)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if dpi := imageDPI(2548, 3300, matrix{611.52, 0, 0, 792, 0, 0}); math.Abs(float64(dpi-300)) > 0 {
		t.Errorf("dpi %d, want 300", dpi)
	}
}

// FuzzPageImages feeds image dictionaries and data to the decoder a child
// runs on hostile files: it must end, quickly and within bounded memory,
// with an image or a reason.
func FuzzPageImages(f *testing.F) {
	for _, seed := range []struct{ dict, data string }{
		{"/Width 8 /Height 8 /BitsPerComponent 8 /ColorSpace /DeviceGray", strings.Repeat("\x80", 64)},
		{"/Width 16 /Height 16 /BitsPerComponent 1 /ImageMask true /Decode [1 0]", strings.Repeat("\x55", 32)},
		{"/Width 16 /Height 16 /BitsPerComponent 4 /ColorSpace [/Indexed /DeviceRGB 3 <ff000000ff000000ffffffff>]", strings.Repeat("\x12", 128)},
		{"/Width 20 /Height 20 /BitsPerComponent 8 /ColorSpace /DeviceCMYK /Filter /ASCIIHexDecode", "00ff00ff>"},
		{"/Width 1728 /Height 20 /BitsPerComponent 1 /ColorSpace /DeviceGray /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 1728 >>", "\x26\xa0\x00\x10\x01"},
		{"/Width 100000 /Height 100000 /BitsPerComponent 8 /ColorSpace /DeviceGray", "x"},
		{"/Width 64 /Height 64 /BitsPerComponent 8 /ColorSpace /DeviceRGB /Filter /DCTDecode", "\xff\xd8\xff\xc0\x00\x11\x08\xea\x60\xea\x60\x03"},
	} {
		f.Add(seed.dict, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, dict string, data []byte) {
		if strings.Contains(dict, "endstream") || len(dict) > 512 {
			return
		}
		pdf := pdftexttest.File("%PDF-1.4\n", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /Im0 5 0 R >> >> >>",
			"<< /Length 31 >>\nstream\nq 612 0 0 792 0 0 cm /Im0 Do Q\nendstream",
			fmt.Sprintf("<< /Type /XObject /Subtype /Image %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data),
		}, "")
		d, refs, err := openDocument(pdf)
		if err != nil || len(refs) == 0 {
			return
		}
		got := d.pageImages(1, refs[0], t.TempDir())
		for _, im := range got.Images {
			if (im.Name == "") == (im.Err == "") {
				t.Fatalf("image %+v: want a file or a reason", im)
			}
		}
	})
}
