package search

import (
	"sort"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// titleBoost is how much more a hit counts when its title holds all the
// query's terms (see collectQuery).
const titleBoost = 2.0

// analysed is a term of the query as the analyser of one language group
// sees it: the index terms to look for, position by position.
type analysed struct {
	kind TermKind
	// toks are the index terms of a word or phrase by position, each
	// position with its alternatives (nil for a gap). Empty when the term
	// has no word in this group's analysis.
	toks [][]string
	// For a prefix: the folded prefix, the stems it may have been cut back
	// to, and the words typed before it ("hong-ko*").
	prefix string
	cuts   []string
	lead   [][]string
	// pairs are the group's pair words: phrases are matched on the pairs
	// of them the index holds (pairs.go).
	pairs map[string]bool
	// text reads the group's words from the indexed text, for phrases'
	// common words (see phraseQuery); nil for a group whose analysis may
	// put two tokens at one position (CJK).
	text segmentWords
}

func (a analysed) empty() bool { return len(a.toks) == 0 && a.prefix == "" }

// plan is a query analysed for every language group present in the index.
type plan struct {
	q        *Query
	positive map[string][]analysed // by group: q.Positive(), in order
}

func (x *Index) plan(q *Query) *plan {
	p := &plan{q: q, positive: map[string][]analysed{}}
	for _, g := range x.groups {
		for _, t := range q.Positive() {
			p.positive[g] = append(p.positive[g], x.analyse(t, g))
		}
	}
	return p
}

// analyse runs a term through group g's analyser.
func (x *Index) analyse(t Term, g string) analysed {
	a := analysed{kind: t.Kind, pairs: pairWordsOf(x.analyzers[g])}
	if pairField(g) != "" {
		a.text = x.segmentWords
	}
	if t.Kind != Prefix {
		a.toks = byPosition(x.analyzers[g].Analyze([]byte(t.Text)))
		return a
	}
	toks := x.prefix.Analyze([]byte(t.Text))
	if len(toks) == 0 {
		return a
	}
	last := toks[len(toks)-1]
	if len(toks) == 1 && utf8.RuneCount(last.Term) < MinPrefix {
		// Parse counts the characters typed; the analyser may keep fewer
		// ("'ab*" is "ab"), and a prefix that short would match most words.
		return a
	}
	a.prefix = string(last.Term)
	if g == groupEN {
		// Stemming cuts a word back, so the stem of a word that starts with
		// the prefix may be shorter than the prefix: "investigation" is
		// indexed as "investig", which "investigat*" does not start. Such
		// stems are the prefix cut back by a letter or two.
		p := a.prefix
		for cut := 1; cut <= 2 && utf8.RuneCountInString(p) > 4; cut++ {
			_, size := utf8.DecodeLastRuneInString(p)
			p = p[:len(p)-size]
			a.cuts = append(a.cuts, p)
		}
	}
	if len(toks) > 1 {
		a.lead = byPosition(x.analyzers[g].Analyze([]byte(t.Text[:last.Start])))
	}
	return a
}

// byPosition lays analysed tokens out by position.
func byPosition(toks analysis.TokenStream) [][]string {
	toks = dropCoveredUnigrams(toks)
	if len(toks) == 0 {
		return nil
	}
	sort.SliceStable(toks, func(i, j int) bool { return toks[i].Position < toks[j].Position })
	first := toks[0].Position
	out := make([][]string, toks[len(toks)-1].Position-first+1)
	for _, t := range toks {
		i := t.Position - first
		if !contains(out[i], string(t.Term)) {
			out[i] = append(out[i], string(t.Term))
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// dropCoveredUnigrams keeps, of CJK text, the bigrams and only those single
// characters that no bigram covers: "國家安全法" is searched as its four
// bigrams in a row, which is exact and much more selective than its five
// characters, while "港" alone stays a single character.
func dropCoveredUnigrams(toks analysis.TokenStream) analysis.TokenStream {
	var doubles analysis.TokenStream
	for _, t := range toks {
		if t.Type == analysis.Double {
			doubles = append(doubles, t)
		}
	}
	if len(doubles) == 0 {
		return toks
	}
	out := toks[:0:0]
	for _, t := range toks {
		covered := false
		if t.Type == analysis.Single {
			for _, d := range doubles {
				if d.Start <= t.Start && t.End <= d.End {
					covered = true
					break
				}
			}
		}
		if !covered {
			out = append(out, t)
		}
	}
	return out
}

// query matches the term in field.
func (a analysed) query(field string) query.Query {
	if a.kind != Prefix {
		return tokensQuery(a.toks, field, a.pairs, a.text)
	}
	if a.prefix == "" {
		return nil
	}
	pq := query.NewPrefixQuery(a.prefix)
	pq.SetField(field)
	alts := []query.Query{pq}
	for _, c := range a.cuts {
		alts = append(alts, termQuery(c, field))
	}
	var q query.Query = alts[0]
	if len(alts) > 1 {
		q = query.NewDisjunctionQuery(alts)
	}
	if lead := tokensQuery(a.lead, field, a.pairs, a.text); lead != nil {
		q = query.NewConjunctionQuery([]query.Query{lead, q})
	}
	return q
}

func termQuery(term, field string) *query.TermQuery {
	tq := query.NewTermQuery(term)
	tq.SetField(field)
	return tq
}

// tokensQuery matches analysed tokens: one term, or a phrase when the text
// made several (a quoted phrase, but also "long-arm" or Chinese text).
func tokensQuery(toks [][]string, field string, pairs map[string]bool, text segmentWords) query.Query {
	switch {
	case len(toks) == 0:
		return nil
	case len(toks) == 1 && len(toks[0]) == 1:
		return termQuery(toks[0][0], field)
	case len(toks) == 1:
		var alts []query.Query
		for _, t := range toks[0] {
			alts = append(alts, termQuery(t, field))
		}
		return query.NewDisjunctionQuery(alts)
	}
	flat := make([]string, len(toks))
	gaps := false
	for i, ts := range toks {
		if len(ts) > 1 {
			return query.NewMultiPhraseQuery(toks, field)
		}
		if len(ts) == 1 {
			flat[i] = ts[0]
		} else {
			gaps = true
		}
	}
	if gaps {
		return query.NewPhraseQuery(flat, field)
	}
	return &phraseQuery{terms: flat, field: field, pairs: pairs, text: text}
}

// bleveQuery is the bleve query that finds and scores the documents
// matching p, or nil if nothing can match. Each term is compared with the
// text of each language group in the index, as that group's analyser made
// it: a document matches through the field of its own language. Filters,
// sorting and the weighing of titles and PDF pages are the collector's.
func (x *Index) bleveQuery(p *plan) query.Query {
	var alts []query.Query
	for _, g := range x.groups {
		if must := x.mustQuery(p, g); must != nil {
			alts = append(alts, must)
		}
	}
	var q query.Query
	switch len(alts) {
	case 0:
		// Nothing the reader typed is a word in any language (only
		// punctuation, say): nothing can match.
		return nil
	case 1:
		q = alts[0]
	default:
		q = query.NewDisjunctionQuery(alts)
	}
	var not []query.Query
	for _, t := range p.q.Not {
		for _, g := range x.groups {
			if tq := x.analyse(t, g).query(textField(g)); tq != nil {
				not = append(not, tq)
			}
		}
	}
	if len(not) == 0 {
		return q
	}
	return query.NewBooleanQuery([]query.Query{q}, nil, not)
}

// mustQuery is the part of the query every hit of group g must match, or
// nil when no term has a word in g's analysis.
func (x *Index) mustQuery(p *plan, g string) query.Query {
	var conj []query.Query
	i := 0
	for _, c := range p.q.Must {
		var alts []query.Query
		for range c.Any {
			if tq := p.positive[g][i].query(textField(g)); tq != nil {
				alts = append(alts, tq)
			}
			i++
		}
		switch len(alts) {
		case 0:
			// A term of punctuation alone ("—") asks for nothing.
		case 1:
			conj = append(conj, alts[0])
		default:
			conj = append(conj, query.NewDisjunctionQuery(alts))
		}
	}
	switch len(conj) {
	case 0:
		return nil
	case 1:
		return conj[0]
	}
	return query.NewConjunctionQuery(conj)
}
