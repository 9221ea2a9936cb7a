package search_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
	"archive/internal/testcorpus"
)

// repoRoot and corpusDir are the package's own (export_test.go), which
// its internal tests use too.
var repoRoot, corpusDir = search.RepoRoot, search.CorpusDir

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
	opts search.Options
}

func (f *fixture) get(t testing.TB, build func() (*content.Site, map[string]*pdftext.Document, error)) (*search.Index, *content.Site) {
	t.Helper()
	f.once.Do(func() {
		f.site, f.pdfs, f.err = build()
		if f.err == nil {
			f.idx, f.err = search.Build(context.Background(), f.site, f.pdfs, f.opts)
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

// benchSize is the number of publications the benchmarks index, from
// ARCHIVE_BENCH_N: 0 (unset) for the go-blog corpus as it is (corpusIndex),
// or n for the Go blog's articles copied into n publications, as cmd/bench
// makes its corpus (scaledSite). The targets are set at 10,000. With
// ARCHIVE_BENCH_DISK set, that index is built on disk rather than in memory.
func benchSize(t testing.TB) int {
	s := os.Getenv("ARCHIVE_BENCH_N")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("ARCHIVE_BENCH_N=%q: want a number of publications", s)
	}
	return n
}

var scaled fixture

// benchIndex is the index the benchmarks search: corpusIndex, or at
// ARCHIVE_BENCH_N publications scaledSite beside the shipped content.
func benchIndex(t testing.TB) (*search.Index, *content.Site, map[string]*pdftext.Document) {
	n := benchSize(t)
	if n == 0 {
		idx, cs := corpusIndex(t)
		return idx, cs, corpus.pdfs
	}
	root, dir := repoRoot(t), corpusDir(t)
	if os.Getenv("ARCHIVE_BENCH_DISK") != "" && scaled.opts.CacheDir == "" {
		// On disk, as archive serve -cache and serve -from have it: bleve
		// merges the segments there, never in memory.
		tmp, err := os.MkdirTemp("", "search-bench-")
		if err != nil {
			t.Fatal(err)
		}
		scaled.opts.CacheDir = tmp
	}
	idx, cs := scaled.get(t, func() (*content.Site, map[string]*pdftext.Document, error) {
		own, err := loadSite(filepath.Join(root, "content"))
		if err != nil {
			return nil, nil, err
		}
		pdfs, err := shippedPDFs(root)
		if err != nil {
			return nil, nil, err
		}
		big, bigPDFs, err := scaledSite(dir, n)
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(pdfs, bigPDFs)
		return merge(own, big), pdfs, nil
	})
	return idx, cs, scaled.pdfs
}

// scaledSite is the corpus of cmd/bench (its writeCorpus) made in memory:
// n publications, the go-blog articles sorted by slug and copied into
// sections blog-01, blog-02, …, one in ten with a text-bearing PDF of
// ../pdf attached, in turn. The copies share their parsed documents.
func scaledSite(markdownDir string, n int) (*content.Site, map[string]*pdftext.Document, error) {
	blog, err := loadSite(markdownDir)
	if err != nil {
		return nil, nil, err
	}
	var pubs []*content.Publication
	for _, p := range blog.Publications {
		if p.Section == "go-blog" {
			pubs = append(pubs, p)
		}
	}
	slices.SortFunc(pubs, func(a, b *content.Publication) int { return strings.Compare(a.Slug, b.Slug) })
	pdfDir := filepath.Join(filepath.Dir(markdownDir), "pdf")
	files, err := testcorpus.TextPDFs(pdfDir)
	if err != nil {
		return nil, nil, err
	}
	type extracted struct {
		doc *pdftext.Document
		sum string
	}
	byFile := map[string]extracted{}
	out := &content.Site{ByURL: map[string]*content.Publication{}, Hash: fmt.Sprintf("scaled %d %s", n, blog.Hash)}
	pdfs := map[string]*pdftext.Document{}
	attached := 0
	for i := range n {
		c := *pubs[i%len(pubs)]
		c.Section = fmt.Sprintf("blog-%02d", i/len(pubs)+1)
		c.URL = "/" + c.Section + "/" + c.Slug + "/"
		c.Attachments, c.Related, c.Aliases = nil, nil, nil
		if i%10 == 0 {
			name := files[attached%len(files)]
			attached++
			x, ok := byFile[name]
			if !ok {
				b, err := os.ReadFile(filepath.Join(pdfDir, name))
				if err != nil {
					return nil, nil, err
				}
				if x.doc, err = pdftext.Extract(filepath.Join(pdfDir, name)); err != nil {
					return nil, nil, fmt.Errorf("%s: %w", name, err)
				}
				sum := sha256.Sum256(b)
				x.sum = hex.EncodeToString(sum[:])
				byFile[name] = x
			}
			a := &content.Attachment{Name: name, Title: name, Path: c.Section + "/" + c.Slug + "/" + name, URL: c.URL + name, SHA256: x.sum}
			c.Attachments = []*content.Attachment{a}
			pdfs[a.Path] = x.doc
		}
		out.Publications = append(out.Publications, &c)
		out.ByURL[c.URL] = &c
	}
	return out, pdfs, nil
}
