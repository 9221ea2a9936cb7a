package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes is the handler of every request: the middleware every response
// goes through, then the rendered pages or the router.
func (s *Server) routes() http.Handler {
	r, rest := s.router()
	// Bad requests are refused before routing, once the security headers
	// are set, so that even a refusal carries them.
	return chain(s.pagesFirst(rest, r), s.recoverPanics, s.accessLog, s.securityHeaders, s.refuseBadRequests, s.dropForgedProto)
}

// router lists every URL the site answers. It returns the handler of its
// last route, "/*", as well.
func (s *Server) router() (*chi.Mux, http.Handler) {
	r := chi.NewRouter()
	r.Use(middleware.GetHead)
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
	rest := s.pdfPages(s.handle(s.servePath))
	r.Method(http.MethodGet, "/*", rest)
	return r, rest
}

// pagesFirst hands a request for a rendered page straight to pages, the
// router's "/*" route, and every other request to the router. Rendered
// pages are nearly all the traffic, and routing cost a page view a third
// of its handling: chi copies the request to give it a route context and
// sets its path values, four allocations. No rendered page is at a path of
// another route: the content loader keeps the site's own names
// (content.ReservedSections) and names starting with "_" out of its URLs,
// and TestPagesFirstRoutes checks this.
func (s *Server) pagesFirst(pages, router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := s.state.Load(); st != nil {
			if _, ok := st.Site.Pages[r.URL.Path]; ok {
				pages.ServeHTTP(w, r)
				return
			}
		}
		router.ServeHTTP(w, r)
	})
}

// chain wraps h in middleware, the first outermost.
func chain(h http.Handler, middleware ...func(http.Handler) http.Handler) http.Handler {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}
