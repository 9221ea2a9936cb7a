package search

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"

	"archive/internal/atomicfile"
	"archive/internal/content"
)

// The saved form of an index. Save writes, into a folder of its own or one
// it shares with other files, what Open needs to serve an index again from
// content metadata alone:
//
//   - search-table.gob: a savedHeader then a savedTable, gob-encoded. The
//     header holds savedVersion, checked before the table is read; the
//     table says where the bleve index is, relative to the folder, and
//     lays out, by bleve document number, each document's ID, language
//     group, PDF page, where its text lies in search-texts and where its
//     segments start, its title's index terms, and the hits it stands for
//     (publication URL, and attachment path for a PDF page).
//   - search-texts: the indexed text of every document, one after another:
//     a publication's segments joined by segSep as the analyser saw them,
//     or a PDF page's text. A page shared by several publications is one
//     document, so its text is stored once. Snippets read a hit's segment
//     from it (ReadAt) when the hit is shown.
//
// The bleve index itself stays where Build put it (in the cache folder).
// The table is laid out in columns, a slice per field: gob decodes a slice
// of numbers in a tight loop, a slice of structs field by field, and Open
// decodes one element per hit, some 90,000 at 10,000 publications.

// savedVersion changes whenever the saved form does. (The bleve index of
// a build without word pairs is still read: its phrases are matched on
// their words, see pairs.go.)
const savedVersion = 2

const (
	tableFile = "search-table.gob"
	textsFile = "search-texts"
)

type savedHeader struct {
	Version int
}

type savedTable struct {
	Index     string // the bleve index's folder, relative to the saved folder, with slashes
	TextsSize int64

	// By bleve document number; ID "" is a number without a document.
	IDs     []string
	Group   []uint8 // index into groups
	Page    []int32
	OCR     []bool  // the PDF page's text was read from a scan
	TextOff []int64 // where the document's text starts in search-texts
	Size    []int32 // its length
	// The segments of document n are Seg*[Segs[n]:Segs[n+1]].
	Segs      []int32
	SegStart  []int32
	SegKind   []uint8
	SegBlock  []int32
	SegAnchor []string
	// The title terms of document n are TitleTerms[Titles[n]:Titles[n+1]].
	Titles     []int32
	TitleTerms []string
	// The hits of document n are numbered Hits[n] to Hits[n+1]-1, as in
	// docTable.first.
	Hits    []int32
	HitPub  []int32 // index into URLs
	HitFile []int32 // index into Files; -1 for a publication page
	URLs    []string
	Files   []string // attachment paths
}

// Save writes what Open needs into dir, which it creates if need be. The
// index must be on disk (built with Options.CacheDir), and must stay where
// it is relative to dir: moving or copying dir and the cache folder
// together keeps them usable.
func (x *Index) Save(dir string) error {
	if x.stats.Dir == "" {
		return errors.New("save search index: the index is in memory; Save needs one built with Options.CacheDir")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("save search index: %w", err)
	}
	absIndex, err := filepath.Abs(x.stats.Dir)
	if err != nil {
		return fmt.Errorf("save search index: %w", err)
	}
	rel, err := filepath.Rel(abs, absIndex)
	if err != nil {
		return fmt.Errorf("save search index: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save search index: %w", err)
	}
	t := &savedTable{Index: filepath.ToSlash(rel), Hits: x.docs.first}
	// The table goes last, so that a save cut short leaves no table naming
	// texts that are not there.
	err = atomicfile.Write(filepath.Join(dir, textsFile), func(w *bufio.Writer) (err error) {
		t.TextsSize, err = x.saveDocs(t, w)
		return err
	})
	if err == nil {
		err = writeTable(filepath.Join(dir, tableFile), t)
	}
	if err != nil {
		return fmt.Errorf("save search index to %s: %w", dir, err)
	}
	return nil
}

// saveDocs lays x's documents out in t and writes their text to w. It
// returns the bytes written.
func (x *Index) saveDocs(t *savedTable, bw *bufio.Writer) (int64, error) {
	urls, files := map[string]int32{}, map[string]int32{}
	intern := func(ids map[string]int32, list *[]string, v string) int32 {
		i, ok := ids[v]
		if !ok {
			i = int32(len(*list))
			ids[v] = i
			*list = append(*list, v)
		}
		return i
	}
	d := &x.docs
	var off int64
	t.Segs, t.Titles = []int32{0}, []int32{0}
	for n := range len(d.first) - 1 {
		es := d.entry[d.first[n]:d.first[n+1]]
		for _, e := range es {
			t.HitPub = append(t.HitPub, intern(urls, &t.URLs, e.pub.URL))
			file := int32(-1)
			if e.att != nil {
				file = intern(files, &t.Files, e.att.Path)
			}
			t.HitFile = append(t.HitFile, file)
		}
		var e entry
		if len(es) > 0 {
			e = *es[0]
		}
		t.IDs = append(t.IDs, e.id)
		t.Group = append(t.Group, uint8(max(0, slices.Index(groups, e.group))))
		t.Page = append(t.Page, int32(e.page))
		t.OCR = append(t.OCR, e.ocr)
		t.TextOff = append(t.TextOff, off)
		t.Size = append(t.Size, int32(e.size))
		start := off
		for i, s := range e.text {
			if i > 0 {
				bw.WriteString(segSep)
				off += int64(len(segSep))
			}
			if off-start != int64(s.start) {
				return 0, fmt.Errorf("%s: segment %d starts at %d, not %d", e.id, i, off-start, s.start)
			}
			text, err := e.readSeg(i)
			if err != nil {
				return 0, err
			}
			bw.WriteString(text)
			off += int64(len(text))
			t.SegStart = append(t.SegStart, int32(s.start))
			t.SegKind = append(t.SegKind, uint8(s.kind))
			t.SegBlock = append(t.SegBlock, int32(s.block))
			t.SegAnchor = append(t.SegAnchor, s.anchor)
		}
		if off-start != int64(e.size) {
			return 0, fmt.Errorf("%s: %d bytes of text, not %d", e.id, off-start, e.size)
		}
		t.Segs = append(t.Segs, int32(len(t.SegStart)))
		if e.att == nil {
			t.TitleTerms = append(t.TitleTerms, e.title...)
		}
		t.Titles = append(t.Titles, int32(len(t.TitleTerms)))
	}
	return off, nil
}

func writeTable(name string, t *savedTable) error {
	return atomicfile.Write(name, func(w *bufio.Writer) error {
		enc := gob.NewEncoder(w)
		if err := enc.Encode(savedHeader{Version: savedVersion}); err != nil {
			return err
		}
		return enc.Encode(t)
	})
}

// Open opens an index that Save wrote into dir, for the content cs, which
// may hold metadata alone (no Doc or Body, no PDF text): snippets are read
// from the saved texts. The index answers as the saved one did. A cs that
// lacks a publication or attachment of the index is an error. Of opts only
// Logger counts.
func Open(dir string, cs *content.Site, opts Options) (*Index, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	t, err := readTable(dir)
	if err != nil {
		return nil, err
	}
	texts, err := openTexts(filepath.Join(dir, textsFile), t.TextsSize)
	if err != nil {
		return nil, fmt.Errorf("open search index: %w (run archive build again)", err)
	}
	x, err := openTable(dir, t, cs, texts, opts.Logger)
	if err != nil {
		texts.close()
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	x.stats.Took = time.Since(start)
	opts.Logger.Info("search index opened",
		"publications", x.stats.Publications, "pdf_pages", x.stats.PDFPages, "pdf_page_hits", x.stats.PDFPageHits,
		"dir", x.stats.Dir, "took", x.stats.Took.Round(time.Millisecond))
	return x, nil
}

// readTable reads and checks the table Save wrote into dir, so that a
// damaged file gives an error rather than an index that panics.
func readTable(dir string) (*savedTable, error) {
	name := filepath.Join(dir, tableFile)
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open search index: %w (run archive build again)", err)
	}
	defer f.Close()
	dec := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var h savedHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("open search index: %s: %w (run archive build again)", name, err)
	}
	if h.Version != savedVersion {
		return nil, fmt.Errorf("open search index: %s is of format %d, this program reads %d (run archive build again)", name, h.Version, savedVersion)
	}
	t := &savedTable{}
	if err := dec.Decode(t); err != nil {
		return nil, fmt.Errorf("open search index: %s: %w (run archive build again)", name, err)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("open search index: %s is damaged: %w (run archive build again)", name, err)
	}
	return t, nil
}

// check verifies that every index and offset of t is in range.
func (t *savedTable) check() error {
	n := len(t.IDs)
	for _, l := range []int{len(t.Group), len(t.Page), len(t.OCR), len(t.TextOff), len(t.Size), len(t.Segs) - 1, len(t.Titles) - 1, len(t.Hits) - 1} {
		if l != n {
			return fmt.Errorf("%d documents, but a column of %d", n, l)
		}
	}
	segs, hits := len(t.SegStart), len(t.HitPub)
	if len(t.SegKind) != segs || len(t.SegBlock) != segs || len(t.SegAnchor) != segs || len(t.HitFile) != hits {
		return errors.New("columns of different lengths")
	}
	ascending := func(first []int32, last int) bool {
		if first[0] != 0 || int(first[len(first)-1]) != last {
			return false
		}
		for i := 1; i < len(first); i++ {
			if first[i] < first[i-1] {
				return false
			}
		}
		return true
	}
	if !ascending(t.Segs, segs) || !ascending(t.Titles, len(t.TitleTerms)) || !ascending(t.Hits, hits) {
		return errors.New("ranges out of order")
	}
	for d := range n {
		if int(t.Group[d]) >= len(groups) || t.TextOff[d] < 0 || t.Size[d] < 0 || t.TextOff[d]+int64(t.Size[d]) > t.TextsSize {
			return fmt.Errorf("document %d out of range", d)
		}
		prev := int32(0)
		for s := t.Segs[d]; s < t.Segs[d+1]; s++ {
			start := t.SegStart[s]
			if start < prev || start > t.Size[d] || t.SegKind[s] > uint8(segPDF) || t.SegBlock[s] < 0 {
				return fmt.Errorf("segment %d of document %d out of range", s-t.Segs[d], d)
			}
			prev = start + int32(len(segSep))
		}
		if (t.Hits[d+1] > t.Hits[d]) != (t.IDs[d] != "") {
			return fmt.Errorf("document %d: hits without an ID or an ID without hits", d)
		}
	}
	for h := range hits {
		if t.HitPub[h] < 0 || int(t.HitPub[h]) >= len(t.URLs) || t.HitFile[h] < -1 || int(t.HitFile[h]) >= len(t.Files) {
			return fmt.Errorf("hit %d out of range", h)
		}
	}
	return nil
}

// openTable makes the Index of a saved table: entries from t and cs, and
// the bleve index it names, opened for reading.
func openTable(dir string, t *savedTable, cs *content.Site, texts *savedTexts, log *slog.Logger) (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search mapping: %w", err)
	}
	x := newIndex(m, log)
	pubs := make([]*content.Publication, len(t.URLs))
	for i, u := range t.URLs {
		if pubs[i] = cs.ByURL[u]; pubs[i] == nil {
			return nil, fmt.Errorf("the content has no publication %s (was it changed after the index was saved? run archive build again)", u)
		}
	}
	entries := make([]entry, len(t.HitPub))
	segs := make([]segment, len(t.SegStart))
	byNum := make([][]*entry, len(t.IDs))
	present := map[string]bool{}
	for n, id := range t.IDs {
		if id == "" {
			continue
		}
		text := segs[t.Segs[n]:t.Segs[n+1]:t.Segs[n+1]]
		for i := range text {
			s := int(t.Segs[n]) + i
			text[i] = segment{start: int(t.SegStart[s]), kind: segKind(t.SegKind[s]), block: int(t.SegBlock[s]), anchor: t.SegAnchor[s]}
		}
		group := groups[t.Group[n]]
		present[group] = true
		for h := t.Hits[n]; h < t.Hits[n+1]; h++ {
			e := &entries[h]
			*e = entry{id: id, pub: pubs[t.HitPub[h]], page: int(t.Page[n]), ocr: t.OCR[n], group: group,
				text: text, size: int(t.Size[n]), texts: texts, off: t.TextOff[n]}
			if f := t.HitFile[h]; f >= 0 {
				path := t.Files[f]
				i := slices.IndexFunc(e.pub.Attachments, func(a *content.Attachment) bool { return a.Path == path })
				if i < 0 {
					return nil, fmt.Errorf("publication %s has no attachment %s (was the content changed after the index was saved? run archive build again)", e.pub.URL, path)
				}
				e.att = e.pub.Attachments[i]
				x.stats.PDFPageHits++
			} else {
				e.title = t.TitleTerms[t.Titles[n]:t.Titles[n+1]:t.Titles[n+1]]
			}
			byNum[n] = append(byNum[n], e)
		}
		if byNum[n][0].att == nil {
			x.stats.Publications++
		} else {
			x.stats.PDFPages++
		}
	}
	for _, g := range groups {
		if present[g] {
			x.groups = append(x.groups, g)
		}
	}

	x.stats.Dir = filepath.Join(dir, filepath.FromSlash(t.Index))
	x.stats.Cached = true
	x.bi, err = openComplete(x.stats.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w (was the cache folder moved apart from the saved one, or removed? run archive build again)", err)
	}
	same, err := sameNumbers(x.bi, t.IDs)
	if err == nil && same {
		x.fill(byNum)
	} else if err == nil {
		// Bleve's numbers are its own business: another version of it could
		// lay the same segments out in another order. The documents, by
		// ID, are what the table is about, and a pass over them all (some
		// tens of milliseconds at 10,000 publications) numbers them again,
		// or says which one the index and the table disagree on.
		log.Warn("search index numbered differently than when saved: numbering again", "dir", x.stats.Dir)
		byID := make(map[string][]*entry, len(t.IDs))
		for n, id := range t.IDs {
			if id != "" {
				byID[id] = byNum[n]
			}
		}
		err = x.number(byID)
	}
	if err == nil {
		err = x.usePairWords()
	}
	if err != nil {
		x.bi.Close()
		return nil, err
	}
	x.gen = &generations{newest: x}
	x.own(&closer{bi: x.bi, texts: texts})
	return x, nil
}

// sameNumbers reports whether bi numbers its documents as ids does, by
// its document count and the IDs of a sample of numbers: reading every
// ID would cost more than the rest of Open.
func sameNumbers(bi bleve.Index, ids []string) (bool, error) {
	var nums []int
	for n, id := range ids {
		if id != "" {
			nums = append(nums, n)
		}
	}
	r, err := readerOf(bi)
	if err != nil {
		return false, err
	}
	defer r.Close()
	count, err := r.DocCount()
	if err != nil {
		return false, err
	}
	if count != uint64(len(nums)) {
		return false, nil
	}
	if len(nums) == 0 {
		return true, nil
	}
	const samples = 64
	sample := []int{nums[0], nums[len(nums)-1]}
	for i := range samples {
		sample = append(sample, nums[i*len(nums)/samples])
	}
	var buf []byte
	for _, n := range sample {
		id := index.NewIndexInternalID(buf, uint64(n))
		buf = id
		if ext, err := r.ExternalID(id); err != nil || ext != ids[n] {
			return false, nil
		}
	}
	return true, nil
}
