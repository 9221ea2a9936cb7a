package pdftext

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Limits on what a file may ask of us before the library sees it. The library
// sizes its cross-reference table from numbers in the file, so a 627-byte
// file can make it allocate 137 GB; these bounds turn that into an error.
const (
	maxFileSize   = 1 << 30
	maxObjects    = 8 << 20 // far above any real document
	maxXrefChain  = 64
	maxXrefColumn = 1 << 16
)

var errNotPDF = errors.New("not a PDF file (no %PDF header)")

// prepare returns the bytes of a PDF arranged the way the library insists on
// seeing them: "%PDF-1.x" followed by a newline at offset 0. Real files often
// have bytes before the header (mail gateways, web servers) or a "%PDF-2.0"
// header; both are readable. (Garbage after %%EOF is cut by checkEOF.)
func prepare(data []byte) ([]byte, error) {
	// Readers conventionally look for the header in the first kilobyte.
	head := data[:min(len(data), 1024)]
	i := bytes.Index(head, []byte("%PDF-"))
	if i < 0 {
		return nil, errNotPDF
	}
	data = data[i:]
	if len(data) < 9 {
		return nil, errNotPDF
	}
	if !(data[5] == '1' && data[6] == '.' && data[7] >= '0' && data[7] <= '7' && (data[8] == '\r' || data[8] == '\n')) {
		// Byte 8 onwards on the header line is at most a comment, so
		// overwriting it with a newline changes nothing else.
		copy(data[5:9], "1.7\n")
	}
	return data, nil
}

// checkEOF trims anything after the last %%EOF, because the library looks for
// it (and startxref) only in the last 100 bytes.
func checkEOF(data *[]byte) error {
	d := *data
	tail := d[max(0, len(d)-4096):]
	j := bytes.LastIndex(tail, []byte("%%EOF"))
	if j < 0 {
		return errors.New("damaged: no %%EOF marker (truncated file?)")
	}
	end := len(d) - len(tail) + j + len("%%EOF")
	*data = d[:end]
	return nil
}

var (
	reSize    = regexp.MustCompile(`/Size\s+(\d+)`)
	rePrev    = regexp.MustCompile(`/Prev\s+(\d+)`)
	reIndex   = regexp.MustCompile(`/Index\s*\[([^\]]*)\]`)
	reW       = regexp.MustCompile(`/W\s*\[([^\]]*)\]`)
	reColumns = regexp.MustCompile(`/Columns\s+(\d+)`)
	reObjHead = regexp.MustCompile(`^\s*\d+\s+\d+\s+obj`)
)

// checkXref walks the cross-reference chain the way the library will and
// refuses numbers that would make it allocate absurd amounts of memory.
func checkXref(data []byte) error {
	tail := data[max(0, len(data)-1024):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return errors.New("damaged: no startxref")
	}
	fields := bytes.Fields(tail[i+len("startxref"):])
	if len(fields) == 0 {
		return errors.New("damaged: startxref without offset")
	}
	off, err := strconv.ParseInt(string(fields[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("damaged: startxref offset %q", fields[0])
	}
	for n := 0; n < maxXrefChain; n++ {
		if off < 0 || off >= int64(len(data)) {
			return fmt.Errorf("damaged: cross-reference offset %d outside the file", off)
		}
		sec := data[off:]
		var dict []byte
		if t := bytes.TrimLeft(sec, " \t\r\n\f\x00"); bytes.HasPrefix(t, []byte("xref")) {
			d, err := checkXrefTable(t[4:])
			if err != nil {
				return err
			}
			dict = d
		} else if reObjHead.Match(sec[:min(len(sec), 64)]) {
			end := bytes.Index(sec, []byte("stream"))
			if end < 0 {
				end = min(len(sec), 4096)
			}
			dict = sec[:end]
			if err := checkXrefStream(dict); err != nil {
				return err
			}
		} else {
			// Let the library produce its own message for this.
			return nil
		}
		if m := reSize.FindSubmatch(dict); m != nil {
			if err := checkCount("/Size", m[1]); err != nil {
				return err
			}
		}
		m := rePrev.FindSubmatch(dict)
		if m == nil {
			return nil
		}
		next, err := strconv.ParseInt(string(m[1]), 10, 64)
		if err != nil || next == off {
			return fmt.Errorf("damaged: cross-reference /Prev %q", m[1])
		}
		off = next
	}
	return errors.New("damaged: cross-reference chain too long (loop?)")
}

func checkCount(what string, b []byte) error {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 || n > maxObjects {
		return fmt.Errorf("damaged: cross-reference %s %s out of range", what, b)
	}
	return nil
}

// checkXrefTable checks the subsection headers of a classic xref table and
// returns the trailer dictionary that follows it.
func checkXrefTable(t []byte) ([]byte, error) {
	for {
		t = bytes.TrimLeft(t, " \t\r\n\f\x00")
		if len(t) == 0 {
			return nil, nil
		}
		if bytes.HasPrefix(t, []byte("trailer")) {
			end := bytes.Index(t, []byte("startxref"))
			if end < 0 {
				end = min(len(t), 4096)
			}
			return t[:end], nil
		}
		start, rest, ok := nextInt(t)
		if !ok {
			return nil, nil // the library will say what is wrong
		}
		count, rest, ok := nextInt(rest)
		if !ok {
			return nil, nil
		}
		if start < 0 || count < 0 || start > maxObjects || count > maxObjects || start+count > maxObjects {
			return nil, fmt.Errorf("damaged: cross-reference subsection %d+%d out of range", start, count)
		}
		// Skip the entries: three tokens each.
		for i := int64(0); i < count*3; i++ {
			_, rest, ok = nextToken(rest)
			if !ok {
				return nil, nil
			}
		}
		t = rest
	}
}

func checkXrefStream(dict []byte) error {
	if m := reIndex.FindSubmatch(dict); m != nil {
		f := bytes.Fields(m[1])
		for i := 0; i+1 < len(f); i += 2 {
			a, err1 := strconv.ParseInt(string(f[i]), 10, 64)
			b, err2 := strconv.ParseInt(string(f[i+1]), 10, 64)
			if err1 != nil || err2 != nil || a < 0 || b < 0 || a > maxObjects || b > maxObjects || a+b > maxObjects {
				return fmt.Errorf("damaged: cross-reference /Index %s %s out of range", f[i], f[i+1])
			}
		}
	}
	if m := reW.FindSubmatch(dict); m != nil {
		for _, f := range bytes.Fields(m[1]) {
			w, err := strconv.ParseInt(string(f), 10, 64)
			if err != nil || w < 0 || w > 8 {
				return fmt.Errorf("damaged: cross-reference /W entry %s out of range", f)
			}
		}
	}
	if m := reColumns.FindSubmatch(dict); m != nil {
		c, err := strconv.ParseInt(string(m[1]), 10, 64)
		if err != nil || c > maxXrefColumn {
			return fmt.Errorf("damaged: cross-reference /Columns %s out of range", m[1])
		}
	}
	return nil
}

func nextToken(t []byte) (tok, rest []byte, ok bool) {
	t = bytes.TrimLeft(t, " \t\r\n\f\x00")
	i := bytes.IndexAny(t, " \t\r\n\f\x00")
	if i < 0 {
		i = len(t)
	}
	if i == 0 {
		return nil, nil, false
	}
	return t[:i], t[i:], true
}

func nextInt(t []byte) (int64, []byte, bool) {
	tok, rest, ok := nextToken(t)
	if !ok {
		return 0, nil, false
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		return 0, nil, false
	}
	return n, rest, true
}
