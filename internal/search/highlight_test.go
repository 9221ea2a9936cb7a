package search_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"archive/internal/content"
	"archive/internal/search"
	"archive/internal/site"
)

// TestHighlightFollowsSearch: every paragraph passage of every hit of
// every relevance query, followed to the page it links to, has a mark in
// the paragraph it names. The passage's own link is followed: its hl
// parameter, its #anchor, and the page as the site renders it.
func TestHighlightFollowsSearch(t *testing.T) {
	root := repoRoot(t)
	idx, _ := corpusIndex(t)
	pages := renderedPages(t, filepath.Join(root, "content"), corpusDir(t))
	followed := 0
	for _, tt := range relevanceQueries {
		t.Run(tt.query, func(t *testing.T) {
			followed += checkHitsMarked(t, idx, pages, tt.query)
		})
	}
	t.Logf("%d passages followed to their paragraph", followed)
	if followed < len(relevanceQueries) {
		t.Errorf("only %d passages named a paragraph", followed)
	}
}

// TestHighlightFoldsAsSearch: words that search folds or stems (Ł, ß, a
// language tag with a region) are found by search and marked on the page.
func TestHighlightFoldsAsSearch(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"letters/lodz.md":   md("From the city", "2022-01-13", "pl", "List napisany w Łódź, w styczniu."),
		"reports/berlin.md": md("Addresses", "2022-01-13", "de", "Das Büro in der Königstraße wurde geschlossen."),
		"notes/notice.md":   md("Served", "2022-01-13", "en_US", "Notices were served on the signatories."),
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := loadSite(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Build(context.Background(), cs, nil, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	pages := renderedPages(t, dir)
	for _, tt := range []struct{ query, want string }{
		{"lodz", "/letters/lodz/"},
		{"konigstrasse", "/reports/berlin/"},
		{"notice", "/notes/notice/"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			if n := checkHitsMarked(t, idx, pages, tt.query); n == 0 {
				t.Errorf("no page hit for %q (want %s)", tt.query, tt.want)
			}
		})
	}
}

// checkHitsMarked follows the passages of query's hits that name a
// paragraph and checks that the paragraph has a mark. It returns how many
// it followed.
func checkHitsMarked(t *testing.T, idx *search.Index, pages map[string]*site.Page, query string) int {
	t.Helper()
	res, err := idx.Search(context.Background(), search.Request{Query: query, PerPage: search.MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range res.Hits {
		// The passages of a hit are on one page, with one hl: it is
		// highlighted once.
		var marked string
		for _, p := range h.Passages {
			if p.Source != search.SourcePage || p.Anchor == "" {
				continue
			}
			u, err := url.Parse(p.URL)
			if err != nil {
				t.Fatalf("passage URL %q: %v", p.URL, err)
			}
			if marked == "" {
				page := pages[u.Path]
				if page == nil {
					t.Fatalf("passage %s: no such page", p.URL)
				}
				body := string(page.Body)
				start, end := strings.Index(body, site.TextStart), strings.LastIndex(body, site.TextEnd)
				if start < 0 || end < start {
					t.Fatalf("%s has no text markers", u.Path)
				}
				hl, ok := idx.Highlight(body[start+len(site.TextStart):end], u.Query().Get("hl"), h.Lang)
				if !ok {
					t.Errorf("passage %s: hl has nothing to mark", p.URL)
					break
				}
				marked = hl.HTML
			}
			para, found := element(marked, p.Anchor)
			if !found {
				t.Errorf("passage %s: no element with id %q on the page", p.URL, p.Anchor)
				continue
			}
			if !strings.Contains(para, "<mark") {
				t.Errorf("passage %s: the paragraph has no mark (snippet %s):\n%s", p.URL, p.Snippet, para)
			}
			n++
		}
	}
	return n
}

// renderedPages renders the content folders as the server does and
// returns their pages by URL.
func renderedPages(t *testing.T, dirs ...string) map[string]*site.Page {
	t.Helper()
	root := repoRoot(t)
	tmpl, err := site.ParseTemplates(os.DirFS(filepath.Join(root, "templates")))
	if err != nil {
		t.Fatal(err)
	}
	assets, err := site.LoadAssets(os.DirFS(filepath.Join(root, "static")))
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]*site.Page{}
	for _, dir := range dirs {
		var cs *content.Site
		if cs, err = loadSite(dir); err != nil {
			t.Fatal(err)
		}
		s, err := site.Build(cs, tmpl, assets, nil)
		if err != nil {
			t.Fatal(err)
		}
		for u, p := range s.Pages {
			pages[u] = p
		}
	}
	return pages
}

// element returns the element of src with the given id, from its start tag
// to its end tag.
func element(src, id string) (string, bool) {
	at := strings.Index(src, ` id="`+id+`"`)
	if at < 0 {
		return "", false
	}
	start := strings.LastIndexByte(src[:at], '<')
	name := src[start+1 : at]
	if i := strings.IndexByte(name, ' '); i >= 0 {
		name = name[:i]
	}
	depth := 0
	for i := start; i < len(src); {
		next := strings.Index(src[i:], "<"+name)
		closing := strings.Index(src[i:], "</"+name+">")
		if closing < 0 {
			return src[start:], true
		}
		if next >= 0 && next < closing {
			if after := i + next + 1 + len(name); after < len(src) && (src[after] == ' ' || src[after] == '>') {
				depth++
			}
			i += next + 1
			continue
		}
		depth--
		i += closing + len("</"+name+">")
		if depth == 0 {
			return src[start:i], true
		}
	}
	return src[start:], true
}
