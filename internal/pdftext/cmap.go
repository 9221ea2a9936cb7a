package pdftext

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// maxCMapEntries bounds one CMap. Real fonts have at most 65,536 glyphs; a
// hostile bfrange over four-byte codes would otherwise fill memory.
const maxCMapEntries = 1 << 17

type codeRange struct {
	lo, hi uint32
	n      int // code length in bytes
}

// cmap is a parsed CMap: code space, code to Unicode (ToUnicode CMaps) and
// code to CID (encoding CMaps).
type cmap struct {
	space   []codeRange
	uni     map[uint32]string
	cid     map[uint32]uint32
	useCMap string
	full    bool // entries were dropped at maxCMapEntries
}

func codeOf(b []byte) uint32 {
	var c uint32
	for _, x := range b[:min(len(b), 4)] {
		c = c<<8 | uint32(x)
	}
	return c
}

func parseCMap(data []byte) *cmap {
	m := &cmap{uni: map[uint32]string{}, cid: map[uint32]uint32{}}
	entries := 0
	add := func() bool {
		entries++
		if entries > maxCMapEntries {
			m.full = true
			return false
		}
		return true
	}
	runContent(data, func(op []byte, args []operand) bool {
		switch string(op) {
		case "usecmap":
			if len(args) > 0 && args[len(args)-1].kind == kName {
				m.useCMap = string(args[len(args)-1].s)
			}
		case "endcodespacerange":
			for i := 0; i+1 < len(args); i += 2 {
				lo, hi := args[i], args[i+1]
				if lo.kind != kStr || hi.kind != kStr || len(lo.s) == 0 || len(lo.s) > 4 {
					continue
				}
				// Real CMaps have a handful of ranges; every glyph is
				// checked against all of them.
				if len(m.space) < 256 {
					m.space = append(m.space, codeRange{codeOf(lo.s), codeOf(hi.s), len(lo.s)})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(args); i += 2 {
				src, dst := args[i], args[i+1]
				if src.kind != kStr || !add() {
					continue
				}
				m.uni[codeOf(src.s)] = dstText(dst, 0)
			}
		case "endbfrange":
			for i := 0; i+2 < len(args); i += 3 {
				lo, hi, dst := args[i], args[i+1], args[i+2]
				if lo.kind != kStr || hi.kind != kStr {
					continue
				}
				a, b := codeOf(lo.s), codeOf(hi.s)
				for c := a; c <= b && c-a < maxCMapEntries; c++ {
					if !add() {
						break
					}
					if dst.kind == kArray {
						if int(c-a) < len(dst.arr) {
							m.uni[c] = dstText(dst.arr[c-a], 0)
						}
					} else {
						m.uni[c] = dstText(dst, int(c-a))
					}
					if c == ^uint32(0) {
						break
					}
				}
			}
		case "endcidchar":
			for i := 0; i+1 < len(args); i += 2 {
				src, cid := args[i], args[i+1]
				if src.kind != kStr || cid.kind != kNum || !add() {
					continue
				}
				m.cid[codeOf(src.s)] = uint32(cid.num)
			}
		case "endcidrange":
			for i := 0; i+2 < len(args); i += 3 {
				lo, hi, cid := args[i], args[i+1], args[i+2]
				if lo.kind != kStr || hi.kind != kStr || cid.kind != kNum {
					continue
				}
				a, b := codeOf(lo.s), codeOf(hi.s)
				for c := a; c <= b && c-a < maxCMapEntries; c++ {
					if !add() {
						break
					}
					m.cid[c] = uint32(cid.num) + (c - a)
					if c == ^uint32(0) {
						break
					}
				}
			}
		}
		return true
	})
	return m
}

// dstText decodes a bfchar/bfrange destination (UTF-16BE, or a glyph name in
// old files), adding offset to its last code unit as bfrange asks.
func dstText(o operand, offset int) string {
	switch o.kind {
	case kStr:
		s := o.s
		if len(s) == 1 {
			return string(rune(s[0]) + rune(offset))
		}
		u := make([]uint16, 0, len(s)/2)
		for i := 0; i+1 < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		if len(u) > 0 {
			u[len(u)-1] += uint16(offset)
		}
		return string(utf16.Decode(u))
	case kName:
		if r, ok := uniName(string(o.s)); ok {
			return r
		}
	}
	return ""
}

// codeLen returns how many bytes the code at the start of s takes.
func (m *cmap) codeLen(s []byte) int {
	if len(m.space) == 0 {
		return min(2, len(s))
	}
	shortest := 4
	for n := 1; n <= 4 && n <= len(s); n++ {
		c := codeOf(s[:n])
		for _, r := range m.space {
			if r.n == n && c >= r.lo && c <= r.hi && inRangeBytes(s[:n], r) {
				return n
			}
			shortest = min(shortest, r.n)
		}
	}
	return min(shortest, len(s))
}

// inRangeBytes checks each byte against the range, as the CMap spec defines
// ranges byte by byte rather than as integers.
func inRangeBytes(s []byte, r codeRange) bool {
	for i := range s {
		shift := uint(8 * (len(s) - 1 - i))
		lo, hi := byte(r.lo>>shift), byte(r.hi>>shift)
		if s[i] < lo || s[i] > hi {
			return false
		}
	}
	return true
}

// uniName decodes the glyph names that carry their code point: uniXXXX
// (possibly several), uXXXX to uXXXXXX.
func uniName(name string) (string, bool) {
	if len(name) >= 7 && name[:3] == "uni" && (len(name)-3)%4 == 0 {
		var b bytes.Buffer
		for i := 3; i < len(name); i += 4 {
			r, ok := hexRune(name[i : i+4])
			if !ok || r >= 0xD800 && r <= 0xDFFF {
				return "", false
			}
			b.WriteRune(r)
		}
		return b.String(), true
	}
	if len(name) >= 5 && len(name) <= 7 && name[0] == 'u' {
		r, ok := hexRune(name[1:])
		if ok && utf8.ValidRune(r) {
			return string(r), true
		}
	}
	return "", false
}

func hexRune(s string) (rune, bool) {
	var r rune
	for i := 0; i < len(s); i++ {
		v := unhex(s[i])
		if v < 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}
