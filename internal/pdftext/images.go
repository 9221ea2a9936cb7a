package pdftext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/ledongthuc/pdf"
	"golang.org/x/image/ccitt"
)

// Bounds on an image handed to Tesseract. A page at 600 dpi is 35
// megapixels; Tesseract refuses sides above 32767 pixels.
const (
	maxOCRPixels = 50_000_000
	maxOCRSide   = 32767
	minOCRSide   = 16
	// maxOCRImages per page, the largest first in drawing order.
	maxOCRImages = 16
	// minImageShare of the page: smaller images are logos and signatures.
	minImageShare = 0.01
)

// imageFile is one image of a scanned page, written for Tesseract.
type imageFile struct {
	Name string `json:",omitempty"` // file name in the folder the child was given
	DPI  int    `json:",omitempty"`
	Err  string `json:",omitempty"` // why the image was not written
}

// pageImages is what the child sends for one page in -images mode.
type pageImages struct {
	Page   int
	Images []imageFile `json:",omitempty"`
	Err    string      `json:",omitempty"` // why the page's images were not looked at
}

// writePageImages writes the images of the given pages of the PDF at path
// into dir, upright, with their resolution: JPEG as the file holds it,
// anything else as PNG. It decodes hostile data and runs in the child.
func writePageImages(path string, pages []int, dir string, onPage func(pageImages)) error {
	data, err := readPDF(path)
	if err != nil {
		return err
	}
	d, refs, err := openDocument(data)
	if err != nil {
		return err
	}
	for _, n := range pages {
		if n < 1 || n > len(refs) {
			onPage(pageImages{Page: n, Err: "no such page"})
			continue
		}
		onPage(d.pageImages(n, refs[n-1], dir))
	}
	return nil
}

func (d *doc) pageImages(n int, ref pageRef, dir string) (out pageImages) {
	out.Page = n
	defer func() {
		if x := recover(); x != nil {
			out.Err = fmt.Sprintf("reading the page's images: %v", x)
		}
	}()
	_, in := d.readPage(n, ref)
	if in == nil {
		out.Err = ref.err
		return out
	}
	page := pageBox(ref.v)
	rot := pageRotate(ref.v)
	seen := map[string]bool{}
	for _, im := range in.images {
		if imageBox(im.ctm).intersect(page).area() < minImageShare*page.area() {
			continue
		}
		if id := im.xo.String(); seen[id] {
			continue
		} else {
			seen[id] = true
		}
		if len(out.Images) == maxOCRImages {
			break
		}
		base := fmt.Sprintf("p%d-%d", n, len(out.Images)+1)
		name, dpi, err := d.writeImage(im, rot, dir, base)
		f := imageFile{Name: name, DPI: dpi}
		if err != nil {
			f = imageFile{Err: fmt.Sprintf("image %s: %v", im.name, err)}
		}
		out.Images = append(out.Images, f)
	}
	if len(out.Images) == 0 {
		out.Err = "no image large enough to read"
	}
	return out
}

// writeImage writes one image XObject as base.jpg or base.png in dir.
func (d *doc) writeImage(im placedImage, rot int, dir, base string) (name string, dpi int, err error) {
	xo := im.xo
	w, h := int(xo.Key("Width").Int64()), int(xo.Key("Height").Int64())
	if err := checkSize(w, h); err != nil {
		return "", 0, err
	}
	o := orient(im.ctm, rot)
	dpi = imageDPI(w, h, im.ctm)

	filters, parms := filterChain(xo)
	last, lastParm := "", pdf.Value{}
	if n := len(filters); n > 0 {
		last, lastParm = filters[n-1], parms[n-1]
	}
	imageFilter := true
	switch last {
	case "JBIG2Decode":
		return "", 0, errors.New("JBIG2-compressed, which this server does not decode")
	case "JPXDecode":
		return "", 0, errors.New("JPEG 2000-compressed, which this server does not decode")
	case "DCTDecode", "DCT", "CCITTFaxDecode", "CCF":
	default:
		imageFilter = false
	}

	mask := xo.Key("ImageMask").Kind() == pdf.Bool && xo.Key("ImageMask").Bool()
	cs := colorSpace{n: 1}
	bpc := 1
	if !mask {
		cs, err = colorSpaceOf(xo.Key("ColorSpace"))
		if err != nil && last != "DCTDecode" && last != "DCT" {
			return "", 0, err
		}
		bpc = int(xo.Key("BitsPerComponent").Int64())
	}
	rowBytes := (w*cs.n*bpc + 7) / 8
	expected := h * rowBytes

	var data []byte
	if d.libStreams {
		if imageFilter {
			return "", 0, errors.New("in an encrypted PDF whose image data this server cannot decrypt")
		}
		data, err = d.streamData(xo)
	} else {
		data, err = d.encodedStream(xo)
		n := len(filters)
		limit := 2*expected + 4096 // image data twice its size is a bomb
		if imageFilter {
			n--
			limit = maxStreamSize
		}
		for i := 0; i < n && err == nil; i++ {
			data, err = decodeFilter(filters[i], parms[i], data, limit)
			if errors.Is(err, errStreamTooBig) {
				return "", 0, fmt.Errorf("%s data inflates past twice its %d×%d pixels (a compression bomb?)", filters[i], w, h)
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", filters[i], err)
			}
		}
	}
	if err != nil && len(data) == 0 {
		return "", 0, err
	}

	var g *image.Gray
	switch last {
	case "DCTDecode", "DCT":
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", 0, fmt.Errorf("damaged JPEG: %v", err)
		}
		if err := checkSize(cfg.Width, cfg.Height); err != nil {
			return "", 0, fmt.Errorf("JPEG %w", err)
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return "", 0, fmt.Errorf("damaged JPEG: %v", err)
		}
		inverted := decodeInverted(xo.Key("Decode"))
		if o.upright() && !inverted && (cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.YCbCrModel) {
			// Tesseract reads JPEG itself: pass it through.
			name = base + ".jpg"
			return name, dpi, os.WriteFile(filepath.Join(dir, name), data, 0o600)
		}
		g = grayOf(img)
		if inverted {
			for i, v := range g.Pix {
				g.Pix[i] = 255 - v
			}
		}
		bpc = 8
	case "CCITTFaxDecode", "CCF":
		data, err = ccittDecode(data, lastParm, w, h)
		if err != nil && len(data) < expected/2 {
			return "", 0, fmt.Errorf("damaged CCITT data: %v", err)
		}
		fallthrough
	default:
		if len(data) < expected/2 {
			return "", 0, fmt.Errorf("image data cut short (%d of %d bytes)", len(data), expected)
		}
		g, err = samplesToGray(data, w, h, bpc, cs, xo.Key("Decode"))
		if err != nil {
			return "", 0, err
		}
	}
	g = o.apply(g)
	name = base + ".png"
	return name, dpi, writePNG(filepath.Join(dir, name), g, bpc == 1 && cs.n == 1)
}

func checkSize(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("size %d×%d is not an image", w, h)
	case w > maxOCRSide || h > maxOCRSide || w*h > maxOCRPixels:
		return fmt.Errorf("%d×%d is too large to read (at most %d pixels a side and %d megapixels)", w, h, maxOCRSide, maxOCRPixels/1_000_000)
	case w < minOCRSide || h < minOCRSide:
		return fmt.Errorf("%d×%d is too small to hold text", w, h)
	}
	return nil
}

// imageDPI is the resolution the image is drawn at, which Tesseract needs
// to know the size of the letters.
func imageDPI(w, h int, m matrix) int {
	pw, ph := math.Hypot(m[0], m[1]), math.Hypot(m[2], m[3])
	if pw <= 0 || ph <= 0 || math.IsNaN(pw+ph) || math.IsInf(pw+ph, 0) {
		return 300
	}
	dpi := (float64(w)*72/pw + float64(h)*72/ph) / 2
	return int(math.Round(min(2400, max(70, dpi))))
}

// orientation says where the image's rows and columns go on the page as it
// is shown: xAxis is the direction of increasing sample x, yAxis that of
// increasing row, each 'X' or 'Y' with a sign.
type orientation struct {
	xOnX, xPos, yPos bool
}

func (o orientation) upright() bool { return o.xOnX && o.xPos && o.yPos }

// orient finds how an image drawn with CTM m on a page turned by rot
// quarter turns clockwise appears: upright, turned or mirrored. Skew is
// rounded to the nearest quarter turn.
func orient(m matrix, rot int) orientation {
	// In user space, sample x runs along (a, b); rows run down the image,
	// along -(c, d).
	show := func(x, y float64) (float64, float64) { // to display space, y down
		switch rot {
		case 1:
			return y, x
		case 2:
			return -x, y
		case 3:
			return -y, -x
		}
		return x, -y
	}
	dxX, dxY := show(m[0], m[1])
	dyX, dyY := show(-m[2], -m[3])
	xOnX := math.Abs(dxX) >= math.Abs(dxY)
	yOnX := math.Abs(dyX) > math.Abs(dyY)
	if xOnX == yOnX {
		return orientation{true, true, true} // degenerate: take it as it is
	}
	if xOnX {
		return orientation{xOnX: true, xPos: dxX > 0, yPos: dyY > 0}
	}
	return orientation{xOnX: false, xPos: dxY > 0, yPos: dyX > 0}
}

// apply turns g the way it is shown.
func (o orientation) apply(g *image.Gray) *image.Gray {
	if o.upright() {
		return g
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	ow, oh := w, h
	if !o.xOnX {
		ow, oh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := range h {
		py := y
		if !o.yPos {
			py = h - 1 - y
		}
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, v := range row {
			px := x
			if !o.xPos {
				px = w - 1 - x
			}
			if o.xOnX {
				out.Pix[py*ow+px] = v
			} else {
				out.Pix[px*ow+py] = v
			}
		}
	}
	return out
}

// colorSpace is what samplesToGray needs of an image's color space.
type colorSpace struct {
	n       int    // components per sample
	kind    string // "gray", "rgb", "cmyk", "indexed", "ink" (tint: 1 is dark), "lab"
	palette []byte // indexed: gray of each entry
}

func colorSpaceOf(v pdf.Value) (colorSpace, error) {
	name := v.Name()
	var arr []pdf.Value
	if v.Kind() == pdf.Array && v.Len() > 0 {
		name = v.Index(0).Name()
		for i := 0; i < v.Len() && i < 8; i++ {
			arr = append(arr, v.Index(i))
		}
	}
	switch name {
	case "DeviceGray", "G", "CalGray":
		return colorSpace{n: 1, kind: "gray"}, nil
	case "DeviceRGB", "RGB", "CalRGB":
		return colorSpace{n: 3, kind: "rgb"}, nil
	case "DeviceCMYK", "CMYK":
		return colorSpace{n: 4, kind: "cmyk"}, nil
	case "Lab":
		return colorSpace{n: 3, kind: "lab"}, nil
	case "ICCBased":
		if len(arr) > 1 {
			switch arr[1].Key("N").Int64() {
			case 1:
				return colorSpace{n: 1, kind: "gray"}, nil
			case 3:
				return colorSpace{n: 3, kind: "rgb"}, nil
			case 4:
				return colorSpace{n: 4, kind: "cmyk"}, nil
			}
		}
	case "Separation":
		return colorSpace{n: 1, kind: "ink"}, nil
	case "DeviceN":
		if len(arr) > 1 && arr[1].Kind() == pdf.Array && arr[1].Len() == 1 {
			return colorSpace{n: 1, kind: "ink"}, nil
		}
	case "Indexed", "I":
		if len(arr) == 4 {
			return indexedSpace(arr[1], int(arr[2].Int64()), arr[3])
		}
	case "":
		return colorSpace{}, errors.New("no color space")
	}
	return colorSpace{}, fmt.Errorf("color space %s, which this server does not read", name)
}

func indexedSpace(base pdf.Value, hival int, lookup pdf.Value) (colorSpace, error) {
	b, err := colorSpaceOf(base)
	if err != nil || b.kind == "indexed" {
		return colorSpace{}, fmt.Errorf("indexed color space over %s", base.String())
	}
	var table []byte
	switch lookup.Kind() {
	case pdf.String:
		table = []byte(lookup.RawString())
	case pdf.Stream:
		rc := lookup.Reader()
		table, err = io.ReadAll(io.LimitReader(rc, 256*4))
		rc.Close()
		if err != nil {
			return colorSpace{}, fmt.Errorf("indexed color table: %v", err)
		}
	}
	hival = min(max(hival, 0), 255)
	pal := make([]byte, 256)
	for i := range pal {
		pal[i] = 255
	}
	for i := 0; i <= hival && (i+1)*b.n <= len(table); i++ {
		pal[i] = b.gray(table[i*b.n : (i+1)*b.n])
	}
	return colorSpace{n: 1, kind: "indexed", palette: pal}, nil
}

// gray is the gray level of one sample of 8-bit components.
func (cs colorSpace) gray(c []byte) byte {
	switch cs.kind {
	case "rgb":
		return byte((299*int(c[0]) + 587*int(c[1]) + 114*int(c[2])) / 1000)
	case "cmyk":
		ink := (30*int(c[0]) + 59*int(c[1]) + 11*int(c[2]) + 100*int(c[3])) / 100
		return byte(255 - min(255, ink))
	case "ink":
		return 255 - c[0]
	case "indexed":
		return cs.palette[c[0]]
	}
	return c[0] // gray, and lab's lightness
}

// samplesToGray turns raw image samples into 8-bit gray. Rows missing at
// the end are left white.
func samplesToGray(data []byte, w, h, bpc int, cs colorSpace, decode pdf.Value) (*image.Gray, error) {
	switch bpc {
	case 1, 2, 4, 8, 16:
	default:
		return nil, fmt.Errorf("%d bits per component", bpc)
	}
	// lut maps each component's sample to 8 bits, through /Decode.
	levels := 1 << min(bpc, 8)
	luts := make([][]byte, cs.n)
	for c := range cs.n {
		lo, hi := 0.0, 1.0
		if cs.kind == "indexed" {
			hi = float64(levels - 1)
		}
		if decode.Kind() == pdf.Array && decode.Len() >= 2*(c+1) {
			lo, hi = decode.Index(2*c).Float64(), decode.Index(2*c+1).Float64()
		}
		lut := make([]byte, levels)
		for s := range levels {
			v := lo + float64(s)*(hi-lo)/float64(levels-1)
			switch {
			case cs.kind == "indexed":
				lut[s] = byte(min(255, max(0, math.Round(v))))
			case cs.kind == "lab" && c == 0:
				lut[s] = byte(min(255, max(0, math.Round(v/100*255))))
			default:
				lut[s] = byte(min(255, max(0, math.Round(v*255))))
			}
		}
		luts[c] = lut
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	rowBytes := (w*cs.n*bpc + 7) / 8
	comps := make([]byte, cs.n)
	var direct []byte // one component: sample to gray in one lookup
	if cs.n == 1 {
		direct = make([]byte, levels)
		for s := range levels {
			direct[s] = cs.gray([]byte{luts[0][s]})
		}
	}
	for y := 0; y < h && (y+1)*rowBytes <= len(data); y++ {
		row := data[y*rowBytes : (y+1)*rowBytes]
		out := g.Pix[y*g.Stride : y*g.Stride+w]
		switch {
		case direct != nil && bpc == 8:
			for x := range out {
				out[x] = direct[row[x]]
			}
			continue
		case direct != nil && bpc == 1:
			for x := range out {
				out[x] = direct[row[x>>3]>>(7-x&7)&1]
			}
			continue
		}
		bit := 0
		for x := range w {
			for c := range cs.n {
				var s int
				switch bpc {
				case 8:
					s = int(row[bit>>3])
				case 16:
					s = int(row[bit>>3]) // the high byte is enough for OCR
				default:
					s = int(row[bit>>3]>>(8-bpc-bit&7)) & (1<<bpc - 1)
				}
				bit += bpc
				comps[c] = luts[c][s]
			}
			out[x] = cs.gray(comps)
		}
	}
	return g, nil
}

// decodeInverted reports a /Decode array that swaps dark and light, such as
// [1 0].
func decodeInverted(v pdf.Value) bool {
	return v.Kind() == pdf.Array && v.Len() >= 2 && v.Index(0).Float64() > v.Index(1).Float64()
}

// grayOf converts a decoded JPEG to gray: the luma plane of a YCbCr one.
func grayOf(img image.Image) *image.Gray {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := range b.Dy() {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Y[y*m.YStride:])
		}
		return g
	}
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return g
}

// ccittDecode decodes CCITT fax data to 1-bit rows as the PDF filter gives
// them (0 is black unless BlackIs1).
func ccittDecode(data []byte, parm pdf.Value, w, h int) ([]byte, error) {
	k := parm.Key("K").Int64()
	sf := ccitt.Group3
	switch {
	case k < 0:
		sf = ccitt.Group4
	case k > 0:
		return nil, errors.New("CCITT Group 3 two-dimensional, which this server does not decode")
	}
	cols := 1728
	if c := parm.Key("Columns"); c.Kind() == pdf.Integer {
		cols = int(c.Int64())
	}
	if cols != w {
		return nil, fmt.Errorf("CCITT data %d pixels wide in an image %d wide", cols, w)
	}
	rows := h
	if r := parm.Key("Rows"); r.Kind() == pdf.Integer && r.Int64() > 0 {
		rows = min(h, int(r.Int64()))
	}
	opts := &ccitt.Options{
		Align:  parm.Key("EncodedByteAlign").Bool(),
		Invert: parm.Key("BlackIs1").Bool(),
	}
	r := ccitt.NewReader(bytes.NewReader(data), ccitt.MSB, sf, cols, rows, opts)
	out, err := io.ReadAll(io.LimitReader(r, int64(rows*((w+7)/8))))
	return out, err
}

// writePNG writes g as PNG, as 1-bit when it holds black and white only.
func writePNG(path string, g *image.Gray, bilevel bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var img image.Image = g
	if bilevel {
		img = &image.Paletted{Pix: g.Pix, Stride: g.Stride, Rect: g.Rect, Palette: color.Palette{color.Gray{0}, color.Gray{255}}}
		for i, v := range g.Pix {
			g.Pix[i] = v >> 7
		}
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	err = enc.Encode(w, img)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
