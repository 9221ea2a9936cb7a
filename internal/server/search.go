package server

import (
	"context"
	"net/http"

	"archive/internal/search"
)

// buildIndex builds the search index of st. (Placeholder until search lands.)
func (s *Server) buildIndex(ctx context.Context, st *state) (*search.Index, error) {
	return &search.Index{}, nil
}

func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) error {
	return errorf(http.StatusServiceUnavailable, "Search is not available yet.")
}

func (s *Server) serveSearchAPI(w http.ResponseWriter, r *http.Request) error {
	return errorf(http.StatusServiceUnavailable, "Search is not available yet.")
}

func (s *Server) serveOpenSearch(w http.ResponseWriter, r *http.Request) error {
	return errNotFound
}
