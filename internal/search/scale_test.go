package search_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"testing"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
)

var scaleMix = []search.Request{
	{Query: "language"}, {Query: "package"}, {Query: "performance"}, {Query: "compiler"},
	{Query: "anecdotally"}, {Query: "shuffling"}, {Query: "transient"}, {Query: "autocompletion"},
	{Query: "woodchuck"}, {Query: "tracemonkey"}, {Query: "garbage collector"}, {Query: "error handling"},
	{Query: "type parameters"}, {Query: "module proxy"}, {Query: "data race"}, {Query: "standard library packages"},
	{Query: "concurrent garbage collection"}, {Query: "interface method values"}, {Query: `"errors are values"`},
	{Query: `"the Go programming language"`}, {Query: `"hash table using open addressing"`},
	{Query: `"Programs that write programs are therefore important elements in software engineering"`},
	{Query: `"I went to the woods"`}, {Query: "performance", Section: "reports"}, {Query: "compiler", Year: 2019},
	{Query: "security", Tag: "surveillance"}, {Query: "concurr*"}, {Query: "serializ*"}, {Query: "mutex OR channel"},
	{Query: "goroutine -channel"},
}

func TestScale(t *testing.T) {
	dir := os.Getenv("SCALE_DIR")
	if dir == "" {
		t.Skip()
	}
	cs, _, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pdfs := map[string]*pdftext.Document{}
	if os.Getenv("SCALE_PDF") != "" {
		ex := &pdftext.Extractor{Command: []string{"/tmp/archive-me", "pdftext"}, CacheDir: "/tmp/search-scale-cache/pdftext"}
		var paths []string
		byFull := map[string]string{}
		for _, a := range cs.Attachments() {
			if a.IsPDF() {
				full := filepath.Join(dir, a.Path)
				paths = append(paths, full)
				byFull[full] = a.Path
			}
		}
		res := ex.ExtractFiles(context.Background(), paths, nil)
		for full, r := range res {
			if r.Doc != nil {
				pdfs[byFull[full]] = r.Doc
			}
		}
	}
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	fmt.Printf("heap before build %d MB\n", ms0.HeapAlloc>>20)
	if os.Getenv("SCALE_PROF") != "" {
		f, _ := os.Create(os.Getenv("SCALE_PROF"))
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuTime()
	start := time.Now()
	opts := search.Options{Logger: slog.Default(), CacheDir: os.Getenv("SCALE_CACHE")}
	idx, err := search.Build(context.Background(), cs, pdfs, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("build %v cpu %v %+v heap %d MB\n", time.Since(start), cpuTime()-cpu0, idx.Stats(), ms.HeapAlloc>>20)
	if os.Getenv("SCALE_PROF") != "" {
		pprof.StopCPUProfile()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all []time.Duration
	per := make([][]time.Duration, len(scaleMix))
	for round := 0; round < 20; round++ {
		for i, req := range scaleMix {
			t0 := threadTime()
			r, err := idx.Search(context.Background(), req)
			if err != nil {
				t.Log(req.Query, err)
				continue
			}
			d := threadTime() - t0
			if round == 0 {
				fmt.Printf("hits %6d %s\n", r.Total, req.Query)
				continue
			}
			all = append(all, d)
			per[i] = append(per[i], d)
		}
	}
	slices.Sort(all)
	fmt.Printf("p50 %v p99 %v max %v\n", all[len(all)/2], all[len(all)*99/100], all[len(all)-1])
	for i, ds := range per {
		slices.Sort(ds)
		fmt.Printf("%10v %s\n", ds[len(ds)/2], scaleMix[i].Query)
	}
}

func threadTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
