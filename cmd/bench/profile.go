package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
	"archive/internal/site"
	staticfs "archive/static"
	templatesfs "archive/templates"
)

// runProfile runs the steps of a cold start in this process, as
// server.Load does, with a CPU profile of each:
//
//	DIR/load.pprof    content.Load
//	DIR/render.pprof  site.Build
//	DIR/index.pprof   search.Build, in memory and on disk
//	DIR/heap.pprof    what is live once all is built
//
// PDF text is extracted first (by the binary, in child processes, each
// distinct file once) and not profiled here: package pdftext has its own
// benchmarks. Read a profile with `go tool pprof -top DIR/render.pprof`.
func runProfile(ctx context.Context, o options) error {
	s, err := prepare(ctx, o)
	defer s.cleanup(o.keep)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.profile, 0o755); err != nil {
		return err
	}
	profiled := func(name string, f func() error) error {
		file, err := os.Create(filepath.Join(o.profile, name+".pprof"))
		if err != nil {
			return err
		}
		defer file.Close()
		if err := pprof.StartCPUProfile(file); err != nil {
			return err
		}
		start := time.Now()
		err = f()
		pprof.StopCPUProfile()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		logf("%-7s %8v  heap in use %s, allocated so far %s, %d GCs", name, time.Since(start).Round(time.Millisecond),
			fmtBytes(int64(ms.HeapInuse)), fmtBytes(int64(ms.TotalAlloc)), ms.NumGC)
		return err
	}

	var cs *content.Site
	err = profiled("load", func() error {
		var problems content.Problems
		var err error
		cs, problems, err = content.Load(os.DirFS(s.corpus), content.Options{})
		if err == nil && len(problems.Errors()) > 0 {
			err = fmt.Errorf("corpus has content errors, the first: %s", problems.Errors()[0])
		}
		return err
	})
	if err != nil {
		return err
	}

	start := time.Now()
	ex := &pdftext.Extractor{Command: []string{s.bin, "pdftext"}, CacheDir: filepath.Join(s.tmp, "pdftext")}
	docs := extractOnce(ctx, ex, s.corpus, cs)
	infos := map[string]site.PDFInfo{}
	for p, d := range docs {
		infos[p] = site.PDFInfo{Pages: d.NumPages(), NoText: d.Scanned()}
	}
	logf("PDF text of %d attachments (each distinct file once, not profiled): %v", len(docs), time.Since(start).Round(time.Millisecond))

	var rendered *site.Site
	err = profiled("render", func() error {
		tmpl, err := site.ParseTemplates(templatesfs.FS)
		if err != nil {
			return err
		}
		assets, err := site.LoadAssets(staticfs.FS)
		if err != nil {
			return err
		}
		rendered, err = site.Build(cs, tmpl, assets, infos)
		return err
	})
	if err != nil {
		return err
	}
	var body, gz int64
	for _, p := range rendered.Pages {
		body += int64(len(p.Body))
		gz += int64(len(p.Gzip))
	}
	logf("%d pages, %s of HTML, %s gzipped", len(rendered.Pages), fmtBytes(body), fmtBytes(gz))

	if !strings.Contains(o.steps, "index") {
		return nil
	}
	var idx *search.Index
	err = profiled("index", func() error {
		var err error
		idx, err = search.Build(ctx, cs, docs, search.Options{CacheDir: filepath.Join(s.tmp, "index")})
		return err
	})
	if err != nil {
		return err
	}
	defer idx.Close()
	st := idx.Stats()
	logf("index: %d publications, %d PDF pages", st.Publications, st.PDFPages)

	runtime.GC()
	hf, err := os.Create(filepath.Join(o.profile, "heap.pprof"))
	if err != nil {
		return err
	}
	defer hf.Close()
	if err := pprof.WriteHeapProfile(hf); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	logf("live heap after GC %s; this process's %s", fmtBytes(int64(ms.HeapAlloc)), memNow())
	runtime.KeepAlive(rendered)
	runtime.KeepAlive(cs)
	logf("profiles in %s: go tool pprof -top %s", o.profile, filepath.Join(o.profile, "render.pprof"))
	return nil
}

func memNow() string {
	m, err := readMem(os.Getpid())
	if err != nil {
		return "memory unknown"
	}
	return fmt.Sprintf("VmRSS %s, VmHWM %s", fmtBytes(m.RSS), fmtBytes(m.Peak))
}
