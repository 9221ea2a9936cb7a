package server_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"archive/internal/pipeline"
	"archive/internal/server"
)

var (
	searchOnce sync.Once
	searchSrv  *server.Server
	searchErr  error
)

// searchServer is the real server on the shipped content with its PDF's
// text extracted, loaded once, without the per-client search limit (the
// tests search more often than a reader may).
func searchServer(t *testing.T) *server.Server {
	t.Helper()
	searchOnce.Do(func() { searchSrv, searchErr = loadShipped(-1) })
	if searchErr != nil {
		t.Fatal(searchErr)
	}
	return searchSrv
}

// apiResult is the JSON of /api/search as the README documents it.
type apiResult struct {
	Query   string  `json:"query"`
	Total   int     `json:"total"`
	TookMS  float64 `json:"took_ms"`
	Page    int     `json:"page"`
	PerPage int     `json:"per_page"`
	Pages   int     `json:"pages"`
	Hits    []struct {
		Title          string       `json:"title"`
		URL            string       `json:"url"`
		PublicationURL string       `json:"publication_url"`
		Section        string       `json:"section"`
		Date           string       `json:"date"`
		Lang           string       `json:"lang"`
		Source         string       `json:"source"`
		Page           int          `json:"page"`
		File           string       `json:"file"`
		FileTitle      string       `json:"file_title"`
		TextURL        string       `json:"text_url"`
		Snippet        string       `json:"snippet"`
		Passages       []apiPassage `json:"passages"`
		MorePassages   bool         `json:"more_passages"`
		Score          float64      `json:"score"`
	} `json:"hits"`
	Facets map[string][]struct {
		Value string `json:"value"`
		Count int    `json:"count"`
	} `json:"facets"`
	Suggestion string `json:"suggestion"`
}

type apiPassage struct {
	URL     string `json:"url"`
	Source  string `json:"source"`
	Page    int    `json:"page"`
	File    string `json:"file"`
	TextURL string `json:"text_url"`
	Snippet string `json:"snippet"`
}

func searchAPI(t *testing.T, h http.Handler, query string) (apiResult, *http.Response) {
	t.Helper()
	res := get(t, h, "GET", "/api/search?"+query)
	var out apiResult
	if err := json.Unmarshal([]byte(body(t, res)), &out); err != nil {
		t.Fatalf("/api/search?%s: %v", query, err)
	}
	return out, res
}

const quote = "We are likely the tip of the iceberg, as tens upon tens of thousands have fled Hong Kong"

// TestSearchAPIQuote is the acceptance test through HTTP: the
// letter first, at its paragraph, with its PDF page as another passage of
// the same hit.
func TestSearchAPIQuote(t *testing.T) {
	s := searchServer(t)
	out, res := searchAPI(t, s, "q="+url.QueryEscape(`"`+quote+`"`))
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a search must not be cached", cc)
	}
	if out.Query != `"`+quote+`"` || out.Total < 2 || len(out.Hits) != out.Total || out.TookMS < 0 || out.Page != 1 || out.Pages != 1 {
		t.Fatalf("result %+v", out)
	}
	first := out.Hits[0]
	want := "/letters/open-letter-to-interpol/?hl=%22We+are+likely"
	if first.PublicationURL != "/letters/open-letter-to-interpol/" || first.Source != "page" ||
		!strings.HasPrefix(first.URL, want) || !strings.HasSuffix(first.URL, "#p-8") {
		t.Errorf("first hit %s (%s), want the letter's paragraph p-8", first.URL, first.Source)
	}
	if first.Title != "Open letter to INTERPOL" || first.Section != "letters" || first.Date != "2022-01-13" || first.Lang != "en" {
		t.Errorf("first hit %+v", first)
	}
	if !strings.Contains(first.Snippet, "<mark>"+quote+"</mark>") {
		t.Errorf("snippet %q does not mark the quote", first.Snippet)
	}
	if len(first.Passages) != 2 || first.Passages[0].URL != first.URL || first.Passages[0].Snippet != first.Snippet {
		t.Fatalf("the letter's passages %+v: want its paragraph (the hit's own) and its PDF page", first.Passages)
	}
	if p := first.Passages[1]; p.Source != "pdf" || p.URL != "/letters/open-letter-to-interpol/open-letter-to-interpol.pdf#page=1" || p.Page != 1 ||
		p.File != "open-letter-to-interpol.pdf" || !strings.HasPrefix(p.TextURL, "/letters/open-letter-to-interpol/open-letter-to-interpol.pdf/page/1/?hl=%22We+are") ||
		!strings.Contains(p.Snippet, "<mark>"+quote+"</mark>") {
		t.Errorf("PDF passage %+v", p)
	}
	for _, f := range []string{"section", "year", "tag", "source"} {
		if len(out.Facets[f]) == 0 {
			t.Errorf("facet %s missing: %v", f, out.Facets)
		}
	}
	if got := out.Facets["year"][0]; got.Value != "2022" || got.Count != out.Total {
		t.Errorf("year facet %+v", got)
	}
}

// TestSearchAPIFilters checks that the filters of the URL reach the search.
func TestSearchAPIFilters(t *testing.T) {
	s := searchServer(t)
	tests := []struct {
		query string
		ok    func(source, section, date string) bool
	}{
		{"q=interpol&source=pdf", func(src, _, _ string) bool { return src == "pdf" }},
		{"q=interpol&source=page", func(src, _, _ string) bool { return src == "page" }},
		{"q=interpol&section=investigations", func(_, sec, _ string) bool { return sec == "investigations" }},
		{"q=interpol&year=2022&tag=interpol&lang=en", func(_, _, d string) bool { return strings.HasPrefix(d, "2022-") }},
		{"q=interpol&from=2022-01-13&to=2022-01-13&sort=newest", func(_, _, d string) bool { return d == "2022-01-13" }},
		{"section=letters", func(_, sec, _ string) bool { return sec == "letters" }},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			out, res := searchAPI(t, s, tt.query)
			if res.StatusCode != 200 || out.Total == 0 {
				t.Fatalf("status %d, %d hits", res.StatusCode, out.Total)
			}
			for _, h := range out.Hits {
				if !tt.ok(h.Source, h.Section, h.Date) {
					t.Errorf("hit %s (%s, %s, %s) passes no filter", h.URL, h.Source, h.Section, h.Date)
				}
			}
		})
	}
	if out, _ := searchAPI(t, s, "q=interpol&year=1999"); out.Total != 0 || out.Hits == nil {
		t.Errorf("year 1999: %d hits, hits %v (want 0 and an empty list)", out.Total, out.Hits)
	}
}

// TestSearchBadRequests checks that every query a reader must change gets
// a 400 with a message, from the page and from the API, and never a 5xx.
func TestSearchBadRequests(t *testing.T) {
	s := searchServer(t)
	tests := []struct {
		name, query, want string
	}{
		{"unclosed quote", "q=%22red+notice", "quotation mark is not closed"},
		{"2,000 characters", "q=" + strings.Repeat("a", 2000), "characters long"},
		{"200 terms", "q=" + strings.Repeat("word+", 200), "200 words"},
		{"control character", "q=red%01notice", "control character"},
		{"NUL", "q=red%00notice", "control character"},
		{"invalid UTF-8", "q=%ff%fe", "not valid text"},
		{"only excluded", "q=-china", "at least one word"},
		{"dangling OR", "q=police+OR", "OR needs a word"},
		{"leading wildcard", "q=*gate", "may only end a word"},
		{"short prefix", "q=ab*", "at least 3 letters"},
		{"bad year", "q=x&year=twenty", "year must be a number"},
		{"bad date", "q=x&from=2022-13-45", "YYYY-MM-DD"},
		{"dates reversed", "q=x&from=2022-02-01&to=2022-01-01", "after the to date"},
		{"bad source", "q=x&source=web", "source must be"},
		{"bad sort", "q=x&sort=random", "sort must be"},
		{"page zero", "q=x&page=0", "page must be a number"},
		{"page too far", "q=x&page=101", "page must be a number"},
		{"per page too large", "q=x&per_page=1000", "per page must be a number"},
		{"empty query", "q=", "Type a word or phrase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, s, "GET", "/api/search?"+tt.query)
			var e struct{ Error, Param string }
			b := body(t, res)
			if err := json.Unmarshal([]byte(b), &e); err != nil {
				t.Fatalf("API: %v in %q", err, b)
			}
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, tt.want) {
				t.Errorf("API: status %d, error %q, want 400 and %q", res.StatusCode, e.Error, tt.want)
			}
			if tt.query == "q=" {
				return // the page shows the form for an empty query
			}
			res = get(t, s, "GET", "/search?"+tt.query)
			page := body(t, res)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, tt.want) || !strings.Contains(page, `role="alert"`) {
				t.Errorf("page: status %d, want 400 with %q in an alert", res.StatusCode, tt.want)
			}
			if !utf8.ValidString(page) {
				t.Error("page is not valid UTF-8")
			}
		})
	}
}

// TestSearchPage checks the HTML page: the form works without script and
// every field has a label, the count is announced, the hits link where the
// words stand, facets add filters, and the reader's words come back
// escaped.
func TestSearchPage(t *testing.T) {
	s := searchServer(t)
	res := get(t, s, "GET", "/search?q="+url.QueryEscape(`"`+quote+`"`))
	page := body(t, res)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	for _, want := range []string{
		`<title>Search: 2 results · `,
		`<div role="status">`,
		`<h2 id="results-title">2 results for &#34;We are likely the tip`,
		`<ol class="publist" start="1" aria-labelledby="results-title">`,
		`href="/letters/open-letter-to-interpol/?hl=%22We&#43;are&#43;likely`,
		`#p-8"`,
		`<mark>` + quote + `</mark>`,
		`<ul class="passages">`,
		`PDF open-letter-to-interpol.pdf, page 1: <a href="/letters/open-letter-to-interpol/open-letter-to-interpol.pdf/page/1/?hl=%22We&#43;are&#43;likely`,
		`">read page 1 as text</a> · <a href="/letters/open-letter-to-interpol/open-letter-to-interpol.pdf#page=1">open the PDF at page 1</a>`,
		`<a href="/letters/open-letter-to-interpol/">publication page</a>`,
		`<nav aria-label="Refine the results">`,
		`href="/search?q=%22We&#43;are&#43;likely`,
		`<form role="search"`,
		`method="get"`,
		`<summary id="search-help-summary">How to search</summary>`,
		`<meta name="robots" content="noindex">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the search page has a script")
	}
	labels := map[string]bool{}
	for _, m := range regexp.MustCompile(`<label for="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		labels[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`<(?:input|select) id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !labels[m[1]] {
			t.Errorf("field %s has no label", m[1])
		}
	}

	// A facet link adds its filter.
	res = get(t, s, "GET", "/search?q=interpol")
	page = body(t, res)
	m := regexp.MustCompile(`<a href="(/search\?[^"]*source=pdf[^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no facet link to the PDF hits in\n%s", page)
	}
	res = get(t, s, "GET", strings.ReplaceAll(m[1], "&amp;", "&"))
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `aria-current="true"`) || strings.Contains(page, `#p-`) {
		t.Errorf("following the PDF facet: status %d, want PDF hits only with the filter marked", res.StatusCode)
	}

	// The reader's words come back escaped, in the form and the heading.
	res = get(t, s, "GET", "/search?q="+url.QueryEscape(`"><script>alert(1)</script>`))
	page = body(t, res)
	if strings.Contains(page, "<script>alert") {
		t.Error("query echoed unescaped")
	}
}

// TestSearchPageEmpty checks that an empty search shows the form and the
// help, and no result count.
func TestSearchPageEmpty(t *testing.T) {
	s := searchServer(t)
	for _, target := range []string{"/search", "/search?q=", "/search?q=+++"} {
		res := get(t, s, "GET", target)
		page := body(t, res)
		if res.StatusCode != 200 || !strings.Contains(page, `<details id="search-help" open>`) || strings.Contains(page, `role="status"`) {
			t.Errorf("%s: status %d, want the form and open help without results", target, res.StatusCode)
		}
	}
}

// TestSearchWhileIndexing checks the answers between the pages being served
// and the index being ready: 503 with Retry-After, and a message.
func TestSearchWhileIndexing(t *testing.T) {
	s := server.New(server.Config{Logger: quietLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the pages are published, then building the index stops
	if _, err := pipeline.New(layoutOnly(os.DirFS(repo("content")))).Load(ctx, s.Publish); err == nil {
		t.Fatal("Load with a cancelled context built the index")
	}
	if res := get(t, s, "GET", "/healthz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz: %d, want 503", res.StatusCode)
	}
	for _, target := range []string{"/search?q=interpol", "/api/search?q=interpol"} {
		res := get(t, s, "GET", target)
		b := body(t, res)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(b, "indexing") {
			t.Errorf("%s: status %d, Retry-After %q, want 503 with a message", target, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	if res := get(t, s, "GET", "/search"); res.StatusCode != 200 {
		t.Errorf("/search without a query while indexing: %d, want the form", res.StatusCode)
	}
}

// TestOpenSearch checks the description browsers read to add the search.
func TestOpenSearch(t *testing.T) {
	s := searchServer(t)
	res := get(t, s, "GET", "/opensearch.xml")
	b := body(t, res)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/opensearchdescription+xml; charset=utf-8" {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var d struct {
		ShortName string `xml:"ShortName"`
		URLs      []struct {
			Type     string `xml:"type,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Url"`
	}
	if err := xml.Unmarshal([]byte(b), &d); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if d.ShortName == "" || utf8.RuneCountInString(d.ShortName) > 16 {
		t.Errorf("ShortName %q: want 1 to 16 characters", d.ShortName)
	}
	want := map[string]string{
		"text/html":                             "http://example.com/search?q={searchTerms}",
		"application/json":                      "http://example.com/api/search?q={searchTerms}",
		"application/opensearchdescription+xml": "http://example.com/opensearch.xml",
	}
	got := map[string]string{}
	for _, u := range d.URLs {
		got[u.Type] = u.Template
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
	req := httptest.NewRequest("GET", "/opensearch.xml", nil)
	req.Host = "<evil>"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), "<evil>") {
		t.Errorf("bad Host: status %d, want 400 without the host", rec.Code)
	}
	// Every page links it, with a search box.
	page := body(t, get(t, s, "GET", "/letters/open-letter-to-interpol/"))
	if !strings.Contains(page, `<link rel="search" type="application/opensearchdescription+xml" href="/opensearch.xml"`) || !strings.Contains(page, `action="/search"`) {
		t.Error("publication page lacks the OpenSearch link or the search box")
	}
}

// TestSearchGolden compares the search page of a query with
// testdata/search.html (refresh with -update): the second page of one
// publication each, the investigation with its passages.
func TestSearchGolden(t *testing.T) {
	s := searchServer(t)
	page := body(t, get(t, s, "GET", "/search?q=interpol+notices&per_page=1&page=2"))
	golden := filepath.Join("testdata", "search.html")
	if *update {
		if err := os.WriteFile(golden, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), page); diff != "" {
		t.Errorf("search page differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestSearchGroupsByPublication: the letter, the investigation that
// reprints it, and the letter's PDF page are two hits, not three: the PDF
// page is a passage of the letter, and total counts publications.
func TestSearchGroupsByPublication(t *testing.T) {
	s := searchServer(t)
	out, res := searchAPI(t, s, "q="+url.QueryEscape(`"we send you this Open Letter as a Preventive Notice"`))
	if res.StatusCode != 200 || out.Total != 2 || len(out.Hits) != 2 {
		t.Fatalf("status %d, total %d, %d hits: want the two publications", res.StatusCode, out.Total, len(out.Hits))
	}
	letter, inv := out.Hits[0], out.Hits[1]
	if letter.PublicationURL != "/letters/open-letter-to-interpol/" || inv.PublicationURL != "/investigations/pursued-for-life/" {
		t.Fatalf("hits %s, %s", letter.PublicationURL, inv.PublicationURL)
	}
	var got []string
	for _, p := range letter.Passages {
		got = append(got, p.Source+" "+p.URL+" "+p.TextURL)
	}
	hl := "?hl=%22we+send+you+this+Open+Letter+as+a+Preventive+Notice%22"
	want := []string{
		"page /letters/open-letter-to-interpol/" + hl + "#p-18 ",
		"pdf /letters/open-letter-to-interpol/open-letter-to-interpol.pdf#page=2 /letters/open-letter-to-interpol/open-letter-to-interpol.pdf/page/2/" + hl,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the letter's passages (-want +got):\n%s", diff)
	}
	if len(inv.Passages) != 1 || inv.Passages[0].Source != "page" {
		t.Errorf("the investigation's passages %+v", inv.Passages)
	}
	if got := out.Facets["section"]; len(got) != 2 || got[0].Count != 1 || got[1].Count != 1 {
		t.Errorf("section facets %+v: want one publication each", got)
	}
	// The page shows each publication once, its passages under it, and
	// the text view of the PDF page before the PDF.
	page := body(t, get(t, s, "GET", "/search?q="+url.QueryEscape(`"we send you this Open Letter as a Preventive Notice"`)))
	if n := strings.Count(page, "<h3>"); n != 2 {
		t.Errorf("the page lists %d hits, want 2", n)
	}
	if i, j := strings.Index(page, "read page 2 as text"), strings.Index(page, "open the PDF at page 2"); i < 0 || j < i {
		t.Error("the PDF page's text view is not linked before the PDF")
	}
}

// TestSearchWithin: within= searches one publication, from the API, the
// page and the form on a long publication.
func TestSearchWithin(t *testing.T) {
	s := searchServer(t)
	const inv = "/investigations/pursued-for-life/"
	out, res := searchAPI(t, s, "q=interpol&within="+url.QueryEscape(inv))
	if res.StatusCode != 200 || out.Total != 1 || out.Hits[0].PublicationURL != inv {
		t.Fatalf("status %d, %+v", res.StatusCode, out)
	}
	if n := len(out.Hits[0].Passages); n <= 4 || n > 50 {
		t.Errorf("%d passages within the investigation: want more than a result shows, at most 50", n)
	}
	for _, p := range out.Hits[0].Passages {
		if !strings.HasPrefix(p.URL, inv) {
			t.Errorf("passage %s is not in %s", p.URL, inv)
		}
	}
	if _, res := searchAPI(t, s, "q=interpol&within=%2Fnowhere%2F"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("within a publication that is not there: status %d, want 400", res.StatusCode)
	}
	page := body(t, get(t, s, "GET", "/search?q=interpol&within="+url.QueryEscape(inv)))
	for _, want := range []string{
		`Searching only in <a href="/investigations/pursued-for-life/">`,
		`<input type="hidden" name="within" value="/investigations/pursued-for-life/">`,
		`<a href="/search?q=interpol">Search the whole archive</a>`,
		` passages for “interpol”</h2>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The form is on long publications only, and uses within.
	form := `<form class="search-within" role="search"`
	if p := body(t, get(t, s, "GET", inv)); !strings.Contains(p, form) || !strings.Contains(p, `name="within" value="/investigations/pursued-for-life/"`) {
		t.Error("the investigation (more than 20 blocks) has no search form of its own")
	}
	if res := get(t, s, "GET", "/letters/open-letter-to-interpol/"); res.StatusCode != 200 || strings.Contains(body(t, res), form) {
		t.Error("the letter (20 blocks or fewer) has a search form of its own")
	}
}

// TestSearchSuggestion: a misspelt word that finds nothing gets a "did
// you mean" from the index's own words, in the API and as a link.
func TestSearchSuggestion(t *testing.T) {
	s := searchServer(t)
	out, _ := searchAPI(t, s, "q=interpl")
	if out.Total != 0 || out.Suggestion != "interpol" {
		t.Errorf("interpl: total %d, suggestion %q, want 0 and interpol", out.Total, out.Suggestion)
	}
	if out, _ := searchAPI(t, s, "q=interpol"); out.Suggestion != "" {
		t.Errorf("interpol: suggestion %q, want none", out.Suggestion)
	}
	page := body(t, get(t, s, "GET", "/search?q=interpl&section=letters"))
	if want := `Did you mean <a href="/search?q=interpol&amp;section=letters">interpol</a>?`; !strings.Contains(page, want) {
		t.Errorf("page lacks %s", want)
	}
}
