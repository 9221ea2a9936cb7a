package search

import (
	"context"
	"math"
	"sort"

	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// A query of words alone (words, OR and exclusions, no phrase or prefix),
// the most common kind, is matched and scored here, from the postings that
// memory holds (hot.go), rather than by bleve's searchers. Those hand every
// match up their tree as a DocumentMatch taken from a pool and reset on
// its way back, which with a common word's postings in memory was a
// third of the search.
//
// The scores are bleve's to the last bit, as a replica that reads a word
// from the files must rank as one that holds it in memory: the same TF-IDF
// and query norm, each conjunction and disjunction taking its parts in the
// order bleve's searchers sort them into (by count) and summing their
// scores in that order. TestCommonWordsFromMemory compares the two.

// memNode is a node of a query scored in memory: a term, or a conjunction
// or disjunction of nodes. It walks its matches in document order, as a
// bleve searcher does.
type memNode struct {
	kind  memKind
	count uint64 // as bleve's searcher counts: a term's documents, the sum of the parts'

	// A term: its postings, and how it scores.
	list   *hotList
	boost  float64
	idf    float64
	weight float64 // bleve's queryWeight: 1 for a term alone, else boost × idf × the query's norm
	at     int     // the index in list of the current document

	kids []*memNode // in bleve's order

	doc     uint32 // the current match
	started bool
	done    bool
}

type memKind uint8

const (
	memTerm memKind = iota
	memAnd
	memOr
)

// byCount sorts a node's parts as bleve's OrderedSearcherList does: the
// same comparisons in the same sort give the same order, ties included.
type byCount []*memNode

func (s byCount) Len() int           { return len(s) }
func (s byCount) Less(i, j int) bool { return s[i].count < s[j].count }
func (s byCount) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// memSearch is a query scored in memory: the tree of what a match must
// hold, and of what it must not (when not nil).
type memSearch struct {
	root, not *memNode
}

// next moves to the next match that not does not hold, and reports whether
// there is one.
func (m *memSearch) next() bool {
	for {
		if m.root.next(); m.root.done {
			return false
		}
		if m.not == nil {
			return true
		}
		if m.not.advance(m.root.doc); m.not.done || m.not.doc != m.root.doc {
			return true
		}
	}
}

// memQuery returns q as a tree to score in memory, or nil when q has more
// than words or memory holds none of their postings (yet): bleve's
// searchers then score it, and ask for its common words to be kept. Rare
// words are read from r, the reader of the files, which bleve would walk
// the same.
func (x *Index) memQuery(ctx context.Context, q query.Query, r index.IndexReader) (*memSearch, error) {
	if ok, hot := x.words(q); !ok || !hot {
		return nil, nil
	}
	total, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	var build func(q query.Query) (*memNode, error)
	build = func(q query.Query) (*memNode, error) {
		switch q := q.(type) {
		case *query.TermQuery:
			l := x.hot.list(q.FieldVal, []byte(q.Term))
			if l == nil {
				if l, err = readRare(ctx, r, q.FieldVal, q.Term); l == nil || err != nil {
					return nil, err
				}
			}
			// TermQueryScorer's TF-IDF inverse document frequency.
			idf := 1.0 + math.Log(float64(total)/float64(l.count+1.0))
			return &memNode{kind: memTerm, count: l.count, list: l, boost: q.BoostVal.Value(), idf: idf, weight: 1, at: -1}, nil
		case *query.ConjunctionQuery:
			return buildParts(memAnd, q.Conjuncts, build)
		case *query.DisjunctionQuery:
			return buildParts(memOr, q.Disjuncts, build)
		}
		return nil, nil
	}
	m := &memSearch{}
	if b, ok := q.(*query.BooleanQuery); ok {
		// Words with exclusions: bleve's boolean searcher scores a match as
		// its conjunction of what must match does, and norms it alike.
		if b.MustNot != nil {
			if m.not, err = build(b.MustNot); m.not == nil || err != nil {
				return nil, err
			}
		}
		q = b.Must
	}
	if m.root, err = build(q); m.root == nil || err != nil {
		return nil, err
	}
	if m.root.kind != memTerm {
		// Every searcher tells its parts its norm, the outermost last.
		m.root.setNorm(1.0 / math.Sqrt(m.root.sumOfSquaredWeights()))
	}
	return m, nil
}

// words reports whether q is words alone, as memQuery scores them, and
// whether memory holds the postings of any of them: a query of rare words
// is walked as fast by bleve, without copying their postings.
func (x *Index) words(q query.Query) (ok, hot bool) {
	parts := func(qs []query.Query) (ok, hot bool) {
		for _, q := range qs {
			k, h := x.words(q)
			if !k {
				return false, false
			}
			hot = hot || h
		}
		return len(qs) > 0, hot
	}
	switch q := q.(type) {
	case *query.TermQuery:
		return q.FieldVal != "", x.hot.list(q.FieldVal, []byte(q.Term)) != nil
	case *query.ConjunctionQuery:
		return parts(q.Conjuncts)
	case *query.DisjunctionQuery:
		if q.Min != 0 {
			return false, false
		}
		return parts(q.Disjuncts)
	case *query.BooleanQuery:
		if q.Must == nil || q.Should != nil || q.Filter != nil {
			return false, false
		}
		ok, hot = x.words(q.Must)
		if q.MustNot != nil {
			k, _ := x.words(q.MustNot)
			ok = ok && k
		}
		return ok, hot
	}
	return false, false
}

func buildParts(kind memKind, qs []query.Query, build func(query.Query) (*memNode, error)) (*memNode, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	n := &memNode{kind: kind}
	for _, q := range qs {
		k, err := build(q)
		if k == nil || err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k)
	}
	sort.Sort(byCount(n.kids))
	for _, k := range n.kids {
		n.count += k.count
	}
	return n, nil
}

// readRare reads the postings of a term too rare to be kept in memory, or
// returns nil for a common one.
func readRare(ctx context.Context, r index.IndexReader, field, term string) (*hotList, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, true, true, false)
	if err != nil {
		return nil, err
	}
	defer tfr.Close()
	if tfr.Count() >= hotMinDocs {
		return nil, nil
	}
	return readPostings(tfr)
}

// sumOfSquaredWeights is bleve's Weight of the node's searcher.
func (n *memNode) sumOfSquaredWeights() float64 {
	if n.kind == memTerm {
		w := n.boost * n.idf
		return w * w
	}
	var sum float64
	for _, k := range n.kids {
		sum += k.sumOfSquaredWeights()
	}
	return sum
}

func (n *memNode) setNorm(norm float64) {
	if n.kind == memTerm {
		n.weight = n.boost * n.idf * norm
		return
	}
	for _, k := range n.kids {
		k.setNorm(norm)
	}
}

// score is the score of the current match, as bleve's scorers make it.
func (n *memNode) score() float64 {
	switch n.kind {
	case memTerm:
		l := n.list
		tf := math.Sqrt(float64(l.freqs[n.at]))
		s := tf * float64(l.norms[n.at]) * n.idf
		if n.weight != 1.0 {
			s = s * n.weight
		}
		return s
	case memAnd:
		var sum float64
		for _, k := range n.kids {
			sum += k.score()
		}
		return sum
	}
	var sum float64
	matched := 0
	for _, k := range n.kids {
		if !k.done && k.doc == n.doc {
			sum += k.score()
			matched++
		}
	}
	return sum * (float64(matched) / float64(len(n.kids)))
}

// next moves to the next match; done says when there is none.
func (n *memNode) next() {
	switch n.kind {
	case memTerm:
		n.at++
		n.termAt()
	case memAnd:
		n.kids[0].next()
		n.align()
	case memOr:
		for _, k := range n.kids {
			if !k.started || !k.done && k.doc == n.doc {
				k.next()
			}
		}
		n.least()
	}
	n.started = true
}

// advance moves to the first match at or after doc, if the current one is
// before it.
func (n *memNode) advance(doc uint32) {
	if n.started && (n.done || n.doc >= doc) {
		return
	}
	n.started = true
	switch n.kind {
	case memTerm:
		n.at = seek(n.list.docs, n.at+1, doc)
		n.termAt()
	case memAnd:
		n.kids[0].advance(doc)
		n.align()
	case memOr:
		for _, k := range n.kids {
			k.advance(doc)
		}
		n.least()
	}
}

func (n *memNode) termAt() {
	if n.at >= len(n.list.docs) {
		n.at, n.done = len(n.list.docs), true
		return
	}
	n.doc = n.list.docs[n.at]
}

// align moves a conjunction's parts on from where its first stands until
// they all stand on one document.
func (n *memNode) align() {
	first := n.kids[0]
	for !first.done {
		target, moved := first.doc, false
		for _, k := range n.kids[1:] {
			k.advance(target)
			if k.done {
				n.done = true
				return
			}
			if k.doc > target {
				first.advance(k.doc)
				moved = true
				break
			}
		}
		if !moved {
			n.doc = target
			return
		}
	}
	n.done = true
}

// least moves a disjunction to the first document any of its parts stands on.
func (n *memNode) least() {
	n.done = true
	for _, k := range n.kids {
		if !k.done && (n.done || k.doc < n.doc) {
			n.doc, n.done = k.doc, false
		}
	}
}
