package pdftext

import (
	"math"
	"strings"

	"github.com/ledongthuc/pdf"
)

// font is what the text layer needs of a PDF font, read once per document:
// the library re-reads /Widths and re-parses CMaps on every glyph.
type font struct {
	name      string
	composite bool

	// Simple fonts: one byte per code.
	text  [256]string
	width [256]float64 // advance in text space per unit of font size

	// Composite (Type0) fonts.
	enc       *cmap // code space and code to CID; nil means Identity, 2 bytes
	toUni     *cmap
	ucs2      bool // the encoding CMap's codes are UCS-2
	cidWidth  map[uint32]float64
	dw        float64
	noUnicode bool // neither ToUnicode nor a Unicode encoding: glyphs dropped

	sizeScale float64 // Type3 fonts scale glyphs by their FontMatrix
}

// glyphCode is one code of a string shown in a font.
type glyphCode struct {
	code  uint32
	n     int // bytes used
	text  string
	width float64
}

// next decodes the first code of s.
func (f *font) next(s []byte) glyphCode {
	if !f.composite {
		c := s[0]
		return glyphCode{uint32(c), 1, f.text[c], f.width[c]}
	}
	n := 2
	if f.enc != nil {
		n = f.enc.codeLen(s)
	} else if f.toUni != nil && len(f.toUni.space) > 0 {
		n = f.toUni.codeLen(s)
	}
	n = max(1, min(n, len(s)))
	code := codeOf(s[:n])
	g := glyphCode{code: code, n: n}
	if f.toUni != nil {
		g.text = f.toUni.uni[code]
	}
	if g.text == "" && f.ucs2 {
		g.text = string(rune(code))
	}
	cid := code
	if f.enc != nil && len(f.enc.cid) > 0 {
		cid = f.enc.cid[code]
	}
	w, ok := f.cidWidth[cid]
	if !ok {
		w = f.dw
	}
	g.width = w
	return g
}

// font returns the font for a font dictionary, cached by the dictionary's
// content (which names every indirect object it uses, so equal content is the
// same font).
func (d *doc) font(v pdf.Value) *font {
	key := v.String()
	if f, ok := d.fonts[key]; ok {
		return f
	}
	f := d.loadFont(v)
	d.fonts[key] = f
	return f
}

func (d *doc) loadFont(v pdf.Value) (f *font) {
	f = &font{name: v.Key("BaseFont").Name(), sizeScale: 1, dw: 1}
	defer func() {
		// A font we cannot read still lets the text around it through.
		if recover() != nil {
			f.noUnicode = f.composite && f.toUni == nil
		}
	}()
	var toUni *cmap
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if data, _ := d.streamData(tu); len(data) > 0 {
			toUni = parseCMap(data)
		}
	}
	if v.Key("Subtype").Name() == "Type0" {
		d.loadComposite(f, v, toUni)
		return f
	}
	d.loadSimple(f, v, toUni)
	return f
}

func (d *doc) loadComposite(f *font, v pdf.Value, toUni *cmap) {
	f.composite = true
	f.toUni = toUni
	desc := v.Key("DescendantFonts").Index(0)
	enc := v.Key("Encoding")
	switch enc.Kind() {
	case pdf.Name:
		n := enc.Name()
		switch {
		case n == "Identity-H" || n == "Identity-V":
		case strings.Contains(n, "UCS2") || strings.Contains(n, "UTF16"):
			f.ucs2 = true
		}
	case pdf.Stream:
		if data, _ := d.streamData(enc); len(data) > 0 {
			f.enc = parseCMap(data)
			if len(f.enc.space) == 0 {
				f.enc.space = []codeRange{{0, 0xFFFF, 2}}
			}
		}
	}
	f.dw = 1
	if dw := desc.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
		f.dw = dw.Float64() / 1000
	}
	f.cidWidth = cidWidths(desc.Key("W"))
	if toUni == nil && !f.ucs2 {
		f.noUnicode = true
	}
}

// cidWidths reads a CIDFont /W array: "c [w1 w2 ...]" or "cfirst clast w".
func cidWidths(w pdf.Value) map[uint32]float64 {
	out := map[uint32]float64{}
	n := w.Len()
	for i := 0; i < n; {
		first := w.Index(i)
		if i+1 >= n {
			break
		}
		second := w.Index(i + 1)
		if second.Kind() == pdf.Array {
			c := uint32(max(0, first.Int64()))
			for j := 0; j < second.Len() && len(out) < maxCMapEntries; j++ {
				out[c+uint32(j)] = second.Index(j).Float64() / 1000
			}
			i += 2
			continue
		}
		if i+2 >= n {
			break
		}
		lo, hi := first.Int64(), second.Int64()
		width := w.Index(i+2).Float64() / 1000
		for c := max(0, lo); c <= hi && len(out) < maxCMapEntries; c++ {
			out[uint32(c)] = width
		}
		i += 3
	}
	return out
}

func (d *doc) loadSimple(f *font, v pdf.Value, toUni *cmap) {
	subtype := v.Key("Subtype").Name()
	desc := v.Key("FontDescriptor")
	flags := desc.Key("Flags").Int64()
	symbolic := flags&4 != 0 && flags&32 == 0

	// Base encoding: named, or the font's own; for the font's own we assume
	// StandardEncoding (Type 1) or WinAnsi (TrueType), as readers do.
	var base *[256]string
	enc := v.Key("Encoding")
	switch enc.Kind() {
	case pdf.Name:
		base = baseEncoding(enc.Name())
	case pdf.Dict:
		base = baseEncoding(enc.Key("BaseEncoding").Name())
	}
	var builtin map[int]string
	if base == nil {
		switch {
		case subtype == "TrueType":
			base = &winAnsi
		case symbolic || subtype == "Type3":
			base = &latin1
		default:
			base = &standard
		}
		if subtype == "Type1" || subtype == "MMType1" {
			builtin = d.builtinNames(desc)
		}
	}
	f.text = *base
	if len(builtin) > 0 {
		var parts []string
		for _, name := range builtin {
			parts = append(parts, glyphParts(name)...)
		}
		d.prefetchGlyphs(parts)
		for c, name := range builtin {
			t, _ := d.glyphText(name)
			f.text[c] = t
		}
	}

	if enc.Kind() == pdf.Dict {
		diffs := enc.Key("Differences")
		type diff struct {
			code int
			name string
		}
		var list []diff
		var parts []string
		code := 0
		for i := 0; i < diffs.Len() && i < 1024; i++ {
			x := diffs.Index(i)
			switch x.Kind() {
			case pdf.Integer:
				code = int(x.Int64())
			case pdf.Name:
				if code >= 0 && code < 256 {
					list = append(list, diff{code, x.Name()})
					parts = append(parts, glyphParts(x.Name())...)
				}
				code++
			}
		}
		d.prefetchGlyphs(parts)
		for _, df := range list {
			// An unknown name (g18, a7, cid42: glyph numbers of a subset)
			// says nothing about the character; the base encoding's guess
			// for that code would index garbage, so the glyph stays unmapped.
			t, _ := d.glyphText(df.name)
			f.text[df.code] = t
		}
	}
	if toUni != nil {
		for c, t := range toUni.uni {
			if c < 256 {
				f.text[c] = t
			}
		}
	}

	// Widths, in text space per unit of font size.
	scale := 0.001
	if subtype == "Type3" {
		fm := v.Key("FontMatrix")
		if a := fm.Index(0).Float64(); a != 0 && !math.IsNaN(a) && !math.IsInf(a, 0) {
			scale = a
		}
		if dd := math.Abs(fm.Index(3).Float64()); dd > 0 && !math.IsInf(dd, 0) {
			f.sizeScale = dd * 1000
		}
	}
	missing := desc.Key("MissingWidth").Float64()
	widths := v.Key("Widths")
	first := int(v.Key("FirstChar").Int64())
	if widths.Kind() == pdf.Array && widths.Len() > 0 {
		for c := range 256 {
			f.width[c] = missing * scale
		}
		for i := 0; i < widths.Len() && first+i < 256; i++ {
			if c := first + i; c >= 0 {
				f.width[c] = widths.Index(i).Float64() * scale
			}
		}
		return
	}
	// No /Widths: one of the standard 14 fonts, most likely. Rough widths
	// are enough to tell a word gap from a letter.
	mono := strings.Contains(f.name, "Courier")
	for c := range 256 {
		f.width[c] = approxWidth(f.text[c], mono)
	}
}

var latin1 = func() (t [256]string) {
	for i := 32; i < 256; i++ {
		if i < 127 || i >= 160 {
			t[i] = string(rune(i))
		}
	}
	return
}()

func glyphParts(name string) []string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return strings.Split(name, "_")
}

func approxWidth(s string, mono bool) float64 {
	if mono {
		return 0.6
	}
	if s == "" {
		return 0.5
	}
	switch r := []rune(s)[0]; {
	case strings.ContainsRune("iljI.,;:'!|`", r):
		return 0.25
	case strings.ContainsRune("ftr()[]- ", r):
		return 0.33
	case strings.ContainsRune("mwMW", r):
		return 0.83
	case r >= 'A' && r <= 'Z':
		return 0.67
	}
	return 0.5
}
