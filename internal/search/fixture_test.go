package search_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
)

// repoRoot finds the repository root (the folder holding go.mod).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod) not found")
		}
		dir = parent
	}
}

// corpusDir is the Markdown test corpus beside the repository.
func corpusDir(t testing.TB) string {
	dir := filepath.Join(filepath.Dir(repoRoot(t)), "shared", "corpus", "markdown")
	if _, err := os.Stat(filepath.Join(dir, "go-blog")); err != nil {
		t.Skipf("test corpus not found at %s (it lives beside the repository)", dir)
	}
	return dir
}

const letterPDF = "letters/open-letter-to-interpol/open-letter-to-interpol.pdf"

// loadSite loads a content folder that must have no errors.
func loadSite(dir string) (*content.Site, error) {
	cs, problems, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil {
		return nil, err
	}
	if errs := problems.Errors(); len(errs) > 0 {
		return nil, fmt.Errorf("content of %s has errors: %v", dir, errs)
	}
	return cs, nil
}

// shippedPDFs extracts the text of the shipped content's PDF, as the
// server does (in process here: the file is ours).
func shippedPDFs(root string) (map[string]*pdftext.Document, error) {
	doc, err := pdftext.Extract(filepath.Join(root, "content", filepath.FromSlash(letterPDF)))
	if err != nil {
		return nil, fmt.Errorf("extract the letter's PDF: %w", err)
	}
	return map[string]*pdftext.Document{letterPDF: doc}, nil
}

// merge puts the publications of several sites into one, as if they were
// one content folder.
func merge(sites ...*content.Site) *content.Site {
	out := &content.Site{ByURL: map[string]*content.Publication{}}
	for _, s := range sites {
		out.Publications = append(out.Publications, s.Publications...)
		out.Hash += s.Hash
		for u, p := range s.ByURL {
			out.ByURL[u] = p
		}
	}
	return out
}

// fixture is an index built once per test binary: building is the slow part.
type fixture struct {
	once sync.Once
	idx  *search.Index
	site *content.Site
	pdfs map[string]*pdftext.Document
	err  error
}

func (f *fixture) get(t testing.TB, build func() (*content.Site, map[string]*pdftext.Document, error)) (*search.Index, *content.Site) {
	t.Helper()
	f.once.Do(func() {
		f.site, f.pdfs, f.err = build()
		if f.err == nil {
			f.idx, f.err = search.Build(context.Background(), f.site, f.pdfs, search.Options{})
		}
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.idx, f.site
}

var shipped, corpus fixture

// shippedIndex indexes the content shipped in the repository, with the
// text of its PDF.
func shippedIndex(t testing.TB) (*search.Index, *content.Site) {
	root := repoRoot(t)
	return shipped.get(t, func() (*content.Site, map[string]*pdftext.Document, error) {
		cs, err := loadSite(filepath.Join(root, "content"))
		if err != nil {
			return nil, nil, err
		}
		pdfs, err := shippedPDFs(root)
		return cs, pdfs, err
	})
}

// corpusIndex indexes the go-blog articles of the test corpus together
// with the shipped content and its PDF.
func corpusIndex(t testing.TB) (*search.Index, *content.Site) {
	root, dir := repoRoot(t), corpusDir(t)
	return corpus.get(t, func() (*content.Site, map[string]*pdftext.Document, error) {
		own, err := loadSite(filepath.Join(root, "content"))
		if err != nil {
			return nil, nil, err
		}
		blog, err := loadSite(dir)
		if err != nil {
			return nil, nil, err
		}
		pdfs, err := shippedPDFs(root)
		return merge(own, blog), pdfs, err
	})
}
