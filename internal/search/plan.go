package search

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// titleBoost weighs a word in the title above the same word in the body:
// it says more about what the publication is about.
const titleBoost = 2.0

// bleveQuery turns a parsed query and the request's filters into a bleve
// query. Each term is analysed with the analyser of each language group
// present in the index and compared with that group's fields: a document
// matches through the fields of its own language.
func (x *Index) bleveQuery(q *Query, req Request) query.Query {
	bq := query.NewBooleanQuery(nil, nil, nil)
	if !q.Empty() {
		var alts []query.Query
		for _, g := range x.groups {
			must := x.mustQuery(q, g)
			if must == nil {
				continue
			}
			var should []query.Query
			for _, t := range q.Positive() {
				if tq := x.termQuery(t, g, titleField(g), titleBoost); tq != nil {
					should = append(should, tq)
				}
			}
			alts = append(alts, query.NewBooleanQuery([]query.Query{must}, should, nil))
		}
		switch len(alts) {
		case 0:
			// Nothing the reader typed is a word in any language (only
			// punctuation, say): nothing can match.
			return query.NewMatchNoneQuery()
		case 1:
			bq.AddMust(alts[0])
		default:
			bq.AddMust(query.NewDisjunctionQuery(alts))
		}
		var not []query.Query
		for _, t := range q.Not {
			for _, g := range x.groups {
				if tq := x.termQuery(t, g, textField(g), 1); tq != nil {
					not = append(not, tq)
				}
			}
		}
		bq.AddMustNot(not...)
	}
	if f := filters(req); f != nil {
		bq.Filter = f
	}
	return bq
}

// mustQuery is the part of q every hit of group g must match, or nil when
// no term of q has a word in g's analysis.
func (x *Index) mustQuery(q *Query, g string) query.Query {
	var conj []query.Query
	for _, c := range q.Must {
		var alts []query.Query
		for _, t := range c.Any {
			if tq := x.termQuery(t, g, textField(g), 1); tq != nil {
				alts = append(alts, tq)
			}
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

// termQuery is the query for one term in one field of group g, or nil if
// the term has no words there. Boosts are set on the leaves: bleve's
// compound queries add up their children's scores without a boost of
// their own.
func (x *Index) termQuery(t Term, g, field string, boost float64) query.Query {
	if t.Kind != Prefix {
		return tokensQuery(x.analyzers[g].Analyze([]byte(t.Text)), field, boost)
	}
	toks := x.prefix.Analyze([]byte(t.Text))
	if len(toks) == 0 {
		return nil
	}
	last := toks[len(toks)-1]
	p := string(last.Term)
	pq := query.NewPrefixQuery(p)
	pq.SetField(field)
	pq.SetBoost(boost)
	alts := []query.Query{pq}
	if g == groupEN {
		// Stemming cuts a word back, so the stem of a word that starts with
		// the prefix may be shorter than the prefix: "investigation" is
		// indexed as "investig", which "investigat*" does not start. Such
		// stems are the prefix cut back by a letter or two.
		for cut := 1; cut <= 2 && utf8.RuneCountInString(p)-cut >= 4; cut++ {
			_, size := utf8.DecodeLastRuneInString(p)
			p = p[:len(p)-size]
			tq := query.NewTermQuery(p)
			tq.SetField(field)
			tq.SetBoost(boost)
			alts = append(alts, tq)
		}
	}
	var prefixQuery query.Query = alts[0]
	if len(alts) > 1 {
		prefixQuery = query.NewDisjunctionQuery(alts)
	}
	if len(toks) == 1 {
		return prefixQuery
	}
	// "hong-ko*": the words before the prefix, then the prefix.
	lead := tokensQuery(x.analyzers[g].Analyze([]byte(t.Text[:last.Start])), field, boost)
	if lead == nil {
		return prefixQuery
	}
	return query.NewConjunctionQuery([]query.Query{lead, prefixQuery})
}

// tokensQuery matches analysed tokens: one term, or a phrase when the text
// made several (a quoted phrase, but also "long-arm" or Chinese text).
func tokensQuery(toks analysis.TokenStream, field string, boost float64) query.Query {
	toks = dropCoveredUnigrams(toks)
	if len(toks) == 0 {
		return nil
	}
	if len(toks) == 1 {
		tq := query.NewTermQuery(string(toks[0].Term))
		tq.SetField(field)
		tq.SetBoost(boost)
		return tq
	}
	sort.SliceStable(toks, func(i, j int) bool { return toks[i].Position < toks[j].Position })
	first := toks[0].Position
	terms := make([][]string, toks[len(toks)-1].Position-first+1)
	multi := false
	for _, t := range toks {
		i := t.Position - first
		terms[i] = append(terms[i], string(t.Term))
		multi = multi || len(terms[i]) > 1
	}
	if multi {
		mq := query.NewMultiPhraseQuery(terms, field)
		mq.SetBoost(boost)
		return mq
	}
	flat := make([]string, len(terms))
	for i, ts := range terms {
		if len(ts) == 1 {
			flat[i] = ts[0]
		}
	}
	pq := query.NewPhraseQuery(flat, field)
	pq.SetBoost(boost)
	return pq
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

// filters returns the request's filters as one query, or nil. Filters do
// not score: they only narrow.
func filters(req Request) query.Query {
	var fs []query.Query
	term := func(field, value string) {
		if value != "" {
			tq := query.NewTermQuery(value)
			tq.SetField(field)
			fs = append(fs, tq)
		}
	}
	term("section", req.Section)
	term("tag", req.Tag)
	term("lang", strings.ToLower(req.Lang))
	term("source", req.Source)
	if req.Year != 0 {
		term("year", strconv.Itoa(req.Year))
	}
	if !req.From.IsZero() || !req.To.IsZero() {
		from, to := req.From, req.To
		if from.IsZero() {
			from = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if to.IsZero() {
			to = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		}
		incl, excl := true, false
		// The "to" day is included: the range ends at the next midnight.
		dr := query.NewDateRangeInclusiveQuery(from, to.AddDate(0, 0, 1), &incl, &excl)
		dr.SetField("date")
		fs = append(fs, dr)
	}
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return query.NewConjunctionQuery(fs)
}
