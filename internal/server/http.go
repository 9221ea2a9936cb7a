package server

import (
	"net/http"
	"time"
)

// NewHTTPServer wraps h in an http.Server with the timeouts and limits a
// public site needs: slow clients cannot hold connections open for ever.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second, // large PDFs on slow links
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}
