package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes lists every URL the site answers.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverPanics, s.accessLog, securityHeaders, middleware.GetHead)
	r.NotFound(s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.handle(methodNotAllowed))

	// Health, for load balancers and deploy scripts.
	r.Get("/healthz", s.healthz)

	// Static assets under a content hash, cached for a year.
	r.Get("/static/{hash}/*", s.handle(s.serveStatic))

	// Search.
	r.Get("/search", s.handle(s.serveSearch))
	r.Get("/api/search", s.handle(s.serveSearchAPI))
	r.Get("/opensearch.xml", s.handle(s.serveOpenSearch))

	// Everything else: rendered pages (home, sections, tags, years,
	// publications, sitemap, robots), redirects from aliases, and the files
	// of the content folder (attachments).
	r.Get("/*", s.handle(s.servePath))
	return r
}
