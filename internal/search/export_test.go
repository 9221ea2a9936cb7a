package search

import "github.com/blevesearch/bleve/v2/index/scorch"

// Segments is the number of segments of x's bleve index: a search reads
// every term's postings once per segment, so the benchmarks report it.
func Segments(x *Index) (int, error) {
	ix, err := x.bi.Advanced()
	if err != nil {
		return 0, err
	}
	r, err := ix.Reader()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if s, ok := r.(*scorch.IndexSnapshot); ok {
		return len(s.Segments()), nil
	}
	return 0, nil
}
