package search

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
//
// Where the index holds pairs of the phrase's words (pairs.go), the phrase
// is matched on those pairs and on the words no pair covers: the
// documents that hold them all are found from their postings, and their
// positions are read there. A pair stands where its first word does, so a
// pair at p+k is words k and k+1 at p+k and p+k+1: the same test as on the
// words' positions, on a few positions per document where a common word
// ("the") has hundreds.
type phraseQuery struct {
	terms []string        // the phrase's index terms in order, no gaps
	field string          // a text field
	pairs map[string]bool // the pair words of the field's group
}

// pairFieldOf is the field of the word pairs of the text field f, or "".
func pairFieldOf(f string) string {
	g, ok := strings.CutPrefix(f, fieldTextPrefix)
	if !ok {
		return ""
	}
	return pairField(g)
}

// Searcher implements bleve's query.Query.
func (q *phraseQuery) Searcher(ctx context.Context, r index.IndexReader, _ mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	if hr, ok := r.(hotReader); ok {
		// The words are checked in the documents the units hold, some of
		// which may be read from the files: a word kept in memory must not
		// skip one of them for the request's filters.
		hr.keep = nil
		r = hr
	}
	total, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	s := &phraseSearcher{}
	fail := func(err error) (search.Searcher, error) {
		s.Close()
		return nil, fmt.Errorf("phrase %q: %w", q.terms, err)
	}
	// The units are what is matched: the pairs the index holds, and the
	// words none of them covers, in the order of the phrase.
	pf := pairFieldOf(q.field)
	paired := func(k int) bool {
		return pf != "" && k >= 0 && k+1 < len(q.terms) && q.pairs[q.terms[k]] && q.pairs[q.terms[k+1]]
	}
	asUnit := map[string]bool{}
	for k, t := range q.terms {
		if !paired(k) && !paired(k-1) {
			asUnit[t] = true
		}
	}
	// The words score the hits, as a conjunction of their terms. A word
	// that is a unit reads its positions with the same reader: each reader
	// walks the postings of a common word, which costs more than reading
	// the positions.
	byWord := map[string]int{}
	for _, t := range q.terms {
		if _, ok := byWord[t]; ok {
			continue
		}
		tfr, err := r.TermFieldReader(ctx, []byte(t), q.field, true, true, asUnit[t])
		if err != nil {
			return fail(err)
		}
		byWord[t] = len(s.words)
		s.words = append(s.words, word{r: tfr, doc: &index.TermFieldDoc{},
			// Scores need no locations: the searcher reads them itself.
			scorer: scorer.NewTermQueryScorer([]byte(t), q.field, 1, total, tfr.Count(), 0,
				search.SearcherOptions{Score: opts.Score})})
	}
	type key struct{ term, field string }
	byKey := map[key]int{}
	for k, t := range q.terms {
		c := key{t, q.field}
		switch {
		case paired(k):
			c = key{pairTerm(t, q.terms[k+1]), pf}
		case paired(k - 1):
			continue // the pair before covers it
		}
		i, ok := byKey[c]
		if !ok {
			i = len(s.units)
			byKey[c] = i
			u := unit{doc: &index.TermFieldDoc{}, vec: &index.TermFieldDoc{}, word: -1}
			if u.docs, err = r.TermFieldReader(ctx, []byte(c.term), c.field, false, false, false); err != nil {
				return fail(err)
			}
			s.units = append(s.units, u)
			if c.field == q.field {
				s.units[i].word = byWord[t]
			} else if s.units[i].vecs, err = r.TermFieldReader(ctx, []byte(c.term), c.field, false, false, true); err != nil {
				return fail(err)
			}
		}
		s.units[i].offsets = append(s.units[i].offsets, k)
		s.chain = append(s.chain, link{unit: i, off: k})
	}
	s.order = make([]int, len(s.units))
	for i := range s.order {
		s.order[i] = i
	}
	sort.SliceStable(s.order, func(a, b int) bool { return s.units[s.order[a]].docs.Count() < s.units[s.order[b]].docs.Count() })
	s.count = s.units[s.order[0]].docs.Count()
	s.ptr = make([]int, len(s.chain))
	return s, nil
}

// phraseSearcher walks the documents that hold every unit of the phrase
// (its pairs, and the words they leave out: see phraseQuery), the rarest
// leading, and keeps those where the units stand in a row. Positions are
// the costly part: they are read only for the documents that hold every
// unit, the rarest unit's first, and the common ones' only where the rare
// ones stand right. The words' frequencies, for the score, are read only
// for hits.
type phraseSearcher struct {
	units   []unit
	chain   []link // the units at their offsets in the phrase, in order
	order   []int  // distinct units, fewest documents first
	words   []word
	count   uint64
	started bool
	ptr     []int // scratch for inRow
}

// A unit is a distinct pair or word of the phrase.
type unit struct {
	docs index.TermFieldReader // without positions
	doc  *index.TermFieldDoc   // its current document, nil once it is done
	// A pair's reader with positions, moved to a document only when its
	// positions are needed; a word's is the word's (words[word]).
	vecs    index.TermFieldReader
	vec     *index.TermFieldDoc
	vecAt   index.IndexInternalID // the document vec holds, nil if none
	word    int                   // the word it is, -1 for a pair
	offsets []int                 // where it stands in the phrase
}

// A link is a unit at its offset in the phrase: where its first word
// stands.
type link struct{ unit, off int }

// A word is a distinct term of the phrase, which scores its hits.
type word struct {
	r      index.TermFieldReader // with frequencies and norms, and positions for a unit
	doc    *index.TermFieldDoc
	at     index.IndexInternalID // the document doc holds, nil if none
	scorer *scorer.TermQueryScorer
}

// moveTo moves w's reader to document id, which holds the word, unless it
// stands there: a reader moved to where it stands starts again from the
// first document.
func (w *word) moveTo(id index.IndexInternalID) (*index.TermFieldDoc, error) {
	if w.at != nil && w.at.Equals(id) {
		return w.doc, nil
	}
	d, err := w.r.Advance(id, w.doc)
	if err != nil {
		return nil, err
	}
	if d == nil || !d.ID.Equals(id) {
		// Cannot be: a document that holds the phrase's units holds its words.
		return nil, fmt.Errorf("phrase: document %v lacks a word of the phrase", id)
	}
	w.doc = d
	w.at = append(w.at[:0], id...)
	return d, nil
}

func (s *phraseSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	lead := &s.units[s.order[0]]
	var err error
	if !s.started {
		s.started = true
		lead.doc, err = lead.docs.Next(lead.doc)
	} else if lead.doc != nil {
		lead.doc, err = lead.docs.Next(lead.doc)
	}
	if err != nil {
		return nil, err
	}
	return s.find(ctx)
}

func (s *phraseSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	lead := &s.units[s.order[0]]
	s.started = true
	if lead.doc != nil && lead.doc.ID != nil && lead.doc.ID.Compare(id) >= 0 {
		// Already there or past: the current document counts only if it
		// has not been returned, which Next would have moved past.
		return s.find(ctx)
	}
	var err error
	if lead.doc == nil {
		lead.doc = &index.TermFieldDoc{}
	}
	lead.doc, err = lead.docs.Advance(id, lead.doc)
	if err != nil {
		return nil, err
	}
	return s.find(ctx)
}

// find moves from the lead's current document to the first document that
// holds the phrase.
func (s *phraseSearcher) find(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	lead := &s.units[s.order[0]]
	for {
		cand := lead.doc
		if cand == nil {
			return nil, nil
		}
		aligned := true
		for _, i := range s.order[1:] {
			u := &s.units[i]
			if u.doc == nil || u.doc.ID == nil || u.doc.ID.Compare(cand.ID) < 0 {
				if u.doc == nil {
					u.doc = &index.TermFieldDoc{}
				}
				var err error
				if u.doc, err = u.docs.Advance(cand.ID, u.doc); err != nil {
					return nil, err
				}
			}
			if u.doc == nil {
				lead.doc = nil // a unit has no more documents: done
				return nil, nil
			}
			if c := u.doc.ID.Compare(cand.ID); c > 0 {
				var err error
				if lead.doc, err = lead.docs.Advance(u.doc.ID, cand); err != nil {
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
			return s.hit(ctx)
		}
		if lead.doc, err = lead.docs.Next(cand); err != nil {
			return nil, err
		}
	}
}

// match reports whether the current document holds the units in a row.
// The two rarest units are checked against each other first, so that the
// positions of common ones ("the", or "of the") are read only where the
// rare ones stand at the right distance.
func (s *phraseSearcher) match() (bool, error) {
	if len(s.chain) == 1 {
		return true, nil // a pair, or a word, stands somewhere
	}
	id := s.units[s.order[0]].doc.ID
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

// positions moves the position reader of unit i to document id.
func (s *phraseSearcher) positions(i int, id index.IndexInternalID) error {
	u := &s.units[i]
	if u.word >= 0 {
		d, err := s.words[u.word].moveTo(id)
		u.vec = d
		return err
	}
	if u.vecAt != nil && u.vecAt.Equals(id) {
		return nil
	}
	d, err := u.vecs.Advance(id, u.vec)
	if err != nil {
		return err
	}
	if d == nil || !d.ID.Equals(id) {
		// Cannot be: the unit's plain reader stands on this document.
		return fmt.Errorf("phrase: positions of document %v not found", id)
	}
	u.vec = d
	u.vecAt = append(u.vecAt[:0], id...)
	return nil
}

// pairFits reports whether units a and b stand anywhere at the distance
// the phrase puts them (at any of their offsets).
func (s *phraseSearcher) pairFits(a, b int) bool {
	va, vb := s.units[a].vec.Vectors, s.units[b].vec.Vectors
	for _, oa := range s.units[a].offsets {
		for _, ob := range s.units[b].offsets {
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

// inRow reports whether, for some position p of the first link's unit,
// each link's unit stands at p plus its distance from the first. The
// positions of each unit come sorted, so one pointer per link walks
// forward.
func (s *phraseSearcher) inRow() bool {
	for k := range s.ptr {
		s.ptr[k] = 0
	}
	first := s.chain[0]
next:
	for _, v := range s.units[first.unit].vec.Vectors {
		for k, l := range s.chain[1:] {
			want := v.Pos + uint64(l.off-first.off)
			vs := s.units[l.unit].vec.Vectors
			j := s.ptr[k]
			for j < len(vs) && vs[j].Pos < want {
				j++
			}
			s.ptr[k] = j
			if j == len(vs) {
				return false
			}
			if vs[j].Pos != want {
				continue next
			}
		}
		return true
	}
	return false
}

// hit scores the current document as a conjunction of its words.
func (s *phraseSearcher) hit(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	id := s.units[s.order[0]].doc.ID
	score := 0.0
	for i := range s.words {
		d, err := s.words[i].moveTo(id)
		if err != nil {
			return nil, err
		}
		// Without the positions, which the scorer would copy into the match.
		plain := index.TermFieldDoc{ID: d.ID, Freq: d.Freq, Norm: d.Norm}
		dm := s.words[i].scorer.Score(ctx, &plain)
		score += dm.Score
		ctx.DocumentMatchPool.Put(dm)
	}
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = append(dm.IndexInternalID[:0], id...)
	dm.Score = score
	return dm, nil
}

func (s *phraseSearcher) Close() error {
	var first error
	closeReader := func(r index.TermFieldReader) {
		if r == nil {
			return
		}
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, u := range s.units {
		closeReader(u.docs)
		closeReader(u.vecs)
	}
	for _, w := range s.words {
		closeReader(w.r)
	}
	return first
}

func (s *phraseSearcher) Weight() float64 {
	w := 0.0
	for _, word := range s.words {
		w += word.scorer.Weight()
	}
	return w
}

func (s *phraseSearcher) SetQueryNorm(qnorm float64) {
	for _, w := range s.words {
		w.scorer.SetQueryNorm(qnorm)
	}
}

func (s *phraseSearcher) Count() uint64              { return s.count }
func (s *phraseSearcher) Min() int                   { return 0 }
func (s *phraseSearcher) Size() int                  { return 128 * (2*len(s.units) + len(s.words) + 1) }
func (s *phraseSearcher) DocumentMatchPoolSize() int { return len(s.words) + 1 }
