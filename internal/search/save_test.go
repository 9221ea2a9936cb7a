package search_test

import (
	"context"
	"encoding/gob"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
)

// metadataOnly copies the publications of cs without their bodies, as
// archive serve -from loads them.
func metadataOnly(cs *content.Site) *content.Site {
	out := &content.Site{ByURL: map[string]*content.Publication{}, Hash: cs.Hash}
	for _, p := range cs.Publications {
		c := *p
		c.Doc, c.Body = nil, nil
		out.Publications = append(out.Publications, &c)
		out.ByURL[c.URL] = &c
	}
	return out
}

// sharedPDFSite is two publications with the same PDF attached.
func sharedPDFSite(t *testing.T) (*content.Site, map[string]*pdftext.Document) {
	t.Helper()
	cs := loadFiles(t, map[string]string{
		"reports/shared-a/index.md": md("Shared A", "2021-05-01", "en", "First of two with the treaty report."),
		"reports/shared-a/r.pdf":    "%PDF-1.4 same bytes",
		"letters/shared-b/index.md": md("Shared B", "2022-05-01", "en", "Second of two."),
		"letters/shared-b/copy.pdf": "%PDF-1.4 same bytes",
	})
	doc := &pdftext.Document{Pages: []pdftext.Page{
		{Number: 1, Text: "A cover page."},
		{Number: 2, Text: "The shared report\nnames the extradition treaty\nand the Interpol notices."},
		{Number: 3, NoText: true},
	}}
	return cs, map[string]*pdftext.Document{"reports/shared-a/r.pdf": doc, "letters/shared-b/copy.pdf": doc}
}

var ignoreTook = cmpopts.IgnoreFields(search.Result{}, "Took")

// TestSaveOpen checks that an index saved and opened from content
// metadata alone answers as the built one does, snippets and links to
// paragraphs included.
func TestSaveOpen(t *testing.T) {
	root, dir := repoRoot(t), corpusDir(t)
	own, err := loadSite(filepath.Join(root, "content"))
	if err != nil {
		t.Fatal(err)
	}
	blog, err := loadSite(dir)
	if err != nil {
		t.Fatal(err)
	}
	shared, pdfs := sharedPDFSite(t)
	letter, err := shippedPDFs(root)
	if err != nil {
		t.Fatal(err)
	}
	pdfs[letterPDF] = letter[letterPDF]
	cs := merge(own, blog, shared)

	tmp := t.TempDir()
	built, err := search.Build(context.Background(), cs, pdfs, search.Options{CacheDir: filepath.Join(tmp, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	saved := filepath.Join(tmp, "build", "search")
	if err := built.Save(saved); err != nil {
		t.Fatal(err)
	}
	opened, err := search.Open(saved, metadataOnly(cs), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()

	bs, ost := built.Stats(), opened.Stats()
	if bs.Publications != ost.Publications || bs.PDFPages != ost.PDFPages || bs.PDFPageHits != ost.PDFPageHits || bs.Dir != ost.Dir {
		t.Errorf("stats: built %+v, opened %+v", bs, ost)
	}
	if bs.PDFPages < 3 || bs.PDFPageHits <= bs.PDFPages {
		t.Fatalf("stats %+v: the test needs PDF pages, one of them attached twice", bs)
	}

	for _, req := range []search.Request{
		{Query: "interpol"},
		{Query: `"tip of the iceberg"`},
		{Query: `"extradition treaty"`},
		{Query: "gorout*"},
		{Query: "channels OR mutexes"},
		{Query: "generics -proposal"},
		{Query: "interpol", Source: search.SourcePDF},
		{Query: "police", Tag: "red-notices"},
		{Query: "release", Section: "go-blog", Sort: search.SortNewest},
		{Query: "garbage collector", Sort: search.SortOldest, PerPage: 50},
		{Query: "compiler", Year: 2019},
		{Query: "go", Page: 3},
		{Query: "go", From: time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2020, 6, 30, 0, 0, 0, 0, time.UTC)},
		{Query: "jurgen stock"},
		{Query: "中国"},
		{Query: "shared"},    // titles and opening snippets
		{Section: "letters"}, // filters alone
		{Query: "interpol", Within: "/letters/open-letter-to-interpol/"},
	} {
		t.Run(req.Values().Encode(), func(t *testing.T) {
			want, err := built.Search(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := opened.Search(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if want.Total == 0 {
				t.Errorf("no hits: the request tests nothing")
			}
			if diff := cmp.Diff(want, got, ignoreTook); diff != "" {
				t.Errorf("opened index (-built +opened):\n%s", diff)
			}
		})
	}
	// What is read from the saved texts: the words of a suggestion, and
	// the text of a PDF page.
	want, err := built.Search(context.Background(), search.Request{Query: "extradtion"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := opened.Search(context.Background(), search.Request{Query: "extradtion"})
	if err != nil || want.Suggestion == "" || got.Suggestion != want.Suggestion {
		t.Errorf("suggestion: built %q, opened %q (%v)", want.Suggestion, got.Suggestion, err)
	}
	for _, n := range []int{1, 2, 3} {
		wp, wok, werr := built.PDFPage("/"+letterPDF, n)
		gp, gok, gerr := opened.PDFPage("/"+letterPDF, n)
		if werr != nil || gerr != nil || wok != gok || wp.Text != gp.Text || wp.Prev != gp.Prev || wp.Next != gp.Next || (wok && wp.Text == "") {
			t.Errorf("PDF page %d: built %t %v, opened %t %v, or texts differ", n, wok, werr, gok, gerr)
		}
	}
}

// TestSaveOpenErrors checks that Save refuses an index in memory, that a
// saved folder moved with its cache still opens, and that a damaged
// folder or content that does not match gives an error that says so.
func TestSaveOpenErrors(t *testing.T) {
	files := map[string]string{
		"r/a/index.md": md("A", "2022-01-13", "en", "Apple and banana."),
		"r/a/doc.pdf":  "%PDF-1.4",
		"r/b.md":       md("B", "2022-01-14", "en", "Banana and cherry."),
	}
	pdfs := map[string]*pdftext.Document{"r/a/doc.pdf": {Pages: []pdftext.Page{{Number: 1, Text: "A page about bananas."}}}}
	mem, _ := buildSitePDF(t, files, pdfs, search.Options{})
	if err := mem.Save(t.TempDir()); err == nil {
		t.Errorf("Save of an index in memory: no error")
	}

	first := t.TempDir()
	idx, cs := buildSitePDF(t, files, pdfs, search.Options{CacheDir: filepath.Join(first, "cache")})
	if err := idx.Save(filepath.Join(first, "out")); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	// A build folder moves as a whole.
	root := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(first, root); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(root, "out")
	moved, err := search.Open(saved, metadataOnly(cs), search.Options{})
	if err != nil {
		t.Fatalf("Open after moving the folder: %v", err)
	}
	if got := urls(t, moved, search.Request{Query: "banana"}); !cmp.Equal(got, []string{"/r/a/", "/r/b/"}) { // A's page and PDF page are one hit
		t.Errorf("moved index finds %v", got)
	}
	moved.Close()

	table := filepath.Join(saved, "search-table.gob")
	texts := filepath.Join(saved, "search-texts")
	tests := []struct {
		name   string
		damage func(t *testing.T) *content.Site // returns the content to open with
		want   string                           // in the error
	}{
		{"no table", func(t *testing.T) *content.Site { remove(t, table); return cs }, "search-table.gob"},
		{"no texts", func(t *testing.T) *content.Site { remove(t, texts); return cs }, "search-texts"},
		{"texts cut short", func(t *testing.T) *content.Site { truncate(t, texts, 10); return cs }, "search-texts"},
		{"table cut short", func(t *testing.T) *content.Site { truncate(t, table, 200); return cs }, "search-table.gob"},
		{"table of garbage", func(t *testing.T) *content.Site { write(t, table, []byte("not a gob at all")); return cs }, "search-table.gob"},
		{"table of another version", func(t *testing.T) *content.Site {
			f, err := os.Create(table)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := gob.NewEncoder(f).Encode(struct{ Version int }{99}); err != nil {
				t.Fatal(err)
			}
			return cs
		}, "format 99"},
		{"no bleve index", func(t *testing.T) *content.Site {
			if err := os.RemoveAll(filepath.Join(root, "cache")); err != nil {
				t.Fatal(err)
			}
			return cs
		}, "cache"},
		{"publication gone", func(t *testing.T) *content.Site {
			c := metadataOnly(cs)
			delete(c.ByURL, "/r/b/")
			return c
		}, "/r/b/"},
		{"attachment gone", func(t *testing.T) *content.Site {
			c := metadataOnly(cs)
			c.ByURL["/r/a/"].Attachments = nil
			return c
		}, "r/a/doc.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backup := t.TempDir()
			if err := os.CopyFS(backup, os.DirFS(root)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := os.RemoveAll(root); err != nil {
					t.Fatal(err)
				}
				if err := os.CopyFS(root, os.DirFS(backup)); err != nil {
					t.Fatal(err)
				}
			})
			idx, err := search.Open(saved, tt.damage(t), search.Options{})
			if err == nil {
				idx.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}

	// A table damaged in ways gob still decodes gives an error or an index
	// that searches without a panic.
	good, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	defer write(t, table, good)
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		bad := slices.Clone(good)
		for range 1 + rnd.IntN(3) {
			bad[rnd.IntN(len(bad))] = byte(rnd.IntN(256))
		}
		write(t, table, bad)
		idx, err := search.Open(saved, cs, search.Options{})
		if err != nil {
			continue
		}
		for _, q := range []string{"banana", "apple", "page", `"and cherry"`} {
			idx.Search(context.Background(), search.Request{Query: q})
		}
		idx.Close()
	}
}

func remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, name string, size int64) {
	t.Helper()
	if err := os.Truncate(name, size); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
