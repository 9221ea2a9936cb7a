package pdftext

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"
)

// maxStreamSize bounds one decoded stream, so that a small compressed bomb
// ends as a page error instead of exhausting the child's memory.
const maxStreamSize = 128 << 20

var errStreamTooBig = fmt.Errorf("stream decodes to more than %d MB", maxStreamSize>>20)

// streamData returns the decoded bytes of a stream. The library decodes only
// Flate and ASCII85 and fails the whole stream on the first bad byte, so for
// files it does not need to decrypt we find the raw bytes ourselves and keep
// whatever decodes before a fault, returning it together with the error.
func (d *doc) streamData(v pdf.Value) (data []byte, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("reading stream: %v", x)
		}
	}()
	if v.Kind() != pdf.Stream {
		return nil, errors.New("not a stream")
	}
	if d.libStreams {
		rc := v.Reader()
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxStreamSize+1))
		if len(data) > maxStreamSize {
			return data[:maxStreamSize], errStreamTooBig
		}
		return data, err
	}
	raw, err := d.encodedStream(v)
	if err != nil {
		return nil, err
	}
	filters, parms := filterChain(v)
	data = raw
	for i, f := range filters {
		data, err = decodeFilter(f, parms[i], data, maxStreamSize)
		if err != nil {
			return data, fmt.Errorf("%s: %w", f, err)
		}
	}
	return data, nil
}

// encodedStream returns the bytes of a stream as the file holds them,
// decrypted but not decoded. Not for files the library decrypts.
func (d *doc) encodedStream(v pdf.Value) ([]byte, error) {
	s := v.String()
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return nil, errors.New("stream without offset")
	}
	off, perr := strconv.ParseInt(s[at+1:], 10, 64)
	if perr != nil {
		return nil, errors.New("stream without offset")
	}
	length := int64(-1)
	if l := v.Key("Length"); l.Kind() == pdf.Integer {
		length = l.Int64()
	}
	raw := d.rawStream(off, length)
	if d.aesKey != nil && v.Key("Type").Name() != "XRef" {
		return decryptAES256(d.aesKey, raw)
	}
	return raw, nil
}

// rawStream finds a stream's bytes, trusting /Length only when "endstream"
// follows it: wrong lengths are common in files written by hand-rolled tools.
func (d *doc) rawStream(off, length int64) []byte {
	data := d.data
	if off < 0 || off > int64(len(data)) {
		return nil
	}
	if length >= 0 && off+length <= int64(len(data)) {
		after := bytes.TrimLeft(data[off+length:min(int64(len(data)), off+length+32)], " \t\r\n\f\x00")
		if bytes.HasPrefix(after, []byte("endstream")) {
			return data[off : off+length]
		}
	}
	rest := data[off:]
	i := bytes.Index(rest, []byte("endstream"))
	if i < 0 {
		if length >= 0 && length <= int64(len(rest)) {
			return rest[:length]
		}
		return rest
	}
	rest = rest[:i]
	if n := len(rest); n > 0 && rest[n-1] == '\n' {
		rest = rest[:n-1]
		if n := len(rest); n > 0 && rest[n-1] == '\r' {
			rest = rest[:n-1]
		}
	} else if n > 0 && rest[n-1] == '\r' {
		rest = rest[:n-1]
	}
	return rest
}

func filterChain(v pdf.Value) ([]string, []pdf.Value) {
	f := v.Key("Filter")
	p := v.Key("DecodeParms")
	if p.IsNull() {
		p = v.Key("DP")
	}
	switch f.Kind() {
	case pdf.Name:
		if p.Kind() == pdf.Array {
			p = p.Index(0)
		}
		return []string{f.Name()}, []pdf.Value{p}
	case pdf.Array:
		n := min(f.Len(), 16)
		names := make([]string, n)
		parms := make([]pdf.Value, n)
		for i := range n {
			names[i] = f.Index(i).Name()
			if p.Kind() == pdf.Array {
				parms[i] = p.Index(i)
			} else if i == 0 {
				parms[i] = p
			}
		}
		return names, parms
	}
	return nil, nil
}

// decodeFilter decodes one filter of a stream. limit bounds what Flate may
// inflate to (the other filters grow data by a small factor at most).
func decodeFilter(name string, parm pdf.Value, in []byte, limit int) ([]byte, error) {
	switch name {
	case "FlateDecode", "Fl":
		out, err := inflate(in, limit)
		return predict(out, err, parm)
	case "LZWDecode", "LZW":
		early := 1
		if e := parm.Key("EarlyChange"); e.Kind() == pdf.Integer {
			early = int(e.Int64())
		}
		out, err := lzwDecode(in, early)
		return predict(out, err, parm)
	case "ASCIIHexDecode", "AHx":
		return hexDecode(in)
	case "ASCII85Decode", "A85":
		return a85Decode(in)
	case "RunLengthDecode", "RL":
		return runLengthDecode(in)
	case "Crypt":
		return in, nil
	case "":
		return in, errors.New("unnamed filter")
	}
	return nil, fmt.Errorf("unsupported filter")
}

// inflate decodes zlib or bare deflate data up to limit bytes; beyond it
// the data is cut and errStreamTooBig returned.
func inflate(in []byte, limit int) ([]byte, error) {
	var r io.Reader
	zr, err := zlib.NewReader(bytes.NewReader(in))
	if err != nil {
		// Some writers omit the zlib header and emit bare deflate.
		r = flate.NewReader(bytes.NewReader(in))
	} else {
		r = zr
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(limit)+1))
	if n > int64(limit) {
		return buf.Bytes()[:limit], errStreamTooBig
	}
	if err == io.ErrUnexpectedEOF {
		// Everything before the cut is good and is kept.
		err = errors.New("stream truncated")
	}
	if errors.Is(err, zlib.ErrChecksum) {
		err = nil
	}
	return buf.Bytes(), err
}

// predict undoes a PNG or TIFF predictor.
func predict(in []byte, err error, parm pdf.Value) ([]byte, error) {
	pred := parm.Key("Predictor").Int64()
	if pred <= 1 {
		return in, err
	}
	colors := int(max(1, min(parm.Key("Colors").Int64(), 32)))
	bpc := 8
	if b := parm.Key("BitsPerComponent"); b.Kind() == pdf.Integer {
		bpc = int(min(max(b.Int64(), 1), 16))
	}
	columns := 1
	if c := parm.Key("Columns"); c.Kind() == pdf.Integer {
		columns = int(min(max(c.Int64(), 1), 1<<20))
	}
	bpp := max(1, colors*bpc/8)
	rowLen := (colors*bpc*columns + 7) / 8
	if pred == 2 {
		if bpc != 8 {
			return in, errors.New("TIFF predictor with other than 8 bits")
		}
		out := bytes.Clone(in)
		for row := 0; row+rowLen <= len(out); row += rowLen {
			for i := bpp; i < rowLen; i++ {
				out[row+i] += out[row+i-bpp]
			}
		}
		return out, err
	}
	out := make([]byte, 0, len(in))
	prev := make([]byte, rowLen)
	cur := make([]byte, rowLen)
	for len(in) >= 1 {
		ft := in[0]
		in = in[1:]
		n := copy(cur, in)
		in = in[n:]
		for i := n; i < rowLen; i++ {
			cur[i] = 0
		}
		for i := range rowLen {
			var a, b, c byte
			if i >= bpp {
				a = cur[i-bpp]
				c = prev[i-bpp]
			}
			b = prev[i]
			switch ft {
			case 1:
				cur[i] += a
			case 2:
				cur[i] += b
			case 3:
				cur[i] += byte((int(a) + int(b)) / 2)
			case 4:
				cur[i] += paeth(a, b, c)
			}
		}
		out = append(out, cur[:n]...)
		prev, cur = cur, prev
	}
	return out, err
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// lzwDecode decodes PDF's LZW (MSB-first codes, 9 to 12 bits, with the
// "early change" the standard library's compress/lzw does not implement).
func lzwDecode(in []byte, early int) ([]byte, error) {
	var (
		out   []byte
		table [4096][]byte
		next  = 258
		width = 9
		prev  = -1
		acc   uint32
		nbits int
	)
	for i := range 256 {
		table[i] = []byte{byte(i)}
	}
	for _, c := range in {
		acc = acc<<8 | uint32(c)
		nbits += 8
		for nbits >= width {
			code := int(acc>>(nbits-width)) & (1<<width - 1)
			nbits -= width
			switch {
			case code == 256:
				next, width, prev = 258, 9, -1
				continue
			case code == 257:
				return out, nil
			}
			var entry []byte
			switch {
			case code < next && table[code] != nil:
				entry = table[code]
			case code == next && prev >= 0:
				entry = append(bytes.Clone(table[prev]), table[prev][0])
			default:
				return out, fmt.Errorf("bad code %d", code)
			}
			out = append(out, entry...)
			if len(out) > maxStreamSize {
				return out[:maxStreamSize], errStreamTooBig
			}
			if prev >= 0 && next < 4096 {
				table[next] = append(bytes.Clone(table[prev]), entry[0])
				next++
			}
			prev = code
			if next+early >= 1<<width && width < 12 {
				width++
			}
		}
	}
	return out, nil
}

func hexDecode(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)/2)
	var hi int = -1
	for _, c := range in {
		if c == '>' {
			break
		}
		if isSpace(c) {
			continue
		}
		v := unhex(c)
		if v < 0 {
			return out, fmt.Errorf("bad hex digit %q", c)
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
	if hi >= 0 {
		out = append(out, byte(hi<<4))
	}
	return out, nil
}

func a85Decode(in []byte) ([]byte, error) {
	in = bytes.TrimPrefix(bytes.TrimLeft(in, " \t\r\n\f\x00"), []byte("<~"))
	if i := bytes.Index(in, []byte("~>")); i >= 0 {
		in = in[:i]
	} else if i := bytes.IndexByte(in, '~'); i >= 0 {
		in = in[:i]
	}
	clean := make([]byte, 0, len(in))
	for _, c := range in {
		if (c >= '!' && c <= 'u') || c == 'z' {
			clean = append(clean, c)
		}
	}
	out := make([]byte, len(clean)*5/4+8)
	n, _, err := ascii85.Decode(out, clean, true)
	return out[:n], err
}

func runLengthDecode(in []byte) ([]byte, error) {
	var out []byte
	for i := 0; i < len(in); {
		l := int(in[i])
		i++
		switch {
		case l == 128:
			return out, nil
		case l < 128:
			end := min(i+l+1, len(in))
			out = append(out, in[i:end]...)
			i = end
		default:
			if i >= len(in) {
				return out, nil
			}
			out = append(out, bytes.Repeat(in[i:i+1], 257-l)...)
			i++
		}
		if len(out) > maxStreamSize {
			return out[:maxStreamSize], errStreamTooBig
		}
	}
	return out, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', 0:
		return true
	}
	return false
}
