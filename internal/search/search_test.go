package search_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// buildSite indexes a small site written inline, one Markdown file per
// entry of files (front matter is added: title = the file's base name).
func buildSite(t *testing.T, files map[string]string, opts search.Options) (*search.Index, *content.Site) {
	t.Helper()
	return buildSitePDF(t, files, nil, opts)
}

// buildSitePDF is buildSite with the text of the site's PDFs.
func buildSitePDF(t *testing.T, files map[string]string, pdfs map[string]*pdftext.Document, opts search.Options) (*search.Index, *content.Site) {
	t.Helper()
	cs := loadFiles(t, files)
	idx, err := search.Build(context.Background(), cs, pdfs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx, cs
}

// loadFiles loads a site written inline, a file per entry of files.
func loadFiles(t *testing.T, files map[string]string) *content.Site {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body), ModTime: time.Unix(1e9, 0)}
	}
	cs, problems, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := problems.Errors(); len(errs) > 0 {
		t.Fatalf("test site has errors: %v", errs)
	}
	return cs
}

func md(title, date, lang, body string) string {
	return fmt.Sprintf("---\ntitle: %q\ndate: %s\nlang: %s\n---\n%s\n", title, date, lang, body)
}

func urls(t *testing.T, idx *search.Index, req search.Request) []string {
	t.Helper()
	res, err := idx.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req, err)
	}
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.PublicationURL)
	}
	slices.Sort(out)
	return out
}

// TestOpenLetterQuote is the acceptance test: a sentence of the open
// letter in quotes finds the letter first, linked to the paragraph holding
// it, with the page of the letter's PDF (really extracted) as another
// passage of the same hit, and the investigation that reprints the letter
// as the other hit.
func TestOpenLetterQuote(t *testing.T) {
	idx, cs := shippedIndex(t)
	const sentence = "We are likely the tip of the iceberg, as tens upon tens of thousands have fled Hong Kong"
	res, err := idx.Search(context.Background(), search.Request{Query: `"` + sentence + `"`})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 {
		t.Fatal("no hits")
	}
	letter := cs.ByURL["/letters/open-letter-to-interpol/"]
	var block string
	for _, b := range letter.Doc.Blocks {
		if strings.Contains(b.Text, sentence) {
			block = b.ID
		}
	}
	first := res.Hits[0]
	if first.PublicationURL != letter.URL || first.Source != search.SourcePage {
		t.Fatalf("first hit = %s (%s), want the letter's page", first.URL, first.Source)
	}
	if first.Anchor != block || !strings.HasPrefix(first.URL, letter.URL+"?hl=") || !strings.HasSuffix(first.URL, "#"+block) {
		t.Errorf("first hit links to %s (anchor %q), want the paragraph %s with a text fragment", first.URL, first.Anchor, block)
	}
	if want := "<mark>" + sentence + "</mark>"; !strings.Contains(string(first.Snippet), want) {
		t.Errorf("snippet %s\ndoes not mark the phrase %s", first.Snippet, want)
	}

	doc, err := pdftext.Extract(filepath.Join(repoRoot(t), "content", filepath.FromSlash(letterPDF)))
	if err != nil {
		t.Fatal(err)
	}
	page := 0
	for _, p := range doc.Pages {
		if strings.Contains(strings.Join(strings.Fields(p.Text), " "), sentence) {
			page = p.Number
		}
	}
	if page == 0 {
		t.Fatalf("the sentence is on no page of the extracted PDF")
	}
	if res.Total != 2 || len(res.Hits) != 2 || res.Hits[1].PublicationURL != "/investigations/pursued-for-life/" {
		t.Errorf("total %d, hits %d: want the letter and the investigation, once each", res.Total, len(res.Hits))
	}
	if len(first.Passages) != 2 || first.Passages[0] != first.Passage {
		t.Fatalf("the letter's passages %+v: want its paragraph first, then its PDF page", first.Passages)
	}
	pdf := first.Passages[1]
	want := "/" + letterPDF + fmt.Sprintf("#page=%d", page)
	wantText := "/" + letterPDF + fmt.Sprintf("/page/%d/?hl=", page)
	if pdf.Source != search.SourcePDF || pdf.URL != want || pdf.Page != page || pdf.File != "open-letter-to-interpol.pdf" || !strings.HasPrefix(pdf.TextURL, wantText) {
		t.Errorf("PDF passage = %+v, want %s, page %d, as text at %s…", pdf, want, page, wantText)
	}
	if !strings.Contains(string(pdf.Snippet), "<mark>"+sentence+"</mark>") {
		t.Errorf("PDF snippet %s does not mark the phrase", pdf.Snippet)
	}
}

// TestQuerySemantics checks what each construct of the query language
// matches, on a site small enough to know every answer.
func TestQuerySemantics(t *testing.T) {
	idx, _ := buildSite(t, map[string]string{
		"fruit/a.md": md("A", "2020-01-01", "en", "Apple and banana."),
		"fruit/b.md": md("B", "2021-01-01", "en", "Apple and cherry."),
		"fruit/c.md": md("C", "2022-01-01", "en", "Banana cherry."),
		"fruit/d.md": md("D", "2022-06-01", "en", "The investigation of the investigators."),
		"fruit/e.md": md("E", "2022-07-01", "en", "To be or not to be, that is the question."),
		"fruit/f.md": md("F", "2022-08-01", "en", "To be or to be not.\n\nNot to be outdone."),
		"fruit/g.md": "---\ntitle: G\ndate: 2022-09-01\ntags: [orchard-report]\nauthors: [Jane Quince]\n---\nPlums.\n",
	}, search.Options{})
	a, b, c, d, e, f, g := "/fruit/a/", "/fruit/b/", "/fruit/c/", "/fruit/d/", "/fruit/e/", "/fruit/f/", "/fruit/g/"
	tests := []struct {
		query string
		want  []string
	}{
		{"apple", []string{a, b}},
		{"APPLE", []string{a, b}},
		{"apples", []string{a, b}}, // stemmed
		{"apple banana", []string{a}},
		{"apple -banana", []string{b}},
		{`apple -"and banana"`, []string{b}},
		{"apple OR cherry", []string{a, b, c}},
		{"banana apple OR cherry", []string{a, c}},
		{`"banana cherry"`, []string{c}},
		{`"cherry banana"`, []string{}},
		{`"and banana"`, []string{a}},
		{"app*", []string{a, b}},
		{"investigat*", []string{d}}, // the index holds "investig"
		{"investigators", []string{d}},
		{"durian", []string{}},
		{"— …", []string{}}, // punctuation alone asks for nothing
		{"apple —", []string{a, b}},
		{"title:apple", []string{}},   // no field syntax: one word that no text holds
		{"orchard", []string{g}},      // a tag's words
		{"quince plums", []string{g}}, // an author and the body
		{`"to be or not to be"`, []string{e}},
		{`"be or not"`, []string{e}},
		{`"not to be"`, []string{e, f}},
		{`"to be not"`, []string{f}},
		{`"to be" -"not to be"`, []string{}},
		{`"to be" -"or not"`, []string{f}},
		{`"question to"`, []string{}},
		{`"be not not"`, []string{}}, // across two paragraphs: no phrase
		{`"the question"`, []string{e}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := urls(t, idx, search.Request{Query: tt.query})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Search(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

// TestPhrasesAgainstBruteForce compares phrase searches with a plain scan
// of the words, over random texts of few distinct words, where every
// phrase has near misses.
func TestPhrasesAgainstBruteForce(t *testing.T) {
	vocab := []string{"ka", "lo", "mi", "nu", "po"}
	rnd := rand.New(rand.NewPCG(1, 2))
	files := map[string]string{}
	texts := map[string][]string{}
	for i := range 80 {
		words := make([]string, 5+rnd.IntN(40))
		for j := range words {
			words[j] = vocab[rnd.IntN(len(vocab))]
		}
		name := fmt.Sprintf("r/d%d.md", i)
		files[name] = md(fmt.Sprintf("D%d", i), "2022-01-13", "en", strings.Join(words, " "))
		texts[fmt.Sprintf("/r/d%d/", i)] = words
	}
	idx, _ := buildSite(t, files, search.Options{})
	for range 300 {
		phrase := make([]string, 2+rnd.IntN(4))
		for j := range phrase {
			phrase[j] = vocab[rnd.IntN(len(vocab))]
		}
		want := []string{}
		for url, words := range texts {
			if strings.Contains(" "+strings.Join(words, " ")+" ", " "+strings.Join(phrase, " ")+" ") {
				want = append(want, url)
			}
		}
		slices.Sort(want)
		q := `"` + strings.Join(phrase, " ") + `"`
		if diff := cmp.Diff(want, urls(t, idx, search.Request{Query: q, PerPage: search.MaxPerPage, Page: 1})); diff != "" && len(want) <= search.MaxPerPage {
			t.Errorf("Search(%s) (-want +got):\n%s", q, diff)
		}
		res, err := idx.Search(context.Background(), search.Request{Query: q})
		if err != nil || res.Total != len(want) {
			t.Errorf("Search(%s): total %d, want %d (%v)", q, res.Total, len(want), err)
		}
	}
}

// TestLanguages checks the analysers: bigrams and single characters for
// Chinese, accents folded for every language, no English stemming of
// other languages.
func TestLanguages(t *testing.T) {
	idx, _ := buildSite(t, map[string]string{
		"zh/hk.md": md("香港", "2022-01-13", "zh-Hant", "香港國家安全法實施後，許多人離開了香港。"),
		"ja/t.md":  md("東京", "2022-01-13", "ja", "東京都の天気は晴れです。"),
		"de/b.md":  md("Bericht", "2022-01-13", "de", "Die Überwachung der Bürger in Straßburg."),
		"en/j.md":  md("Letter", "2022-01-13", "en", "Secretary-General Jürgen Stock and Hong Kong’s police."),
	}, search.Options{})
	tests := []struct {
		query string
		want  []string
	}{
		{"國家安全法", []string{"/zh/hk/"}},
		{"港", []string{"/zh/hk/"}},
		{"安全", []string{"/zh/hk/"}},
		{"國安", []string{}}, // not two characters in a row in the text
		{`"離開了香港"`, []string{"/zh/hk/"}},
		{"天気", []string{"/ja/t/"}},
		{"uberwachung", []string{"/de/b/"}},
		{"ÜBERWACHUNG", []string{"/de/b/"}},
		{"burger", []string{"/de/b/"}},
		{"strassburg", []string{"/de/b/"}},
		{"jurgen", []string{"/en/j/"}},
		{"JÜRGEN stock", []string{"/en/j/"}},
		{"hong kong's", []string{"/en/j/"}},
		{`"Hong Kong's police"`, []string{"/en/j/"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, urls(t, idx, search.Request{Query: tt.query})); diff != "" {
				t.Errorf("Search(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
	res, err := idx.Search(context.Background(), search.Request{Query: "國家安全法"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %v, %+v", err, res)
	}
	if s := string(res.Hits[0].Snippet); !strings.Contains(s, "<mark>國家安全法</mark>") {
		t.Errorf("snippet %s does not mark 國家安全法 as one", s)
	}
}

// TestSharedPDF checks that a file attached to two publications is a hit
// of each, with each one's link and filters, though it is indexed once.
func TestSharedPDF(t *testing.T) {
	doc := &pdftext.Document{Pages: []pdftext.Page{
		{Number: 1, Text: "A cover page."},
		{Number: 2, Text: "The shared report\nnames the extradition treaty."},
		{Number: 3, NoText: true},
	}}
	idx, _ := buildSitePDF(t, map[string]string{
		"reports/a/index.md": md("A", "2021-05-01", "en", "First."),
		"reports/a/r.pdf":    "%PDF-1.4 same bytes",
		"letters/b/index.md": md("B", "2022-05-01", "en", "Second."),
		"letters/b/copy.pdf": "%PDF-1.4 same bytes",
	}, map[string]*pdftext.Document{"reports/a/r.pdf": doc, "letters/b/copy.pdf": doc}, search.Options{})
	if st := idx.Stats(); st.PDFPages != 2 || st.PDFPageHits != 4 {
		t.Errorf("stats %+v: want 2 pages indexed, 4 page hits", st)
	}
	res, err := idx.Search(context.Background(), search.Request{Query: `"extradition treaty"`})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.URL)
		if !strings.Contains(string(h.Snippet), "<mark>extradition treaty</mark>") || !strings.HasPrefix(h.TextURL, strings.TrimSuffix(h.URL, "#page=2")+"/page/2/?hl=") {
			t.Errorf("%s: snippet %s, text at %s", h.URL, h.Snippet, h.TextURL)
		}
	}
	slices.Sort(got)
	want := []string{"/letters/b/copy.pdf#page=2", "/reports/a/r.pdf#page=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if got := urls(t, idx, search.Request{Query: "extradition", Section: "letters"}); !slices.Equal(got, []string{"/letters/b/"}) {
		t.Errorf("filtered to letters: %v", got)
	}
	if got := urls(t, idx, search.Request{Query: "extradition", Year: 2021}); !slices.Equal(got, []string{"/reports/a/"}) {
		t.Errorf("filtered to 2021: %v", got)
	}
}

// TestSnippetEscaping checks that only the marks are markup.
func TestSnippetEscaping(t *testing.T) {
	idx, _ := buildSite(t, map[string]string{
		// Markup written as text (code spans): raw HTML
		// itself is sanitized by package markdown before it is text.
		"r/x.md": md("X", "2022-01-13", "en", "Write `<b>bold</b>` & `<script>alert(1)</script>` with the secret word \"here\"."),
	}, search.Options{})
	res, err := idx.Search(context.Background(), search.Request{Query: "secret"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %v, %+v", err, res)
	}
	got := string(res.Hits[0].Snippet)
	want := "Write &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; with the <mark>secret</mark> word “here”."
	if got != want {
		t.Errorf("snippet\n got %s\nwant %s", got, want)
	}
}

// TestFootnotes checks that the words of a footnote (where reports give
// their sources) are found, with a link to the footnote.
func TestFootnotes(t *testing.T) {
	idx, _ := buildSite(t, map[string]string{
		"r/x.md": md("X", "2022-01-13", "en", "The claim stands.[^1]\n\n[^1]: Court ruling of the Lisbon tribunal, case 41/2019."),
	}, search.Options{})
	res, err := idx.Search(context.Background(), search.Request{Query: `"Lisbon tribunal"`})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %v, %+v", err, res)
	}
	if h := res.Hits[0]; !strings.Contains(h.URL, "#fn:1") || !strings.Contains(string(h.Snippet), "<mark>Lisbon tribunal</mark>") {
		t.Errorf("hit %s with snippet %s, want a link to #fn:1 and the words marked", h.URL, h.Snippet)
	}
}

// TestFilters checks every filter, the sort orders and paging on the corpus.
func TestFilters(t *testing.T) {
	idx, cs := corpusIndex(t)
	ctx := context.Background()
	must := func(req search.Request) *search.Result {
		t.Helper()
		res, err := idx.Search(ctx, req)
		if err != nil {
			t.Fatalf("Search(%+v): %v", req, err)
		}
		if res.Total == 0 {
			t.Fatalf("Search(%+v): no hits", req)
		}
		return res
	}
	check := func(name string, req search.Request, ok func(search.Hit) bool) {
		t.Run(name, func(t *testing.T) {
			res := must(req)
			for _, h := range res.Hits {
				if !ok(h) {
					t.Errorf("hit %s (%s, %s, %s) does not pass the filter", h.URL, h.Section, h.Source, h.Date.Format(time.DateOnly))
				}
			}
		})
	}
	pub := func(h search.Hit) *content.Publication { return cs.ByURL[h.PublicationURL] }
	check("section", search.Request{Query: "interpol", Section: "letters"}, func(h search.Hit) bool { return h.Section == "letters" })
	check("tag", search.Request{Query: "police", Tag: "red-notices"}, func(h search.Hit) bool { return slices.Contains(pub(h).Tags, "red-notices") })
	check("year", search.Request{Query: "modules", Year: 2019}, func(h search.Hit) bool { return h.Date.Year() == 2019 })
	from, to := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 6, 30, 0, 0, 0, 0, time.UTC)
	check("from to", search.Request{Query: "go", From: from, To: to}, func(h search.Hit) bool {
		return !h.Date.Before(from) && h.Date.Before(to.AddDate(0, 0, 1))
	})
	check("source pdf", search.Request{Query: "interpol", Source: search.SourcePDF}, func(h search.Hit) bool { return h.Source == search.SourcePDF && h.Page > 0 })
	check("source page", search.Request{Query: "interpol", Source: search.SourcePage}, func(h search.Hit) bool { return h.Source == search.SourcePage })
	check("lang", search.Request{Query: "go", Lang: "EN"}, func(h search.Hit) bool { return h.Lang == "en" })
	check("filters alone", search.Request{Section: "letters"}, func(h search.Hit) bool { return h.Section == "letters" })

	t.Run("unknown section", func(t *testing.T) {
		if got := urls(t, idx, search.Request{Query: "go", Section: "nope"}); len(got) != 0 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("sort", func(t *testing.T) {
		for _, order := range []string{search.SortNewest, search.SortOldest} {
			res := must(search.Request{Query: "garbage collector", Sort: order, PerPage: 50})
			dates := []time.Time{}
			for _, h := range res.Hits {
				dates = append(dates, h.Date)
			}
			sorted := slices.IsSortedFunc(dates, func(a, b time.Time) int {
				if order == search.SortNewest {
					return b.Compare(a)
				}
				return a.Compare(b)
			})
			if !sorted {
				t.Errorf("%s: dates out of order: %v", order, dates)
			}
		}
	})
	t.Run("paging", func(t *testing.T) {
		p1 := must(search.Request{Query: "go", PerPage: 10})
		p2 := must(search.Request{Query: "go", PerPage: 10, Page: 2})
		if p1.Total != p2.Total || len(p1.Hits) != 10 || len(p2.Hits) != 10 {
			t.Fatalf("totals %d/%d, hits %d/%d", p1.Total, p2.Total, len(p1.Hits), len(p2.Hits))
		}
		seen := map[string]bool{}
		for _, h := range append(p1.Hits, p2.Hits...) {
			if seen[h.PublicationURL] {
				t.Errorf("%s twice", h.PublicationURL)
			}
			seen[h.PublicationURL] = true
		}
		if p1.Hits[9].Score < p2.Hits[0].Score {
			t.Errorf("page 2 starts with a better hit (%f) than page 1 ends with (%f)", p2.Hits[0].Score, p1.Hits[9].Score)
		}
		if p1.Pages() != min(search.MaxPage, (p1.Total+9)/10) {
			t.Errorf("Pages() = %d for %d hits", p1.Pages(), p1.Total)
		}
	})
	t.Run("facets", func(t *testing.T) {
		// Facets count publications, as the total does: each count is the
		// total its filter gives.
		res := must(search.Request{Query: "interpol"})
		for _, f := range res.Facets.Source {
			if got := must(search.Request{Query: "interpol", Source: f.Value}).Total; got != f.Count || f.Count > res.Total {
				t.Errorf("source %s: facet %d, filtered total %d, total %d", f.Value, f.Count, got, res.Total)
			}
		}
		sum := 0
		for _, f := range res.Facets.Section {
			sum += f.Count
		}
		if sum != res.Total {
			t.Errorf("section facets %v add up to %d, want %d", res.Facets.Section, sum, res.Total)
		}
		want := []search.FacetCount{{Value: "2022", Count: res.Total}}
		if diff := cmp.Diff(want, res.Facets.Year); diff != "" {
			t.Errorf("year facets (-want +got):\n%s", diff)
		}
		if !slices.Contains(res.Facets.Tag, search.FacetCount{Value: "interpol", Count: res.Total}) {
			t.Errorf("tag facets %v lack interpol", res.Facets.Tag)
		}
	})
}

// TestSearchErrors checks that what the reader must change is a
// *QueryError, and that nothing else is.
func TestSearchErrors(t *testing.T) {
	idx, _ := shippedIndex(t)
	for _, req := range []search.Request{
		{},
		{Query: `"unclosed`},
		{Query: "x", Page: search.MaxPage + 1},
		{Query: "-only"},
		{Query: "a*"},
	} {
		_, err := idx.Search(context.Background(), req)
		var qe *search.QueryError
		if !errors.As(err, &qe) {
			t.Errorf("Search(%+v) = %v, want a *QueryError", req, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := idx.Search(ctx, search.Request{Query: "interpol"}); err != nil {
		var qe *search.QueryError
		if errors.As(err, &qe) || !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled search: %v, want context.Canceled", err)
		}
	}
}

// TestLongQueriesAreFast checks that the longest queries the parser takes
// are cheap to run.
func TestLongQueriesAreFast(t *testing.T) {
	idx, _ := corpusIndex(t)
	words := strings.Fields(strings.Repeat("go the error value type function package interface ", 8))[:search.MaxTerms]
	for _, q := range []string{
		strings.Join(words, " "),
		`"` + strings.Join(words, " ") + `"`,
		strings.Join(words, " OR "),
		strings.Repeat("the* ", search.MaxPrefixes) + strings.Join(words[:search.MaxTerms-search.MaxPrefixes], " "),
	} {
		start := time.Now()
		if _, err := idx.Search(context.Background(), search.Request{Query: q}); err != nil {
			var qe *search.QueryError
			if !errors.As(err, &qe) {
				t.Errorf("Search(%.40q…): %v", q, err)
			}
		}
		// The search's own Timeout bounds it; past twice that, it did not.
		if d := time.Since(start); d > 2*search.Timeout {
			t.Errorf("Search(%.40q…) took %v", q, d)
		}
	}
}

// TestCache checks that an index kept on disk is reopened when the content
// is unchanged and rebuilt (and the old one removed) when it changed.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"r/a.md": md("A", "2022-01-13", "en", "Apple and banana.")}
	first, _ := buildSite(t, files, search.Options{CacheDir: dir})
	if first.Stats().Cached || first.Stats().Dir == "" {
		t.Fatalf("first build: %+v", first.Stats())
	}
	if _, err := os.Stat(filepath.Join(first.Stats().Dir, "complete")); err != nil {
		t.Errorf("no completion marker: %v", err)
	}
	first.Close()
	second, _ := buildSite(t, files, search.Options{CacheDir: dir})
	if !second.Stats().Cached || second.Stats().Dir != first.Stats().Dir {
		t.Errorf("second build: %+v, want the first one's index reopened", second.Stats())
	}
	if got := urls(t, second, search.Request{Query: "banana"}); !slices.Equal(got, []string{"/r/a/"}) {
		t.Errorf("reopened index finds %v", got)
	}
	second.Close()

	files["r/a.md"] = md("A", "2022-01-13", "en", "Apple and cherry.")
	third, _ := buildSite(t, files, search.Options{CacheDir: dir})
	if third.Stats().Cached || third.Stats().Dir == first.Stats().Dir {
		t.Errorf("changed content: %+v, want a new index", third.Stats())
	}
	if got := urls(t, third, search.Request{Query: "cherry"}); !slices.Equal(got, []string{"/r/a/"}) {
		t.Errorf("rebuilt index finds %v", got)
	}
	if _, err := os.Stat(first.Stats().Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old index %s not removed: %v", first.Stats().Dir, err)
	}
}

// TestIndexFreed checks that an index nobody holds any more is closed,
// as a server that reloads its content drops the old one: bleve's
// goroutines would otherwise keep it in memory for ever.
func TestIndexFreed(t *testing.T) {
	files := map[string]string{"r/a.md": md("A", "2022-01-13", "en", "Apple.")}
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	cs, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	for range 3 {
		if _, err := search.Build(context.Background(), cs, nil, search.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after dropping three indexes, %d before", n, before)
	}
}

// TestGolden compares the hits of a few queries on the shipped content with
// testdata/golden.txt (refresh with -update).
func TestGolden(t *testing.T) {
	idx, _ := shippedIndex(t)
	var b strings.Builder
	for _, q := range []string{
		`"tip of the iceberg"`,
		`interpol notices`,
		`jurgen`,
		`red notice -iceberg`,
		`asylum OR extradited`,
		`preventiv*`,
	} {
		res, err := idx.Search(context.Background(), search.Request{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# %s\ntotal %d\n", q, res.Total)
		for _, h := range res.Hits {
			fmt.Fprintf(&b, "- %s\n", h.PublicationURL)
			for _, p := range h.Passages {
				fmt.Fprintf(&b, "  - %s %s\n", p.Source, p.URL)
				if p.TextURL != "" {
					fmt.Fprintf(&b, "    text %s\n", p.TextURL)
				}
				fmt.Fprintf(&b, "    %s\n", p.Snippet)
			}
			if h.More {
				fmt.Fprintf(&b, "  more\n")
			}
		}
		fmt.Fprintf(&b, "facets: section %v year %v source %v\n\n", res.Facets.Section, res.Facets.Year, res.Facets.Source)
	}
	golden := filepath.Join("testdata", "golden.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("hits differ from %s (-want +got):\n%s", golden, diff)
	}
}
