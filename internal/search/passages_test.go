package search_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"archive/internal/pdftext"
	"archive/internal/search"
)

// passagesSite is a report whose page and PDF hold the word "quokka" many
// times, and a letter that holds it once.
func passagesSite(t *testing.T) *search.Index {
	t.Helper()
	var paras []string
	for i := range 6 {
		paras = append(paras, fmt.Sprintf("Paragraph %d counts one quokka.", i+1))
	}
	doc := &pdftext.Document{Pages: []pdftext.Page{
		{Number: 1, Text: "The cover: a quokka census."},
		{Number: 2, Text: "No marsupial here."},
		{Number: 3, NoText: true},
		{Number: 4, Text: "Annex: the quokka\ncount by island."},
	}}
	idx, _ := buildSitePDF(t, map[string]string{
		"reports/census/index.md": md("Census", "2021-05-01", "en", strings.Join(paras, "\n\n")),
		"reports/census/c.pdf":    "%PDF-1.4 census",
		"letters/note/index.md":   md("Note", "2022-05-01", "en", "A single quokka was seen."),
	}, map[string]*pdftext.Document{"reports/census/c.pdf": doc}, search.Options{})
	return idx
}

// TestGroupedHits checks that a result lists each publication once, with
// its best passages (paragraphs and PDF pages) under it, and that the
// total, the facets and the pages count publications.
func TestGroupedHits(t *testing.T) {
	idx := passagesSite(t)
	res, err := idx.Search(context.Background(), search.Request{Query: "quokka"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 2 || len(res.Hits) != 2 {
		t.Fatalf("total %d, %d hits: want the two publications", res.Total, len(res.Hits))
	}
	census := res.Hits[0]
	if census.PublicationURL != "/reports/census/" {
		census = res.Hits[1]
	}
	if len(census.Passages) != search.MaxPassages || !census.More || census.Passages[0] != census.Passage {
		t.Fatalf("census: %d passages, more %t, first %+v: want %d, more, the hit's own first", len(census.Passages), census.More, census.Passages[0], search.MaxPassages)
	}
	var sources []string
	for _, p := range census.Passages {
		sources = append(sources, fmt.Sprintf("%s %d", p.Source, p.Page))
		if !strings.Contains(string(p.Snippet), "<mark>quokka</mark>") {
			t.Errorf("passage %s: snippet %s", p.URL, p.Snippet)
		}
	}
	// Each hit's best passage before a second one of any: the page's best
	// paragraph, the two PDF pages that hold the word, a second paragraph.
	if diff := cmp.Diff([]string{"page 0", "pdf 1", "pdf 4", "page 0"}, sources); diff != "" {
		t.Errorf("census passages (-want +got):\n%s", diff)
	}
	pdf := census.Passages[1]
	if pdf.URL != "/reports/census/c.pdf#page=1" || pdf.TextURL != "/reports/census/c.pdf/page/1/?hl=quokka" || pdf.File != "c.pdf" {
		t.Errorf("PDF passage %+v", pdf)
	}
	if got := res.Facets.Section; !cmp.Equal(got, []search.FacetCount{{Value: "letters", Count: 1}, {Value: "reports", Count: 1}}) {
		t.Errorf("section facets %v: want one publication each", got)
	}
	if got := res.Facets.Source; !cmp.Equal(got, []search.FacetCount{{Value: "page", Count: 2}, {Value: "pdf", Count: 1}}) {
		t.Errorf("source facets %v", got)
	}

	// Paging is over publications.
	var seen []string
	for page := 1; page <= 2; page++ {
		res, err := idx.Search(context.Background(), search.Request{Query: "quokka", PerPage: 1, Page: page})
		if err != nil || res.Total != 2 || res.Pages() != 2 || len(res.Hits) != 1 {
			t.Fatalf("page %d: %v, %+v", page, err, res)
		}
		seen = append(seen, res.Hits[0].PublicationURL)
	}
	if seen[0] == seen[1] {
		t.Errorf("both pages list %s", seen[0])
	}

	// A PDF page alone, when the filter leaves out the publication's page.
	res, err = idx.Search(context.Background(), search.Request{Query: "island", Source: search.SourcePDF})
	if err != nil || res.Total != 1 || res.Hits[0].Source != search.SourcePDF || res.Hits[0].Page != 4 || len(res.Hits[0].Passages) != 1 {
		t.Errorf("island in PDFs: %v, %+v", err, res)
	}
}

// TestWithin checks the search of one publication: its passages only, up
// to MaxWithinPassages, and a message for a publication that is not there.
func TestWithin(t *testing.T) {
	idx := passagesSite(t)
	res, err := idx.Search(context.Background(), search.Request{Query: "quokka", Within: "/reports/census/"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Hits[0].PublicationURL != "/reports/census/" {
		t.Fatalf("within the census: %+v", res)
	}
	if got := len(res.Hits[0].Passages); got != 8 || res.Hits[0].More {
		t.Errorf("within the census: %d passages (more %t), want its 6 paragraphs and 2 PDF pages", got, res.Hits[0].More)
	}
	if res, err := idx.Search(context.Background(), search.Request{Query: "quokka", Within: "/letters/note/", Source: search.SourcePDF}); err != nil || res.Total != 0 {
		t.Errorf("the note's PDF pages: %v, %+v", err, res)
	}
	var qe *search.QueryError
	if _, err := idx.Search(context.Background(), search.Request{Query: "quokka", Within: "/reports/nowhere/"}); !errors.As(err, &qe) || qe.Param != "within" {
		t.Errorf("within a publication that is not there: %v, want a QueryError on within", err)
	}
	if _, err := search.ParseRequest(url.Values{"q": {"x"}, "within": {"reports/census"}}); !errors.As(err, &qe) || qe.Param != "within" {
		t.Errorf("within without a leading slash: %v", err)
	}
	req, err := search.ParseRequest(url.Values{"within": {"/reports/census/"}})
	if err != nil || req.Within != "/reports/census/" || !req.HasFilters() || req.Values().Get("within") != "/reports/census/" {
		t.Errorf("ParseRequest: %+v, %v", req, err)
	}
}

// TestSuggestion checks "did you mean": offered only when nothing is
// found, made of words the index holds (as a text writes them, not as
// stems), and only when it finds something.
func TestSuggestion(t *testing.T) {
	idx, _ := shippedIndex(t)
	for _, tt := range []struct{ query, want string }{
		{"interpl", "interpol"},
		{"INTERPLO notices", "interpol notices"}, // a swap is one edit
		{`"tip of the icebreg"`, `"tip of the iceberg"`},
		{"extradtion", "extradition"},             // the index holds the stem "extradit"
		{"interpol", ""},                          // found: nothing to suggest
		{"qzxwvkj", ""},                           // nothing close
		{"interpl -iceberg", "interpol -iceberg"}, // found on the second page of the letter's PDF
		{"interpl -letter", ""},                   // "letter" is beside "interpol" everywhere
		{"iceberg asylum", ""},                    // both words are there, never together: no typo to fix
	} {
		res, err := idx.Search(context.Background(), search.Request{Query: tt.query})
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		if res.Suggestion != tt.want {
			t.Errorf("%s: suggestion %q, want %q (total %d)", tt.query, res.Suggestion, tt.want, res.Total)
		}
	}
	// The filters stay: a suggestion must find something with them.
	res, err := idx.Search(context.Background(), search.Request{Query: "interpl", Year: 1999})
	if err != nil || res.Suggestion != "" {
		t.Errorf("interpl in 1999: %v, suggestion %q, want none", err, res.Suggestion)
	}
}

// TestPDFPage checks what the index gives of a PDF page: its text and its
// neighbours with text, and nothing for a page without text or out of
// range.
func TestPDFPage(t *testing.T) {
	idx := passagesSite(t)
	pg, ok, err := idx.PDFPage("/reports/census/c.pdf", 4)
	if err != nil || !ok {
		t.Fatalf("page 4: %v, %t", err, ok)
	}
	if pg.Text != "Annex: the quokka\ncount by island." || pg.Prev != 2 || pg.Next != 0 || pg.Publication.URL != "/reports/census/" || pg.Attachment.Name != "c.pdf" {
		t.Errorf("page 4: %+v", pg)
	}
	if pg, _, _ := idx.PDFPage("/reports/census/c.pdf", 1); pg.Prev != 0 || pg.Next != 2 {
		t.Errorf("page 1: prev %d, next %d", pg.Prev, pg.Next)
	}
	for _, n := range []int{0, 3, 5} {
		if _, ok, err := idx.PDFPage("/reports/census/c.pdf", n); ok || err != nil {
			t.Errorf("page %d: %t, %v, want nothing", n, ok, err)
		}
	}
	if _, ok, _ := idx.PDFPage("/reports/census/other.pdf", 1); ok {
		t.Error("a PDF that is not there has pages")
	}
}
