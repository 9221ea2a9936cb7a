package search

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"
)

// TestTokenFrequencies holds tokenFrequencies to bleve's
// analysis.TokenFrequency, for the options of the index's fields: the
// same terms, counts and locations, in order.
func TestTokenFrequencies(t *testing.T) {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	an := m.AnalyzerNamed(analyzerFor(groupEN))
	var distinct []string // more terms than a slab of counts holds
	for i := range 500 {
		distinct = append(distinct, fmt.Sprintf("w%d", i%300))
	}
	texts := append([]string{"", "word", "the the the", strings.Repeat("a rose is a rose is a rose. ", 50), strings.Join(distinct, " ")}, wordsCases...)
	for _, text := range texts {
		toks := an.Analyze([]byte(text))
		got, want := tokenFrequencies(toks), analysis.TokenFrequency(toks, nil, index.IndexField|index.IncludeTermVectors)
		if len(got) != len(want) {
			t.Errorf("%q: %d terms, want %d", text, len(got), len(want))
			continue
		}
		for term, w := range want {
			g := got[term]
			if g == nil || g.Frequency() != w.Frequency() || string(g.Term) != string(w.Term) || len(g.Locations) != len(w.Locations) {
				t.Errorf("%q: term %q: %+v, want %+v", text, term, g, w)
				continue
			}
			for i := range w.Locations {
				if !reflect.DeepEqual(*g.Locations[i], *w.Locations[i]) {
					t.Errorf("%q: term %q location %d: %+v, want %+v", text, term, i, *g.Locations[i], *w.Locations[i])
				}
			}
		}
	}
}
