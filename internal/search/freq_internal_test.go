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
// same terms, counts and locations, in order. It counts all the texts
// before it checks any, as a batch's are, into memory of their own and
// into a batch's memory, used twice.
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
	texts := append([]string{"", "word", "the the the", strings.Repeat("a rose is a rose is a rose. ", 50), strings.Join(distinct, " "),
		strings.Repeat("longer than a chunk ", chunkLen/3)}, wordsCases...)
	for _, mem := range []*batchMemory{nil, new(batchMemory)} {
		for round := range 2 {
			var got []index.TokenFrequencies
			for _, text := range texts {
				got = append(got, mem.tokenFrequencies(an.Analyze([]byte(text))))
			}
			for i, text := range texts {
				want := analysis.TokenFrequency(an.Analyze([]byte(text)), nil, index.IndexField|index.IncludeTermVectors)
				if err := sameFrequencies(got[i], want); err != nil {
					t.Errorf("batch memory %t, round %d: %.40q: %v", mem != nil, round, text, err)
				}
			}
			if mem != nil {
				mem.reset()
			}
		}
	}
}

func sameFrequencies(got, want index.TokenFrequencies) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d terms, want %d", len(got), len(want))
	}
	for term, w := range want {
		g := got[term]
		if g == nil || g.Frequency() != w.Frequency() || string(g.Term) != string(w.Term) || len(g.Locations) != len(w.Locations) {
			return fmt.Errorf("term %q: %+v, want %+v", term, g, w)
		}
		for i := range w.Locations {
			if !reflect.DeepEqual(*g.Locations[i], *w.Locations[i]) {
				return fmt.Errorf("term %q location %d: %+v, want %+v", term, i, *g.Locations[i], *w.Locations[i])
			}
		}
	}
	return nil
}
