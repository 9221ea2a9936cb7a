// Package search indexes the archive's publications and the pages of their
// PDF attachments, and answers readers' queries with hits that link to the
// paragraph or PDF page where the words stand.
//
// # Index
//
// Build makes one bleve (scorch) document per publication (title, summary,
// authors and body text) and one per PDF page with text; a PDF attached to
// several publications is indexed once and is a hit of each. Text is
// analysed per language group: English is stemmed, Chinese, Japanese and
// Korean get bigrams plus single characters, other languages are split into
// words. Every group folds case and accents. Beside its words, a text is
// indexed as the pairs of its commonest words that stand side by side, so
// that a phrase of common words is found without reading where each of
// them stands in every document (pairs.go). The index holds text only: the
// text shown, and what hits are filtered, faceted and sorted by, stay in
// memory with the content. Bleve finds and scores matches; this package
// collects them (collect.go), matches phrases with a searcher of its own
// (phrase.go), and cuts snippets from the byte offsets bleve records,
// read for the hits shown only (locate.go, snippet.go).
//
// With Options.CacheDir set, the index is kept on disk in a folder named by
// a hash of the content, the PDF text and the index layout, and reopened on
// the next start when nothing changed; otherwise it lives in memory.
//
// An index on disk can be saved with the text it was built from (Save) and
// opened again from content metadata alone (Open), without the Markdown
// bodies or the PDF text: see save.go. An index in memory can be updated
// for changed content (Update), re-indexing only the documents whose text
// changed: see update.go.
//
// # Queries
//
// Readers' queries are never handed to bleve's query-string syntax. Parse
// reads them into a Query (words, prefixes, phrases, OR and exclusions) and
// the index builds bleve queries from it, analysing each term with the
// analyser of the field it is compared with. See the README (section Search) for the language and
// the JSON the server makes of a Result.
//
// # Results
//
// A result lists publications, each once, with its best passages: the
// paragraphs of its page and the pages of its PDFs where the words stand.
// The index keeps one document per publication and per PDF page; the
// collector groups their hits by publication as bleve finds them
// (collect.go), and snippets are cut only for the passages shown. A search
// may be limited to one publication (Request.Within). A query that finds
// nothing gets a suggestion made of the index's own words closest to its
// own (suggest.go). The text of a PDF page is read back from the index
// for the page that shows it as text (PDFPage).
//
// # Highlighting
//
// A page hit's URL carries the query's positive terms (?hl=). The page it
// leads to is marked by Index.Highlight, with the same parser and
// analysers, so that a word search found is a word the page marks: see
// highlight.go.
//
// It does not serve HTTP (package server) or read PDFs (package pdftext).
package search

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"archive/internal/content"
	"archive/internal/pdftext"
)

// Options change how the index is built.
type Options struct {
	// CacheDir keeps the index between runs; "" builds it in memory.
	CacheDir string
	Logger   *slog.Logger
}

// Index is a searchable index of a loaded site. It is safe for concurrent use.
type Index struct {
	bi        bleve.Index
	docs      docTable
	titles    titleIndex
	groups    []string // language groups with documents, in a fixed order
	analyzers map[string]analysis.Analyzer
	prefix    analysis.Analyzer
	// Facet and filter values, numbered.
	sections, years, tags, sources, langs facetDict
	stats                                 Stats
	arrays                                sync.Pool // of *collectorArrays, reused between searches
	// sums fingerprint each document's indexed text, by document ID, so
	// that Update can tell what changed. Nil unless built in memory.
	sums map[string]fingerprint
	// gen is shared by x and the indexes Update made from it; the newest
	// owns the bleve index (closer and cleanup).
	gen     *generations
	closer  *closer
	cleanup runtime.Cleanup
	hot     hotCache // the postings of common words searched for (hot.go)
	log     *slog.Logger
}

// closer closes a bleve index, and the texts file of an index made by
// Open, once, whether Close or the cleanup registered by own gets there
// first.
type closer struct {
	once  sync.Once
	bi    bleve.Index
	texts *savedTexts
	err   error
}

func (c *closer) close() error {
	c.once.Do(func() {
		c.err = c.bi.Close()
		if c.texts != nil {
			if err := c.texts.close(); c.err == nil {
				c.err = err
			}
		}
	})
	return c.err
}

// own makes x the owner of its bleve index. A server that reloads its
// content drops the old index without closing it (a search may still be
// using it). Bleve's goroutines hold the index, so it would never be
// freed: close it once nothing holds the Index any more.
func (x *Index) own(c *closer) {
	x.closer = c
	x.cleanup = runtime.AddCleanup(x, func(c *closer) { c.close() }, c)
}

func (x *Index) facetDicts() [4]*facetDict {
	return [4]*facetDict{&x.sections, &x.years, &x.tags, &x.sources}
}

// Stats describe a built index.
type Stats struct {
	Publications int
	PDFPages     int  // pages indexed: a file attached twice counts once
	PDFPageHits  int  // pages that can be hits: a file attached twice counts twice
	Cached       bool // reopened from the cache (or by Open) rather than built
	Took         time.Duration
	Dir          string // folder on disk, "" in memory
	// Documents the Update that made the index sent to bleve again (new
	// or changed) and removed; zero for Build and Open.
	Reindexed, Removed int
}

// Stats returns what Build, Open or Update did.
func (x *Index) Stats() Stats { return x.stats }

// Close releases the index. Searches after Close fail; closing twice is
// harmless. Closing an index that Update has superseded does nothing: the
// newest one owns the bleve index they share.
func (x *Index) Close() error {
	x.gen.mu.RLock()
	superseded := x.gen.newest != x
	x.gen.mu.RUnlock()
	if superseded {
		return nil
	}
	x.hot.close()
	if err := x.closer.close(); err != nil {
		return fmt.Errorf("close search index: %w", err)
	}
	return nil
}

// readerOf opens a reader of bi's current snapshot, for the caller to
// close.
func readerOf(bi bleve.Index) (index.IndexReader, error) {
	ix, err := bi.Advanced()
	if err != nil {
		return nil, err
	}
	return ix.Reader()
}

// number maps bleve's internal document numbers to entries. Only Update
// writes the index after Build, and it numbers again.
func (x *Index) number(byID map[string][]*entry) error {
	r, err := readerOf(x.bi)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer r.Close()
	all, err := r.DocIDReaderAll()
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer all.Close()
	var byNum [][]*entry
	n := 0
	for {
		id, err := all.Next()
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if id == nil {
			break
		}
		ext, err := r.ExternalID(id)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		es := byID[ext]
		if es == nil {
			return fmt.Errorf("search index holds %q, which the content does not", ext)
		}
		num := int(id.Value())
		for len(byNum) <= num {
			byNum = append(byNum, nil)
		}
		byNum[num] = es
		n++
	}
	if n != len(byID) {
		return fmt.Errorf("search index holds %d documents, the content %d", n, len(byID))
	}
	x.fill(byNum)
	return nil
}

// entry is what a hit needs to be shown: the publication, the attachment
// and page for PDF hits, and where each segment of the indexed text starts.
type entry struct {
	id    string // bleve document ID
	pub   *content.Publication
	att   *content.Attachment // nil for a publication page
	page  int                 // PDF page number
	ocr   bool                // the PDF page's text was read from a scan
	group string
	text  []segment
	size  int    // bytes of the indexed text: the segments joined by segSep
	pdf   string // the page's text, for PDF hits
	// texts holds the indexed text, from off, for an index made by Open:
	// its content has neither Markdown bodies nor PDF text.
	texts *savedTexts
	off   int64

	title []string // the title's index terms, to weigh hits (see titleHits)
}

// A segment is a piece of the indexed text: for a publication the title,
// summary, authors, tags and then each quotable block, joined by segSep;
// for a PDF page its whole text.
type segment struct {
	start  int
	kind   segKind
	block  int    // index into Doc.Blocks for segBlock
	anchor string // the block's id for segBlock
}

type segKind uint8

const (
	segTitle segKind = iota
	segSummary
	segAuthors
	segTags
	segBlock
	segPDF
)

// segSep separates segments. A blank line keeps a word of one paragraph
// from running into the next when tokenised.
const segSep = "\n\n"

// segText is the text of segment s in the content. Only an index built
// from the content may call it; snippets call readSeg.
func (e *entry) segText(s segment) string {
	switch s.kind {
	case segTitle:
		return e.pub.Title
	case segSummary:
		return e.pub.Summary
	case segAuthors:
		return authorsText(e.pub)
	case segTags:
		return strings.Join(e.pub.Tags, ", ")
	case segBlock:
		return e.pub.Doc.Blocks[s.block].Text
	}
	return e.pdf
}

// segEnd is the byte offset where segment i of the text ends.
func (e *entry) segEnd(i int) int {
	if i+1 < len(e.text) {
		return e.text[i+1].start - len(segSep)
	}
	return e.size
}

// readSeg returns the text of segment i, from the saved texts for an
// index made by Open.
func (e *entry) readSeg(i int) (string, error) {
	s := e.text[i]
	if e.texts == nil {
		return e.segText(s), nil
	}
	return e.texts.read(e.id, e.off+int64(s.start), e.segEnd(i)-s.start)
}

// Build indexes the publications of cs and the text of their PDF
// attachments (pdfs, by attachment path; a missing or scanned PDF is
// skipped). It logs its progress. Cancelling ctx stops it.
func Build(ctx context.Context, cs *content.Site, pdfs map[string]*pdftext.Document, opts Options) (*Index, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search mapping: %w", err)
	}
	docs := collect(cs, pdfs)
	x := newIndex(m, opts.Logger)
	byID := x.prepare(docs)
	dm := &documentMaker{analyzers: x.analyzers}

	if opts.CacheDir == "" {
		x.bi, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
		if err != nil {
			return nil, fmt.Errorf("create search index: %w", err)
		}
		if err := indexAll(ctx, x.bi, dm, docs, x.stats, opts.Logger); err != nil {
			x.bi.Close()
			return nil, err
		}
		x.sums = fingerprints(docs)
	} else {
		key, err := cacheKey(m, cs, pdfs)
		if err != nil {
			return nil, err
		}
		x.bi, x.stats.Dir, x.stats.Cached, err = openCached(ctx, opts.CacheDir, key, m, dm, docs, x.stats, opts.Logger)
		if err != nil {
			return nil, err
		}
	}
	if err := x.usePairWords(); err != nil {
		x.bi.Close()
		return nil, err
	}
	if err := x.number(byID); err != nil {
		x.bi.Close()
		return nil, err
	}
	x.gen = &generations{newest: x}
	x.own(&closer{bi: x.bi})
	x.stats.Took = time.Since(start)
	opts.Logger.Info("search index ready",
		"publications", x.stats.Publications, "pdf_pages", x.stats.PDFPages, "pdf_page_hits", x.stats.PDFPageHits,
		"cached", x.stats.Cached, "took", x.stats.Took.Round(time.Millisecond))
	return x, nil
}

// newIndex returns an empty Index with the analysers of m.
func newIndex(m *mapping.IndexMappingImpl, log *slog.Logger) *Index {
	x := &Index{analyzers: map[string]analysis.Analyzer{}, log: log}
	for _, g := range groups {
		x.analyzers[g] = m.AnalyzerNamed(analyzerFor(g))
	}
	x.prefix = m.AnalyzerNamed(prefixAnalyzer)
	return x
}

// prepare counts docs into x's stats, notes their language groups and the
// index terms of their titles, and returns their entries by document ID,
// ready for number.
func (x *Index) prepare(docs []doc) map[string][]*entry {
	present := map[string]bool{}
	byID := make(map[string][]*entry, len(docs))
	for _, d := range docs {
		e := d.entry
		byID[d.id] = append([]*entry{e}, d.also...)
		present[e.group] = true
		if e.att == nil {
			x.stats.Publications++
		} else {
			x.stats.PDFPages++
			x.stats.PDFPageHits += 1 + len(d.also)
		}
		for _, tok := range x.analyzers[e.group].Analyze([]byte(e.pub.Title)) {
			if t := string(tok.Term); !contains(e.title, t) {
				e.title = append(e.title, t)
			}
		}
	}
	for _, g := range groups {
		if present[g] {
			x.groups = append(x.groups, g)
		}
	}
	return byID
}

// fingerprint identifies what the index holds of a document.
type fingerprint [sha256.Size]byte

// fingerprints identify docs by their language group and their text,
// segment by segment: what the bleve document is made of.
func fingerprints(docs []doc) map[string]fingerprint {
	out := make(map[string]fingerprint, len(docs))
	h := sha256.New()
	// The digest takes bytes only: converting each text would copy it
	// into a new slice, which was half the time Update took.
	buf := make([]byte, 32<<10)
	write := func(s string) {
		for len(s) > 0 {
			n := copy(buf, s)
			h.Write(buf[:n])
			s = s[n:]
		}
	}
	for _, d := range docs {
		e := d.entry
		h.Reset()
		write(e.group)
		for _, s := range e.text {
			t := e.segText(s)
			write("\x00" + strconv.Itoa(len(t)) + "\x00")
			write(t)
		}
		out[d.id] = fingerprint(h.Sum(nil))
	}
	return out
}
