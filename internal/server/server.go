// Package server serves the archive over HTTP: the pages rendered by package
// site, the attachments from the content folder, search, and health.
//
// # Lifecycle
//
// New returns a server that answers at once: /healthz says 503 until the
// content is loaded and the search index is built, pages are served as soon
// as the content is loaded. Load does the work and swaps the new state in
// whole, so a reader never sees half a site; a load that fails leaves the
// previous state serving.
//
// # Errors
//
// Handlers return errors; one adapter (handle) turns them into status pages.
// 5xx are logged at Error, 4xx at Info.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync/atomic"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
	"archive/internal/site"
)

// Config is what the server needs from its caller.
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
	// AllowHTML lets raw HTML in Markdown through (a site setting).
	AllowHTML bool
	// PDF extracts text from PDF attachments. nil skips PDF text.
	PDF *pdftext.Extractor
	// TrustedProxies are the reverse proxies whose X-Forwarded-For (and
	// X-Forwarded-Proto, for HSTS) is believed; from anyone else the client
	// is the connection's peer.
	TrustedProxies []netip.Prefix
	// SearchRate is the searches per second one client network may make
	// (SearchBurst at once); 0 means DefaultSearchRate, negative no limit.
	SearchRate  float64
	SearchBurst int
	// MaxConcurrentSearches caps searches running at once, so that pages
	// stay fast while search is flooded; 0 means
	// DefaultMaxConcurrentSearches, negative no cap.
	MaxConcurrentSearches int
	// MaxConns caps the connections open at once, and MaxConnsPerNetwork
	// those from one client network (a trusted proxy's count only in the
	// total); past a cap an idle connection is closed to make room. 0
	// means DefaultMaxConns and DefaultMaxConnsPerNetwork, negative no cap.
	MaxConns           int
	MaxConnsPerNetwork int
	// Build is the state folder of a build (written by Save): Load then
	// reads the rendered pages, the content's metadata and the search
	// index from it, and parses, renders, extracts and indexes nothing.
	// The folder is only read, so several servers can share one build.
	// Content must still be the build's content folder, which attachments
	// are served from.
	Build string
	// SkipIndex loads and renders the site without a search index, for
	// exports that have no use for one.
	SkipIndex bool
	// Watch turns on watch mode (see Watch): pages reload themselves
	// when a new version is served.
	Watch bool
	// KeepState saves the loaded state (as a build's) in CacheDir, and
	// starts from it while the content, templates and static files and the
	// program (Version) are those it was made from: see statecache.go.
	KeepState bool
	Version   string
	Logger    *slog.Logger
}

// state is one consistent version of the site.
type state struct {
	site  *site.Site
	pdf   map[string]*pdftext.Document // by attachment path, until the index is built
	index *search.Index                // nil while building
}

// Server is the archive's HTTP server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	state    atomic.Pointer[state]
	handler  http.Handler
	limiter  *SearchLimiter
	refusals atomic.Pointer[refusalPages] // see Server.refuse
	watch    *watcher                     // nil outside watch mode
}

// New returns a server with nothing loaded yet.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, limiter: newSearchLimiter(cfg)}
	if cfg.Watch {
		s.watch = &watcher{changed: make(chan struct{})}
	}
	s.handler = s.routes()
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

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

// Load reads the content, extracts PDF text, renders the pages and publishes
// them, then builds the search index. It returns once pages are served; the
// index is built before Load returns too, unless ctx is cancelled.
//
// In watch mode a reload starts from the state being served: only files
// whose bytes changed are parsed again, only pages whose inputs changed are
// rendered again, and only documents whose text changed are indexed again
// (the index is kept in memory so that it can be updated).
func (s *Server) Load(ctx context.Context) error {
	if s.cfg.Build != "" {
		return s.loadState(s.cfg.Build)
	}
	cached := s.stateCache()
	if cached.load() {
		return nil
	}
	start := time.Now()
	if s.watch != nil {
		s.watch.setLoaded(s.fingerprint())
	}
	prev := s.state.Load()
	if s.watch == nil || prev == nil || prev.index == nil {
		prev = nil // start afresh
	}
	var opts content.Options
	if prev != nil {
		opts.Previous = prev.site.Content
	}
	cs, problems, err := content.Load(s.cfg.Content, opts)
	if err != nil {
		return err
	}
	for _, p := range problems.Warnings() {
		s.log.Warn("content", "problem", p.String())
	}
	if len(problems.Errors()) > 0 {
		return &ContentError{Problems: problems}
	}
	s.log.Info("content loaded", "publications", len(cs.Publications), "files", len(cs.Files), "took", time.Since(start).Round(time.Millisecond))

	t0 := time.Now()
	pdfs := extractPDFs(ctx, s.cfg.PDF, s.cfg.ContentDir, cs, s.log)
	for _, p := range pdfs.problems {
		s.log.Warn("PDF", "problem", p.String())
	}
	s.log.Info("PDF text ready", "files", len(pdfs.infos), "took", time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	tmpl, assets, err := s.layout()
	if err != nil {
		return err
	}
	var prevSite *site.Site
	if prev != nil {
		prevSite = prev.site
	}
	rendered, err := site.Rebuild(prevSite, cs, tmpl, assets, pdfs.infos)
	if err != nil {
		return err
	}
	st := &state{site: rendered, pdf: pdfs.docs}
	if prev != nil {
		// Keep searching the previous index until the new one is ready,
		// rather than telling the reader that search is getting ready.
		st.index = prev.index
	}
	s.publish(st)
	s.log.Info("pages rendered", "pages", len(rendered.Pages), "rendered", rendered.Rendered, "reused", rendered.Reused, "took", time.Since(t0).Round(time.Millisecond))

	if s.cfg.SkipIndex {
		return nil
	}
	t0 = time.Now()
	var idx *search.Index
	if prev != nil {
		idx, err = prev.index.Update(ctx, cs, st.pdf)
	} else {
		idx, err = s.buildIndex(ctx, st)
	}
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if prev != nil {
		stats := idx.Stats()
		s.log.Info("search index updated", "reindexed", stats.Reindexed, "removed", stats.Removed, "took", time.Since(t0).Round(time.Millisecond))
	}
	// The PDF text lives on in the index; dropping it here frees memory.
	s.publish(&state{site: rendered, index: idx})
	s.log.Info("ready", "index_took", time.Since(t0).Round(time.Millisecond), "total", time.Since(start).Round(time.Millisecond))
	if !cached.save() {
		freeMemory()
	}
	return nil
}

// publish serves st from now on. The refusal pages rendered for the state
// before are dropped with it, so that they do not keep it in memory.
func (s *Server) publish(st *state) {
	s.state.Store(st)
	s.refusals.Store(nil)
}

// layout parses the templates and reads the static files.
func (s *Server) layout() (*site.Templates, *site.Assets, error) {
	tmpl, err := site.ParseTemplates(s.cfg.Templates)
	if err != nil {
		return nil, nil, err
	}
	assets, err := site.LoadAssets(s.cfg.Static)
	if err != nil {
		return nil, nil, err
	}
	return tmpl, assets, nil
}

// freeMemory gives the system back what loading allocated beyond what stays
// live (Markdown sources, PDF text, index segments; several times as much)
// now, rather than when the collector gets round to it.
func freeMemory() { debug.FreeOSMemory() }

// Site returns the site being served, or nil before the first Load.
func (s *Server) Site() *site.Site {
	if st := s.state.Load(); st != nil {
		return st.site
	}
	return nil
}

// Ready reports whether the site and its search index are loaded.
func (s *Server) Ready() bool {
	st := s.state.Load()
	return st != nil && st.index != nil
}

// httpError is an error with the status a reader should see.
type httpError struct {
	status int
	msg    string
	err    error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.msg, e.err)
	}
	return fmt.Sprintf("%d %s", e.status, e.msg)
}
func (e *httpError) Unwrap() error { return e.err }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

var errNotFound = &httpError{status: http.StatusNotFound, msg: "not found"}

// handle adapts a handler that returns an error to http.Handler.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status := http.StatusInternalServerError
		msg := "Something went wrong on our side. Please try again later."
		var he *httpError
		if errors.As(err, &he) {
			status = he.status
			if status < 500 {
				msg = he.msg
			}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			status = http.StatusServiceUnavailable
			msg = "The request took too long. Please try again."
		}
		if status >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
		} else {
			s.log.Info("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
		}
		s.writeError(w, r, status, msg)
	}
}

var statusHeadings = map[int]string{
	http.StatusBadRequest:          "Bad request",
	http.StatusNotFound:            "Page not found",
	http.StatusMethodNotAllowed:    "Method not allowed",
	http.StatusTooManyRequests:     "Too many requests",
	http.StatusServiceUnavailable:  "Not available right now",
	http.StatusInternalServerError: "Server error",
}

// writeError writes the status page, falling back to plain text when the
// site is not loaded yet or the template fails.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	st := s.state.Load()
	if st != nil {
		var page *site.Page
		if status == http.StatusNotFound {
			page = st.site.NotFound
		} else {
			heading := statusHeadings[status]
			if heading == "" {
				heading = http.StatusText(status)
			}
			page, _ = st.site.ErrorPage(status, heading, msg)
		}
		if page != nil {
			w.Header().Set("Cache-Control", "no-store")
			writePage(w, r, page)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
