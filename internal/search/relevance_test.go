package search_test

import (
	"context"
	"testing"

	"archive/internal/search"
)

// relevanceQueries are journalists' queries, each with the article it is
// about, over the go-blog corpus plus the shipped content: exact quotes (as
// pasted), then words as typed. TestHighlightFollowsSearch runs them too.
var relevanceQueries = []struct {
	query string
	want  string // publication URL
}{
	// Quotes.
	{`"Defer is commonly used to simplify functions that perform various clean-up actions"`, "/go-blog/defer-panic-and-recover/"},
	{`"Go provides a built-in map type that implements a hash table"`, "/go-blog/maps/"},
	{`"structured logging is important to Go programmers"`, "/go-blog/slog/"},
	{`"mysterious failures, often long after the code has been deployed to production"`, "/go-blog/race-detector/"},
	{`"Many workloads spend around 10% less time in the garbage collector"`, "/go-blog/greenteagc/"},
	{`"An interface variable can store any concrete (non-interface) value"`, "/go-blog/laws-of-reflection/"},
	{`"a fundamental point about errors"`, "/go-blog/errors-are-values/"},
	{`“first and last stages, which have only outbound or inbound channels”`, "/go-blog/pipelines/"},
	{`"published in 1957 by W. Wesley Peterson"`, "/go-blog/swisstable/"},
	{`"strings might seem too simple a topic for a blog post"`, "/go-blog/strings/"},
	{`"A program attempts to open a file in some known location"`, "/go-blog/osroot/"},
	{`"tip of the iceberg"`, "/letters/open-letter-to-interpol/"},
	// Words.
	{`swiss tables`, "/go-blog/swisstable/"},
	{`race detector`, "/go-blog/race-detector/"},
	{`laws of reflection`, "/go-blog/laws-of-reflection/"},
	{`defer panic recover`, "/go-blog/defer-panic-and-recover/"},
	{`green tea garbage collector`, "/go-blog/greenteagc/"},
	{`structured logging`, "/go-blog/slog/"},
	{`gofix`, "/go-blog/introducing-gofix/"},
	{`cgo`, "/go-blog/cgo/"},
	{`profile-guided optimization`, "/go-blog/pgo/"},
	{`pipelines cancellation`, "/go-blog/pipelines/"},
	{`reproducible toolchains`, "/go-blog/rebuild/"},
	{`FIPS 140`, "/go-blog/fips140/"},
	{`wesley peterson`, "/go-blog/swisstable/"},
	{`govulncheck`, "/go-blog/govulncheck/"},
	{`generics proposal`, "/go-blog/generics-proposal/"},
	{`perepel*`, "/go-blog/swisstable/"},
	{`中国`, "/go-blog/hello-china/"},
	{`hunt for fugitives`, "/investigations/pursued-for-life/"},
	{`jurgen stock`, "/letters/open-letter-to-interpol/"},
	{`INTERPOL'S FILES`, "/letters/open-letter-to-interpol/"},
}

// TestRelevance checks that each of relevanceQueries finds its article
// among the first three hits.
func TestRelevance(t *testing.T) {
	idx, _ := corpusIndex(t)
	for _, tt := range relevanceQueries {
		t.Run(tt.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			var top []string
			for i, h := range res.Hits {
				if i == 3 {
					break
				}
				if h.PublicationURL == tt.want {
					return
				}
				top = append(top, h.PublicationURL)
			}
			t.Errorf("%s not in the first three of %d hits: %v", tt.want, res.Total, top)
		})
	}
}
