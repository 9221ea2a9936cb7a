package search

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search/searcher"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
)

// Language groups. Each has its own analyser and its own text fields, so a
// query is analysed exactly as the text it is compared with.
const (
	groupEN  = "en"  // English: stemmed, so "notices" finds "notice"
	groupCJK = "cjk" // Chinese, Japanese, Korean: bigrams plus single characters
	groupStd = "std" // every other language: words, no stemming
)

var groups = []string{groupEN, groupCJK, groupStd}

// groupOf maps a publication's language (a BCP 47 tag) to its group.
func groupOf(lang string) string {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "en", "":
		return groupEN
	case "zh", "ja", "ko":
		return groupCJK
	}
	return groupStd
}

// Analyser and field names. They are stored in the index's mapping, so
// renaming one invalidates cached indexes (see indexVersion).
const (
	foldFilterName  = "archive_fold"
	stemFilterName  = "archive_stem_en"
	unigramFilter   = "archive_cjk_bigram_unigram"
	analyzerPrefix  = "archive_"
	prefixAnalyzer  = "archive_prefix" // for prefix queries: folded, never stemmed
	fieldTextPrefix = "text_"
	fieldPairPrefix = "pair_"
)

func analyzerFor(group string) string { return analyzerPrefix + group }
func textField(group string) string   { return fieldTextPrefix + group }

// pairField is the field of group g's word pairs (see pairTokens), or ""
// for a group without one. CJK text has none: its index terms are already
// pairs of characters, and a run of them is rare enough to lead a phrase.
func pairField(group string) string {
	if group == groupCJK {
		return ""
	}
	return fieldPairPrefix + group
}

func init() {
	// Folding is a token filter rather than bleve's asciifolding character
	// filter: a character filter changes the text before tokenising, so the
	// byte offsets of matches would no longer point into the text we cut
	// snippets from.
	if err := registry.RegisterTokenFilter(foldFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	}); err != nil {
		panic(err)
	}
	if err := registry.RegisterTokenFilter(stemFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return &stemFilter{stems: map[string][]byte{}}, nil
	}); err != nil {
		panic(err)
	}
	// A prefix such as "a*" would expand to thousands of terms. Bleve offers
	// this limit for exactly that; a search that hits it gets a message.
	searcher.DisjunctionMaxClauseCount = maxPrefixTerms
}

const maxPrefixTerms = 2048

// foldFilter removes accents and unifies apostrophes and quotation marks,
// so that "Jurgen" finds "Jürgen" and "Interpol's" finds "Interpol’s".
type foldFilter struct{}

var folder = asciifolding.New()

func (foldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		if needsFolding(tok.Term) {
			tok.Term = folder.Filter(tok.Term)
		}
	}
	return input
}

// needsFolding reports whether a term holds characters that fold: Latin
// letters with marks, typographic punctuation, full-width forms. CJK text
// is left alone, which saves a copy of every ideograph.
func needsFolding(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r < 0x2E80 || (r >= 0xFB00 && r < 0xFB50) || (r >= 0xFF00 && r < 0xFFF0) {
			return true
		}
	}
	return false
}

// stemFilter is the Snowball English stemmer with a cache. Stemming was a
// quarter of the time spent indexing, and by Zipf's law most words of a
// text are words seen before.
type stemFilter struct {
	mu    sync.RWMutex
	stems map[string][]byte
}

// maxStems bounds the cache; a corpus has far fewer distinct words, but
// text of another kind (code, numbers) must not grow it for ever.
const maxStems = 1 << 19

func (f *stemFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		f.mu.RLock()
		stem, ok := f.stems[string(tok.Term)]
		f.mu.RUnlock()
		if !ok {
			env := snowballstem.NewEnv(string(tok.Term))
			english.Stem(env)
			stem = []byte(env.Current())
			f.mu.Lock()
			if len(f.stems) < maxStems {
				f.stems[string(tok.Term)] = stem
			}
			f.mu.Unlock()
		}
		// The cached slice is shared between tokens: no filter runs after
		// this one, and bleve copies terms when it indexes them.
		tok.Term = stem
	}
	return input
}

// newMapping returns the index mapping. The index holds text only: one
// field per language group, indexed with term vectors (phrases and
// snippets need positions and offsets) but neither stored nor given doc
// values, and beside it a field of the group's word pairs (pairs.go).
// What is shown, filtered, faceted and sorted is kept in memory.
// Build makes the documents itself (see document), so the mapping
// describes them for the index's metadata, the cache key and the
// analysers queries use.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	if err := im.AddCustomTokenFilter(unigramFilter, map[string]any{
		"type":           cjk.BigramName,
		"output_unigram": true,
	}); err != nil {
		return nil, err
	}
	analyzers := map[string][]string{
		// Stop words are kept: a journalist's quote is made of them, and
		// "to be or not to be" must be findable.
		groupEN:        {lowercase.Name, foldFilterName, en.PossessiveName, stemFilterName},
		groupCJK:       {cjk.WidthName, lowercase.Name, foldFilterName, unigramFilter},
		groupStd:       {lowercase.Name, foldFilterName},
		prefixAnalyzer: {lowercase.Name, foldFilterName},
	}
	for name, filters := range analyzers {
		if name != prefixAnalyzer {
			name = analyzerFor(name)
		}
		if err := im.AddCustomAnalyzer(name, map[string]any{
			"type":          custom.Name,
			"tokenizer":     wordsTokenizerName,
			"token_filters": filters,
		}); err != nil {
			return nil, err
		}
	}

	doc := mapping.NewDocumentStaticMapping()
	doc.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	for _, g := range groups {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerFor(g)
		f.Store = false
		f.DocValues = false
		f.IncludeInAll = false
		f.IncludeTermVectors = true
		doc.AddFieldMappingsAt(textField(g), f)
		if pf := pairField(g); pf != "" {
			p := mapping.NewTextFieldMapping()
			p.Analyzer = analyzerFor(g) // for the record: Build makes the pairs (pairTokens)
			p.Store = false
			p.DocValues = false
			p.IncludeInAll = false
			p.IncludeTermVectors = true // positions: phrases are matched on them (phrase.go)
			doc.AddFieldMappingsAt(pf, p)
		}
	}
	im.DefaultMapping = doc
	im.DefaultAnalyzer = analyzerFor(groupStd)
	return im, nil
}
