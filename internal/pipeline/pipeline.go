// Package pipeline turns a content folder into one consistent State: the
// site's rendered pages and its search index, which package server serves.
// archive serve, build, export and check, and the benchmarks, all start
// here.
//
// # Steps
//
// Load runs the whole pipeline:
//
//  1. content.Load reads and checks the Markdown and decides what is
//     public; a site with errors stops here (ContentError).
//  2. The text of every PDF attachment is extracted, in child processes
//     (package pdftext), each distinct file once (pdf.go).
//  3. package site renders every page, feed and citation file.
//  4. package search indexes the publications and the PDF pages.
//
// The State is handed to the caller twice: once the pages are rendered, so
// a server answers readers at once, and again with the index.
//
// # Persistence
//
// Save writes a State to a folder (a build's state, see archive build) and
// Open serves one without computing anything: the pages are mapped into
// memory and the index is opened read-only (state.go). With KeepState, a
// load keeps its State in the cache folder and the next start of the same
// program on the same files opens it instead (statecache.go).
//
// # Reloads
//
// Watch (watch mode, for staff previews) loads again whenever a file
// changes, and RunSchedule whenever a publishDate or expiryDate comes. With
// Incremental set a reload starts from the last State: only files whose
// bytes changed are parsed again, only pages whose inputs changed are
// rendered again, and only documents whose text changed are indexed again.
package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
	"archive/internal/site"
)

// Config is what the pipeline reads from and where it keeps its work.
type Config struct {
	Content   fs.FS // the content folder
	Templates fs.FS
	Static    fs.FS
	// ContentDir is the content folder on disk, "" when Content is embedded
	// (PDF extraction runs in child processes that read real files, so
	// embedded PDFs are written to a temporary folder first).
	ContentDir string
	// CacheDir keeps extracted PDF text and the search index between runs;
	// "" keeps everything in memory.
	CacheDir string
	// PDF extracts text from PDF attachments. nil skips PDF text.
	PDF *pdftext.Extractor
	// SkipIndex loads and renders the site without a search index, for
	// exports that have no use for one.
	SkipIndex bool
	// Incremental keeps the index in memory, where reloads update it, and
	// starts each reload from the last State (watch mode).
	Incremental bool
	// KeepState saves the loaded State (as a build's) in CacheDir, and
	// starts from it while the content, templates and static files and the
	// program (Version) are those it was made from: see statecache.go.
	KeepState bool
	Version   string
	Logger    *slog.Logger
}

// State is one consistent version of the site.
type State struct {
	Site  *site.Site
	Index *search.Index // nil while it is being built
	// Timings say how long the steps that made it took.
	Timings Timings

	pdf map[string]*pdftext.Document // by attachment path, until the index is built
}

// Timings are the steps of a load or an open, for /healthz and the
// benchmark: numbers a program reads, rather than log lines.
type Timings struct {
	Source  string        `json:"source"` // "content", or "state" when opened from a build or the cache
	Content time.Duration `json:"content_ns"`
	PDF     time.Duration `json:"pdf_ns"`
	// PDFExtracted files were read by child processes (not from the PDF
	// text cache), with PDFPages pages, the children taking PDFChild in all.
	PDFExtracted int           `json:"pdf_extracted"`
	PDFPages     int           `json:"pdf_pages"`
	PDFChild     time.Duration `json:"pdf_child_ns"`
	// OCRPages scanned pages were read by Tesseract (not from the cache),
	// taking OCR in all.
	OCRPages int           `json:"ocr_pages"`
	OCR      time.Duration `json:"ocr_ns"`
	Render   time.Duration `json:"render_ns"` // or, for a state, opening its pages
	Index    time.Duration `json:"index_ns"`  // building, updating or opening the index
	Total    time.Duration `json:"total_ns"`
}

// Pipeline loads one content folder, again and again if asked to.
type Pipeline struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex // one load at a time
	last *State     // the State the last load ended with
	fp   string     // fingerprint of the files the last load read
}

// New returns a pipeline that has loaded nothing yet.
func New(cfg Config) *Pipeline {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Pipeline{cfg: cfg, log: cfg.Logger}
}

// ContentError is returned by Load when the content has errors; it lists them.
type ContentError struct{ Problems content.Problems }

func (e *ContentError) Error() string {
	errs := e.Problems.Errors()
	msg := fmt.Sprintf("content has %d error(s)", len(errs))
	for _, p := range errs {
		msg += "\n" + p.String()
	}
	return msg
}

// Load reads the content, extracts PDF text, renders the pages and builds
// the search index, calling publish (if not nil) with the State once the
// pages are rendered and again once the index is built. It returns the
// last State published. A load that fails publishes nothing new, so the
// previous State keeps serving.
func (p *Pipeline) Load(ctx context.Context, publish func(*State)) (*State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if publish == nil {
		publish = func(*State) {}
	}
	st, err := p.load(ctx, publish)
	if err == nil {
		p.last = st
	}
	return st, err
}

func (p *Pipeline) load(ctx context.Context, publish func(*State)) (*State, error) {
	cached := p.stateCache()
	if st, ok := cached.load(publish); ok {
		return st, nil
	}
	start := time.Now()
	toIndex, gcDone := relaxGC()
	defer gcDone()
	if p.cfg.Incremental {
		// Watch compares the files with what this load read.
		p.fp = p.fingerprint()
	}
	prev := p.last
	if !p.cfg.Incremental || prev == nil || prev.Index == nil {
		prev = nil // start afresh
	}
	// A redeploy starts from the last cached state (statecache.go), whose
	// pages and index open while the content loads.
	var pending *pendingState
	if prev == nil {
		pending = cached.previous()
		defer pending.discard()
	}
	fromState := pending != nil
	var opts content.Options
	if prev != nil {
		opts.Previous = prev.Site.Content
	} else if fromState {
		opts.Previous, opts.LazyBodies = pending.content, true
	}
	cs, problems, err := content.Load(p.cfg.Content, opts)
	if err != nil {
		return nil, err
	}
	if len(problems.Errors()) > 0 {
		p.logWarnings(problems, cs, fromState)
		return nil, &ContentError{Problems: problems}
	}
	tm := Timings{Source: "content", Content: time.Since(start)}
	// A large archive has tens of thousands of warnings, whose lines took
	// a quarter of a second to write: they are written while the work
	// goes on, and before the pages are said to be rendered.
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		p.logWarnings(problems, cs, fromState)
		p.log.Info("content loaded", "publications", len(cs.Publications), "files", len(cs.Files), "parsed", cs.Parsed, "taken_over", cs.TakenOver, "took", tm.Content.Round(time.Millisecond))
	}()
	defer func() { <-logged }()

	t0 := time.Now()
	pdfs := extractPDFs(ctx, p.cfg.PDF, p.cfg.ContentDir, cs, p.log)
	cs.SetPDFInfo(pdfs.meta())
	for _, pr := range pdfs.problems {
		p.log.Warn("PDF", "problem", pr.String())
	}
	tm.PDF, tm.PDFExtracted, tm.PDFPages, tm.PDFChild = time.Since(t0), pdfs.extracted, pdfs.pages, pdfs.child
	tm.OCRPages, tm.OCR = pdfs.ocrPages, pdfs.ocr
	p.log.Info("PDF text ready", "files", len(pdfs.infos), "took", tm.PDF.Round(time.Millisecond))

	t0 = time.Now()
	tmpl, assets, err := p.layout()
	if err != nil {
		return nil, err
	}
	if fromState {
		if prev, err = pending.wait(); err != nil {
			p.log.Warn("previous cached state unusable; rendering and indexing anew", "error", err)
			fromState = false
			if err := cs.ParseBodies(cs.All()); err != nil {
				return nil, err
			}
		}
	}
	var prevSite *site.Site
	if prev != nil {
		prevSite = prev.Site
	}
	// A redeploy updates a copy of the saved state's index beside the
	// rendering, which it waited for (a third of the redeploy): what the
	// update reads of the bodies is read first, since rendering parses
	// some. A reload in watch mode updates the index it serves, and so
	// only once the pages are published.
	var updated <-chan indexResult
	if fromState && !p.cfg.SkipIndex {
		toIndex()
		updated = p.updateBeside(ctx, prev.Index, cs, pdfs.docs)
	}
	rendered, err := p.render(prevSite, cs, tmpl, assets, pdfs.infos)
	if err != nil {
		if updated != nil {
			if r := <-updated; r.idx != nil {
				r.idx.Close() // a copy, never served
			}
		}
		return nil, err
	}
	if updated == nil && !p.cfg.Incremental {
		// Only a reload in watch mode renders from them again.
		dropSources(cs)
	}
	tm.Render = time.Since(t0)
	st := &State{Site: rendered, pdf: pdfs.docs, Timings: tm}
	if prev != nil && !fromState {
		// Keep searching the previous index until the new one is ready,
		// rather than telling the reader that search is getting ready.
		st.Index = prev.Index
	}
	publish(st)
	<-logged
	p.log.Info("pages rendered", "pages", len(rendered.Pages), "rendered", rendered.Rendered, "reused", rendered.Reused, "list_entries_rendered", rendered.ItemsRendered, "took", tm.Render.Round(time.Millisecond))

	if p.cfg.SkipIndex {
		return st, nil
	}
	toIndex()
	t0 = time.Now()
	var idx *search.Index
	var took time.Duration
	if updated == nil && prev != nil {
		updated = p.updateBeside(ctx, prev.Index, cs, st.pdf)
	}
	if updated != nil {
		r := <-updated
		idx, err, took = r.idx, r.err, r.took
		if !p.cfg.Incremental {
			dropSources(cs) // read by the update until now
		}
	}
	if fromState {
		prev.Index.Close() // never served; the update is a copy
		if err != nil {
			p.log.Warn("cannot update the previous cached state's search index; building it anew", "error", err)
			prev = nil
			if err = cs.ParseBodies(cs.All()); err != nil {
				return nil, err
			}
		}
	}
	if prev == nil {
		idx, err = p.buildIndex(ctx, st)
		took = time.Since(t0)
	}
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	if prev != nil {
		stats := idx.Stats()
		p.log.Info("search index updated", "reindexed", stats.Reindexed, "removed", stats.Removed, "took", took.Round(time.Millisecond))
	}
	// The PDF text lives on in the index; dropping it here frees memory.
	tm.Index, tm.Total = took, time.Since(start)
	st = &State{Site: rendered, Index: idx, Timings: tm}
	publish(st)
	p.log.Info("ready", "index_took", tm.Index.Round(time.Millisecond), "total", tm.Total.Round(time.Millisecond))
	if saved, ok := cached.save(st, publish); ok {
		// What was loaded was still live here while save freed memory
		// (this function might have served it); only now is it garbage.
		freeMemory()
		return saved, nil
	}
	freeMemory()
	return st, nil
}

// buildIndex builds the search index of st, or reopens the one cached for
// the same content. An incremental pipeline builds it in memory, where
// reloads can update it.
func (p *Pipeline) buildIndex(ctx context.Context, st *State) (*search.Index, error) {
	cache := p.cfg.CacheDir
	if p.cfg.Incremental {
		cache = ""
	}
	return search.Build(ctx, st.Site.Content, st.pdf, search.Options{CacheDir: cache, Logger: p.log})
}

// render renders the site. With a cache folder, and no reloads to take
// pages over from it, the pages go to a file there as they are made rather
// than stay on the heap through the index's build (site.BuildInto).
func (p *Pipeline) render(prev *site.Site, cs *content.Site, tmpl *site.Templates, assets *site.Assets, pdfs map[string]site.PDFInfo) (*site.Site, error) {
	if p.cfg.Incremental || p.cfg.CacheDir == "" || prev != nil {
		return site.Rebuild(prev, cs, tmpl, assets, pdfs)
	}
	dir := filepath.Join(p.cfg.CacheDir, "pages")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	return site.BuildInto(dir, cs, tmpl, assets, pdfs)
}

// logWarnings logs the content's warnings, but for those about files a
// start from the cached state did not parse again.
func (p *Pipeline) logWarnings(problems content.Problems, cs *content.Site, fromState bool) {
	quiet := 0
	for _, pr := range problems.Warnings() {
		if fromState && cs.TookOver(pr.Path) {
			quiet++ // logged by the start that parsed it
			continue
		}
		p.log.Warn("content", "problem", pr.String())
	}
	if quiet > 0 {
		p.log.Info("content warnings about files not parsed again are not logged again; archive check lists them", "warnings", quiet)
	}
}

// dropSources lets go of what only rendering needs: the Markdown sources
// and their HTML, a quarter of the loaded content of a large archive,
// which would otherwise stay on the heap through the index's build and
// for as long as the State is served. Search keeps the blocks' text.
func dropSources(cs *content.Site) {
	for _, p := range cs.All() {
		p.Body = nil
		if p.Doc != nil {
			p.Doc.HTML = ""
		}
	}
}

type indexResult struct {
	idx  *search.Index
	err  error
	took time.Duration // preparing and finishing the update
}

// updateBeside prepares the update of x for cs and pdfs, and finishes it
// on a goroutine of its own, whose result the channel gives.
func (p *Pipeline) updateBeside(ctx context.Context, x *search.Index, cs *content.Site, pdfs map[string]*pdftext.Document) <-chan indexResult {
	start := time.Now()
	out := make(chan indexResult, 1)
	finish, err := x.PrepareUpdate(ctx, cs, pdfs)
	if err != nil {
		out <- indexResult{err: err, took: time.Since(start)}
		return out
	}
	go func() {
		idx, err := finish(ctx)
		out <- indexResult{idx, err, time.Since(start)}
	}()
	return out
}

// layout parses the templates and reads the static files.
func (p *Pipeline) layout() (*site.Templates, *site.Assets, error) {
	tmpl, err := site.ParseTemplates(p.cfg.Templates)
	if err != nil {
		return nil, nil, err
	}
	assets, err := site.LoadAssets(p.cfg.Static)
	if err != nil {
		return nil, nil, err
	}
	return tmpl, assets, nil
}

// loadGCPercent is the collector's percent (GOGC) while the content loads
// and the pages render, under a soft memory limit. Until the index's
// build, all a start holds is on the heap, which the limit bounds; at the
// default 100 the collector ran every time the heap doubled, forty times
// while the content of 8,188 publications loaded, for an eighth of the
// CPU. At 400 it runs when the heap is five times what is live or nears
// the limit: loading and rendering took 0.5-1 s less, and the start's
// peak, which comes later, did not move. The index's build maps files
// the limit does not count, so it runs at the default percent.
const loadGCPercent = 400

// indexGCPercent is the collector's percent while an index is built: the
// default's, which keeps a cold start's peak under 1 GB at 10,000
// publications (see defaultMemoryLimit in cmd/archive).
const indexGCPercent = 100

// servingGCPercent is the collector's percent once a load is done (see
// SettleCollector). What the server holds then, 46 MB of heap at 8,188
// publications, lives as long as the process; a page view leaves 3.7 KB
// of garbage, most of it net/http's. At the default 100 the collector
// marked those 46 MB every 12,000 page views, 1.9 µs of CPU per page of
// the 35 a page costs; at 200, every 24,000 views, 0.95 µs, for 50 MB
// more memory under load. An idle server's heap does not grow.
const servingGCPercent = 200

// gcPhase sets the collector's percent by what the process does: loading
// and rendering (loadGCPercent), building an index (indexGCPercent), or
// serving (what it was before, or servingGCPercent once SettleCollector
// ran). The percent is the process's, and tests run several loads at
// once: while any load builds an index, the index's percent holds.
var gcPhase struct {
	sync.Mutex
	loading, indexing int
	idle              int // the percent when no load runs
}

// tuned says whether the collector may be tuned: not when GOGC says what
// it is, nor without a memory limit to bound the heap.
func tuned() bool {
	return os.Getenv("GOGC") == "" && debug.SetMemoryLimit(-1) != math.MaxInt64
}

// setGCPhase moves a load from one phase to the next (loading, indexing or
// neither, by the counts' changes) and sets the percent they call for.
func setGCPhase(loading, indexing int) {
	gcPhase.Lock()
	defer gcPhase.Unlock()
	if gcPhase.loading+gcPhase.indexing == 0 {
		// Setting the percent is the only way to read it; the switch below
		// sets the one wanted.
		gcPhase.idle = debug.SetGCPercent(indexGCPercent)
	}
	gcPhase.loading += loading
	gcPhase.indexing += indexing
	switch {
	case gcPhase.indexing > 0:
		debug.SetGCPercent(indexGCPercent)
	case gcPhase.loading > 0:
		debug.SetGCPercent(loadGCPercent)
	default:
		debug.SetGCPercent(gcPhase.idle)
	}
}

// relaxGC sets the collector's percent for a load that starts, unless it
// may not be tuned (see tuned), and returns what moves the load on to its
// index's build and what ends it (each at most once; ending moves it on).
func relaxGC() (toIndex, done func()) {
	if !tuned() {
		return func() {}, func() {}
	}
	setGCPhase(1, 0)
	toIndex = sync.OnceFunc(func() { setGCPhase(-1, 1) })
	return toIndex, sync.OnceFunc(func() {
		toIndex()
		setGCPhase(0, -1)
	})
}

// SettleCollector sets the collector's percent for serving: a server
// calls it once its first load is done. It leaves a percent that GOGC set
// alone, and a heap without a memory limit, as loads do.
func SettleCollector() {
	if !tuned() {
		return
	}
	gcPhase.Lock()
	defer gcPhase.Unlock()
	if gcPhase.loading+gcPhase.indexing == 0 {
		debug.SetGCPercent(servingGCPercent)
	} else {
		gcPhase.idle = servingGCPercent
	}
}

// freeMemory gives the system back what loading allocated beyond what stays
// live (Markdown sources, PDF text, index segments; several times as much)
// now, rather than when the collector gets round to it.
func freeMemory() { debug.FreeOSMemory() }
