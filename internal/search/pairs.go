package search

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
)

// Word pairs. Besides its words, a document's text is indexed as the pairs
// of its commonest words that stand side by side ("the go", "go
// program", "program languag"), in a field of their own (pairField), each
// pair at the position of its first word. A phrase whose words are all
// common ("the Go programming language") would otherwise have the
// positions of its words read in every document that holds them all,
// most of the index, and "the" stands hundreds of times in each; a pair of
// common words is far rarer than either, and stands a few times in a
// document. The phrase searcher finds the documents that hold each pair of
// the phrase from the pairs' postings, and checks there, on the positions
// of the pairs (and of the words no pair covers), that they stand in a row
// (phrase.go). A pair at p is its first word at p and its second at p+1,
// so this is the same test as on the words' positions, and as exact.
//
// Only the pairs of the index's pair words are indexed: the pairWordCount
// terms a sample of the group's text holds most often (see choosePairWords).
// Those are the words whose positions are costly to read, and the pairs of
// every word would have cost more than the words themselves: over the Go
// blog, 2.7 times their postings, 2.6 times the time to build and 2.1
// times the size on disk, against a third of their postings for the
// pairs of the 64 commonest words. A phrase's rare words lead the search
// and have few positions, as before the pairs.
//
// Which words pair is stored in the index (pairWordsKey), so that the
// documents an Update adds to it are indexed as its others were, and a
// query asks only for pairs it holds; an index without the key has no
// pairs, and its phrases are matched on their words.

// pairWordCount is how many words of each language group pair.
const pairWordCount = 64

// pairSampleBytes is how much of a group's text choosePairWords reads: a
// sample of about a megabyte orders the commonest words as all of it does.
const pairSampleBytes = 1 << 20

// pairWordsKey is the bleve index's internal key of its pair words: a JSON
// object of lists of terms by language group.
const pairWordsKey = "archive.pair-words"

// pairSep joins the two words of a pair. No index term holds a space: the
// tokeniser splits text at spaces.
const pairSep = " "

// pairTerm is the index term of the pair of index terms a and b.
func pairTerm(a, b string) string { return a + pairSep + b }

// pairing is a group's analyser as the index holds it: with the words
// whose pairs it indexes. Index.analyzers holds it, so that the documents
// of an Update, made from those analysers, get the same pairs.
type pairing struct {
	analysis.Analyzer
	words map[string]bool
}

// pairWordsOf returns the pair words an analyser of Index.analyzers
// carries, nil for none.
func pairWordsOf(an analysis.Analyzer) map[string]bool {
	if p, ok := an.(pairing); ok {
		return p.words
	}
	return nil
}

// setPairWords gives the analysers of each group the pair words of words
// (Index.analyzers, or a documentMaker's, which are the same map).
func setPairWords(analyzers map[string]analysis.Analyzer, words map[string][]string) {
	for g, an := range analyzers {
		if p, ok := an.(pairing); ok {
			an = p.Analyzer
		}
		if pairField(g) == "" || len(words[g]) == 0 {
			analyzers[g] = an
			continue
		}
		set := make(map[string]bool, len(words[g]))
		for _, w := range words[g] {
			set[w] = true
		}
		analyzers[g] = pairing{Analyzer: an, words: set}
	}
}

// usePairWords gives x's analysers the pair words its bleve index records.
func (x *Index) usePairWords() error {
	words, err := loadPairWords(x.bi)
	if err != nil {
		return err
	}
	setPairWords(x.analyzers, words)
	return nil
}

// choosePairWords returns, for each language group with pairs, the
// pairWordCount index terms that a sample of its documents' text holds
// most often: every k-th document, for about pairSampleBytes of text.
// The sample depends on the documents alone, so the same content pairs
// the same words.
func choosePairWords(docs []doc, analyzers map[string]analysis.Analyzer) map[string][]string {
	size := map[string]int{}
	for _, d := range docs {
		size[d.entry.group] += d.size
	}
	counts := map[string]map[string]int{}
	seen := map[string]int{}
	for _, d := range docs {
		g := d.entry.group
		if pairField(g) == "" {
			continue
		}
		every := max(1, size[g]/pairSampleBytes)
		seen[g]++
		if (seen[g]-1)%every != 0 {
			continue
		}
		if counts[g] == nil {
			counts[g] = map[string]int{}
		}
		an := analyzers[g]
		if p, ok := an.(pairing); ok {
			an = p.Analyzer
		}
		for _, s := range d.entry.text {
			for _, t := range an.Analyze([]byte(d.entry.segText(s))) {
				counts[g][string(t.Term)]++
			}
		}
	}
	out := map[string][]string{}
	for g, c := range counts {
		terms := make([]string, 0, len(c))
		for t := range c {
			if t != "" {
				terms = append(terms, t)
			}
		}
		sort.Slice(terms, func(i, j int) bool {
			if c[terms[i]] != c[terms[j]] {
				return c[terms[i]] > c[terms[j]]
			}
			return terms[i] < terms[j]
		})
		out[g] = slices.Sorted(slices.Values(terms[:min(pairWordCount, len(terms))]))
	}
	return out
}

// storePairWords records in bi which words its pairs are made of.
func storePairWords(bi bleve.Index, words map[string][]string) error {
	b, err := json.Marshal(words)
	if err != nil {
		return err
	}
	if err := bi.SetInternal([]byte(pairWordsKey), b); err != nil {
		return fmt.Errorf("search index: record its pair words: %w", err)
	}
	return nil
}

// loadPairWords reads which words the pairs of bi are made of; none for
// an index without pairs.
func loadPairWords(bi bleve.Index) (map[string][]string, error) {
	b, err := bi.GetInternal([]byte(pairWordsKey))
	if err != nil || b == nil {
		return nil, err
	}
	var words map[string][]string
	if err := json.Unmarshal(b, &words); err != nil {
		return nil, fmt.Errorf("search index: its pair words: %w", err)
	}
	return words, nil
}

// pairTokens returns a token for each two tokens of toks that stand side
// by side, positions p and p+1, and are both pair words, at the first
// one's position. Segments of a text are segGap positions apart, so no
// pair runs from one paragraph into the next. toks must be in order of
// position, as an analyser makes them.
func pairTokens(toks analysis.TokenStream, words map[string]bool) analysis.TokenStream {
	var out analysis.TokenStream
	var buf []byte
	var pairs []analysis.Token
	// Pairs are made twice, counted first, so that their terms share one
	// buffer and the tokens one array: allocating each was a good part of
	// the time indexing them took.
	for round := range 2 {
		n, size := 0, 0
		for i, a := range toks {
			if !words[string(a.Term)] {
				continue
			}
			for _, b := range toks[i+1:] {
				if b.Position > a.Position+1 {
					break
				}
				if b.Position < a.Position+1 || !words[string(b.Term)] {
					continue
				}
				if round == 0 {
					n++
					size += len(a.Term) + len(pairSep) + len(b.Term)
					continue
				}
				start := len(buf)
				buf = append(append(append(buf, a.Term...), pairSep...), b.Term...)
				pairs = append(pairs, analysis.Token{
					Term:     buf[start:len(buf):len(buf)],
					Position: a.Position,
					Type:     analysis.Shingle,
				})
			}
		}
		if round == 0 {
			buf, pairs = make([]byte, 0, size), make([]analysis.Token, 0, n)
		}
	}
	out = make(analysis.TokenStream, len(pairs))
	for i := range pairs {
		out[i] = &pairs[i]
	}
	return out
}
