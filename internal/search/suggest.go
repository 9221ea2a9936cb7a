package search

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"
)

// "Did you mean": a query that finds nothing often holds a misspelt word
// ("interpl"). Each word of it that no document holds is replaced by the
// closest word the index holds (by edit distance, at most 2, then the
// most documents), and the new query is offered when it finds something.
// Nothing of this runs unless a search found nothing, and then within
// suggestBudget: the words are looked up in the index's own term
// dictionaries (a Levenshtein automaton over each field's terms), which
// costs milliseconds, and the new query is searched once.

const (
	suggestBudget = 300 * time.Millisecond
	// maxSuggestWords bounds the words looked up: a pasted sentence
	// that finds nothing is not a typo.
	maxSuggestWords = 8
	// minSuggestRunes is the shortest word corrected: within two edits of
	// a word of two letters stands most of the dictionary.
	minSuggestRunes = 3
)

// suggest returns a query close to q that finds something with req's
// filters, or "".
func (x *Index) suggest(ctx context.Context, req Request, q *Query) string {
	ctx, cancel := context.WithTimeout(ctx, suggestBudget)
	defer cancel()
	r, err := readerOf(x.bi)
	if err != nil {
		return ""
	}
	defer r.Close()
	sp := speller{x: x, r: r, ctx: ctx}
	out := &Query{Not: q.Not}
	changed := false
	for _, c := range q.Must {
		var alts []Term
		for _, t := range c.Any {
			if t.Kind != Prefix {
				var ok bool
				if t.Text, ok = sp.correct(t.Text); ok {
					changed = true
				}
			}
			alts = append(alts, t)
		}
		out.Must = append(out.Must, Clause{Any: alts})
	}
	if !changed || ctx.Err() != nil {
		return ""
	}
	if res, err := x.search(ctx, req, out); err != nil || res.Total == 0 {
		return ""
	}
	return out.String()
}

// speller looks the words of a query up in the index.
type speller struct {
	x       *Index
	r       index.IndexReader
	ctx     context.Context
	lookups int
}

// correct replaces the words of text that the index does not hold by the
// closest it does, and reports whether it replaced any.
func (sp *speller) correct(text string) (string, bool) {
	// Words as the prefix analyser cuts them (the tokenizer of every
	// group), from the last, so that the offsets of those before stay.
	toks := sp.x.prefix.Analyze([]byte(text))
	out, changed := text, false
	for i := len(toks) - 1; i >= 0; i-- {
		tok := toks[i]
		word := text[tok.Start:tok.End]
		if utf8.RuneCountInString(word) < minSuggestRunes || strings.ContainsFunc(word, isCJK) || sp.holds(word) {
			continue
		}
		if sp.lookups == maxSuggestWords || sp.ctx.Err() != nil {
			break
		}
		sp.lookups++
		if better := sp.closest(word); better != "" {
			out = out[:tok.Start] + better + out[tok.End:]
			changed = true
		}
	}
	return out, changed
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// holds reports whether some document holds word, in any language group.
func (sp *speller) holds(word string) bool {
	empty := true
	for _, g := range sp.x.groups {
		for _, tok := range sp.x.analyzers[g].Analyze([]byte(word)) {
			empty = false
			if sp.count(string(tok.Term), textField(g)) > 0 {
				return true
			}
		}
	}
	return empty // nothing to look for is nothing to correct
}

func (sp *speller) count(term, field string) uint64 {
	tfr, err := sp.r.TermFieldReader(sp.ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return tfr.Count()
}

// candidate is an index term close to a word.
type candidate struct {
	term, field string
	dist        int
	count       uint64
}

func (a candidate) better(b candidate) bool {
	switch {
	case a.dist != b.dist:
		return a.dist < b.dist
	case a.count != b.count:
		return a.count > b.count
	}
	return a.term < b.term
}

// closest returns the word, as a text writes it, of the index term closest
// to word, or "" when none is within reach. A word of up to five letters
// may be one edit away, a longer one two.
func (sp *speller) closest(word string) string {
	fuzz := 1
	if utf8.RuneCountInString(word) > 5 {
		fuzz = 2
	}
	fr, ok := sp.r.(index.IndexReaderFuzzy)
	if !ok {
		return "" // scorch's readers are
	}
	var best candidate
	for _, g := range sp.x.groups {
		field := textField(g)
		for _, tok := range sp.x.analyzers[g].Analyze([]byte(word)) {
			term := string(tok.Term)
			dict, err := fr.FieldDictFuzzy(field, term, fuzz, "")
			if err != nil {
				continue
			}
			for {
				e, err := dict.Next()
				if err != nil || e == nil {
					break
				}
				c := candidate{term: e.Term, field: field, dist: editDistance(term, e.Term)}
				if c.term == term || c.dist > fuzz {
					continue
				}
				// The fuzzy dictionary does not count documents.
				if c.count = sp.count(c.term, field); c.count > 0 && (best.term == "" || c.better(best)) {
					best = c
				}
			}
			dict.Close()
		}
	}
	if best.term == "" {
		return ""
	}
	return sp.surface(best, word)
}

// surface returns a word whose index term c.term is, as the texts holding
// it write it, in lower case: an English term is a stem ("extradit"),
// which reads as no word. Of the first surfaceDocs documents holding it,
// the form closest to what the reader typed is chosen. It falls back on
// the term.
func (sp *speller) surface(c candidate, typed string) string {
	tfr, err := sp.r.TermFieldReader(sp.ctx, []byte(c.term), c.field, false, false, true)
	if err != nil {
		return c.term
	}
	defer tfr.Close()
	an := sp.x.analyzers[strings.TrimPrefix(c.field, fieldTextPrefix)]
	typed = strings.ToLower(typed)
	best, bestDist := c.term, -1
	d := &sp.x.docs
	for range surfaceDocs {
		tfd, err := tfr.Next(nil)
		if err != nil || tfd == nil {
			break
		}
		num := int(tfd.ID.Value())
		if len(tfd.Vectors) == 0 || num+1 >= len(d.first) || d.first[num] == d.first[num+1] {
			continue
		}
		e := d.entry[d.first[num]]
		v := tfd.Vectors[0]
		start, end := int(v.Start), int(v.End)
		for i, s := range e.text {
			if start < s.start || end > e.segEnd(i) {
				continue
			}
			text, err := e.readSeg(i)
			if err != nil || end-s.start > len(text) {
				break
			}
			w := strings.ToLower(text[start-s.start : end-s.start])
			if dist := editDistance(typed, w); analysesTo(an, w, c.term) && (bestDist < 0 || dist < bestDist) {
				best, bestDist = w, dist
			}
			break
		}
	}
	return best
}

// surfaceDocs is how many documents surface reads a word from.
const surfaceDocs = 8

// analysesTo reports whether an analyser makes word into term alone.
func analysesTo(an analysis.Analyzer, word, term string) bool {
	toks := an.Analyze([]byte(word))
	return len(toks) == 1 && string(toks[0].Term) == term
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of two neighbouring characters that make a into b (the measure of
// bleve's fuzzy dictionaries).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows: the one before the previous is for swaps.
	prev2, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
