package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes lists every URL the site answers.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	// Bad requests are refused before routing, once the security headers
	// are set, so that even a refusal carries them.
	r.Use(s.recoverPanics, s.accessLog, s.securityHeaders, s.refuseBadRequests, s.dropForgedProto, middleware.GetHead)
	r.NotFound(s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.handle(methodNotAllowed))

	// Health, for load balancers and deploy scripts.
	r.Get("/healthz", s.healthz)

	// Static assets under a content hash, cached for a year.
	r.Get("/static/{hash}/*", s.handle(s.serveStatic))

	// Search, behind a per-client rate limit and a cap on searches at once.
	r.With(s.searchLimit).Get("/search", s.handle(s.serveSearch))
	r.With(s.searchLimit).Get("/api/search", s.handle(s.serveSearchAPI))
	r.Get("/opensearch.xml", s.handle(s.serveOpenSearch))

	// Watch mode's reload script and its long poll (404 otherwise).
	r.Get("/_watch/reload.js", s.handle(s.serveWatchScript))
	r.Get("/_watch/version", s.handle(s.serveWatchVersion))

	// Everything else: the pages of PDF attachments as text
	// (<attachment URL>/page/<N>/, pdfpage.go, behind the highlight
	// budget), rendered pages (home, sections, tags, years, publications,
	// sitemap, robots), redirects from aliases, and the files of the
	// content folder (attachments).
	r.With(s.pdfPages).Get("/*", s.handle(s.servePath))
	return r
}
