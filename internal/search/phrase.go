package search

import (
	"context"
	"fmt"
	"sort"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/scorer"
	index "github.com/blevesearch/bleve_index_api"
)

// phraseQuery matches words that follow each other, as bleve's PhraseQuery
// does and with the same score (the sum of its terms' scores), but with a
// searcher of its own. Bleve's phrase searcher reads every location of
// every term of every document holding them all into maps and searches
// paths through them, which made a phrase of common words take hundreds of
// milliseconds over 10,000 publications; here positions are read into
// reused buffers, only where needed, and matched by walking sorted lists.
type phraseQuery struct {
	terms []string // the phrase's index terms in order, no gaps
	field string
}

// Searcher implements bleve's query.Query.
func (q *phraseQuery) Searcher(ctx context.Context, r index.IndexReader, _ mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	total, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	s := &phraseSearcher{n: len(q.terms)}
	byTerm := map[string]int{}
	for off, t := range q.terms {
		i, ok := byTerm[t]
		if !ok {
			tfr, err := r.TermFieldReader(ctx, []byte(t), q.field, true, true, false)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("phrase %q: %w", q.terms, err)
			}
			i = len(s.readers)
			byTerm[t] = i
			s.readers = append(s.readers, tfr)
			s.docs = append(s.docs, &index.TermFieldDoc{})
			vr, err := r.TermFieldReader(ctx, []byte(t), q.field, false, false, true)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("phrase %q: %w", q.terms, err)
			}
			s.vecReaders = append(s.vecReaders, vr)
			s.vecs = append(s.vecs, &index.TermFieldDoc{})
			// Scores need no locations: the searcher reads them itself.
			s.scorers = append(s.scorers, scorer.NewTermQueryScorer([]byte(t), q.field, 1, total, tfr.Count(), 0,
				search.SearcherOptions{Score: opts.Score}))
			s.offsets = append(s.offsets, nil)
		}
		s.offsets[i] = append(s.offsets[i], off)
		s.termAt = append(s.termAt, i)
	}
	s.order = make([]int, len(s.readers))
	for i := range s.order {
		s.order[i] = i
	}
	sort.Slice(s.order, func(a, b int) bool { return s.readers[s.order[a]].Count() < s.readers[s.order[b]].Count() })
	s.count = s.readers[s.order[0]].Count()
	s.ptr = make([]int, s.n)
	s.vecAt = make([]index.IndexInternalID, len(s.readers))
	return s, nil
}

// phraseSearcher walks the documents that hold every term of the phrase,
// the rarest term leading, and keeps those where the terms stand in a row.
// Positions are the costly part: they are read only for the documents that
// hold every term, rarest term first, and the common words' only where the
// rare ones stand right.
type phraseSearcher struct {
	n       int                     // words in the phrase
	readers []index.TermFieldReader // one per distinct term, without positions
	docs    []*index.TermFieldDoc   // each reader's current document, nil once it is done
	// Readers of the same terms with positions, moved to a document only
	// when its positions are needed.
	vecReaders []index.TermFieldReader
	vecs       []*index.TermFieldDoc
	vecAt      []index.IndexInternalID // the document each holds, nil if none
	scorers    []*scorer.TermQueryScorer
	offsets    [][]int // where each distinct term stands in the phrase
	termAt     []int   // the distinct term at each offset
	order      []int   // distinct terms, fewest documents first
	count      uint64
	started    bool
	ptr        []int // scratch for match
}

func (s *phraseSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	lead := s.order[0]
	var err error
	if !s.started {
		s.started = true
		s.docs[lead], err = s.readers[lead].Next(s.docs[lead])
	} else if s.docs[lead] != nil {
		s.docs[lead], err = s.readers[lead].Next(s.docs[lead])
	}
	if err != nil {
		return nil, err
	}
	return s.find(ctx)
}

func (s *phraseSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	lead := s.order[0]
	s.started = true
	if s.docs[lead] != nil && s.docs[lead].ID != nil && s.docs[lead].ID.Compare(id) >= 0 {
		// Already there or past: the current document counts only if it
		// has not been returned, which Next would have moved past.
		return s.find(ctx)
	}
	var err error
	if s.docs[lead] == nil {
		s.docs[lead] = &index.TermFieldDoc{}
	}
	s.docs[lead], err = s.readers[lead].Advance(id, s.docs[lead])
	if err != nil {
		return nil, err
	}
	return s.find(ctx)
}

// find moves from the lead's current document to the first document that
// holds the phrase.
func (s *phraseSearcher) find(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	lead := s.order[0]
	for {
		cand := s.docs[lead]
		if cand == nil {
			return nil, nil
		}
		aligned := true
		for _, i := range s.order[1:] {
			d := s.docs[i]
			if d == nil || d.ID == nil || d.ID.Compare(cand.ID) < 0 {
				if d == nil {
					d = &index.TermFieldDoc{}
				}
				var err error
				if s.docs[i], err = s.readers[i].Advance(cand.ID, d); err != nil {
					return nil, err
				}
				d = s.docs[i]
			}
			if d == nil {
				s.docs[lead] = nil // a term has no more documents: done
				return nil, nil
			}
			if c := d.ID.Compare(cand.ID); c > 0 {
				var err error
				if s.docs[lead], err = s.readers[lead].Advance(d.ID, cand); err != nil {
					return nil, err
				}
				aligned = false
				break
			}
		}
		if !aligned {
			continue
		}
		ok, err := s.match()
		if err != nil {
			return nil, err
		}
		if ok {
			return s.hit(ctx), nil
		}
		if s.docs[lead], err = s.readers[lead].Next(cand); err != nil {
			return nil, err
		}
	}
}

// match reports whether the current document holds the terms in a row.
// The two rarest terms are checked against each other first, so that the
// positions of common words ("the") are read only where the rare words
// stand at the right distance.
func (s *phraseSearcher) match() (bool, error) {
	id := s.docs[s.order[0]].ID
	if len(s.order) > 2 {
		if err := s.positions(s.order[0], id); err != nil {
			return false, err
		}
		if err := s.positions(s.order[1], id); err != nil {
			return false, err
		}
		if !s.pairFits(s.order[0], s.order[1]) {
			return false, nil
		}
	}
	for _, i := range s.order {
		if err := s.positions(i, id); err != nil {
			return false, err
		}
	}
	return s.inRow(), nil
}

// positions moves the position reader of term i to document id.
func (s *phraseSearcher) positions(i int, id index.IndexInternalID) error {
	if s.vecAt[i] != nil && s.vecAt[i].Equals(id) {
		return nil
	}
	d, err := s.vecReaders[i].Advance(id, s.vecs[i])
	if err != nil {
		return err
	}
	if d == nil || !d.ID.Equals(id) {
		// Cannot be: the term's plain reader stands on this document.
		return fmt.Errorf("phrase: positions of document %v not found", id)
	}
	s.vecs[i] = d
	s.vecAt[i] = append(s.vecAt[i][:0], id...)
	return nil
}

// pairFits reports whether terms a and b stand anywhere at the distance
// the phrase puts them (at any of their offsets).
func (s *phraseSearcher) pairFits(a, b int) bool {
	va, vb := s.vecs[a].Vectors, s.vecs[b].Vectors
	for _, oa := range s.offsets[a] {
		for _, ob := range s.offsets[b] {
			// b stands at pos(a) + ob - oa.
			d := int64(ob) - int64(oa)
			j := 0
			for _, v := range va {
				want := int64(v.Pos) + d
				for j < len(vb) && int64(vb[j].Pos) < want {
					j++
				}
				if j == len(vb) {
					break
				}
				if int64(vb[j].Pos) == want {
					return true
				}
			}
		}
	}
	return false
}

// inRow reports whether, for some position p of the first word, the word
// at offset k stands at p+k. The positions of each term come sorted, so
// one pointer per offset walks forward.
func (s *phraseSearcher) inRow() bool {
	for k := range s.ptr {
		s.ptr[k] = 0
	}
	first := s.vecs[s.termAt[0]].Vectors
next:
	for _, v := range first {
		p := v.Pos
		for k := 1; k < s.n; k++ {
			vs := s.vecs[s.termAt[k]].Vectors
			j := s.ptr[k]
			for j < len(vs) && vs[j].Pos < p+uint64(k) {
				j++
			}
			s.ptr[k] = j
			if j == len(vs) {
				return false
			}
			if vs[j].Pos != p+uint64(k) {
				continue next
			}
		}
		return true
	}
	return false
}

// hit scores the current document as a conjunction of its terms.
func (s *phraseSearcher) hit(ctx *search.SearchContext) *search.DocumentMatch {
	score := 0.0
	for i, sc := range s.scorers {
		dm := sc.Score(ctx, s.docs[i])
		score += dm.Score
		ctx.DocumentMatchPool.Put(dm)
	}
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = append(dm.IndexInternalID[:0], s.docs[s.order[0]].ID...)
	dm.Score = score
	return dm
}

func (s *phraseSearcher) Close() error {
	var first error
	for _, r := range append(append([]index.TermFieldReader{}, s.readers...), s.vecReaders...) {
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *phraseSearcher) Weight() float64 {
	w := 0.0
	for _, sc := range s.scorers {
		w += sc.Weight()
	}
	return w
}

func (s *phraseSearcher) SetQueryNorm(qnorm float64) {
	for _, sc := range s.scorers {
		sc.SetQueryNorm(qnorm)
	}
}

func (s *phraseSearcher) Count() uint64              { return s.count }
func (s *phraseSearcher) Min() int                   { return 0 }
func (s *phraseSearcher) Size() int                  { return 128 * (len(s.readers) + 1) }
func (s *phraseSearcher) DocumentMatchPoolSize() int { return len(s.scorers) + 1 }
