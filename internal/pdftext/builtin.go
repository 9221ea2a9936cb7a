package pdftext

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"

	"github.com/ledongthuc/pdf"
)

// Embedded fonts carry an encoding of their own, which a PDF font without
// /Encoding (or with only /Differences) uses. TeX's math fonts are the common
// case: their Greek letters and symbols are known only from it.

// builtinNames returns code -> glyph name from the font program in the font
// descriptor, or nil.
func (d *doc) builtinNames(desc pdf.Value) map[int]string {
	if ff := desc.Key("FontFile"); ff.Kind() == pdf.Stream {
		data, _ := d.streamData(ff)
		return type1Encoding(data)
	}
	if ff := desc.Key("FontFile3"); ff.Kind() == pdf.Stream && ff.Key("Subtype").Name() == "Type1C" {
		data, _ := d.streamData(ff)
		return cffEncoding(data)
	}
	return nil
}

var reType1Dup = regexp.MustCompile(`dup\s+(\d{1,3})\s*/([^\s/\[\]{}()<>%]+)\s+put`)

// type1Encoding reads "dup 65 /A put" from the clear-text part of a Type 1
// font, which is where its encoding is.
func type1Encoding(data []byte) map[int]string {
	if i := indexOf(data, "eexec"); i >= 0 {
		data = data[:i]
	}
	if indexOf(data, "/Encoding StandardEncoding") >= 0 {
		return nil
	}
	out := map[int]string{}
	for _, m := range reType1Dup.FindAllSubmatch(data, 256*2) {
		if c, err := strconv.Atoi(string(m[1])); err == nil && c < 256 {
			out[c] = string(m[2])
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func indexOf(b []byte, s string) int { return bytes.Index(b, []byte(s)) }

// cffEncoding reads the encoding and charset of a CFF (Type1C) font program.
func cffEncoding(data []byte) (names map[int]string) {
	defer func() {
		if recover() != nil {
			names = nil
		}
	}()
	if len(data) < 4 {
		return nil
	}
	pos := int(data[2])
	_, pos = cffIndex(data, pos)     // Name INDEX
	top, pos := cffIndex(data, pos)  // Top DICT INDEX
	strs, pos := cffIndex(data, pos) // String INDEX
	if len(top) == 0 {
		return nil
	}
	dict := cffDict(top[0])
	charStrings, ok := dict[17]
	if !ok {
		return nil
	}
	glyphs, _ := cffIndex(data, charStrings)
	n := len(glyphs)
	encOff := dict[16]
	if encOff == 0 {
		return nil // StandardEncoding: the default already
	}
	if encOff == 1 {
		return nil // Expert encoding: rare, not worth a table
	}
	// charset: glyph index -> SID.
	sid := make([]int, n)
	csOff := dict[15]
	if csOff > 2 {
		p := csOff
		format := data[p]
		p++
		switch format {
		case 0:
			for g := 1; g < n; g++ {
				sid[g] = int(binary.BigEndian.Uint16(data[p:]))
				p += 2
			}
		case 1, 2:
			for g := 1; g < n; {
				first := int(binary.BigEndian.Uint16(data[p:]))
				p += 2
				var left int
				if format == 1 {
					left = int(data[p])
					p++
				} else {
					left = int(binary.BigEndian.Uint16(data[p:]))
					p += 2
				}
				for k := 0; k <= left && g < n; k++ {
					sid[g] = first + k
					g++
				}
			}
		}
	} else if csOff == 0 {
		for g := range sid {
			sid[g] = g // ISOAdobe: SID equals glyph index
		}
	} else {
		return nil
	}
	name := func(s int) string {
		switch {
		case s >= 1 && s <= 95:
			// Standard strings 1..95 are the glyph names of ASCII 32..126.
			return asciiGlyph(rune(s + 31))
		case s >= 391 && s-391 < len(strs):
			return string(strs[s-391])
		}
		return ""
	}
	out := map[int]string{}
	p := encOff
	format := data[p]
	p++
	switch format & 0x7F {
	case 0:
		nCodes := int(data[p])
		p++
		for g := 1; g <= nCodes && g < n; g++ {
			out[int(data[p])] = name(sid[g])
			p++
		}
	case 1:
		nRanges := int(data[p])
		p++
		g := 1
		for r := 0; r < nRanges; r++ {
			first, left := int(data[p]), int(data[p+1])
			p += 2
			for k := 0; k <= left && g < n; k++ {
				if first+k < 256 {
					out[first+k] = name(sid[g])
				}
				g++
			}
		}
	default:
		return nil
	}
	if format&0x80 != 0 {
		nSups := int(data[p])
		p++
		for k := 0; k < nSups; k++ {
			out[int(data[p])] = name(int(binary.BigEndian.Uint16(data[p+1:])))
			p += 3
		}
	}
	for c, nm := range out {
		if nm == "" {
			delete(out, c)
		}
	}
	return out
}

// asciiGlyph is the glyph name a font gives an ASCII character; the glyph
// list maps it back, so the character itself serves as well.
func asciiGlyph(r rune) string { return "uni" + strconv.FormatInt(int64(0x10000+r), 16)[1:] }

// cffIndex reads an INDEX at pos and returns its items and the position after.
func cffIndex(data []byte, pos int) ([][]byte, int) {
	count := int(binary.BigEndian.Uint16(data[pos:]))
	if count == 0 {
		return nil, pos + 2
	}
	offSize := int(data[pos+2])
	offs := make([]int, count+1)
	p := pos + 3
	for i := range offs {
		v := 0
		for k := 0; k < offSize; k++ {
			v = v<<8 | int(data[p])
			p++
		}
		offs[i] = v
	}
	base := p - 1
	items := make([][]byte, count)
	for i := range count {
		items[i] = data[base+offs[i] : base+offs[i+1]]
	}
	return items, base + offs[count]
}

// cffDict reads the integer operands of a DICT's operators (the last operand
// of each); reals are skipped.
func cffDict(b []byte) map[int]int {
	out := map[int]int{}
	var stack []int
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c <= 21:
			op := int(c)
			i++
			if c == 12 && i < len(b) {
				op = 1200 + int(b[i])
				i++
			}
			if len(stack) > 0 {
				out[op] = stack[len(stack)-1]
			}
			stack = stack[:0]
		case c == 28:
			stack = append(stack, int(int16(binary.BigEndian.Uint16(b[i+1:]))))
			i += 3
		case c == 29:
			stack = append(stack, int(int32(binary.BigEndian.Uint32(b[i+1:]))))
			i += 5
		case c == 30:
			i++
			for i < len(b) {
				x := b[i]
				i++
				if x&0x0F == 0x0F || x>>4 == 0x0F {
					break
				}
			}
			stack = append(stack, 0)
		case c >= 32 && c <= 246:
			stack = append(stack, int(c)-139)
			i++
		case c >= 247 && c <= 250:
			stack = append(stack, (int(c)-247)*256+int(b[i+1])+108)
			i += 2
		case c >= 251 && c <= 254:
			stack = append(stack, -(int(c)-251)*256-int(b[i+1])-108)
			i += 2
		default:
			i++
		}
	}
	return out
}
