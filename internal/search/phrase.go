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
// searcher of its own. Bleve's phrase searcher gathers every location of
// every term into maps and searches paths through them, which made a
// phrase of common words take hundreds of milliseconds over 10,000
// publications; here positions are read into reused buffers and matched
// by walking sorted lists.
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
			tfr, err := r.TermFieldReader(ctx, []byte(t), q.field, true, true, true)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("phrase %q: %w", q.terms, err)
			}
			i = len(s.readers)
			byTerm[t] = i
			s.readers = append(s.readers, tfr)
			s.docs = append(s.docs, &index.TermFieldDoc{})
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
	return s, nil
}

// phraseSearcher walks the documents that hold every term of the phrase,
// the rarest term leading, and keeps those where the terms stand in a row.
type phraseSearcher struct {
	n       int                     // words in the phrase
	readers []index.TermFieldReader // one per distinct term
	docs    []*index.TermFieldDoc   // each reader's current document, nil once it is done
	scorers []*scorer.TermQueryScorer
	offsets [][]int // where each distinct term stands in the phrase
	termAt  []int   // the distinct term at each offset
	order   []int   // distinct terms, fewest documents first
	count   uint64
	started bool
	ptr     []int // scratch for match
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
		if s.match() {
			return s.hit(ctx), nil
		}
		var err error
		if s.docs[lead], err = s.readers[lead].Next(cand); err != nil {
			return nil, err
		}
	}
}

// match reports whether the current documents' positions hold the terms in
// a row: for some position p of the first word, the word at offset k
// stands at p+k. The positions of each term come sorted, so one pointer
// per offset walks forward.
func (s *phraseSearcher) match() bool {
	for k := range s.ptr {
		s.ptr[k] = 0
	}
	first := s.docs[s.termAt[0]].Vectors
next:
	for _, v := range first {
		p := v.Pos
		for k := 1; k < s.n; k++ {
			vs := s.docs[s.termAt[k]].Vectors
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
	for _, r := range s.readers {
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
func (s *phraseSearcher) Size() int                  { return 64 * (len(s.readers) + 1) }
func (s *phraseSearcher) DocumentMatchPoolSize() int { return len(s.scorers) + 1 }
