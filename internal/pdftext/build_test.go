package pdftext_test

import (
	"bytes"
	"compress/lzw"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"strings"

	"archive/internal/pdftext/pdftexttest"
)

// pdfFile writes a PDF from numbered objects (object i+1 is objs[i]; object 1
// must be the catalog), with a correct cross-reference table.
func pdfFile(header string, objs []string, trailer string) []byte {
	return pdftexttest.File(header, objs, trailer)
}

func stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// widths500 gives every code 32..126 a width of 500, so tests can place
// glyphs exactly: a glyph at size 10 is 5 units wide.
var widths500 = "/FirstChar 32 /LastChar 126 /Widths [" + strings.Repeat("500 ", 95) + "]"

const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// pageDoc is a one-page PDF: catalog 1, pages 2, page 3, content 4, font 5
// (/F1), then extra objects from 6 on. The first optional argument is added
// to the page's resources, the rest are the extra objects.
func pageDoc(content string, resourcesAndExtra ...string) []byte {
	resources := ""
	var extra []string
	if len(resourcesAndExtra) > 0 {
		resources, extra = resourcesAndExtra[0], resourcesAndExtra[1:]
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> " + resources + " >> >>",
		stream("", content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding " + widths500 + " >>",
	}
	return pdfFile("%PDF-1.4\n", append(objs, extra...), "")
}

func flateData(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// flushedFlate compresses two parts with a block boundary between them, so
// that a stream cut in the second part still decodes the first.
func flushedFlate(first, second string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(first))
	w.Flush()
	w.Write([]byte(second))
	w.Close()
	return b.String()
}

// lzwData encodes with the standard library, whose code width changes one
// code later than PDF's default: the stream must say /EarlyChange 0.
func lzwData(s string) string {
	var b bytes.Buffer
	w := lzw.NewWriter(&b, lzw.MSB, 8)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func hexData(s string) string { return hex.EncodeToString([]byte(s)) + ">" }

// spacesBomb is a zlib stream of n spaces, written directly as fixed-Huffman
// deflate (a literal, then copies of 258 bytes at distance 1), because
// compressing a hundred megabytes takes long under the race detector.
func spacesBomb(n int) string {
	var out bytes.Buffer
	out.Write([]byte{0x78, 0x01})
	var acc uint64
	var nbits uint
	put := func(v uint64, n uint) { // LSB-first bit order
		acc |= v << nbits
		nbits += n
		for nbits >= 8 {
			out.WriteByte(byte(acc))
			acc >>= 8
			nbits -= 8
		}
	}
	huff := func(code uint64, n uint) { // Huffman codes go MSB first
		var r uint64
		for i := uint(0); i < n; i++ {
			r |= (code >> i & 1) << (n - 1 - i)
		}
		put(r, n)
	}
	put(1, 1) // final block
	put(1, 2) // fixed Huffman
	huff(0x30+' ', 8)
	left := n - 1
	for left >= 258 {
		huff(0xC0+285-280, 8) // length 258
		huff(0, 5)            // distance 1
		left -= 258
	}
	for ; left > 0; left-- {
		huff(0x30+' ', 8)
	}
	huff(0, 7) // end of block
	if nbits > 0 {
		out.WriteByte(byte(acc))
	}
	// Adler-32 of n spaces, in closed form.
	const mod = 65521
	a := (1 + uint64(n)*' ') % mod
	b := (uint64(n) + ' '*(uint64(n)*(uint64(n)+1)/2%mod)) % mod
	sum := b<<16 | a
	out.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	return out.String()
}
