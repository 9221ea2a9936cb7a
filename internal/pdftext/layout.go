package pdftext

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Layout thresholds, as fractions of the font size.
const (
	// spaceGap is the smallest gap between two glyphs that reads as a word
	// break. TeX's interword space is about 0.33 em and its kerns stay well
	// under 0.1 em.
	spaceGap = 0.15
	// lineShift is the baseline move that starts a new line; super- and
	// subscripts move less.
	lineShift = 0.5
	// backStep is how far the pen may move left and stay on the line
	// (kerning, accents placed over a letter).
	backStep = 1.0
)

// glyph is one shown character (or ligature, or ToUnicode sequence), with
// positions rotated into its own baseline direction.
type glyph struct {
	s      string
	x0, x1 float64 // start and end along the baseline
	y      float64 // baseline
	size   float64
	rot    int16 // baseline angle, degrees
}

type textLine struct {
	gs []glyph
}

// layout turns glyphs, in content-stream order, into lines of words. Producers
// draw in reading order almost always, column by column, so the stream order
// of lines is kept and only glyphs within a line are put in x order.
func layout(gs []glyph) string {
	gs = dropOverprint(gs)
	var lines []textLine
	var cur []glyph
	flush := func() {
		if len(cur) > 0 {
			lines = append(lines, textLine{gs: cur})
			cur = nil
		}
	}
	for _, g := range gs {
		if len(cur) == 0 {
			cur = append(cur, g)
			continue
		}
		p := cur[len(cur)-1]
		size := max(p.size, g.size, 0.01)
		if g.rot != p.rot || math.Abs(g.y-p.y) > lineShift*size || g.x0 < p.x1-backStep*size {
			flush()
			cur = append(cur, g)
			continue
		}
		cur = append(cur, g)
	}
	flush()
	lines = mergeLines(lines)

	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeLine(&b, l.gs)
	}
	return b.String()
}

// dropOverprint removes glyphs drawn again on top of an earlier copy of
// themselves, which is how some producers fake bold type (or a shadow).
// Positions are bucketed by the tolerance, so each glyph is compared with the
// few drawn near it only.
func dropOverprint(gs []glyph) []glyph {
	type key struct {
		s    string
		rot  int16
		x, y int64
	}
	seen := make(map[key][]float64, len(gs))
	out := gs[:0]
	for _, g := range gs {
		tol := 0.1 * max(g.size, 0.01)
		x, y := int64(math.Floor(g.x0/tol)), int64(math.Floor(g.y/tol))
		dup := false
		for dx := int64(-1); dx <= 1 && !dup; dx++ {
			for dy := int64(-1); dy <= 1 && !dup; dy++ {
				for _, gy := range seen[key{g.s, g.rot, x + dx, y + dy}] {
					if math.Abs(gy-g.y) < tol {
						dup = true
						break
					}
				}
			}
		}
		if dup {
			continue
		}
		k := key{g.s, g.rot, x, y}
		seen[k] = append(seen[k], g.y)
		out = append(out, g)
	}
	return out
}

// mergeLines joins consecutive pieces of one line drawn out of order (a line
// drawn right to left in parts, or a word added later on the same baseline).
func mergeLines(lines []textLine) []textLine {
	out := lines[:0]
	var merged []bool
	for _, l := range lines {
		if n := len(out); n > 0 {
			p := out[n-1]
			a, b := p.gs[0], l.gs[0]
			size := max(a.size, b.size, 0.01)
			if a.rot == b.rot && math.Abs(a.y-b.y) < 0.2*size && !overlaps(p.gs, l.gs) {
				out[n-1].gs = append(p.gs, l.gs...)
				merged[n-1] = true
				continue
			}
		}
		out = append(out, l)
		merged = append(merged, false)
	}
	// Sorted once at the end: sorting at every merge is quadratic on a
	// line drawn glyph by glyph from right to left.
	for i := range out {
		if merged[i] {
			gs := out[i].gs
			sort.SliceStable(gs, func(i, j int) bool { return gs[i].x0 < gs[j].x0 })
		}
	}
	return out
}

func overlaps(a, b []glyph) bool {
	amin, amax := extent(a)
	bmin, bmax := extent(b)
	return amin < bmax && bmin < amax
}

func extent(gs []glyph) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, g := range gs {
		lo = min(lo, g.x0, g.x1)
		hi = max(hi, g.x0, g.x1)
	}
	return lo, hi
}

func writeLine(b *strings.Builder, gs []glyph) {
	lastSpace := true // no space at the start of a line
	for i, g := range gs {
		if i > 0 {
			p := gs[i-1]
			gap := g.x0 - p.x1
			size := max(p.size, g.size, 0.01)
			if !lastSpace && gap > spaceGap*size && !startsWithSpace(g.s) {
				b.WriteByte(' ')
				lastSpace = true
			}
		}
		b.WriteString(g.s)
		r, _ := utf8.DecodeLastRuneInString(g.s)
		lastSpace = unicode.IsSpace(r)
	}
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
