package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	index "github.com/blevesearch/bleve_index_api"
)

// Common words are matched from memory. A search for one walks the
// postings of thousands of documents, and bleve's files decode them one at
// a time: at 10,000 publications that walk was two thirds of a search at
// the median. The documents, frequencies and norms of the terms many
// documents hold are read once into arrays, and bleve's searchers read
// them there through hotReader: they score from the same numbers, so hits
// and scores are those of the files. Word positions, read only for the
// hits shown, stay in the files.

// hotMinDocs is how many documents must hold a term for it to be kept in
// memory: walking a rarer term in the files takes a few microseconds.
const hotMinDocs = 64

// hotBudget bounds the bytes of the postings kept, 8 per document of a
// term: the commonest terms are kept first. At 10,000 publications the
// terms of 64 documents or more take 36 MB.
const hotBudget = 64 << 20

// hotPostings are the postings kept in memory of one reader's documents.
type hotPostings struct {
	fields          map[string]*hotField
	terms, postings int
}

// hotField is one field's terms, and every document's norm in it: a norm
// depends on the length of the field, so the terms of a document share it.
type hotField struct {
	terms map[string]*hotList
	norms []float32 // by document number; 0 where no kept term has one
}

// hotList is a term's documents in order, and how often it stands in each.
type hotList struct {
	docs, freqs []uint32
	count       uint64 // as bleve counts it, for the score
}

// warmHot reads x's common words into memory on a goroutine of its own,
// which Close and a newer generation stop: searches read the files until
// it is done.
func (x *Index) warmHot() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	x.hotStop, x.hotDone = cancel, done
	var fields []string
	for _, g := range x.groups {
		fields = append(fields, textField(g))
		if f := pairField(g); f != "" {
			fields = append(fields, f)
		}
	}
	go func() {
		defer close(done)
		start := time.Now()
		h, err := x.readHot(ctx, fields)
		switch {
		case ctx.Err() != nil:
			// Closed, or superseded by an update.
		case err != nil:
			x.log.Warn("search index: common words are read from disk", "err", err)
		default:
			x.hot.Store(h)
			x.log.Info("search index: common words in memory", "terms", h.terms, "postings", h.postings,
				"mib", h.postings*8>>20, "took", time.Since(start).Round(time.Millisecond))
		}
	}()
}

// stopHot stops warmHot, if it is still reading, and waits for it.
func (x *Index) stopHot() {
	if x.hotDone != nil {
		x.hotStop()
		<-x.hotDone
	}
}

func (x *Index) readHot(ctx context.Context, fields []string) (*hotPostings, error) {
	ix, err := x.bi.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := ix.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return buildHot(ctx, r, fields)
}

// buildHot reads the postings of the terms of fields that at least
// hotMinDocs documents of r hold, the commonest first, within hotBudget.
func buildHot(ctx context.Context, r index.IndexReader, fields []string) (*hotPostings, error) {
	type candidate struct {
		field, term string
		count       uint64
	}
	var cands []candidate
	for _, f := range fields {
		dict, err := r.FieldDict(f)
		if err != nil {
			return nil, fmt.Errorf("common words of %s: %w", f, err)
		}
		for {
			e, err := dict.Next()
			if err != nil {
				dict.Close()
				return nil, fmt.Errorf("common words of %s: %w", f, err)
			}
			if e == nil {
				break
			}
			if e.Count >= hotMinDocs {
				cands = append(cands, candidate{f, e.Term, e.Count})
			}
		}
		if err := dict.Close(); err != nil {
			return nil, fmt.Errorf("common words of %s: %w", f, err)
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return cmp.Compare(b.count, a.count) })
	var total uint64
	for i, c := range cands {
		if (total+c.count)*8 > hotBudget {
			cands = cands[:i]
			break
		}
		total += c.count
	}
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	h := &hotPostings{fields: map[string]*hotField{}}
	// One array for all documents and one for all frequencies: a list per
	// term would be thousands of allocations for the collector to scan.
	docs, freqs := make([]uint32, 0, total), make([]uint32, 0, total)
	var tfd index.TermFieldDoc
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hf := h.fields[c.field]
		if hf == nil {
			hf = &hotField{terms: map[string]*hotList{}, norms: make([]float32, n)}
			h.fields[c.field] = hf
		}
		first := len(docs)
		tfr, err := r.TermFieldReader(ctx, []byte(c.term), c.field, true, true, false)
		if err != nil {
			return nil, fmt.Errorf("common word %q of %s: %w", c.term, c.field, err)
		}
		for err == nil {
			var d *index.TermFieldDoc
			if d, err = tfr.Next(&tfd); err != nil || d == nil {
				break
			}
			err = hf.add(d)
			docs, freqs = append(docs, uint32(d.ID.Value())), append(freqs, uint32(d.Freq))
		}
		count := tfr.Count()
		if cerr := tfr.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("common word %q of %s: %w", c.term, c.field, err)
		}
		hf.terms[c.term] = &hotList{docs: docs[first:len(docs):len(docs)], freqs: freqs[first:len(freqs):len(freqs)], count: count}
		h.terms++
	}
	h.postings = len(docs)
	return h, nil
}

// add notes the norm of d's document, and checks that what hotList holds
// of d is d.
func (hf *hotField) add(d *index.TermFieldDoc) error {
	num := d.ID.Value()
	if num >= math.MaxUint32 || d.Freq > math.MaxUint32 {
		return fmt.Errorf("document %d, frequency %d: out of range", num, d.Freq)
	}
	if num >= uint64(len(hf.norms)) {
		// Numbers run past the count where documents were deleted.
		hf.norms = append(hf.norms, make([]float32, int(num)+1-len(hf.norms))...)
	}
	norm := float32(d.Norm)
	if float64(norm) != d.Norm || norm == 0 || (hf.norms[num] != 0 && hf.norms[num] != norm) {
		return fmt.Errorf("document %d: norm %v, and %v for another term", num, d.Norm, hf.norms[num])
	}
	hf.norms[num] = norm
	return nil
}

// hotReader is an index reader that reads the postings of common words
// from memory, when no positions are asked for.
type hotReader struct {
	index.IndexReader
	hot *hotPostings
}

// TermFieldReader implements index.IndexReader.
func (r hotReader) TermFieldReader(ctx context.Context, term []byte, field string, includeFreq, includeNorm, includeTermVectors bool) (index.TermFieldReader, error) {
	if hf := r.hot.fields[field]; hf != nil && !includeTermVectors {
		if l := hf.terms[string(term)]; l != nil {
			return &hotTermReader{list: l, norms: hf.norms, freq: includeFreq, norm: includeNorm}, nil
		}
	}
	return r.IndexReader.TermFieldReader(ctx, term, field, includeFreq, includeNorm, includeTermVectors)
}

// hotTermReader walks a hotList as bleve's own term reader walks the
// files.
type hotTermReader struct {
	list       *hotList
	norms      []float32
	next       int // the index in list of the next document
	freq, norm bool
}

func (t *hotTermReader) Next(pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	if t.next >= len(t.list.docs) {
		t.next = len(t.list.docs)
		return nil, nil
	}
	if pre == nil {
		pre = &index.TermFieldDoc{}
	}
	doc := t.list.docs[t.next]
	pre.ID = index.NewIndexInternalID(pre.ID, uint64(doc))
	if t.freq {
		pre.Freq = uint64(t.list.freqs[t.next])
	}
	if t.norm {
		pre.Norm = float64(t.norms[doc])
	}
	t.next++
	return pre, nil
}

// Advance moves to the first document at or after id, backwards too.
func (t *hotTermReader) Advance(id index.IndexInternalID, pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	target := id.Value()
	docs := t.list.docs
	from := 0
	if t.next > 0 && uint64(docs[t.next-1]) < target {
		from = t.next // forward, the usual way: search only what is left
	}
	t.next = from + sort.Search(len(docs)-from, func(i int) bool { return uint64(docs[from+i]) >= target })
	return t.Next(pre)
}

func (t *hotTermReader) Count() uint64 { return t.list.count }
func (t *hotTermReader) Close() error  { return nil }
func (t *hotTermReader) Size() int     { return 64 }
