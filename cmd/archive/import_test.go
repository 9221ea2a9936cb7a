package main_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"archive/internal/content"
)

// TestImportWordPressCorpus imports WordPress's theme unit test export
// with the command, checks the result with archive check, serves it, and
// asks for every published post and page: by its URL (title and text), by
// a quote from it (search), and by its old addresses (301).
func TestImportWordPressCorpus(t *testing.T) {
	export := filepath.Join("..", "..", "..", "shared", "corpus", "wordpress", "themeunittestdata.wordpress.xml")
	if _, err := os.Stat(export); err != nil {
		t.Skipf("corpus not found: %v", err)
	}
	out := filepath.Join(t.TempDir(), "content")
	stdout, stderr, code := run(t, "import", "wordpress", "-o", out, export)
	if code != 0 || !strings.Contains(stdout, "posts: 58 written, 0 unchanged") || !strings.Contains(stdout, "pages: 21 written, 0 unchanged") {
		t.Fatalf("import exit %d\n%s%s", code, stdout, stderr)
	}
	checkOut, checkErr, code := run(t, "check", "-content", out)
	if code != 0 || !strings.Contains(checkErr, "55 publications, 21 pages") || !strings.Contains(checkErr, " 0 errors") {
		t.Fatalf("check exit %d\n%s%s", code, checkOut, checkErr)
	}
	again, _, code := run(t, "import", "wordpress", "-o", out, export)
	if code != 0 || !strings.Contains(again, "posts: 0 written, 58 unchanged") || !strings.Contains(again, "pages: 0 written, 21 unchanged") {
		t.Errorf("a second import changed files:\n%s", again)
	}

	// What the archive made of it says what to ask the server for.
	fsys, err := content.OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	site, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, "-content", out, "-search-rate", "0")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The text of a page as a reader sees it: words in inline markup run
	// on with the text around them.
	inline := regexp.MustCompile(`</?(?:a|em|strong|b|i|code|span|sup|sub|mark|q|abbr|cite|del|ins|s|u|small|kbd)(?:\s[^>]*)?>`)
	tags := regexp.MustCompile(`<[^>]*>`)
	served := func(body string) string {
		body = tags.ReplaceAllString(inline.ReplaceAllString(body, ""), " ")
		return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
	}
	quoted, redirected := 0, 0
	for _, p := range slices.Concat(site.Publications, site.Pages) {
		code, body := fetch(t, base+p.URL)
		text := served(body)
		if code != 200 || !strings.Contains(text, p.Title) {
			t.Errorf("%s (%s): status %d, title %q not on the page", p.URL, p.Source, code, p.Title)
			continue
		}
		if quote := quoteOf(p); quote != "" {
			if !strings.Contains(text, quote) {
				t.Errorf("%s: %q not on the page", p.URL, quote)
			}
			code, body := fetch(t, base+"/api/search?q="+url.QueryEscape(`"`+quote+`"`))
			var res struct {
				Hits []struct {
					PublicationURL string `json:"publication_url"`
				} `json:"hits"`
			}
			if err := json.Unmarshal([]byte(body), &res); err != nil || code != 200 {
				t.Errorf("search for %q: status %d, %v", quote, code, err)
			} else if !slices.ContainsFunc(res.Hits, func(h struct {
				PublicationURL string `json:"publication_url"`
			}) bool {
				return h.PublicationURL == p.URL
			}) {
				t.Errorf("search for %q does not find %s: %s", quote, p.URL, body)
			} else {
				quoted++
			}
		}
		for _, alias := range p.Aliases {
			res, err := noRedirect.Get(base + (&url.URL{Path: alias}).EscapedPath())
			if strings.HasPrefix(alias, "/?") {
				res, err = noRedirect.Get(base + alias)
			}
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc, _ := url.PathUnescape(strings.TrimPrefix(res.Header.Get("Location"), base))
			if res.StatusCode != http.StatusMovedPermanently || loc != p.URL {
				t.Errorf("%s: %d to %q, want 301 to %s", alias, res.StatusCode, loc, p.URL)
			} else {
				redirected++
			}
		}
	}
	t.Logf("%d posts and pages served, %d found by a quote, %d old addresses redirected", len(site.Publications)+len(site.Pages), quoted, redirected)
	if quoted < 60 || redirected < 100 {
		t.Errorf("only %d found by a quote and %d old addresses redirected", quoted, redirected)
	}
	// A child page's old permalink is its address here.
	if code, body := fetch(t, base+"/greek/%CE%B5%CF%80%CE%AF%CF%80%CE%B5%CE%B4%CE%BF-2/"); code != 200 || !strings.Contains(body, "Second level page") {
		t.Errorf("the Greek child page: %d", code)
	}
}

// quoteOf is six words in a row from the first paragraph of p that has
// them, written as a reader would type them into the search box.
func quoteOf(p *content.Publication) string {
	word := regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}’'.,;:!?-]*$`)
	for _, b := range p.Doc.Blocks {
		var run []string
		for _, w := range strings.Fields(b.Text) {
			if !word.MatchString(w) || w == "OR" {
				run = nil
				continue
			}
			if run = append(run, w); len(run) == 6 {
				return strings.Join(run, " ")
			}
		}
	}
	return ""
}

// TestImportWordPressSite imports the package's small test site with its
// uploads: the report's PDF is copied, served, attached and searchable, and
// the post's old addresses lead to it.
func TestImportWordPressSite(t *testing.T) {
	const testdata = "../../internal/wordpress/testdata"
	out := filepath.Join(t.TempDir(), "content")
	stdout, stderr, code := run(t, "import", "wordpress", "-uploads", testdata+"/uploads", "-o", out, testdata+"/site.xml")
	if code != 0 || !strings.Contains(stdout, "files: 3 written, 0 unchanged, 1 missing") || !strings.Contains(stdout, "annex-lost.pdf") {
		t.Fatalf("import exit %d\n%s%s", code, stdout, stderr)
	}
	if checkOut, checkErr, code := run(t, "check", "-content", out); code != 0 || !strings.Contains(checkErr, "3 publications, 3 pages, 0 section pages, 1 attachments, 0 documents (PDFs: 1 with text, 0 scans without), 0 redirect stubs, 3 files served") {
		t.Fatalf("check exit %d\n%s%s", code, checkOut, checkErr)
	}
	base := startServe(t, "-content", out)
	if code, body := fetch(t, base+"/reports/detained-abroad/"); code != 200 || !strings.Contains(body, "Full report (PDF)") || !strings.Contains(body, `src="cell.png"`) {
		t.Errorf("the report: %d\n%s", code, body)
	}
	if code, body := fetch(t, base+"/reports/detained-abroad/detained-abroad.pdf"); code != 200 || !strings.HasPrefix(body, "%PDF") {
		t.Errorf("the PDF: %d", code)
	}
	if code, body := fetch(t, base+"/api/search?source=pdf&q="+url.QueryEscape(`"politically motivated requests"`)); code != 200 || !strings.Contains(body, "detained-abroad.pdf#page=1") {
		t.Errorf("the PDF's text is not found: %d %s", code, body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, old := range []string{"/2023/05/04/detained-abroad/", "/?p=10", "/2023/06/01/%E8%A2%AB%E6%8B%98%E7%95%99/"} {
		res, err := noRedirect.Get(base + old)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMovedPermanently {
			t.Errorf("%s: %d, want 301", old, res.StatusCode)
		}
	}
	if code, _ := fetch(t, base+"/posts/notes-for-the-team/"); code != http.StatusNotFound {
		t.Errorf("a draft is served: %d", code)
	}
}

func TestImportUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"import"}, 2},
		{[]string{"import", "joomla", "x.xml"}, 2},
		{[]string{"import", "wordpress"}, 2},
		{[]string{"import", "wordpress", "-o", t.TempDir(), "no-such-export.xml"}, 1},
		{[]string{"import", "wordpress", "-o", t.TempDir(), "-section", "search", "../../internal/wordpress/testdata/site.xml"}, 1},
	} {
		if _, stderr, code := run(t, tc.args...); code != tc.code || stderr == "" {
			t.Errorf("archive %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, stderr)
		}
	}
}
