// Package pdftexttest makes scanned PDFs for tests: pages of real PDFs
// rasterized with pdftoppm (poppler-utils, a test tool only) and wrapped as
// PDFs that hold nothing but one image per page.
package pdftexttest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Image is one page image: JPEG data, or 8-bit gray samples.
type Image struct {
	Width, Height int
	DPI           int
	JPEG          []byte // written as DCTDecode
	Gray          []byte // Width*Height samples, written as FlateDecode
}

// Rasterize renders page (from 1) of the PDF at path at dpi with pdftoppm,
// as a JPEG or, with gray, as 8-bit gray samples. It skips the test when
// pdftoppm is not installed.
func Rasterize(t testing.TB, path string, page, dpi int, gray bool) Image {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed (poppler-utils)")
	}
	out := filepath.Join(t.TempDir(), "page")
	format := "-jpeg"
	if gray {
		format = "-gray"
	}
	p := strconv.Itoa(page)
	cmd := exec.Command("pdftoppm", format, "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-singlefile", path, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s page %d: %v\n%s", path, page, err, b)
	}
	if !gray {
		data, err := os.ReadFile(out + ".jpg")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return Image{Width: cfg.Width, Height: cfg.Height, DPI: dpi, JPEG: data}
	}
	data, err := os.ReadFile(out + ".pgm")
	if err != nil {
		t.Fatal(err)
	}
	// Binary PGM: "P5", width, height, maxval, one whitespace, samples.
	var fields []int
	i := 2
	for len(fields) < 3 && i < len(data) {
		for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t') {
			i++
		}
		j := i
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		v, err := strconv.Atoi(string(data[i:j]))
		if err != nil {
			t.Fatalf("pdftoppm wrote an unexpected PGM header %q", data[:min(len(data), 20)])
		}
		fields = append(fields, v)
		i = j
	}
	w, h := fields[0], fields[1]
	n := i
	if !bytes.HasPrefix(data, []byte("P5")) || fields[2] != 255 || len(data) < n+1+w*h {
		t.Fatalf("pdftoppm wrote an unexpected PGM %q", data[:min(len(data), 20)])
	}
	return Image{Width: w, Height: h, DPI: dpi, Gray: data[n+1 : n+1+w*h]}
}

// ImagePDF writes a PDF with one page per image, each page the image's size
// at its DPI, drawing the image over the whole page and nothing else.
func ImagePDF(images []Image) []byte {
	var objs []string
	add := func(s string) int {
		objs = append(objs, s)
		return len(objs)
	}
	add("<< /Type /Catalog /Pages 2 0 R >>")
	add("") // the page tree, once the kids are known
	kids := ""
	for _, im := range images {
		wpt := float64(im.Width) * 72 / float64(im.DPI)
		hpt := float64(im.Height) * 72 / float64(im.DPI)
		var xobj string
		if im.JPEG != nil {
			xobj = stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", im.Width, im.Height), im.JPEG)
		} else {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(im.Gray)
			zw.Close()
			xobj = stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", im.Width, im.Height), z.Bytes())
		}
		img := add(xobj)
		content := add(stream("", fmt.Appendf(nil, "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", wpt, hpt)))
		page := add(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R /Resources << /XObject << /Im0 %d 0 R >> >> >>", wpt, hpt, content, img))
		kids += fmt.Sprintf("%d 0 R ", page)
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(images))
	return File("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", objs, "")
}

// File writes a PDF from numbered objects (object i+1 is objs[i]; object 1
// must be the catalog) after header, with a correct cross-reference table
// and trailer entries added to /Size and /Root.
func File(header string, objs []string, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return b.Bytes()
}

func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// FakeTesseract writes a script that answers like Tesseract 5.3.0 with eng
// and chi_sim installed and, asked to read an image, runs the shell
// commands body, or prints body when it holds Tesseract TSV (see TSV). It
// logs the arguments of each reading to the file log.
func FakeTesseract(t testing.TB, body string) (command, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "runs.log")
	if strings.HasPrefix(body, "level\t") {
		body = "printf '" + strings.ReplaceAll(strings.ReplaceAll(body, "\t", `\t`), "\n", `\n`) + "'"
	}
	script := "#!/bin/sh\n" +
		"case \"$1\" in\n" +
		"--version) echo 'tesseract 5.3.0'; echo ' leptonica-1.82.0'; exit 0;;\n" +
		"--list-langs) echo 'List of available languages in \"/x/\" (3):'; echo chi_sim; echo eng; echo osd; exit 0;;\n" +
		"esac\n" +
		"echo \"$@\" >> '" + log + "'\n" +
		body + "\n"
	command = filepath.Join(dir, "tesseract")
	if err := os.WriteFile(command, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return command, log
}

// TSV is Tesseract's TSV output for words on one line, each read with
// confidence conf.
func TSV(conf float64, words ...string) string {
	var b strings.Builder
	b.WriteString("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n")
	b.WriteString("1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n")
	for i, w := range words {
		fmt.Fprintf(&b, "5\t1\t1\t1\t1\t%d\t0\t0\t10\t10\t%g\t%s\n", i+1, conf, w)
	}
	return b.String()
}

// Runs lists the readings a FakeTesseract logged, one line of arguments
// each.
func Runs(t testing.TB, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}
