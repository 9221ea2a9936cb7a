package search_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
	// Phrases of common words only, the slowest of cmd/bench's mix.
	{Query: `"errors are values"`},
	{Query: `"Programs that write programs are therefore important elements in software engineering"`},
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
// shipped content (or ARCHIVE_BENCH_N publications: see benchSize),
// snippets included, and reports the median and 99th percentile latency
// of single searches, and of the CPU time each took (cpu-p50-ms,
// cpu-p99-ms): on a machine shared with other work, the wall time
// includes waiting for a core.
func BenchmarkSearch(b *testing.B) {
	idx, _, _ := benchIndex(b)
	ctx := context.Background()
	runtime.LockOSThread() // a search runs on this goroutine: its thread's CPU time is the search's
	defer runtime.UnlockOSThread()
	b.ReportAllocs() // garbage is CPU too: the collector runs as often as a search allocates
	var took, cpu []time.Duration
	for i := 0; b.Loop(); i++ {
		req := benchQueries[i%len(benchQueries)]
		start, cpu0 := time.Now(), threadCPUTime()
		if _, err := idx.Search(ctx, req); err != nil {
			b.Fatalf("Search(%+v): %v", req, err)
		}
		took = append(took, time.Since(start))
		cpu = append(cpu, threadCPUTime()-cpu0)
	}
	b.ReportMetric(percentile(took, 0.50), "p50-ms")
	b.ReportMetric(percentile(took, 0.99), "p99-ms")
	b.ReportMetric(percentile(cpu, 0.50), "cpu-p50-ms")
	b.ReportMetric(percentile(cpu, 0.99), "cpu-p99-ms")
	reportSegments(b, idx) // after the loop, which deletes metrics reported before it
}

// percentile is the p-th percentile of ds, in milliseconds.
func percentile(ds []time.Duration, p float64) float64 {
	ds = slices.Sorted(slices.Values(ds))
	return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))].Microseconds()) / 1000
}

// BenchmarkSearchQuery runs each query of the mix on its own, to tell
// which ones make the 99th percentile.
func BenchmarkSearchQuery(b *testing.B) {
	idx, _, _ := benchIndex(b)
	ctx := context.Background()
	for i, req := range benchQueries {
		// Named by the query's start, so that the output says which query
		// each line is without a log line of its own.
		b.Run(fmt.Sprintf("%02d_%.24s", i, req.Query), func(b *testing.B) {
			runtime.LockOSThread() // each sub-benchmark runs on a goroutine of its own
			defer runtime.UnlockOSThread()
			var res *search.Result
			cpu0 := threadCPUTime()
			for b.Loop() {
				var err error
				if res, err = idx.Search(ctx, req); err != nil {
					b.Fatalf("Search(%+v): %v", req, err)
				}
			}
			b.ReportMetric(float64((threadCPUTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(res.Total), "hits")
		})
	}
}

// BenchmarkBuild measures building the corpus index in memory.
func BenchmarkBuild(b *testing.B) {
	_, cs, pdfs := benchIndex(b)
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

func reportSegments(b *testing.B, idx *search.Index) {
	n, err := search.Segments(idx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n), "segments")
}

// dirSize is the bytes of the files under dir.
func dirSize(t testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMain removes the on-disk index of ARCHIVE_BENCH_DISK.
func TestMain(m *testing.M) {
	code := m.Run()
	if dir := scaled.opts.CacheDir; dir != "" {
		if scaled.idx != nil {
			scaled.idx.Close()
		}
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpen measures opening a saved corpus index from content
// metadata alone, as archive serve -from does. It reports the size of the
// index on disk and how long building it there took (a cold start's), in
// time and in CPU time (which other work on the machine changes less).
func BenchmarkOpen(b *testing.B) {
	_, cs, pdfs := benchIndex(b)
	dir := b.TempDir()
	cpu0 := cpuTime()
	idx, err := search.Build(context.Background(), cs, pdfs, search.Options{CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		b.Fatal(err)
	}
	buildCPU := cpuTime() - cpu0
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
	b.ReportMetric(float64(dirSize(b, idx.Stats().Dir))/(1<<20), "index-MiB")
	b.ReportMetric(idx.Stats().Took.Seconds(), "build-s")
	b.ReportMetric(buildCPU.Seconds(), "build-cpu-s")
	reportSegments(b, idx)
}
