package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/pipeline"
	"archive/internal/search"
	"archive/internal/server"
	"archive/internal/site"
	staticfs "archive/static"
	templatesfs "archive/templates"
)

// runProfile runs the steps of a cold start in this process, as
// pipeline.Load does, with a CPU profile of each:
//
//	DIR/load.pprof    content.Load
//	DIR/render.pprof  site.Build
//	DIR/index.pprof   search.Build, on disk
//	DIR/search.pprof  the query mix, -rounds times
//	DIR/heap.pprof    what is live once all is built
//	DIR/serve.pprof   a server.Server in this process under the page load
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

	if strings.Contains(o.steps, "index") {
		idx, err := profileIndex(ctx, o, s, cs, docs, profiled)
		if err != nil {
			return err
		}
		defer idx.Close()
	}

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
	// What a server would hold if it gave the memory of the start's garbage
	// back to the system once loaded.
	debug.FreeOSMemory()
	logf("after debug.FreeOSMemory: %s", memNow())
	runtime.KeepAlive(rendered)
	runtime.KeepAlive(cs)
	if strings.Contains(o.steps, "serve") {
		if err := profileServe(ctx, o, s, profiled); err != nil {
			return err
		}
	}
	logf("profiles in %s: go tool pprof -top %s", o.profile, filepath.Join(o.profile, "render.pprof"))
	return nil
}

// profileIndex builds the index (index.pprof) and runs the query mix
// -rounds times on it (search.pprof) when the steps ask for it.
func profileIndex(ctx context.Context, o options, s *setup, cs *content.Site, docs map[string]*pdftext.Document, profiled func(string, func() error) error) (*search.Index, error) {
	var idx *search.Index
	err := profiled("index", func() error {
		var err error
		// The folder the server's cache would be, so that the serve step
		// reopens this index instead of building another.
		idx, err = search.Build(ctx, cs, docs, search.Options{CacheDir: s.tmp})
		return err
	})
	if err != nil {
		return nil, err
	}
	st := idx.Stats()
	logf("index: %d publications, %d PDF pages", st.Publications, st.PDFPages)

	if !strings.Contains(o.steps, "search") {
		return idx, nil
	}
	// The query mix, as the in-process figure runs it.
	var times []time.Duration
	err = profiled("search", func() error {
		for range o.rounds {
			for _, q := range queryMix {
				t0 := time.Now()
				if _, err := idx.Search(ctx, q.request()); err != nil {
					return fmt.Errorf("search %q: %w", q.Q, err)
				}
				times = append(times, time.Since(t0))
			}
		}
		return nil
	})
	if err != nil {
		idx.Close()
		return nil, err
	}
	l := summarise(times)
	logf("search: %d searches, p50 %v, p99 %v", l.N, l.P50, l.P99)
	return idx, nil
}

// profileServe loads a server.Server in this process, as `archive serve`
// does (logging to a file, as the harness's archive does), serves it on
// loopback and profiles it under the page load. The profile holds the load
// generator too: its functions are this package's (main.*).
func profileServe(ctx context.Context, o options, s *setup, profiled func(string, func() error) error) error {
	logFile, err := os.Create(filepath.Join(s.tmp, "serve.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv := server.New(server.Config{Logger: log})
	start := time.Now()
	_, err = pipeline.New(pipeline.Config{
		Content:    os.DirFS(s.corpus),
		Templates:  templatesfs.FS,
		Static:     staticfs.FS,
		ContentDir: s.corpus,
		CacheDir:   s.tmp,
		PDF:        &pdftext.Extractor{Command: []string{s.bin, "pdftext"}, CacheDir: filepath.Join(s.tmp, "pdftext"), Logger: log},
		Logger:     log,
	}).Load(ctx, srv.Publish)
	if err != nil {
		return err
	}
	logf("server loaded in %v", time.Since(start).Round(time.Millisecond))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := server.NewHTTPServer(srv)
	go hs.Serve(ln)
	defer hs.Close()
	var res loadResult
	err = profiled("serve", func() error {
		var err error
		res, err = runLoad(ctx, loadConfig{Addr: ln.Addr().String(), Paths: s.sum.URLs, Conns: o.conns, Duration: o.duration, Header: "Accept-Encoding: gzip\r\n"})
		return err
	})
	logf("serve: %s", loadOne(res))
	return err
}

func memNow() string {
	m, err := readMem(os.Getpid())
	if err != nil {
		return "memory unknown"
	}
	return fmt.Sprintf("VmRSS %s, VmHWM %s", fmtBytes(m.RSS), fmtBytes(m.Peak))
}
