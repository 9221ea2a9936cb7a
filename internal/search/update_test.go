package search_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/content"
	"archive/internal/markdown"
	"archive/internal/pdftext"
	"archive/internal/search"
)

// TestUpdate changes one publication of the corpus, removes one and adds
// one, and checks that Update re-indexes just those and answers as a
// fresh build of the new content does.
func TestUpdate(t *testing.T) {
	_, cs := corpusIndex(t)
	pdfs := corpus.pdfs
	ctx := context.Background()
	old, err := search.Build(ctx, cs, pdfs, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()

	var changed, removed *content.Publication
	for _, p := range cs.Publications {
		if p.Section != "go-blog" || len(p.Attachments) > 0 || p.Doc == nil || len(p.Doc.Blocks) == 0 {
			continue
		}
		if changed == nil {
			changed = p
		} else if removed == nil {
			removed = p
		}
	}
	next := &content.Site{ByURL: map[string]*content.Publication{}}
	add := func(p *content.Publication) {
		next.Publications = append(next.Publications, p)
		next.ByURL[p.URL] = p
	}
	for _, p := range cs.Publications {
		switch p {
		case removed:
		case changed:
			c := *p
			c.Title = "Quokka census notes"
			c.Summary = "What the wombat counters found."
			doc := *p.Doc
			doc.Blocks = slices.Clone(doc.Blocks)
			doc.Blocks[0].Text = "The quokka census counted marsupials on the island."
			c.Doc = &doc
			add(&c)
		default:
			add(p)
		}
	}
	added := *changed
	added.Slug, added.URL = "numbat-survey", "/go-blog/numbat-survey/"
	added.Title, added.Summary = "Numbat survey", ""
	added.Doc = &markdown.Document{Blocks: []markdown.Block{{ID: "p-1", Text: "The numbat survey found termites everywhere."}}}
	add(&added)

	before := searchAll(t, old, search.Request{Query: removed.Title})
	if !slices.ContainsFunc(before.Hits, func(h search.Hit) bool { return h.PublicationURL == removed.URL }) {
		t.Fatalf("the title of %s does not find it before the update", removed.URL)
	}
	idx, err := old.Update(ctx, next, pdfs)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if st := idx.Stats(); st.Reindexed != 2 || st.Removed != 1 {
		t.Errorf("stats %+v: want 2 re-indexed, 1 removed", st)
	}

	for _, x := range []*search.Index{idx, old} { // the old one answers from the new
		if got := urls(t, x, search.Request{Query: "quokka census"}); !slices.Equal(got, []string{changed.URL}) {
			t.Errorf("quokka census: %v, want %s", got, changed.URL)
		}
		if got := urls(t, x, search.Request{Query: "numbat termites"}); !slices.Equal(got, []string{added.URL}) {
			t.Errorf("numbat termites: %v, want %s", got, added.URL)
		}
		for _, h := range searchAll(t, x, search.Request{Query: removed.Title}).Hits {
			if h.PublicationURL == removed.URL {
				t.Errorf("removed %s still found", removed.URL)
			}
		}
	}

	fresh, err := search.Build(ctx, next, pdfs, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for _, req := range []search.Request{
		{Query: "interpol"},
		{Query: `"tip of the iceberg"`},
		{Query: "interpol", Source: search.SourcePDF},
		{Query: "gorout*"},
		{Query: "garbage collector", PerPage: 50},
		{Query: "channels OR mutexes"},
		{Query: "generics -proposal", Page: 2},
		{Query: "module proxy"},
		{Query: "release", Sort: search.SortNewest},
		{Section: "letters"},
	} {
		t.Run(req.Values().Encode(), func(t *testing.T) {
			// In the same order too: ties are broken by the content, not by
			// bleve's numbers, which differ between the two.
			want, got := searchAll(t, fresh, req), searchAll(t, idx, req)
			if want.Total == 0 {
				t.Errorf("no hits: the request tests nothing")
			}
			if diff := cmp.Diff(want, got, ignoreTook); diff != "" {
				t.Errorf("updated index (-fresh build +updated):\n%s", diff)
			}
		})
	}
}

func searchAll(t *testing.T, x *search.Index, req search.Request) *search.Result {
	t.Helper()
	res, err := x.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req, err)
	}
	return res
}

// TestUpdateErrors checks what Update refuses, and that closing a
// superseded index leaves the newest alone.
func TestUpdateErrors(t *testing.T) {
	files := map[string]string{"r/a.md": md("A", "2022-01-13", "en", "Apple.")}
	cached, cs := buildSite(t, files, search.Options{CacheDir: t.TempDir()})
	if _, err := cached.Update(context.Background(), cs, nil); err == nil {
		t.Error("Update of an index on disk: no error")
	}

	old, cs := buildSite(t, files, search.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := old.Update(ctx, cs, nil); err == nil {
		t.Error("Update with a cancelled context: no error")
	}
	idx, err := old.Update(context.Background(), cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := idx.Stats(); st.Reindexed != 0 || st.Removed != 0 {
		t.Errorf("nothing changed, stats %+v", st)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if got := urls(t, idx, search.Request{Query: "apple"}); !slices.Equal(got, []string{"/r/a/"}) {
		t.Errorf("after closing the superseded index: %v", got)
	}
}

// raceSite is one of two versions of a site: in the second, ten notes are
// gone, ten say beta instead of alpha, ten are new, and the PDF changed.
func raceSite(t *testing.T, second bool) (*content.Site, map[string]*pdftext.Document, map[string][]string) {
	t.Helper()
	fsys := fstest.MapFS{}
	found := map[string][]string{} // word -> URLs
	note := func(name, word string) {
		fsys["notes/"+name+".md"] = &fstest.MapFile{Data: []byte(md("Note "+name, "2022-01-13", "en",
			fmt.Sprintf("A %s note with common words.\n\nAnother paragraph, %s again.", word, word)))}
		found[word] = append(found[word], "/notes/"+name+"/")
		found["common"] = append(found["common"], "/notes/"+name+"/")
	}
	for i := range 40 {
		switch {
		case i < 10 && second:
		case i < 20 && second:
			note(fmt.Sprintf("p%d", i), "beta")
		default:
			note(fmt.Sprintf("p%d", i), "alpha")
		}
	}
	if second {
		for i := range 10 {
			note(fmt.Sprintf("q%d", i), "beta")
		}
	}
	// Notes neither version changes: with them, "common" is in enough
	// documents to be read into memory, between and during updates.
	for i := range 40 {
		note(fmt.Sprintf("c%d", i), "gamma")
	}
	word := "alpha"
	if second {
		word = "beta"
	}
	fsys["docs/report/index.md"] = &fstest.MapFile{Data: []byte(md("Report", "2022-02-01", "en", "See the file."))}
	fsys["docs/report/report.pdf"] = &fstest.MapFile{Data: []byte("%PDF-1.4 " + word)}
	found[word] = append(found[word], "/docs/report/")
	pdfs := map[string]*pdftext.Document{"docs/report/report.pdf": {Pages: []pdftext.Page{{Number: 1, Text: "The " + word + " page of the report."}}}}
	cs, problems, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := problems.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return cs, pdfs, found
}

// TestUpdateWhileSearching searches the first index while Update changes
// the bleve index under it, back and forth: every hit must be one of
// either version, with its word marked (a hit mapped to the wrong entry
// would show another text). Run with -race.
func TestUpdateWhileSearching(t *testing.T) {
	a, apdfs, afound := raceSite(t, false)
	b, bpdfs, bfound := raceSite(t, true)
	allowed := map[string]map[string]bool{}
	for _, found := range []map[string][]string{afound, bfound} {
		for w, us := range found {
			if allowed[w] == nil {
				allowed[w] = map[string]bool{}
			}
			for _, u := range us {
				allowed[w][u] = true
			}
		}
	}
	first, err := search.Build(context.Background(), a, apdfs, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	searches := 0
	for g := range 4 {
		wg.Go(func() {
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				word := []string{"alpha", "beta", "common"}[i%3]
				q := word
				if i%2 == 0 {
					q = word[:4] + "*"
				}
				res, err := first.Search(context.Background(), search.Request{Query: q, PerPage: search.MaxPerPage})
				if err != nil {
					t.Errorf("Search(%q): %v", q, err)
					return
				}
				for _, h := range res.Hits {
					if !allowed[word][h.PublicationURL] || !strings.Contains(string(h.Snippet), "<mark>"+word+"</mark>") {
						t.Errorf("Search(%q): hit %s (%s) is in neither version: %s", q, h.URL, h.Source, h.Snippet)
					}
				}
				mu.Lock()
				searches++
				mu.Unlock()
			}
		})
	}
	idx := first
	for i := range 8 {
		cs, pdfs := b, bpdfs
		if i%2 == 1 {
			cs, pdfs = a, apdfs
		}
		if idx, err = idx.Update(context.Background(), cs, pdfs); err != nil {
			t.Fatal(err)
		}
		// Either way 10 notes changed, 10 are new and 10 gone, and the PDF
		// page is new and the old one gone: the file changed, and with it
		// the page's ID.
		if st := idx.Stats(); st.Reindexed != 21 || st.Removed != 11 {
			t.Errorf("update %d: stats %+v, want 21 re-indexed, 11 removed", i, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if searches == 0 {
		t.Error("no search ran")
	}
	if got, want := urls(t, first, search.Request{Query: "common", PerPage: search.MaxPerPage}), urls(t, idx, search.Request{Query: "common", PerPage: search.MaxPerPage}); !slices.Equal(got, want) {
		t.Errorf("the first index finds %v, the newest %v", got, want)
	}
	idx.Close()
}

// TestUpdatedIndexFreed checks that generations of an index nobody holds
// any more are closed, and that only the newest closes their bleve index.
func TestUpdatedIndexFreed(t *testing.T) {
	a, apdfs, _ := raceSite(t, false)
	b, bpdfs, _ := raceSite(t, true)
	runtime.GC()
	before := runtime.NumGoroutine()
	func() {
		idx, err := search.Build(context.Background(), a, apdfs, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		newest, err := idx.Update(context.Background(), b, bpdfs)
		if err != nil {
			t.Fatal(err)
		}
		idx = nil
		runtime.GC()
		runtime.GC()
		// The first generation may be gone: the bleve index must not be.
		if _, err := newest.Search(context.Background(), search.Request{Query: "beta"}); err != nil {
			t.Fatalf("newest index after the old one was collected: %v", err)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after dropping an updated index, %d before", n, before)
	}
}
