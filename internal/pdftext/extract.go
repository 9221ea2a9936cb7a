package pdftext

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"
)

// maxPages caps the page tree walk: /Count is not trusted (9,999,999,999 has
// been seen), the leaves actually found are.
const maxPages = 100_000

// doc is one open PDF.
type doc struct {
	data       []byte
	lib        *pdf.Reader
	libStreams bool   // encrypted: only the library can decrypt streams
	aesKey     []byte // AES-256 file key, when we decrypt ourselves
	fonts      map[string]*font
	glyphCache map[string]string
	glyphRunes map[string]rune
}

// info is what is known of a document before its pages are read.
type info struct {
	Pages         int
	Title, Author string
	Created       time.Time `json:",omitzero"`
}

// Extract reads a PDF in the current process. It is used by the child
// process of an [Extractor]; a hostile file can make it loop or exhaust
// memory, so do not call it on untrusted files in the server itself.
func Extract(path string) (*Document, error) {
	var d Document
	err := extract(path, func(i info) {
		d.Title, d.Author, d.Created = i.Title, i.Author, i.Created
		d.Pages = make([]Page, 0, i.Pages)
	}, func(p Page) {
		d.Pages = append(d.Pages, p)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// ExtractBytes is [Extract] for a PDF held in memory; data is not modified.
func ExtractBytes(data []byte) (*Document, error) {
	var d Document
	err := extractBytes(bytes.Clone(data), func(i info) {
		d.Title, d.Author, d.Created = i.Title, i.Author, i.Created
		d.Pages = make([]Page, 0, i.Pages)
	}, func(p Page) {
		d.Pages = append(d.Pages, p)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// extract reads the file at path and reports its info, then each page as it
// is read, so a caller that streams them keeps what was read before a crash.
func extract(path string, onInfo func(info), onPage func(Page)) error {
	data, err := readPDF(path)
	if err != nil {
		return err
	}
	return extractBytes(data, onInfo, onPage)
}

func readPDF(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("file too large (%d MB)", st.Size()>>20)
	}
	return os.ReadFile(path)
}

func extractBytes(data []byte, onInfo func(info), onPage func(Page)) error {
	d, refs, err := openDocument(data)
	if err != nil {
		return err
	}
	i := d.info()
	i.Pages = len(refs)
	onInfo(i)
	for n, ref := range refs {
		onPage(d.page(n+1, ref))
	}
	return nil
}

// openDocument opens a PDF and finds its pages, rebuilding the
// cross-reference table when the file's own is unusable or leads to broken
// objects.
func openDocument(data []byte) (*doc, []pageRef, error) {
	data, err := prepare(data)
	if err != nil {
		return nil, nil, err
	}
	d, refs, err := openAndWalk(data)
	if err == nil && brokenRefs(refs) == 0 {
		return d, refs, nil
	}
	if err != nil && (errors.Is(err, errNotPDF) || strings.HasPrefix(err.Error(), "encrypted")) {
		return nil, nil, err
	}
	fixed, rerr := repair(data)
	if rerr != nil {
		if err == nil {
			return d, refs, nil
		}
		return nil, nil, err
	}
	d2, refs2, err2 := openAndWalk(fixed)
	if err2 != nil || (err == nil && len(refs2)-brokenRefs(refs2) < len(refs)-brokenRefs(refs)) {
		if err == nil {
			return d, refs, nil
		}
		return nil, nil, err
	}
	return d2, refs2, nil
}

func openAndWalk(data []byte) (*doc, []pageRef, error) {
	d, err := open(data)
	if err != nil {
		return nil, nil, err
	}
	refs, err := d.pageTree()
	if err != nil {
		return nil, nil, err
	}
	return d, refs, nil
}

// brokenRefs counts the page tree branches the library could not load.
func brokenRefs(refs []pageRef) int {
	n := 0
	for _, r := range refs {
		if strings.HasPrefix(r.err, "page tree:") {
			n++
		}
	}
	return n
}

func open(data []byte) (d *doc, err error) {
	if err := checkEOF(&data); err != nil {
		return nil, err
	}
	if err := checkXref(data); err != nil {
		return nil, err
	}
	defer func() {
		if x := recover(); x != nil {
			d, err = nil, fmt.Errorf("damaged: %v", x)
		}
	}()
	lib, err := pdf.NewReaderEncrypted(bytes.NewReader(data), int64(len(data)), func() string { return "" })
	if err != nil {
		err = openError(err)
		if isAES256Error(err) {
			return openAES256(data)
		}
		return nil, err
	}
	d = newDoc(data, lib)
	d.libStreams = !lib.Trailer().Key("Encrypt").IsNull()
	return d, nil
}

func newDoc(data []byte, lib *pdf.Reader) *doc {
	return &doc{
		data:       data,
		lib:        lib,
		fonts:      map[string]*font{},
		glyphCache: map[string]string{},
		glyphRunes: map[string]rune{},
	}
}

// openError turns the library's messages into ones a staff member can act on.
func openError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, pdf.ErrInvalidPassword):
		return errors.New("encrypted: password required")
	case strings.Contains(msg, "256-bit encryption key"),
		strings.Contains(msg, "encryption version V=5"),
		strings.Contains(msg, "encryption revision R=5"),
		strings.Contains(msg, "encryption revision R=6"):
		return errors.New("encrypted: AES-256 encryption is not supported")
	case strings.Contains(msg, "encryption"):
		return fmt.Errorf("encrypted: %s", msg)
	case strings.HasPrefix(msg, "not a PDF"):
		return err
	}
	return fmt.Errorf("damaged: %s", strings.TrimPrefix(strings.TrimPrefix(msg, "malformed PDF: "), "malformed PDF file: "))
}

func (d *doc) info() (i info) {
	defer func() { _ = recover() }()
	inf := d.lib.Trailer().Key("Info")
	i.Title = cleanText(d.text(inf.Key("Title")))
	i.Author = cleanText(d.text(inf.Key("Author")))
	i.Created = pdfDate(d.text(inf.Key("CreationDate")))
	return i
}

// text decodes a text string of the document, decrypting it if need be.
func (d *doc) text(v pdf.Value) string {
	if d.aesKey == nil {
		return v.Text()
	}
	b, err := decryptAES256(d.aesKey, []byte(v.RawString()))
	if err != nil {
		return ""
	}
	return textString(b)
}

// pageRef is a leaf of the page tree with the resources it inherits, or the
// reason a branch of the tree could not be read.
type pageRef struct {
	v   pdf.Value
	res pdf.Value
	err string
}

func (d *doc) pageTree() (refs []pageRef, err error) {
	defer func() {
		if x := recover(); x != nil && len(refs) == 0 {
			err = fmt.Errorf("damaged: reading the page tree: %v", x)
		}
	}()
	root := d.lib.Trailer().Key("Root")
	if root.Kind() != pdf.Dict {
		return nil, errors.New("damaged: no document catalog")
	}
	top := root.Key("Pages")
	if top.Kind() != pdf.Dict {
		return nil, errors.New("damaged: no page tree")
	}
	visited := 0
	var walk func(node, res pdf.Value, path []string)
	walk = func(node, res pdf.Value, path []string) {
		if len(refs) >= maxPages {
			return
		}
		visited++
		if visited > 4*maxPages {
			refs = append(refs, pageRef{err: "page tree too large"})
			return
		}
		if r := node.Key("Resources"); r.Kind() == pdf.Dict {
			res = r
		}
		kids := node.Key("Kids")
		if node.Key("Type").Name() == "Page" || kids.Kind() != pdf.Array {
			refs = append(refs, pageRef{v: node, res: res})
			return
		}
		// Equal content means the same node: its kids would repeat forever.
		id := node.String()
		for _, p := range path {
			if p == id {
				refs = append(refs, pageRef{err: "page tree loops back on itself"})
				return
			}
		}
		if len(path) > 64 {
			refs = append(refs, pageRef{err: "page tree too deep"})
			return
		}
		path = append(path, id)
		for i := 0; i < kids.Len() && len(refs) < maxPages; i++ {
			func() {
				defer func() {
					if x := recover(); x != nil {
						refs = append(refs, pageRef{err: fmt.Sprintf("page tree: %v", x)})
					}
				}()
				kid := kids.Index(i)
				if kid.Kind() != pdf.Dict {
					return
				}
				walk(kid, res, path)
			}()
		}
	}
	walk(top, pdf.Value{}, nil)
	if len(refs) == 0 {
		return nil, errors.New("damaged: the page tree has no pages")
	}
	return refs, nil
}

// page reads one page, keeping the text read before any fault.
func (d *doc) page(num int, ref pageRef) Page {
	p, _ := d.readPage(num, ref)
	return p
}

// readPage is page, also returning the interpreter that ran the page (nil
// for a page the tree could not give), which knows the images it drew.
func (d *doc) readPage(num int, ref pageRef) (p Page, in *interp) {
	p.Number = num
	if ref.err != "" {
		p.Err = ref.err
		return p, nil
	}
	in = newInterp(d)
	func() {
		defer func() {
			if x := recover(); x != nil {
				in.fail(fmt.Errorf("%v", x))
			}
		}()
		contents := ref.v.Key("Contents")
		var streams []pdf.Value
		switch contents.Kind() {
		case pdf.Stream:
			streams = append(streams, contents)
		case pdf.Array:
			for i := 0; i < contents.Len() && i < 10_000; i++ {
				streams = append(streams, contents.Index(i))
			}
		}
		// A page's content may be split between streams anywhere between
		// tokens, so the streams are joined before they are read.
		var all []byte
		for _, s := range streams {
			data, err := d.streamData(s)
			if err != nil {
				in.fail(err)
			}
			all = append(all, data...)
			all = append(all, '\n')
			if len(all) > maxStreamSize {
				in.fail(errStreamTooBig)
				break
			}
		}
		in.run(all, ref.res)
	}()
	p.Text = cleanText(layout(in.glyphs))
	var problems []string
	if in.err != nil {
		problems = append(problems, in.err.Error())
	}
	if len(in.unmapped) > 0 {
		names := make([]string, 0, len(in.unmapped))
		total := 0
		for n, c := range in.unmapped {
			names = append(names, n)
			total += c
		}
		sort.Strings(names)
		// Some unmapped glyphs (bullets, rules, math symbols) are normal;
		// report only when a good share of the page's text is missing.
		if p.Text == "" || total >= 20 && total*10 >= len(in.glyphs) {
			problems = append(problems, fmt.Sprintf("%d glyphs without Unicode mapping (font %s)", total, strings.Join(names, ", ")))
		}
	}
	p.Err = strings.Join(problems, "; ")
	p.Scan = isScan(p.Text, in.images, pageBox(ref.v))
	// A scan's few characters (a page number, a stamp) are no text to
	// search: until OCR reads it, it has none.
	p.NoText = p.Text == "" && p.Err == "" || p.Scan
	return p, in
}

// pdfDate reads a date as PDF writes them, D:YYYYMMDDHHmmSSOHH'mm' with
// every part after the year optional; zero if it is not one. Producers
// get the format wrong in many ways, so what cannot be read is no date,
// never an error.
func pdfDate(s string) time.Time {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits < 4 || digits%2 != 0 {
		return time.Time{}
	}
	num := func(i, def int) int {
		if i+2 > digits {
			return def
		}
		n, _ := strconv.Atoi(s[i : i+2])
		return n
	}
	year, _ := strconv.Atoi(s[:4])
	month, day, hour, minute, sec := num(4, 1), num(6, 1), num(8, 0), num(10, 0), num(12, 0)
	if year < 1900 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}
	}
	loc := time.UTC
	if rest := s[digits:]; len(rest) >= 3 && (rest[0] == '+' || rest[0] == '-') {
		h, errH := strconv.Atoi(rest[1:3])
		m := 0
		if tail := strings.TrimLeft(rest[3:], "'"); len(tail) >= 2 {
			m, _ = strconv.Atoi(tail[:2])
		}
		if errH == nil && h < 24 && m < 60 {
			off := (h*60 + m) * 60
			if rest[0] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if t.Day() != day { // 31 February
		return time.Time{}
	}
	return t
}
