package search

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
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
//
// A pair word that no pair covers ("a" in "implements a hash table") is
// matched on the text rather than on its positions, where the phrase's
// other units stand in a row: reading a common word's positions in a
// document meant decoding those of the documents before it in its chunk of
// postings, some hundred each for "a" or "go", and a quote of twelve words
// took 9 ms of CPU at 10,000 publications, 4.5 ms this way. The text is
// read only where two or more units already stand right: "a goroutine",
// matched on the text at every "goroutine", took 95 ms rather than 11.5.
type phraseQuery struct {
	terms []string        // the phrase's index terms in order, no gaps
	field string          // a text field
	pairs map[string]bool // the pair words of the field's group
	// text reads the field's words from the indexed text; nil: every
	// word is matched on its positions.
	text segmentWords
	// textMin, when not 0, is how many documents must hold a word, pair
	// word or not, for it to be matched on the text (textMinDocs for pair
	// words when 0): tests match every word they can on the text.
	textMin uint64
}

// segmentWords returns the tokens of the segment of bleve document num's
// text that holds byte offset off, as the index analysed it (their offsets
// and positions the segment's own), and the index among them of the token
// that starts at off, -1 if none does.
type segmentWords func(num uint64, off int) (analysis.TokenStream, int, error)

// segmentWords implements segmentWords over x's documents and texts, with
// the analyser that indexed them: each segment was analysed on its own
// (see segmentedText), so its tokens are those the index holds.
func (x *Index) segmentWords(num uint64, off int) (analysis.TokenStream, int, error) {
	d := &x.docs
	if num+1 >= uint64(len(d.first)) || d.first[num] == d.first[num+1] {
		return nil, -1, fmt.Errorf("search index holds document %d, which the content does not", num)
	}
	e := d.entry[d.first[num]]
	i := sort.Search(len(e.text), func(i int) bool { return e.text[i].start > off }) - 1
	if i < 0 {
		return nil, -1, nil
	}
	text, err := e.readSeg(i)
	if err != nil {
		return nil, -1, err
	}
	an := x.analyzers[e.group]
	if p, ok := an.(pairing); ok {
		an = p.Analyzer
	}
	toks := an.Analyze([]byte(text))
	rel := off - e.text[i].start
	at := sort.Search(len(toks), func(j int) bool { return toks[j].Start >= rel })
	if at == len(toks) || toks[at].Start != rel {
		return toks, -1, nil
	}
	return toks, at, nil
}

// textMinDocs is how many documents must hold a pair word for a phrase to
// match it on the text: a rarer word's positions are few to read.
const textMinDocs = 2048

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
	type key struct{ term, field string }
	byKey := map[key]int{}
	wordUnit := map[string]int{} // the units that are words
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
				wordUnit[t] = i
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
	s.ref, s.placed = -1, s.order
	s.textWords(q, wordUnit)
	// The words score the hits, as a conjunction of their terms. A word
	// that is a unit reads its positions with the same reader: each reader
	// walks the postings of a common word, which costs more than reading
	// the positions.
	byWord := map[string]int{}
	for _, t := range q.terms {
		if _, ok := byWord[t]; ok {
			continue
		}
		u, isUnit := wordUnit[t]
		positions := isUnit && !s.units[u].text
		tfr, err := r.TermFieldReader(ctx, []byte(t), q.field, true, true, positions)
		if err != nil {
			return fail(err)
		}
		byWord[t] = len(s.words)
		s.words = append(s.words, word{r: tfr, doc: &index.TermFieldDoc{},
			// Scores need no locations: the searcher reads them itself.
			scorer: scorer.NewTermQueryScorer([]byte(t), q.field, 1, total, tfr.Count(), 0,
				search.SearcherOptions{Score: opts.Score})})
		if isUnit {
			s.units[u].word = byWord[t]
		}
	}
	s.ptr = make([]int, len(s.chain))
	return s, nil
}

// textWords chooses the units matched on the text rather than on their
// positions (see phraseQuery): the pair words that many documents hold,
// unless the rarest unit is one, and only when two units or more are left
// to match on positions. Their place in the text is found from a word
// matched on its positions (pairs have no byte offsets), the link s.ref,
// so a phrase without one has none. wordUnit gives the unit of each word
// that is one.
func (s *phraseSearcher) textWords(q *phraseQuery, wordUnit map[string]int) {
	if q.text == nil {
		return
	}
	least := q.textMin
	if least == 0 {
		least = textMinDocs
	}
	any := false
	for t, i := range wordUnit {
		if i != s.order[0] && (q.textMin > 0 || q.pairs[t]) && s.units[i].docs.Count() >= least {
			s.units[i].text, any = true, true
		}
	}
	if !any {
		return
	}
	for j, l := range s.chain {
		if u := &s.units[l.unit]; u.vecs == nil && !u.text {
			s.ref = j
			break
		}
	}
	var placed []int
	for _, i := range s.order {
		if !s.units[i].text {
			placed = append(placed, i)
		}
	}
	if s.ref < 0 || len(placed) < 2 {
		for i := range s.units {
			s.units[i].text = false
		}
		s.ref = -1
		return
	}
	s.placed, s.text, s.terms = placed, q.text, q.terms
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
	// placed are the units matched on their positions, fewest documents
	// first (order, unless some are matched on the text, from the link
	// ref; -1 when none is).
	placed []int
	ref    int
	text   segmentWords
	terms  []string
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
	text    bool                  // matched on the text (see phraseQuery)
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
	placed := s.placed
	if len(placed) > 2 {
		if err := s.positions(placed[0], id); err != nil {
			return false, err
		}
		if err := s.positions(placed[1], id); err != nil {
			return false, err
		}
		if !s.pairFits(placed[0], placed[1]) {
			return false, nil
		}
	}
	for _, i := range placed {
		if err := s.positions(i, id); err != nil {
			return false, err
		}
	}
	return s.inRow(id)
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

// inRow reports whether, for some position p of the reference link's
// unit (the first link's, unless words are matched on the text), each
// link's unit stands at p plus its distance from it, and the words matched
// on the text stand there in the text of document id. The positions of
// each unit come sorted, so one pointer per link walks forward.
func (s *phraseSearcher) inRow(id index.IndexInternalID) (bool, error) {
	for k := range s.ptr {
		s.ptr[k] = 0
	}
	ref := s.chain[max(s.ref, 0)]
next:
	for _, v := range s.units[ref.unit].vec.Vectors {
		for k, l := range s.chain {
			if l == ref || s.units[l.unit].text {
				continue
			}
			want := int64(v.Pos) + int64(l.off-ref.off)
			vs := s.units[l.unit].vec.Vectors
			j := s.ptr[k]
			for j < len(vs) && int64(vs[j].Pos) < want {
				j++
			}
			s.ptr[k] = j
			if j == len(vs) {
				return false, nil
			}
			if int64(vs[j].Pos) != want {
				continue next
			}
		}
		if s.text == nil {
			return true, nil
		}
		ok, err := s.inText(id, v, ref.off)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// inText reports whether the words matched on the text stand where the
// phrase puts them, the word at offset off of the phrase standing at v.
func (s *phraseSearcher) inText(id index.IndexInternalID, v *index.TermFieldVector, off int) (bool, error) {
	toks, at, err := s.text(id.Value(), int(v.Start))
	if err != nil {
		return false, err
	}
	if at < 0 {
		// Cannot be when the index and its texts agree.
		return false, fmt.Errorf("phrase: no word of the text of document %v starts at byte %d", id, v.Start)
	}
	for _, l := range s.chain {
		if !s.units[l.unit].text {
			continue
		}
		i := at + l.off - off
		if i < 0 || i >= len(toks) || toks[i].Position != toks[at].Position+l.off-off || string(toks[i].Term) != s.terms[l.off] {
			return false, nil
		}
	}
	return true, nil
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
