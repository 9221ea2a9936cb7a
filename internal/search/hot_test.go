package search_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"archive/internal/search"
)

// TestCommonWordsFromMemory checks that searches which read the postings
// of common words from memory find what the same searches reading them
// from bleve's files find: the same publications, passages, scores,
// counts and facets, in the same order.
func TestCommonWordsFromMemory(t *testing.T) {
	idx, _ := corpusIndex(t)
	reqs := []search.Request{
		{Query: "the"},
		{Query: "go"},
		{Query: "package"},
		{Query: "goroutine"},
		{Query: "garbage collector"},
		{Query: "error handling"},
		{Query: "standard library packages"},
		{Query: `"errors are values"`},
		{Query: `"the go programming language"`},
		{Query: `"Go provides a built-in map type that implements a hash table"`},
		{Query: `"the tip of the"`},
		{Query: "concurr*"},
		{Query: "serializ*"},
		{Query: "mutex OR channel"},
		// Words alone are scored in memory (memscore.go): conjunctions and
		// disjunctions of three and more parts sum in bleve's order.
		{Query: "go package error handling"},
		{Query: "memory allocation garbage collector"},
		{Query: "channel OR mutex OR goroutine OR lock"},
		{Query: "release (compiler OR runtime OR linker) tools"},
		{Query: "goroutine -channel"},
		{Query: "generics -proposal"},
		{Query: "release", Year: 2019},
		{Query: "performance", Sort: search.SortNewest},
		{Query: "compiler", Page: 2},
		{Query: "the", Page: 3, PerPage: 50},
		{Query: "interpol"},
		{Query: "the police", Source: search.SourcePDF},
		{Query: "go", Within: "/go-blog/errors-are-values/"},
		// Filters, which memory applies before bleve scores.
		{Query: "the", Section: "go-blog"},
		{Query: "go", Tag: "community"},
		{Query: "package", Lang: "en", Page: 2},
		{Query: `"the go programming language"`, Year: 2015},
		{Query: "goroutine -channel", From: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2018, 12, 31, 0, 0, 0, 0, time.UTC)},
		{Query: "mutex OR channel", Year: 2014},
		{Query: "concurr*", Year: 2013, Sort: search.SortOldest},
		{Query: "the", Source: search.SourcePage, Tag: "technical"},
	}
	inMemory := 0 // searches scored in memory rather than by bleve's searchers
	for _, req := range reqs {
		// The first search asks for its common words to be kept, the
		// second reads them from memory.
		if _, err := idx.Search(context.Background(), req); err != nil {
			t.Fatalf("Search(%+v): %v", req, err)
		}
		search.WarmCommonWords(idx)
		before := search.ScoredInMemory(idx)
		got, err := idx.Search(context.Background(), req)
		if err != nil {
			t.Fatalf("Search(%+v): %v", req, err)
		}
		if search.ScoredInMemory(idx) > before {
			inMemory++
		}
		restore := search.FromFiles(idx)
		want, err := idx.Search(context.Background(), req)
		restore()
		if err != nil {
			t.Fatalf("Search(%+v) from the files: %v", req, err)
		}
		if want.Total == 0 && req.Query != "interpol" {
			t.Errorf("Search(%+v) finds nothing: the test compares too little", req)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(search.Result{}, "Took")); diff != "" {
			t.Errorf("Search(%+v) (-files +memory):\n%s", req, diff)
		}
	}
	// Words alone, with or without filters, are scored in memory.
	if inMemory < 20 {
		t.Errorf("%d searches scored in memory: the test compares too little", inMemory)
	}
	if n := search.WarmCommonWords(idx); n < 20 {
		t.Errorf("%d terms in memory: the test compares too little", n)
	}
}

// TestFilteredPhraseOfCommonWords: a phrase of two common words whose pair
// few documents hold finds its documents from the pair's postings in the
// files, and checks its words, kept in memory, there. The filters must not
// hide from those words a document the pair found.
func TestFilteredPhraseOfCommonWords(t *testing.T) {
	files := map[string]string{}
	for i := range 100 {
		year, body := 2022, "Alpha and beta, then gamma. Beta and alpha again."
		if i < 3 {
			year, body = 2021, "Here beta alpha stand side by side. Alpha and beta, then gamma."
		}
		files[fmt.Sprintf("notes/n%03d.md", i)] = md(fmt.Sprintf("Note %d", i), fmt.Sprintf("%d-03-%02d", year, 1+i%28), "en", body)
	}
	idx, err := search.Build(context.Background(), loadFiles(t, files), nil, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	for _, c := range []struct {
		year, want int
	}{{2022, 0}, {2021, 3}, {0, 3}} {
		req := search.Request{Query: `"beta alpha"`, Year: c.year}
		for range 2 { // from the files, then with the words in memory
			res, err := idx.Search(context.Background(), req)
			if err != nil {
				t.Fatalf("Search(%+v): %v", req, err)
			}
			if res.Total != c.want {
				t.Errorf("Search(%+v): %d found, want %d", req, res.Total, c.want)
			}
			search.WarmCommonWords(idx)
		}
	}
	if n := search.WarmCommonWords(idx); n == 0 {
		t.Error("no word kept in memory: the test checks nothing of it")
	}
}
