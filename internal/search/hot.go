package search

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"

	index "github.com/blevesearch/bleve_index_api"
)

// Common words are matched from memory. A search for one walks the
// postings of thousands of documents, and bleve's files decode them one at
// a time: at 10,000 publications that walk was two thirds of a search at
// the median. When a search asks for the postings of a term that many
// documents hold, a goroutine reads its documents, frequencies and norms
// into arrays, and the searches after it read them there through
// hotReader. Bleve's searchers score from the same numbers, so hits and
// scores are those of the files. Word positions, read only for the hits
// shown, stay in the files.
//
// Terms are kept as they are searched for, not all of them when the index
// opens: reading every common term of 10,000 publications touched 106 MB
// of the index's mapped files, which then stayed resident.

// hotMinDocs is how many documents must hold a term for it to be kept in
// memory: walking a rarer term in the files takes a few microseconds.
const hotMinDocs = 64

// hotBudget bounds the bytes of the postings kept, 12 per document of a
// term. At 10,000 publications all the terms of 64 documents or more take
// 54 MB.
const hotBudget = 64 << 20

// hotCache holds the postings of the common terms searched for.
type hotCache struct {
	mu      sync.RWMutex
	lists   map[string]map[string]*hotList // by field, then term
	queued  []hotKey                       // to read, in the order asked
	pending map[hotKey]int                 // queued or being read: the bytes reserved
	failed  map[hotKey]bool                // not read, and not to be tried again
	bytes   int                            // kept, and reserved for pending
	running bool                           // readHot is at work
	closed  bool
	wg      sync.WaitGroup
	off     atomic.Bool  // tests compare searches from the files
	scored  atomic.Int64 // searches scored in memory (memscore.go), which tests count
}

type hotKey struct{ field, term string }

// hotList is a term's documents in order, how often it stands in each, and
// each one's norm in the field.
type hotList struct {
	docs, freqs []uint32
	norms       []float32
	count       uint64 // as bleve counts it, for the score
}

func (c *hotCache) list(field string, term []byte) *hotList {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lists[field][string(term)]
}

// wantHot queues the postings of term in field, which count documents
// hold, to be read into memory, if there is room for them.
func (x *Index) wantHot(field, term string, count uint64) {
	c := &x.hot
	k := hotKey{field, term}
	size := 12 * int(count)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[k]; ok || c.closed || c.failed[k] || c.lists[field][term] != nil || c.bytes+size > hotBudget {
		return
	}
	if c.pending == nil {
		c.pending = map[hotKey]int{}
	}
	c.pending[k] = size
	c.queued = append(c.queued, k)
	c.bytes += size
	if !c.running {
		c.running = true
		c.wg.Add(1)
		go x.readHot()
	}
}

// readHot reads the queued terms, and ends when none is left: a goroutine
// waiting for more would keep a dropped Index from being closed.
func (x *Index) readHot() {
	c := &x.hot
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(c.queued) == 0 || c.closed {
			c.running = false
			c.mu.Unlock()
			return
		}
		k := c.queued[0]
		c.queued = c.queued[1:]
		c.mu.Unlock()
		l, err := x.readTerm(k)
		if err != nil {
			// Without the term: the log says nothing of what readers search for.
			x.log.Warn("search index: a common word stays on disk", "field", k.field, "err", err)
		}
		c.mu.Lock()
		size := c.pending[k]
		delete(c.pending, k)
		if l != nil {
			if c.lists == nil {
				c.lists = map[string]map[string]*hotList{}
			}
			if c.lists[k.field] == nil {
				c.lists[k.field] = map[string]*hotList{}
			}
			c.lists[k.field][k.term] = l
		} else {
			c.bytes -= size
		}
		if err != nil {
			if c.failed == nil {
				c.failed = map[hotKey]bool{}
			}
			c.failed[k] = true
		}
		c.mu.Unlock()
	}
}

// readTerm reads the postings of k, or returns nil if x is no longer the
// newest generation of its index: the reader must number the documents as
// x does.
func (x *Index) readTerm(k hotKey) (*hotList, error) {
	g := x.gen
	g.mu.RLock()
	if g.newest != x || g.err != nil {
		g.mu.RUnlock()
		return nil, nil
	}
	r, err := readerOf(x.bi)
	g.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readHotList(r, k.field, k.term)
}

// readHotList reads the postings of term in field from r.
func readHotList(r index.IndexReader, field, term string) (*hotList, error) {
	tfr, err := r.TermFieldReader(context.Background(), []byte(term), field, true, true, false)
	if err != nil {
		return nil, err
	}
	defer tfr.Close()
	return readPostings(tfr)
}

// readPostings reads the documents, frequencies and norms of tfr.
func readPostings(tfr index.TermFieldReader) (*hotList, error) {
	n := tfr.Count()
	l := &hotList{docs: make([]uint32, 0, n), freqs: make([]uint32, 0, n), norms: make([]float32, 0, n), count: n}
	var tfd index.TermFieldDoc
	for {
		d, err := tfr.Next(&tfd)
		if err != nil {
			return nil, err
		}
		if d == nil {
			break
		}
		num, norm := d.ID.Value(), float32(d.Norm)
		if num > math.MaxUint32 || d.Freq > math.MaxUint32 || float64(norm) != d.Norm {
			return nil, fmt.Errorf("document %d: frequency %d, norm %v out of range", num, d.Freq, d.Norm)
		}
		l.docs, l.freqs, l.norms = append(l.docs, uint32(num)), append(l.freqs, uint32(d.Freq)), append(l.norms, norm)
	}
	return l, nil
}

// close stops readHot, and waits for the term it reads.
func (c *hotCache) close() {
	c.mu.Lock()
	c.closed, c.queued = true, nil
	c.mu.Unlock()
	c.wg.Wait()
}

// hotReader is an index reader that reads the postings of common words
// from x's memory when no positions are asked for, and asks for those it
// reads from the files to be kept.
type hotReader struct {
	index.IndexReader
	x *Index
	// keep, when not nil, says which documents the request's filters let
	// through: the others are skipped in memory rather than scored and
	// dropped by the collector. Bleve's searchers above drop them too,
	// whatever their shape, and a document kept reads as it would
	// unfiltered. The phrase searcher, which expects a word in every
	// document its units hold, takes its readers without it.
	keep func(doc uint32) bool
}

// TermFieldReader implements index.IndexReader.
func (r hotReader) TermFieldReader(ctx context.Context, term []byte, field string, includeFreq, includeNorm, includeTermVectors bool) (index.TermFieldReader, error) {
	if includeTermVectors {
		return r.IndexReader.TermFieldReader(ctx, term, field, includeFreq, includeNorm, includeTermVectors)
	}
	if l := r.x.hot.list(field, term); l != nil {
		return &hotTermReader{list: l, keep: r.keep, freq: includeFreq, norm: includeNorm}, nil
	}
	tfr, err := r.IndexReader.TermFieldReader(ctx, term, field, includeFreq, includeNorm, includeTermVectors)
	if err != nil {
		return nil, err
	}
	if n := tfr.Count(); n >= hotMinDocs {
		r.x.wantHot(field, string(term), n)
	}
	return tfr, nil
}

// hotTermReader walks a hotList as bleve's own term reader walks the
// files.
type hotTermReader struct {
	list       *hotList
	keep       func(doc uint32) bool // see hotReader
	next       int                   // the index in list of the next document
	freq, norm bool
}

func (t *hotTermReader) Next(pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	if t.keep != nil {
		for t.next < len(t.list.docs) && !t.keep(t.list.docs[t.next]) {
			t.next++
		}
	}
	if t.next >= len(t.list.docs) {
		t.next = len(t.list.docs)
		return nil, nil
	}
	if pre == nil {
		pre = &index.TermFieldDoc{}
	}
	pre.ID = index.NewIndexInternalID(pre.ID, uint64(t.list.docs[t.next]))
	if t.freq {
		pre.Freq = uint64(t.list.freqs[t.next])
	}
	if t.norm {
		pre.Norm = float64(t.list.norms[t.next])
	}
	t.next++
	return pre, nil
}

// Advance moves to the first document at or after id, backwards too.
func (t *hotTermReader) Advance(id index.IndexInternalID, pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	target := id.Value()
	docs := t.list.docs
	if target > math.MaxUint32 {
		t.next = len(docs)
		return t.Next(pre)
	}
	from := 0
	if t.next > 0 && uint64(docs[t.next-1]) < target {
		from = t.next // forward, the usual way: search only what is left
	}
	t.next = seek(docs, from, uint32(target))
	return t.Next(pre)
}

// seek returns the index of the first of docs[from:] at or after target.
// A conjunction of common words moves its parts a few documents at a
// time: it looks close by first, doubling the step, and searches the last
// step's span.
func seek(docs []uint32, from int, target uint32) int {
	lo, hi := from, from
	for step := 1; hi < len(docs) && docs[hi] < target; step *= 2 {
		lo = hi + 1
		hi = min(hi+step, len(docs))
	}
	return lo + sort.Search(hi-lo, func(i int) bool { return docs[lo+i] >= target })
}

func (t *hotTermReader) Count() uint64 { return t.list.count }
func (t *hotTermReader) Close() error  { return nil }
func (t *hotTermReader) Size() int     { return 64 }
