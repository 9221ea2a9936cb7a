package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"archive/internal/server"
)

const letterPDF = "/letters/open-letter-to-interpol/open-letter-to-interpol.pdf"

// TestPDFPageView: a page of the letter's PDF as text, with the words of
// a hit marked, links to its neighbours, the PDF and the publication, and
// its citation.
func TestPDFPageView(t *testing.T) {
	s := searchServer(t)
	res := get(t, s, "GET", letterPDF+"/page/2/")
	page := body(t, res)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, type %q, Cache-Control %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	for _, want := range []string{
		`<meta name="robots" content="noindex">`,
		`<title>Open letter to INTERPOL (PDF), page 2 · `,
		`With this in mind, we send you this Open Letter as a Preventive Notice, and ask you to confirm`,
		`<a rel="prev" href="` + letterPDF + `/page/1/">← Page 1</a>`,
		`<span>Page 2 of 2</span>`,
		`<a href="` + letterPDF + `#page=2" type="application/pdf">Open page 2 in the PDF</a>`,
		`<a href="/letters/open-letter-to-interpol/">Go to the publication</a>`,
		// The publication's citation, with the page and the PDF's URL.
		`13 January 2022, p. 2. ` + letterPDF + `. Retrieved [date].</p>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page 2 lacks %s", want)
		}
	}
	if strings.Contains(page, `rel="next"`) || strings.Contains(page, "<mark") {
		t.Error("the last page links a next page, or the plain page has marks")
	}
	if p := body(t, get(t, s, "GET", letterPDF+"/page/1/")); !strings.Contains(p, `<a rel="next" href="`+letterPDF+`/page/2/">Page 2 →</a>`) || strings.Contains(p, `rel="prev"`) {
		t.Error("page 1 does not link page 2, or links a page before it")
	}
	if strings.Contains(body(t, get(t, s, "GET", "/sitemap.xml")), "/page/") {
		t.Error("the sitemap lists PDF pages")
	}

	// Reached from a hit: its text_url marks the words, and says so.
	out, _ := searchAPI(t, s, "q="+url.QueryEscape(`"we send you this Open Letter as a Preventive Notice"`))
	var textURL string
	for _, p := range out.Hits[0].Passages {
		textURL += p.TextURL
	}
	if !strings.HasPrefix(textURL, letterPDF+"/page/2/?hl=") {
		t.Fatalf("text_url %q", textURL)
	}
	res = get(t, s, "GET", textURL)
	page = body(t, res)
	if res.StatusCode != 200 || !strings.Contains(page, `<mark id="hl-1">we send you this Open Letter as a Preventive Notice</mark>`) ||
		!strings.Contains(page, `<div class="hl-banner"`) || !strings.Contains(page, `<a href="`+letterPDF+`/page/2/">Show the page without highlighting</a>`) {
		t.Errorf("the text view of a hit: status %d, without the phrase marked or the note", res.StatusCode)
	}
	// A phrase that runs across two lines of the PDF is marked as one.
	page = body(t, get(t, s, "GET", letterPDF+"/page/1/?hl="+url.QueryEscape(`"former elected lawmakers"`)))
	if !strings.Contains(page, "<mark id=\"hl-1\">former elected\nlawmakers</mark>") {
		t.Error("a phrase across a line break is not marked as one")
	}

	for _, tt := range []struct {
		target string
		status int
	}{
		{letterPDF + "/page/3/", 404},  // out of range
		{letterPDF + "/page/0/", 404},  // no page 0
		{letterPDF + "/page/02/", 404}, // not the page's URL
		{letterPDF + "/page/x/", 404},
		{"/letters/open-letter-to-interpol/other.pdf/page/1/", 404},
		{letterPDF + "/page/2", 301},
		{"/letters/page/2/", 404}, // a list's page URL is not a PDF's
	} {
		if res := get(t, s, "GET", tt.target); res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.target, res.StatusCode, tt.status)
		}
	}
	if res := get(t, s, "HEAD", letterPDF+"/page/2/"); res.StatusCode != 200 || body(t, res) != "" {
		t.Errorf("HEAD: status %d", res.StatusCode)
	}
}

// TestPDFPageWithoutText: a PDF whose text was not read has no text view
// (nor has a scanned page: see search.TestPDFPage).
func TestPDFPageWithoutText(t *testing.T) {
	layout, err := serveContent(layoutOnly(os.DirFS(repo("content"))), server.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res := get(t, layout, "GET", letterPDF+"/page/1/"); res.StatusCode != 404 {
		t.Errorf("without PDF text: status %d, want 404", res.StatusCode)
	}
}

// TestPDFPageBudget: the text views are made per request, so they take a
// client's budget of highlighted pages: past it, a 429 with Retry-After;
// other clients are served.
func TestPDFPageBudget(t *testing.T) {
	pc := shippedContent()
	s, err := serveContent(pc, server.Config{Logger: quietLogger(), SearchRate: 0.01, SearchBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(remote, target string) *http.Response {
		req := httptest.NewRequest("GET", target, nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Result()
	}
	view := letterPDF + "/page/1/"
	for i := range 2 {
		if res := ask("198.51.100.7:1", view); res.StatusCode != 200 {
			t.Fatalf("view %d within the budget: status %d", i+1, res.StatusCode)
		}
	}
	if res := ask("198.51.100.7:1", view); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("over the budget: status %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := ask("203.0.113.9:1", view); res.StatusCode != 200 {
		t.Errorf("another client: status %d", res.StatusCode)
	}
	// Plain pages and the PDF itself are no part of it.
	for _, target := range []string{"/letters/open-letter-to-interpol/", letterPDF} {
		if res := ask("198.51.100.7:1", target); res.StatusCode != 200 {
			t.Errorf("%s after the budget: status %d", target, res.StatusCode)
		}
	}
}
