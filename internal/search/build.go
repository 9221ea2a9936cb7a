package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	zapx "github.com/blevesearch/zapx/v17"

	"archive/internal/atomicfile"
	"archive/internal/content"
	"archive/internal/pdftext"
)

// indexVersion changes whenever what Build puts in the index changes in a
// way the mapping does not show (the fields' text, the document IDs), so
// that an index cached by an older program is rebuilt. (8: word pairs,
// pairs.go; an index without them still answers, slowly.)
const indexVersion = 8

// Batches are cut at batchDocs documents or batchBytes of text, whichever
// comes first. Each batch becomes a segment: larger batches mean fewer
// segments to search (an index in memory never merges them), smaller ones
// keep both cores busy to the end. Over 10,000 publications, batches of
// 8 MB built in 29 s on one core's worth of work at a time, batches of
// 4 MB in 13 s on two.
//
// A batch's analysis (every word's positions) is held until its segment is
// made, about 100 times the batch's text: batches of 4 MB on four
// goroutines held 1.5 GB at 10,000 publications, and 650 MB at 1,000,
// where the text is two such batches. An index on disk is built in smaller
// batches: of diskBatchBytes when its text fits in one round of batches of
// batchBytes, and of largeBatchBytes, which hold 250 MB, when it does not;
// then its segments are merged into one (mergeSegments: 1.2-1.6 s at
// 8,188 publications, whose 110 segments took as long to merge as 55 of
// batches twice the size, which built no faster and held 20 MB more), so
// that searches read few segments. The merge would cost a small index
// more than it saves: 2 s of 9 at 1,000 publications.
const (
	batchDocs       = 1000
	batchBytes      = 4 << 20
	diskBatchBytes  = 1 << 20
	largeBatchBytes = 512 << 10
)

// doc is a document to index.
type doc struct {
	id    string
	entry *entry
	// also are the other attachments with the same file: their pages are
	// indexed once, under the first, and become hits of their own.
	also []*entry
	size int // bytes of text
}

// collect lists the documents of cs and computes where each segment of
// their text starts. A PDF attached to several publications (the same
// file, by its SHA-256) is indexed once per language group.
func collect(cs *content.Site, pdfs map[string]*pdftext.Document) []doc {
	var docs []doc
	shared := map[string]int{} // PDF page key -> index in docs
	// Pages (about.md, docs/faq.md) are searched like publications; only
	// their lack of a date tells them apart. So are standalone documents:
	// their title and summary, and their PDF's pages as an attachment's.
	for _, p := range slices.Concat(cs.Publications, cs.Pages, cs.Documents) {
		e := &entry{pub: p, group: groupOf(p.Lang)}
		off := 0
		add := func(s segment, text string) {
			if text == "" {
				return
			}
			s.start = off
			e.text = append(e.text, s)
			e.size = off + len(text)
			off = e.size + len(segSep)
		}
		add(segment{kind: segTitle}, p.Title)
		add(segment{kind: segSummary}, p.Summary)
		add(segment{kind: segAuthors}, authorsText(p))
		add(segment{kind: segTags}, strings.Join(slices.Concat(p.Tags, p.Categories, p.Keywords), ", "))
		if p.Doc != nil && !p.Document {
			// (A document's sidecar text is its summary: its paragraphs
			// have no anchors to land on.)
			for i, b := range p.Doc.Blocks {
				add(segment{kind: segBlock, block: i, anchor: b.ID}, b.Text)
			}
		}
		e.id = "page:" + p.URL
		docs = append(docs, doc{id: e.id, entry: e, size: off})
		for _, a := range p.Attachments {
			d := pdfs[a.Path]
			if !a.IsPDF() || d == nil {
				continue
			}
			file := a.SHA256
			if file == "" {
				file = a.Path
			}
			for _, pg := range d.Pages {
				if pg.NoText || strings.TrimSpace(pg.Text) == "" {
					continue
				}
				id := "pdf:" + file + ":" + e.group + "#" + strconv.Itoa(pg.Number)
				pe := &entry{id: id, pub: p, att: a, page: pg.Number, ocr: pg.OCR, group: e.group, text: []segment{{kind: segPDF}}, size: len(pg.Text), pdf: pg.Text}
				if i, ok := shared[id]; ok && docs[i].entry.pdf == pg.Text {
					docs[i].also = append(docs[i].also, pe)
					continue
				} else if ok {
					// Same file, other text: the extraction differed; keep both.
					id += ":" + a.Path
					pe.id = id
				}
				shared[id] = len(docs)
				docs = append(docs, doc{id: id, entry: pe, size: len(pg.Text)})
			}
		}
	}
	return docs
}

func authorsText(p *content.Publication) string { return strings.Join(p.Authors, ", ") }

// documentMaker makes bleve documents. Making them rather than letting
// bleve's mapping do it from a map of fields lets the text be analysed
// segment by segment (see segmentedText), without the joined text ever
// being built, and skips the mapping's reflection.
type documentMaker struct {
	analyzers map[string]analysis.Analyzer
}

// document returns the bleve document of d. Options match the mapping.
// Its fields count their terms into mem (nil: memory of their own).
func (dm *documentMaker) document(d doc, mem *batchMemory) *document.Document {
	e := d.entry
	out := document.NewDocument(d.id)
	// The text is not stored, and bleve reads the value only to count its
	// bytes: the analyser reads the entry's segments.
	an := dm.analyzers[e.group]
	pw := pairWordsOf(an)
	words := &segmentedText{an: an, e: e, pairs: pw != nil}
	out.AddField(newCountedField(textField(e.group), words, mem))
	if pw != nil {
		out.AddField(newCountedField(pairField(e.group), wordPairs{words, pw}, mem))
	}
	return out
}

// segGap is the gap in token positions between two segments of a text, so
// that no phrase runs from the end of one paragraph into the next.
const segGap = 10

// segmentedText analyses an entry's text segment by segment, as if the
// segments were joined by segSep, but with a gap in positions between
// them. Bleve calls it from its analysis workers. It keeps the tokens
// for the document's word pairs (wordPairs), which bleve analyses next in
// the same goroutine: the text is analysed once for both fields.
type segmentedText struct {
	an    analysis.Analyzer
	e     *entry
	pairs bool // the document has word pairs, which need toks
	toks  analysis.TokenStream
	arena *tokenArena // toks's, until wordPairs is done with them
}

func (s *segmentedText) Analyze([]byte) analysis.TokenStream {
	var arena *tokenArena
	if s.pairs {
		arena = tokenArenas.Get().(*tokenArena)
	}
	var out analysis.TokenStream
	if arena != nil {
		out = arena.out[:0]
	}
	base := 0
	for _, seg := range s.e.text {
		toks := arena.analyse(s.an, []byte(s.e.segText(seg)))
		base = place(toks, seg.start, base)
		out = append(out, toks...)
	}
	if s.pairs {
		// Kept only until wordPairs reads them: the document lives as
		// long as its batch, and its tokens are many times its text.
		s.toks, s.arena = out, arena
		arena.out = out
	}
	return out
}

// tokenArena holds the tokens of a document's text from the analysis of
// its text field to that of its word pairs, after which nothing holds a
// token (the fields keep the terms and positions they counted, and the
// pairs have tokens of their own): the next document reuses it. Tokens
// made afresh for every document were the most allocated memory of an
// index's build after bleve's own counts (1.2 of 8.7 GB in a cold start
// over 10,000 publications), all of it for the garbage collector to
// sweep.
type tokenArena struct {
	toks []analysis.Token
	ptrs analysis.TokenStream
	out  analysis.TokenStream
}

var tokenArenas = sync.Pool{New: func() any { return new(tokenArena) }}

// maxArenaTokens keeps a huge document's arena out of the pool.
const maxArenaTokens = 1 << 16

// analyse analyses input with an, into the arena when an is a plain
// analyser with the words tokenizer (a nil arena, or any other analyser,
// makes new tokens).
func (a *tokenArena) analyse(an analysis.Analyzer, input []byte) analysis.TokenStream {
	if p, ok := an.(pairing); ok {
		an = p.Analyzer
	}
	da, ok := an.(*analysis.DefaultAnalyzer)
	if a == nil || !ok || da.CharFilters != nil {
		return an.Analyze(input)
	}
	if _, ok := da.Tokenizer.(wordsTokenizer); !ok {
		return an.Analyze(input)
	}
	n := len(a.toks)
	var toks analysis.TokenStream
	if a.toks, ok = appendFastWords(a.toks, input); ok {
		// If appending moved the tokens, those of earlier segments stay
		// where their pointers are, in the array before.
		p := len(a.ptrs)
		for i := n; i < len(a.toks); i++ {
			a.ptrs = append(a.ptrs, &a.toks[i])
		}
		toks = a.ptrs[p:len(a.ptrs):len(a.ptrs)]
	} else {
		toks = da.Tokenizer.Tokenize(input)
	}
	for _, f := range da.TokenFilters {
		toks = f.Filter(toks)
	}
	return toks
}

// release gives the arena back for the next document.
func (a *tokenArena) release() {
	if a == nil || cap(a.toks) > maxArenaTokens {
		return
	}
	a.toks, a.ptrs, a.out = a.toks[:0], a.ptrs[:0], a.out[:0]
	tokenArenas.Put(a)
}

// wordPairs analyses a document's text into the pairs of its pair words.
type wordPairs struct {
	words *segmentedText
	pair  map[string]bool
}

func (w wordPairs) Analyze([]byte) analysis.TokenStream {
	toks := w.words.toks
	if toks == nil { // not analysed first after all
		toks = w.words.Analyze(nil)
	}
	pairs := pairTokens(toks, w.pair)
	w.words.toks = nil
	w.words.arena.release()
	w.words.arena = nil
	return pairs
}

// place moves the tokens of a segment analysed on its own to where the
// segment stands in the whole text: start bytes in, its positions after
// base. It returns the base of the next segment, segGap positions on.
func place(toks analysis.TokenStream, start, base int) int {
	last := 0
	for _, t := range toks {
		t.Start += start
		t.End += start
		last = max(last, t.Position)
		t.Position += base
	}
	return base + last + segGap
}

// indexAll indexes docs into bi, a new index: it chooses the pair words
// (pairs.go) and gives them to dm's analysers, adds the documents, and
// records the pair words in bi.
func indexAll(ctx context.Context, bi bleve.Index, dm *documentMaker, docs []doc, totals Stats, log *slog.Logger) error {
	words := choosePairWords(docs, dm.analyzers)
	setPairWords(dm.analyzers, words)
	if err := addDocs(ctx, bi, dm, docs, totals, log); err != nil {
		return err
	}
	return storePairWords(bi, words)
}

// addDocs adds docs to bi in batches, from two goroutines per core: bleve
// builds each batch's segment in the calling goroutine after its analysis
// workers are done with it, so while one batch waits for analysis another
// can be built.
func addDocs(ctx context.Context, bi bleve.Index, dm *documentMaker, docs []doc, totals Stats, log *slog.Logger) error {
	workers := addWorkers()
	// An index's name is its folder; in memory it has none, and its
	// segments are never merged.
	maxBytes, large := batchBytes, false
	if bi.Name() != "" {
		maxBytes, large = diskBatchBytes, largeIndex(docs)
		if large {
			maxBytes = largeBatchBytes
		}
	}
	var pubsDone, pagesDone atomic.Int64
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				log.Info("indexing",
					"publications", fmt.Sprintf("%d/%d", pubsDone.Load(), totals.Publications),
					"pdf_pages", fmt.Sprintf("%d/%d", pagesDone.Load(), totals.PDFPages),
					"elapsed", time.Since(start).Round(time.Second))
			}
		}
	}()

	batches := make(chan []doc)
	errs := make(chan error, workers)
	var early *earlyMerge
	if large {
		early = startEarlyMerge(ctx, bi, docs)
		defer early.wait()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mem := new(batchMemory)
			for docs := range batches {
				b := bi.NewBatch()
				var pubs, pages int64
				size := 0
				for _, d := range docs {
					size += d.size
					if err := b.IndexAdvanced(dm.document(d, mem)); err != nil {
						errs <- fmt.Errorf("index %s: %w", d.id, err)
						return
					}
					if d.entry.att == nil {
						pubs++
					} else {
						pages++
					}
				}
				if err := bi.Batch(b); err != nil {
					errs <- fmt.Errorf("index batch: %w", err)
					return
				}
				mem.reset()
				pubsDone.Add(pubs)
				pagesDone.Add(pages)
				early.indexed(size)
			}
		}()
	}
	var err error
feed:
	for i := 0; i < len(docs); {
		j, size := i, 0
		for j < len(docs) && j-i < batchDocs && size < maxBytes {
			size += docs[j].size
			j++
		}
		if err = ctx.Err(); err != nil {
			err = fmt.Errorf("search index: %w", err)
			break
		}
		select {
		case batches <- docs[i:j]:
			i = j
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = fmt.Errorf("search index: %w", ctx.Err())
			break feed
		}
	}
	close(batches)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	if err == nil && large {
		err = mergeSegments(ctx, bi, early.wait(), log)
	}
	return err
}

// earlyMerge merges the segments of the first earlyShare of a large
// index's text while the rest is indexed, in bleve's merger goroutine, so
// that only the rest's are merged at the end, on one core while the other
// waits. The index ends with two segments, which the query mix of
// BenchmarkSearch reads as fast as one (over 10,000 publications, a
// median of 0.86 ms against 0.88). On 8,188 publications, seven cold
// starts each: the final merge took 0.59-0.87 s against 1.28-1.71 s,
// the index 8.4 s against 9.0 s (means), and the peak was 20 MB higher.
type earlyMerge struct {
	s         *scorch.Scorch
	ctx       context.Context
	threshold int64
	done      atomic.Int64
	once      sync.Once
	merged    chan struct{}
	err       error
}

// earlyShare is the share of the text whose segments are merged early.
const earlyShare = 0.6

func startEarlyMerge(ctx context.Context, bi bleve.Index, docs []doc) *earlyMerge {
	s, err := scorchOf(bi)
	if s == nil || err != nil {
		return nil // no merge early; mergeSegments merges all
	}
	return &earlyMerge{s: s, ctx: ctx, threshold: int64(float64(textSize(docs)) * earlyShare), merged: make(chan struct{})}
}

// scorchOf is bi's scorch index, nil if it has none.
func scorchOf(bi bleve.Index) (*scorch.Scorch, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return nil, err
	}
	s, _ := adv.(*scorch.Scorch)
	return s, nil
}

// indexed counts size bytes of text as in the index, and starts the merge
// once the first earlyShare is.
func (m *earlyMerge) indexed(size int) {
	if m == nil || m.done.Add(int64(size)) < m.threshold {
		return
	}
	m.once.Do(func() {
		go func() {
			defer close(m.merged)
			plan := mergeplan.SingleSegmentMergePlanOptions
			plan.SegmentsPerMergeTask = math.MaxInt32
			m.err = m.s.ForceMerge(m.ctx, &plan)
		}()
	})
}

// wait waits for the early merge, if it started, and reports whether it
// merged.
func (m *earlyMerge) wait() bool {
	if m == nil {
		return false
	}
	ran := true
	m.once.Do(func() { ran = false; close(m.merged) })
	<-m.merged
	return ran && m.err == nil
}

// addWorkers is how many goroutines addDocs adds batches from.
func addWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// largeIndex says whether docs make a large index on disk: more text than
// one round of batches of batchBytes. Its batches are smaller, bleve does
// not merge them as they come (deferredMerges), and addDocs merges them
// all at the end.
func largeIndex(docs []doc) bool { return textSize(docs) > addWorkers()*batchBytes }

// textSize is the bytes of text of docs.
func textSize(docs []doc) int {
	total := 0
	for _, d := range docs {
		total += d.size
	}
	return total
}

// postingsChunk is how many document numbers a chunk of a term's postings
// spans in the segments this process writes: zapx's legacy chunking,
// which any mode up to 1,024 selects, rather than its default of chunks
// of up to 1,024 postings. Reading a word's positions in one document, as
// a phrase and the snippets of the hits shown do, decodes the frequency of
// every posting before it in its chunk. At 10,000 publications, searching
// an index of each kind in turn in one process, the median search took
// 3–4 % less CPU and the 99th percentile 10–20 % less (0.624 against
// 0.648 ms, 4.17 against 4.73 ms, in the third of three such runs), for
// an index 3 % larger (148.5 against 144.2 MB) built in the same time.
// 64 and 32 were no faster and larger still. Each segment records its
// chunking: an index written before reads as it did.
const postingsChunk = 128

func init() { zapx.DefaultChunkMode = postingsChunk }

// deferredMerges is the configuration of a large index's build: a merge
// plan whose budget of segments is so large (a tier of any number of
// segments, of at least one document or byte each) that bleve never
// merges while the batches come in. mergeSegments then merges them all
// once. Merged as they came, most documents were merged two or three
// times: a cold start over 10,000 publications took 2–3 s more CPU and
// its index 1–3 s longer. Bleve keeps this configuration with the index;
// an update opens it with the default plan (update.go).
func deferredMerges() map[string]any {
	plan := mergeplan.DefaultMergePlanOptions
	plan.MaxSegmentsPerTier = math.MaxInt32
	plan.FloorSegmentSize, plan.FloorSegmentFileSize = 1, 1
	return mergePlanConfig(plan)
}

// mergePlanKey is the scorch configuration's key of the merge plan.
const mergePlanKey = "scorchMergePlanOptions"

// mergePlanConfig is the scorch configuration of a merge plan's budget:
// the fields that decide when bleve merges, over bleve's defaults. (The
// configuration goes through JSON, where the plan's functions cannot.)
func mergePlanConfig(plan mergeplan.MergePlanOptions) map[string]any {
	return map[string]any{mergePlanKey: map[string]any{
		"MaxSegmentsPerTier":   plan.MaxSegmentsPerTier,
		"FloorSegmentSize":     plan.FloorSegmentSize,
		"FloorSegmentFileSize": plan.FloorSegmentFileSize,
	}}
}

// mergeSegments merges the segments of an index on disk into one, or,
// with keepLargest, those but the largest (earlyMerge's) into a second;
// and waits (briefly) for the merged-away files to be removed, which the
// index does in the background and a read-only one never does.
func mergeSegments(ctx context.Context, bi bleve.Index, keepLargest bool, log *slog.Logger) error {
	s, err := scorchOf(bi)
	if s == nil || err != nil {
		return err
	}
	start := time.Now()
	// Bleve merges only the segments on disk: the last batches' may still
	// be in memory, on their way.
	segments, err := waitSegments(ctx, s, 30*time.Second, func(st segmentStats) bool { return st.inMemory == 0 })
	if err != nil || segments.files <= 1 {
		return err
	}
	// The merge maps every segment into memory; the heap the batches
	// left free goes back to the system first, so that the two do not
	// add up (at 10,000 publications they made the start's peak).
	debug.FreeOSMemory()
	// One task merges them all: in tasks of ten, as bleve's single-segment
	// plan has it, one merge leaves a segment per ten.
	plan := mergeplan.SingleSegmentMergePlanOptions
	plan.SegmentsPerMergeTask = max(plan.SegmentsPerMergeTask, int(segments.files))
	// A segment merged early (earlyMerge) is left as it is: segments of
	// half its documents or more are not merged.
	if keepLargest {
		if largest := largestSegment(s); largest > 0 {
			plan.MaxSegmentSize = min(plan.MaxSegmentSize, 2*largest)
		}
	}
	if err := s.ForceMerge(ctx, &plan); err != nil {
		return fmt.Errorf("merge search index segments: %w", err)
	}
	removed := func(st segmentStats) bool {
		return st.inMemory == 0 && st.filesOnDisk <= st.files+1 // and the root's own file
	}
	left, err := waitSegments(ctx, s, 5*time.Second, removed)
	if err == nil && !removed(left) {
		// Once in some 25 cold starts this wait ran out; say so, with
		// what was still there.
		log.Warn("search index: merged-away files still on disk after 5 s", "segments", left.files, "in_memory", left.inMemory, "files_on_disk", left.filesOnDisk)
	}
	log.Info("search index segments merged", "segments", segments.files, "took", time.Since(start).Round(time.Millisecond))
	return err
}

// largestSegment is the number of documents of s's largest segment.
func largestSegment(s *scorch.Scorch) int64 {
	r, err := s.Reader()
	if err != nil {
		return 0
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return 0
	}
	var largest int64
	for _, seg := range snap.Segments() {
		largest = max(largest, seg.LiveSize())
	}
	return largest
}

// segmentStats are the counts of an index's segments that scorch reports.
type segmentStats struct{ files, inMemory, filesOnDisk uint64 }

// waitSegments polls s's segments until done says they are as wanted, or
// for at most limit, and returns the last counts.
func waitSegments(ctx context.Context, s *scorch.Scorch, limit time.Duration, done func(segmentStats) bool) (segmentStats, error) {
	var st segmentStats
	for deadline := time.Now().Add(limit); ; time.Sleep(10 * time.Millisecond) {
		m := s.StatsMap()
		st.files, _ = m["num_root_filesegments"].(uint64)
		st.inMemory, _ = m["num_root_memorysegments"].(uint64)
		st.filesOnDisk, _ = m["num_files_on_disk"].(uint64)
		if done(st) || time.Now().After(deadline) {
			return st, nil
		}
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("merge search index segments: %w", err)
		}
	}
}

// cacheKey identifies an index by everything it is built from.
func cacheKey(m *mapping.IndexMappingImpl, cs *content.Site, pdfs map[string]*pdftext.Document) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "index %d\ncontent %s\n", indexVersion, cs.Hash)
	mj, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("search mapping: %w", err)
	}
	h.Write(mj)
	paths := make([]string, 0, len(pdfs))
	for p := range pdfs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(h, "\npdf %q %d\n", p, len(pdfs[p].Pages))
		for _, pg := range pdfs[p].Pages {
			fmt.Fprintf(h, "page %d %t %d\n", pg.Number, pg.NoText, len(pg.Text))
			io.WriteString(h, pg.Text)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// openCached reopens the index cached under dir for key, or builds it into
// a temporary folder and renames it into place, so that a crash mid-build
// never leaves a folder that looks complete. Indexes of older content are
// removed once the new one is in place.
func openCached(ctx context.Context, dir, key string, m mapping.IndexMapping, dm *documentMaker, docs []doc, totals Stats, log *slog.Logger) (bi bleve.Index, path string, cached bool, err error) {
	root := filepath.Join(dir, "search")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, "", false, fmt.Errorf("search cache: %w", err)
	}
	final := filepath.Join(root, "index-"+key)
	if bi, err := openComplete(final); err == nil {
		removeStale(root, final, log)
		return bi, final, true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		log.Warn("search cache unusable, rebuilding", "dir", final, "error", err)
		if err := os.RemoveAll(final); err != nil {
			return nil, "", false, fmt.Errorf("search cache: %w", err)
		}
	}

	err = atomicfile.WriteDir(final, func(tmp string) error {
		var config map[string]any
		if largeIndex(docs) {
			config = deferredMerges()
		}
		bi, err := bleve.NewUsing(filepath.Join(tmp, "index"), m, scorch.Name, scorch.Name, config)
		if err != nil {
			return fmt.Errorf("create search index in %s: %w", tmp, err)
		}
		if err := indexAll(ctx, bi, dm, docs, totals, log); err != nil {
			bi.Close()
			return err
		}
		if err := bi.Close(); err != nil {
			return fmt.Errorf("write search index: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, "", false, fmt.Errorf("search cache: %w", err)
	}
	bi, err = openComplete(final)
	if err != nil {
		return nil, "", false, err
	}
	removeStale(root, final, log)
	return bi, final, false, nil
}

// openComplete opens a finished index folder for reading. The error wraps
// fs.ErrNotExist when there is no finished index there.
func openComplete(dir string) (bleve.Index, error) {
	if !atomicfile.Complete(dir) {
		return nil, fmt.Errorf("search cache %s: %w", dir, fs.ErrNotExist)
	}
	bi, err := bleve.OpenUsing(filepath.Join(dir, "index"), map[string]any{"read_only": true})
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	return bi, nil
}

// removeStale deletes the indexes of other content, and temporary folders
// that a crashed build left behind (old enough that no build still owns them).
func removeStale(root, keep string, log *slog.Logger) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		if p == keep || !e.IsDir() {
			continue
		}
		stale := strings.HasPrefix(e.Name(), "index-")
		if strings.HasPrefix(e.Name(), ".index-") { // a folder WriteDir did not finish
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				stale = true
			}
		}
		if !stale {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			log.Warn("cannot remove old search index", "dir", p, "error", err)
		} else {
			log.Info("removed old search index", "dir", p)
		}
	}
}
