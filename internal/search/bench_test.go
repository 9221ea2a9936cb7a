package search_test

import (
	"context"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"archive/internal/search"
)

// BenchQueries is a fixed mix of what readers type: rare and common single
// words, two and three words, quotes, a filter, a prefix, an exclusion.
var benchQueries = []search.Request{
	{Query: "interpol"},
	{Query: "goroutine"},
	{Query: "the"},
	{Query: "go"},
	{Query: "swisstable"},
	{Query: "gofix"},
	{Query: "garbage collector"},
	{Query: "error handling"},
	{Query: "module proxy"},
	{Query: "red notice"},
	{Query: "generic type parameters"},
	{Query: "structured logging package"},
	{Query: "hong kong police"},
	{Query: `"tip of the iceberg"`},
	{Query: `"Go provides a built-in map type that implements a hash table"`},
	{Query: `"error handling"`},
	{Query: `"the go programming language"`},
	{Query: `"We are likely the tip of the iceberg, as tens upon tens of thousands have fled Hong Kong"`},
	{Query: "compiler", Year: 2019},
	{Query: "interpol", Source: search.SourcePDF},
	{Query: "release", Section: "go-blog", Sort: search.SortNewest},
	{Query: "gorout*"},
	{Query: "investigat*"},
	{Query: "generics -proposal"},
	{Query: "channels OR mutexes"},
	{Query: "jurgen stock"},
	{Query: "中国"},
	{Query: "testing benchmarks", Page: 2},
	{Query: "security vulnerability"},
	{Query: "memory allocation performance"},
}

// BenchmarkSearch runs the query mix over the go-blog corpus and the
// shipped content, snippets included, and reports the median and 99th
// percentile latency of single searches.
func BenchmarkSearch(b *testing.B) {
	idx, _ := corpusIndex(b)
	ctx := context.Background()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		req := benchQueries[i%len(benchQueries)]
		start := time.Now()
		if _, err := idx.Search(ctx, req); err != nil {
			b.Fatalf("Search(%+v): %v", req, err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(float64(len(took))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkBuild measures building the corpus index in memory.
func BenchmarkBuild(b *testing.B) {
	_, cs := corpusIndex(b)
	pdfs := corpus.pdfs
	cpu0 := cpuTime()
	for b.Loop() {
		idx, err := search.Build(context.Background(), cs, pdfs, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		idx.Close()
	}
	// The machine may be shared: CPU time says more than wall time.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpen measures opening a saved corpus index from content
// metadata alone, as archive serve -from does.
func BenchmarkOpen(b *testing.B) {
	_, cs := corpusIndex(b)
	dir := b.TempDir()
	idx, err := search.Build(context.Background(), cs, corpus.pdfs, search.Options{CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	saved := filepath.Join(dir, "saved")
	if err := idx.Save(saved); err != nil {
		b.Fatal(err)
	}
	meta := metadataOnly(cs)
	for b.Loop() {
		x, err := search.Open(saved, meta, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		x.Close()
	}
}
