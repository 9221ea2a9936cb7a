package pdftext

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding/charmap"
)

// baseEncoding returns the code-to-text table of a named simple-font encoding.
func baseEncoding(name string) *[256]string {
	switch name {
	case "WinAnsiEncoding":
		return &winAnsi
	case "MacRomanEncoding":
		return &macRoman
	case "StandardEncoding", "MacExpertEncoding":
		return &standard
	}
	return nil
}

var winAnsi, macRoman, standard = func() (w, m, s [256]string) {
	for i := range 256 {
		if i < 32 {
			continue
		}
		w[i] = string(charmap.Windows1252.DecodeByte(byte(i)))
		m[i] = string(charmap.Macintosh.DecodeByte(byte(i)))
		if i < 128 {
			s[i] = string(rune(i))
		}
	}
	// WinAnsi maps the unused codes of cp1252 to a bullet; 0xA0 is a space.
	for _, c := range []int{0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D} {
		w[c] = "\u2022"
	}
	s[0x27], s[0x60] = "\u2019", "\u2018"
	for c, r := range standardHigh {
		s[c] = string(r)
	}
	return
}()

// standardHigh is the upper half of Adobe StandardEncoding (PDF 32000-1
// Annex D), the default encoding of Type 1 fonts.
var standardHigh = map[int]rune{
	0xA1: '¡', 0xA2: '¢', 0xA3: '£', 0xA4: '⁄', 0xA5: '¥', 0xA6: 'ƒ', 0xA7: '§',
	0xA8: '¤', 0xA9: '\'', 0xAA: '“', 0xAB: '«', 0xAC: '‹', 0xAD: '›', 0xAE: 'ﬁ', 0xAF: 'ﬂ',
	0xB1: '–', 0xB2: '†', 0xB3: '‡', 0xB4: '·', 0xB6: '¶', 0xB7: '•',
	0xB8: '‚', 0xB9: '„', 0xBA: '”', 0xBB: '»', 0xBC: '…', 0xBD: '‰', 0xBF: '¿',
	0xC1: '`', 0xC2: '´', 0xC3: 'ˆ', 0xC4: '˜', 0xC5: '¯', 0xC6: '˘', 0xC7: '˙',
	0xC8: '¨', 0xCA: '˚', 0xCB: '¸', 0xCD: '˝', 0xCE: '˛', 0xCF: 'ˇ', 0xD0: '—',
	0xE1: 'Æ', 0xE3: 'ª', 0xE8: 'Ł', 0xE9: 'Ø', 0xEA: 'Œ', 0xEB: 'º',
	0xF1: 'æ', 0xF5: 'ı', 0xF8: 'ł', 0xF9: 'ø', 0xFA: 'œ', 0xFB: 'ß',
}

// glyphNames looks glyph names up in the library's copy of the Adobe Glyph
// List. The list is not exported, but the library applies it when it decodes
// a font whose /Encoding has /Differences; so we hand it a tiny PDF whose
// only font maps codes 1..31 to the names asked about. No glyph name maps to
// those control codes, so a code that comes back unchanged is an unknown name.
func glyphNames(names []string) map[string]rune {
	out := make(map[string]rune, len(names))
	for len(names) > 0 {
		n := min(len(names), 31)
		batch := names[:n]
		names = names[n:]
		decoded := decodeViaLibrary(batch)
		for i, name := range batch {
			if i < len(decoded) && decoded[i] != rune(i+1) {
				out[name] = decoded[i]
			}
		}
	}
	return out
}

func decodeViaLibrary(names []string) (runes []rune) {
	defer func() {
		if recover() != nil {
			runes = nil
		}
	}()
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	off := b.Len()
	b.WriteString("1 0 obj\n<</Type/Font/Subtype/Type1/Encoding<</Differences[1")
	code := make([]byte, len(names))
	for i, name := range names {
		b.WriteString(" /")
		b.WriteString(escapeName(name))
		code[i] = byte(i + 1)
	}
	b.WriteString("]>>>>\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 2\n0000000000 65535 f \n%010d 00000 n \ntrailer\n<</Size 2/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", off, xref)
	r, err := pdf.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		return nil
	}
	f := pdf.Font{V: r.Trailer().Key("Root")}
	return []rune(f.Encoder().Decode(string(code)))
}

func escapeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7F || isDelim(c) || c == '#' {
			fmt.Fprintf(&b, "#%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// glyphText turns a glyph name into text following the glyph list rules:
// drop a suffix after '.', split ligatures on '_', and read uniXXXX/uXXXX.
func (d *doc) glyphText(name string) (string, bool) {
	if t, ok := d.glyphCache[name]; ok {
		return t, t != ""
	}
	base := name
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	var out strings.Builder
	ok := base != ""
	for _, part := range strings.Split(base, "_") {
		if t, found := uniName(part); found {
			out.WriteString(t)
			continue
		}
		r, found := d.lookupGlyph(part)
		if !found {
			ok = false
			break
		}
		out.WriteRune(r)
	}
	t := ""
	if ok {
		t = out.String()
	}
	d.glyphCache[name] = t
	return t, ok
}

// lookupGlyph answers from the names prefetched for the current font; a miss
// is looked up alone.
func (d *doc) lookupGlyph(name string) (rune, bool) {
	if r, ok := d.glyphRunes[name]; ok {
		return r, r != 0
	}
	m := glyphNames([]string{name})
	r := m[name]
	d.glyphRunes[name] = r
	return r, r != 0
}

// prefetchGlyphs looks up many names in as few library calls as possible.
func (d *doc) prefetchGlyphs(names []string) {
	var todo []string
	for _, n := range names {
		if _, ok := d.glyphRunes[n]; !ok {
			todo = append(todo, n)
			d.glyphRunes[n] = 0
		}
	}
	for n, r := range glyphNames(todo) {
		d.glyphRunes[n] = r
	}
}
