// Package server serves the archive over HTTP: the pages rendered by package
// site, the attachments from the content folder, search, and health.
//
// # Lifecycle
//
// New returns a server that answers at once: /healthz says 503 until it is
// given a State with a search index, and pages are served as soon as it is
// given one with pages. Package pipeline makes each State; Publish swaps it
// in whole, so a reader never sees half a site, and a load that fails
// publishes nothing, which leaves the previous State serving. The server
// computes nothing of the site itself.
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
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"

	"archive/internal/pipeline"
	"archive/internal/site"
)

// Config is what the server needs from its caller.
type Config struct {
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
	// Watch turns on watch mode (see watch.go): pages reload themselves
	// when a new version is published.
	Watch  bool
	Logger *slog.Logger
}

// Server is the archive's HTTP server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	state    atomic.Pointer[pipeline.State]
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

// Publish serves st from now on. The refusal pages rendered for the State
// before are dropped with it, so that they do not keep it in memory.
func (s *Server) Publish(st *pipeline.State) {
	s.state.Store(st)
	s.refusals.Store(nil)
}

// Site returns the site being served, or nil before the first Load.
func (s *Server) Site() *site.Site {
	if st := s.state.Load(); st != nil {
		return st.Site
	}
	return nil
}

// Ready reports whether the site and its search index are loaded.
func (s *Server) Ready() bool {
	st := s.state.Load()
	return st != nil && st.Index != nil
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
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail answers a request whose handler returned err with its status page.
// It is apart from handle to keep the frame of every request small (see
// logRequest).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
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
			page = st.Site.NotFound
		} else {
			heading := statusHeadings[status]
			if heading == "" {
				heading = http.StatusText(status)
			}
			page, _ = st.Site.ErrorPage(status, heading, msg)
		}
		if page != nil {
			w.Header()["Cache-Control"] = noStore
			writePage(w, r, page)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
