package search

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"archive/internal/testcorpus"
)

// Segments is the number of segments of x's bleve index: a search reads
// every term's postings once per segment, so the benchmarks report it.
func Segments(x *Index) (int, error) {
	r, err := readerOf(x.bi)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if s, ok := r.(*scorch.IndexSnapshot); ok {
		return len(s.Segments()), nil
	}
	return 0, nil
}

// repoRoot finds the repository root (the folder holding go.mod).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := testcorpus.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// corpusDir is the Markdown test corpus beside the repository.
func corpusDir(t testing.TB) string {
	dir := filepath.Join(filepath.Dir(repoRoot(t)), "shared", "corpus", "markdown")
	if _, err := os.Stat(filepath.Join(dir, "go-blog")); err != nil {
		t.Skipf("test corpus not found at %s (it lives beside the repository)", dir)
	}
	return dir
}

// RepoRoot and CorpusDir are repoRoot and corpusDir, for the external tests.
var RepoRoot, CorpusDir = repoRoot, corpusDir

// ScoredInMemory is how many of x's searches were scored in memory rather
// than by bleve's searchers (memscore.go).
func ScoredInMemory(x *Index) int64 { return x.hot.scored.Load() }

// WarmCommonWords waits until x has read into memory the common words its
// searches asked for, and returns how many terms it keeps.
func WarmCommonWords(x *Index) int {
	x.hot.wg.Wait()
	x.hot.mu.RLock()
	defer x.hot.mu.RUnlock()
	n := 0
	for _, terms := range x.hot.lists {
		n += len(terms)
	}
	return n
}

// FromFiles makes x read every posting from bleve's files until restore
// is called. The package's tests run one at a time.
func FromFiles(x *Index) (restore func()) {
	x.hot.off.Store(true)
	return func() { x.hot.off.Store(false) }
}
