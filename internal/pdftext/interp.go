package pdftext

import (
	"errors"
	"fmt"
	"math"

	"github.com/ledongthuc/pdf"
)

// Budgets per page; a page beyond them is hostile or broken and its text
// read so far is kept.
const (
	maxGlyphsPerPage = 2 << 20
	maxOpsPerPage    = 50 << 20
	maxFormDepth     = 12
	maxPageContent   = 512 << 20 // bytes read per page, forms drawn many times included
	maxStateDepth    = 1024
)

var errBudget = errors.New("page content exceeds limits")

type gstate struct {
	ctm      matrix
	font     *font
	fontSize float64
	tc, tw   float64
	th       float64
	tl       float64
	rise     float64
}

// interp runs the content of one page and collects its glyphs.
type interp struct {
	d      *doc
	g      gstate
	saved  []gstate
	tm     matrix
	tlm    matrix
	glyphs []glyph
	ops    int
	read   int   // content bytes read, forms included
	err    error // first fault; text before it is kept
	forms  map[string]bool

	images   []placedImage  // image XObjects drawn, in order, at most maxPlacedImages
	unmapped map[string]int // font name -> glyphs without Unicode
}

// placedImage is an image XObject as the page draws it: the CTM maps the
// unit square onto the page.
type placedImage struct {
	name string
	xo   pdf.Value
	ctm  matrix
}

// maxPlacedImages bounds the images remembered per page: a scan has one, or
// a few strips; a page drawing thousands is not one to OCR.
const maxPlacedImages = 256

func newInterp(d *doc) *interp {
	return &interp{
		d:        d,
		g:        gstate{ctm: identity, th: 1},
		tm:       identity,
		tlm:      identity,
		forms:    map[string]bool{},
		unmapped: map[string]int{},
	}
}

func (in *interp) fail(err error) {
	if in.err == nil {
		in.err = err
	}
}

// run executes a content stream with the given resources. A panic from the
// library while resolving a resource ends this stream only.
func (in *interp) run(data []byte, res pdf.Value) {
	in.read += len(data)
	if in.read > maxPageContent {
		in.fail(errBudget)
		return
	}
	fonts := map[string]*font{}
	defer func() {
		if x := recover(); x != nil {
			in.fail(fmt.Errorf("%v", x))
		}
	}()
	runContent(data, func(op []byte, args []operand) bool {
		in.ops++
		if in.ops > maxOpsPerPage || len(in.glyphs) > maxGlyphsPerPage {
			in.fail(errBudget)
			return false
		}
		in.exec(string(op), args, res, fonts)
		return true
	})
}

func num(args []operand, i int) float64 {
	if i < 0 || i >= len(args) || args[i].kind != kNum {
		return 0
	}
	f := args[i].num
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// last returns the n operands an operator takes, ignoring any extra ones in
// front (left by a malformed stream).
func last(args []operand, n int) []operand {
	if len(args) > n {
		return args[len(args)-n:]
	}
	return args
}

func (in *interp) exec(op string, args []operand, res pdf.Value, fonts map[string]*font) {
	g := &in.g
	switch op {
	case "q":
		if len(in.saved) < maxStateDepth {
			in.saved = append(in.saved, *g)
		}
	case "Q":
		if n := len(in.saved); n > 0 {
			*g = in.saved[n-1]
			in.saved = in.saved[:n-1]
		}
	case "cm":
		if m, ok := matrixOf(args); ok {
			g.ctm = m.mul(g.ctm)
		}
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Tc":
		g.tc = num(last(args, 1), 0)
	case "Tw":
		g.tw = num(last(args, 1), 0)
	case "Tz":
		g.th = num(last(args, 1), 0) / 100
	case "TL":
		g.tl = num(last(args, 1), 0)
	case "Ts":
		g.rise = num(last(args, 1), 0)
	case "Tf":
		a := last(args, 2)
		if len(a) == 2 && a[0].kind == kName {
			g.font = in.fontNamed(string(a[0].s), res, fonts)
			g.fontSize = num(a, 1)
		}
	case "Td":
		a := last(args, 2)
		in.moveLine(num(a, 0), num(a, 1))
	case "TD":
		a := last(args, 2)
		g.tl = -num(a, 1)
		in.moveLine(num(a, 0), num(a, 1))
	case "Tm":
		if m, ok := matrixOf(args); ok {
			in.tm, in.tlm = m, m
		}
	case "T*":
		in.moveLine(0, -g.tl)
	case "Tj":
		a := last(args, 1)
		if len(a) == 1 && a[0].kind == kStr {
			in.show(a[0].s)
		} else if len(a) == 1 && a[0].kind == kArray {
			// "[(text) Tj": the bracket was never closed.
			in.exec("TJ", a, res, fonts)
		}
	case "'":
		in.moveLine(0, -g.tl)
		if a := last(args, 1); len(a) == 1 && a[0].kind == kStr {
			in.show(a[0].s)
		}
	case "\"":
		a := last(args, 3)
		if len(a) == 3 {
			g.tw, g.tc = num(a, 0), num(a, 1)
			in.moveLine(0, -g.tl)
			if a[2].kind == kStr {
				in.show(a[2].s)
			}
		}
	case "TJ":
		if a := last(args, 1); len(a) == 1 && a[0].kind == kArray {
			for _, e := range a[0].arr {
				switch e.kind {
				case kStr:
					in.show(e.s)
				case kNum:
					tx := -e.num / 1000 * g.fontSize * g.th
					in.tm[4] += tx * in.tm[0]
					in.tm[5] += tx * in.tm[1]
				}
			}
		}
	case "Do":
		if a := last(args, 1); len(a) == 1 && a[0].kind == kName {
			in.do(string(a[0].s), res)
		}
	}
}

func (in *interp) moveLine(tx, ty float64) {
	in.tlm = matrix{1, 0, 0, 1, tx, ty}.mul(in.tlm)
	in.tm = in.tlm
}

func (in *interp) fontNamed(name string, res pdf.Value, cache map[string]*font) *font {
	if f, ok := cache[name]; ok {
		return f
	}
	var f *font
	if v := res.Key("Font").Key(name); v.Kind() == pdf.Dict {
		f = in.d.font(v)
	}
	cache[name] = f
	return f
}

// show lays out the glyphs of one string.
func (in *interp) show(s []byte) {
	g := &in.g
	f := g.font
	if f == nil {
		// No usable font: we cannot know the encoding, so the text would be
		// a guess. Count it as unmapped.
		in.unmapped["(missing font)"] += len(s)
		return
	}
	trm := in.tm.mul(g.ctm)
	// Unit vector of the baseline in device space; glyph positions are
	// stored rotated into it, so that rotated text lays out like upright.
	ux, uy := trm[0], trm[1]
	norm := math.Hypot(ux, uy)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return
	}
	ux, uy = ux/norm, uy/norm
	size := math.Abs(g.fontSize) * math.Hypot(trm[2], trm[3]) * f.sizeScale
	rot := int16(math.Round(math.Atan2(uy, ux) * 180 / math.Pi))
	for len(s) > 0 {
		gc := f.next(s)
		s = s[gc.n:]
		adv := gc.width*g.fontSize + g.tc
		if gc.n == 1 && gc.code == 32 {
			adv += g.tw
		}
		adv *= g.th
		x0, y0 := in.tm.mul(g.ctm).apply(0, g.rise)
		in.tm[4] += adv * in.tm[0]
		in.tm[5] += adv * in.tm[1]
		if gc.text == "" {
			if f.noUnicode || gc.code != 32 {
				in.unmapped[f.name]++
			}
			continue
		}
		x1, y1 := in.tm.mul(g.ctm).apply(0, g.rise)
		in.glyphs = append(in.glyphs, glyph{
			s:    gc.text,
			x0:   x0*ux + y0*uy,
			x1:   x1*ux + y1*uy,
			y:    -x0*uy + y0*ux,
			size: size,
			rot:  rot,
		})
	}
}

// do runs a Form XObject, which the library does not follow: reports made
// by some tools keep their whole body text in forms.
func (in *interp) do(name string, res pdf.Value) {
	xo := res.Key("XObject").Key(name)
	switch xo.Key("Subtype").Name() {
	case "Image":
		if len(in.images) < maxPlacedImages {
			in.images = append(in.images, placedImage{name: name, xo: xo, ctm: in.g.ctm})
		}
		return
	case "Form":
	default:
		return
	}
	id := xo.String()
	if in.forms[id] || len(in.forms) >= maxFormDepth {
		return
	}
	data, err := in.d.streamData(xo)
	if err != nil {
		in.fail(fmt.Errorf("form %s: %w", name, err))
	}
	in.forms[id] = true
	defer delete(in.forms, id)

	saved, tm, tlm := in.g, in.tm, in.tlm
	defer func() { in.g, in.tm, in.tlm = saved, tm, tlm }()
	if m := xo.Key("Matrix"); m.Kind() == pdf.Array && m.Len() == 6 {
		var mm matrix
		for i := range 6 {
			mm[i] = m.Index(i).Float64()
		}
		in.g.ctm = mm.mul(in.g.ctm)
	}
	formRes := xo.Key("Resources")
	if formRes.Kind() != pdf.Dict {
		formRes = res
	}
	depth := len(in.saved)
	in.run(data, formRes)
	in.saved = in.saved[:min(depth, len(in.saved))]
}
