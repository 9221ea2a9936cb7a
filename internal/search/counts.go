package search

import (
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

// countedField is a text field of the index whose analysis counts its
// terms with tokenFrequencies rather than bleve's analysis.TokenFrequency,
// which sized each document's map by its tokens, allocated every term's
// counts on their own and grew every term's list of locations by
// appending: the most allocated memory of an index's build. The rest is
// bleve's text field, which zapx and scorch know only as an index.Field.
type countedField struct {
	*document.TextField
	mem    *batchMemory
	length int
	freqs  index.TokenFrequencies
}

func newCountedField(name string, an analysis.Analyzer, mem *batchMemory) *countedField {
	return &countedField{TextField: document.NewTextFieldCustom(name, nil, nil, index.IndexField|index.IncludeTermVectors, an), mem: mem}
}

func (f *countedField) Analyze() {
	toks := f.Analyzer().Analyze(nil)
	f.length = len(toks)
	f.freqs = f.mem.tokenFrequencies(toks)
}

func (f *countedField) AnalyzedLength() int                              { return f.length }
func (f *countedField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }

// tokenFrequencies is analysis.TokenFrequency for a field with term
// vectors and no array positions, in one piece of memory of each kind,
// from m: a first pass finds each token's term, a second hands each term
// its share of one array of locations.
func (m *batchMemory) tokenFrequencies(toks analysis.TokenStream) index.TokenFrequencies {
	out, terms, locs, ptrs := m.take(len(toks))
	var slab []index.TokenFreq
	for i, t := range toks {
		tf := out[string(t.Term)]
		if tf == nil {
			if len(slab) == cap(slab) {
				slab = m.takeCounts(max(16, len(toks)/8))
			}
			slab = append(slab, index.TokenFreq{Term: t.Term})
			tf = &slab[len(slab)-1]
			out[string(t.Term)] = tf
		}
		tf.SetFrequency(tf.Frequency() + 1)
		terms[i] = tf
	}
	off := 0
	for _, tf := range out {
		n := tf.Frequency()
		tf.Locations = ptrs[off : off : off+n]
		off += n
	}
	for i, t := range toks {
		locs[i] = index.TokenLocation{Start: t.Start, End: t.End, Position: t.Position}
		tf := terms[i]
		tf.Locations = append(tf.Locations, &locs[i])
	}
	return out
}

// batchMemory is where the fields of one batch's documents count their
// terms, and what bleve reads them from when it makes the batch's
// segment. Once it has, the next batch reuses the memory (reset) rather
// than leave it to the collector: counts and locations were 1.4 GB of
// the 4.1 GB that a cold start over 10,000 publications allocated while
// it indexed, and the collector ran whenever another 250 MB or so had
// been allocated, marking some 350 MB each time. A nil *batchMemory
// allocates afresh, for an update's few documents.
//
// Bleve analyses a batch's documents on several goroutines at once.
type batchMemory struct {
	mu     sync.Mutex
	locs   chunks[index.TokenLocation]
	ptrs   chunks[*index.TokenLocation]
	terms  chunks[*index.TokenFreq]
	counts chunks[index.TokenFreq]
	maps   []index.TokenFrequencies // handed out since the last reset
	free   []index.TokenFrequencies // emptied, to hand out again
}

// take returns a map of counts and room for n tokens' terms, locations and
// pointers to them.
func (m *batchMemory) take(n int) (index.TokenFrequencies, []*index.TokenFreq, []index.TokenLocation, []*index.TokenLocation) {
	if m == nil {
		return make(index.TokenFrequencies, n/4+1), make([]*index.TokenFreq, n), make([]index.TokenLocation, n), make([]*index.TokenLocation, n)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out index.TokenFrequencies
	if k := len(m.free); k > 0 {
		out, m.free = m.free[k-1], m.free[:k-1]
	} else {
		out = make(index.TokenFrequencies, n/4+1)
	}
	m.maps = append(m.maps, out)
	return out, m.terms.take(n), m.locs.take(n), m.ptrs.take(n)
}

// takeCounts returns an empty slice with room for n terms' counts.
func (m *batchMemory) takeCounts(n int) []index.TokenFreq {
	if m == nil {
		return make([]index.TokenFreq, 0, n)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts.take(n)[:0]
}

// reset makes everything m handed out free to hand out again. Nothing may
// read it any more: call it once bleve has made the segment of the batch.
func (m *batchMemory) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, out := range m.maps {
		clear(out)
	}
	m.free, m.maps = append(m.free, m.maps...), m.maps[:0]
	// The counts hold the terms' bytes, which are the analysis's: cleared,
	// so that they do not keep a batch's tokens alive. The rest points
	// into m's own memory, or at nothing.
	m.counts.reset(true)
	m.terms.reset(false)
	m.locs.reset(false)
	m.ptrs.reset(false)
}

// chunks hands out slices of a few large arrays, again and again.
type chunks[T any] struct {
	all  [][]T
	next int // the array being handed out from
	used int // how much of it is
}

// chunkLen is the length of a chunks' arrays: 4 MB of locations. A
// larger request gets an array of its own, which is not kept.
const chunkLen = 64 << 10

// take returns n elements, in no particular state.
func (c *chunks[T]) take(n int) []T {
	if n > chunkLen {
		return make([]T, n)
	}
	if c.next < len(c.all) && c.used+n > chunkLen {
		c.next, c.used = c.next+1, 0
	}
	if c.next == len(c.all) {
		c.all = append(c.all, make([]T, chunkLen))
	}
	s := c.all[c.next][c.used : c.used+n : c.used+n]
	c.used += n
	return s
}

// reset makes every element free to take again, zeroing them first if
// asked to.
func (c *chunks[T]) reset(zero bool) {
	if zero {
		for i := range min(c.next+1, len(c.all)) {
			clear(c.all[i])
		}
	}
	c.next, c.used = 0, 0
}
