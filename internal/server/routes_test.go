package server

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"archive/internal/content"
)

// TestPagesFirstRoutes checks what pagesFirst relies on: that no rendered
// page can be at the path of a route other than "/*". Every other route
// must start with a name the content loader keeps out of URLs.
func TestPagesFirstRoutes(t *testing.T) {
	r, _ := New(Config{Logger: slog.New(slog.DiscardHandler)}).router()
	n := 0
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/*" {
			return nil
		}
		n++
		first, _, _ := strings.Cut(strings.TrimPrefix(route, "/"), "/")
		if !slices.Contains(content.ReservedSections, first) && !strings.HasPrefix(first, "_") {
			t.Errorf("route %s %s: %q is not in content.ReservedSections, so a page could be there", method, route, first)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the router has no route but /*")
	}
}
