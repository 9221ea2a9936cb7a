package site

import (
	"fmt"
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"archive/internal/cite"
	"archive/internal/content"
)

// PDF pages as text: each page of a PDF attachment that has text can be
// read as an HTML page of its own, for readers who should not open a PDF
// in their browser (on Tor) or cannot wait for one (on a slow link), and
// for quoting. The site is not given the text of PDFs, and holding it
// would make every build carry it: the server renders these pages per
// request, from the search index's copy of the text, with RenderPDFPage.
// They are noindex and in no sitemap: the PDF and the publication are
// what search engines should show.

// PDFPageView is one page of a PDF attachment shown as text.
type PDFPageView struct {
	Pub        *content.Publication
	Att        *content.Attachment
	Page       int
	Pages      int    // pages in the PDF, 0 when unknown
	OCR        bool   // the text was read from a scan by OCR
	URL        string // this page's URL
	Prev, Next int    // the nearest pages before and after with text, 0 for none
	// PrevURL and NextURL are the URLs of Prev and Next.
	PrevURL, NextURL string
	// Text is the page's text as PDFTextHTML writes it, possibly with the
	// words a search found marked.
	Text template.HTML
}

// pdfPageData is the pdfpage template's data.
type pdfPageData struct {
	*Data
	View   *PDFPageView
	PDFURL string // the PDF, opened at this page
}

// RenderPDFPage renders the page v.
func (s *Site) RenderPDFPage(v PDFPageView) ([]byte, error) {
	d := s.Data()
	d.Title = fmt.Sprintf("%s, page %d", v.Att.Title, v.Page)
	d.Lang, d.Dir = v.Pub.Lang, textDir(v.Pub.Lang)
	d.Path = v.URL
	if !v.Pub.Undated {
		d.Cite = &CiteBlock{Text: s.pageCitation(v.Pub, v.Att, v.Page)}
	}
	return s.Templates.Render("pdfpage", pdfPageData{Data: d, View: &v, PDFURL: v.Att.URL + "#page=" + strconv.Itoa(v.Page)})
}

// pageCitation is the publication's citation (as its page shows it) of
// page n of its PDF attachment a: the page after the date, and the PDF's
// URL, whose pages the number counts.
func (s *Site) pageCitation(p *content.Publication, a *content.Attachment, n int) string {
	url := s.linkURL(a.URL)
	plain := cite.New(p, s.Content.Settings, url).Plain()
	i := strings.LastIndex(plain, ". "+url)
	if i < 0 {
		return plain
	}
	return plain[:i] + ", p. " + strconv.Itoa(n) + plain[i:]
}

// blankLines end a paragraph of PDF text.
var blankLines = regexp.MustCompile(`\n[ \t]*\n\s*`)

// PDFTextHTML writes the text of a PDF page as HTML paragraphs, to be read
// as flowing text on any screen. PDF text has line breaks where the page
// had them and rarely a blank line: a paragraph ends at a blank line, or
// after a line well short of the page's longest (the last line of a
// paragraph, a heading, a line of an address). The lines of a paragraph
// stay in one text node, so that a phrase running from one line to the
// next is marked as one, as search finds it.
func PDFTextHTML(text string) template.HTML {
	var paras [][]string
	longest := 0
	for _, block := range blankLines.Split(strings.ReplaceAll(text, "\r\n", "\n"), -1) {
		var lines []string
		for l := range strings.SplitSeq(block, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
				longest = max(longest, utf8.RuneCountInString(l))
			}
		}
		if len(lines) > 0 {
			paras = append(paras, lines)
		}
	}
	var b strings.Builder
	for _, lines := range paras {
		start := 0
		for i, l := range lines {
			if i+1 < len(lines) && utf8.RuneCountInString(l)*5 >= longest*4 {
				continue // four fifths of the longest or more: the paragraph goes on
			}
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(strings.Join(lines[start:i+1], "\n")))
			b.WriteString("</p>\n")
			start = i + 1
		}
	}
	return template.HTML(b.String())
}
