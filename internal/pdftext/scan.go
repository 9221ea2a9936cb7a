package pdftext

import (
	"math"
	"unicode"

	"github.com/ledongthuc/pdf"
)

// The scan rule: a page whose text layer has fewer than scanMaxChars
// characters (not counting spaces) while the images it draws cover at least
// scanMinCover of its MediaBox is a picture of a page, and is read by OCR.
// A text page with a background picture has its text; a scan with a
// stamped page number or Bates number has a few characters only.
const (
	scanMaxChars = 20
	scanMinCover = 0.5
)

// box is a rectangle in default user space.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) area() float64 { return max(0, b.x1-b.x0) * max(0, b.y1-b.y0) }

func (b box) intersect(c box) box {
	return box{max(b.x0, c.x0), max(b.y0, c.y0), min(b.x1, c.x1), min(b.y1, c.y1)}
}

// letter is the MediaBox of a page that has none.
var letter = box{0, 0, 612, 792}

func isScan(text string, images []placedImage, page box) bool {
	if len(images) == 0 {
		return false
	}
	chars := 0
	for _, r := range text {
		if !unicode.IsSpace(r) {
			chars++
			if chars >= scanMaxChars {
				return false
			}
		}
	}
	return imageCover(images, page) >= scanMinCover
}

// imageCover is the share of the page that images cover, counting overlaps
// twice (scans are one image, or strips side by side).
func imageCover(images []placedImage, page box) float64 {
	pa := page.area()
	if pa <= 0 {
		return 0
	}
	sum := 0.0
	for _, im := range images {
		sum += imageBox(im.ctm).intersect(page).area()
	}
	return min(1, sum/pa)
}

// imageBox is the bounding box of the unit square under m.
func imageBox(m matrix) box {
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, c := range [4][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		x, y := m.apply(c[0], c[1])
		b.x0, b.y0 = min(b.x0, x), min(b.y0, y)
		b.x1, b.y1 = max(b.x1, x), max(b.y1, y)
	}
	if math.IsNaN(b.x0 + b.y0 + b.x1 + b.y1) {
		return box{}
	}
	return b
}

// inherited looks a page attribute up the page tree (MediaBox and Rotate
// may be set on an ancestor).
func inherited(page pdf.Value, key string) pdf.Value {
	v := page
	for range 64 {
		if v.Kind() != pdf.Dict {
			break
		}
		if a := v.Key(key); !a.IsNull() {
			return a
		}
		v = v.Key("Parent")
	}
	return pdf.Value{}
}

// pageBox is the page's MediaBox, normalised.
func pageBox(page pdf.Value) (b box) {
	defer func() {
		if recover() != nil {
			b = letter
		}
	}()
	mb := inherited(page, "MediaBox")
	if mb.Kind() != pdf.Array || mb.Len() != 4 {
		return letter
	}
	var f [4]float64
	for i := range 4 {
		f[i] = mb.Index(i).Float64()
		if math.IsNaN(f[i]) || math.IsInf(f[i], 0) {
			return letter
		}
	}
	b = box{min(f[0], f[2]), min(f[1], f[3]), max(f[0], f[2]), max(f[1], f[3])}
	if b.area() <= 0 {
		return letter
	}
	return b
}

// pageRotate is the page's /Rotate, in quarter turns clockwise (0 to 3).
func pageRotate(page pdf.Value) (q int) {
	defer func() {
		if recover() != nil {
			q = 0
		}
	}()
	r := inherited(page, "Rotate")
	if r.Kind() != pdf.Integer {
		return 0
	}
	return int(((r.Int64()/90)%4 + 4) % 4)
}
