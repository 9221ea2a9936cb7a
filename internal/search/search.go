// Package search indexes publications and PDF pages and answers queries.
package search

// Index is the search index.
type Index struct{}
