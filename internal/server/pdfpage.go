package server

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"archive/internal/search"
	"archive/internal/site"
)

// A PDF page as text (search.PDFPageURL: <attachment URL>/page/<N>/) is
// made per request from the search index's text of the page (see package
// site, RenderPDFPage), with the searched words marked when the link of a
// hit asks for them (?hl=). Reading the text and rendering the page cost
// more than serving a page from memory, so these pages are under the
// protection highlighted pages have: the same per-client budget and the
// same slots.

// pdfPageRefused is what a reader over the budget is told.
const pdfPageRefused = "Too many pages have been asked for from your network in a short time, or the server is busy. Please wait a few seconds and try again, or open the PDF itself."

// pdfPages answers the URLs of PDF pages as text, and passes every other
// request on.
func (s *Server) pdfPages(next http.Handler) http.Handler {
	serve := s.handle(s.servePDFPage)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, _, ok := pdfPagePath(r.URL.Path); ok {
			serve(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// pdfPagePath reads <attachment URL>/page/<N>/: the attachment's URL, the
// page number, and whether the path has its final slash. A page number is
// written as PDFPageURL writes it: no sign, no leading zero.
func pdfPagePath(p string) (attachment string, n int, slash, ok bool) {
	i := strings.LastIndex(p, "/page/")
	if i < 0 || !strings.HasSuffix(strings.ToLower(p[:i]), ".pdf") {
		return "", 0, false, false
	}
	num, slash := strings.CutSuffix(p[i+len("/page/"):], "/")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || strconv.Itoa(n) != num {
		return "", 0, false, false
	}
	return p[:i], n, slash, true
}

// servePDFPage serves a page of a PDF attachment as text: 404 when the
// index holds no text for it (no such PDF or page, or a page without a
// text layer).
func (s *Server) servePDFPage(w http.ResponseWriter, r *http.Request) error {
	att, n, slash, _ := pdfPagePath(r.URL.Path)
	if !slash {
		http.Redirect(w, r, search.PDFPageURL(att, n), http.StatusMovedPermanently)
		return nil
	}
	st, err := s.loaded(w)
	if err != nil {
		return err
	}
	if st.Index == nil {
		w.Header().Set("Retry-After", "30")
		return errorf(http.StatusServiceUnavailable, "The text of PDF pages is read from the search index, which is still being built. Please try again in a minute, or open the PDF itself.")
	}
	release, ok := s.limiter.admitHighlight(r)
	if !ok {
		w.Header().Set("Retry-After", "2")
		s.refuse(w, r, http.StatusTooManyRequests, pdfPageRefused)
		return nil
	}
	// The slot is freed before writing: a slow reader must not hold it.
	body, err := func() ([]byte, error) {
		defer release()
		return renderPDFPage(st.Index, st.Site, att, n, r.URL.Query().Get("hl"))
	}()
	if err != nil {
		return err
	}
	// Never cached, marked or not: which page of which PDF a reader reads
	// is theirs.
	w.Header().Set("Cache-Control", "no-store")
	writeMade(w, r, http.StatusOK, "text/html; charset=utf-8", body)
	return nil
}

// renderPDFPage renders page n of the PDF attachment at att, with hl's
// words marked, from the text idx holds.
func renderPDFPage(idx *search.Index, st *site.Site, att string, n int, hl string) ([]byte, error) {
	pg, ok, err := idx.PDFPage(att, n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound
	}
	v := site.PDFPageView{
		Pub: pg.Publication, Att: pg.Attachment, Page: n, Pages: st.PDFs[pg.Attachment.Path].Pages, OCR: pg.OCR,
		URL: search.PDFPageURL(att, n), Prev: pg.Prev, Next: pg.Next,
	}
	if v.Prev > 0 {
		v.PrevURL = search.PDFPageURL(att, v.Prev)
	}
	if v.Next > 0 {
		v.NextURL = search.PDFPageURL(att, v.Next)
	}
	v.Text = site.PDFTextHTML(pg.Text)
	if hl != "" {
		if h, ok := idx.Highlight(string(v.Text), hl, pg.Publication.Lang); ok {
			v.Text = template.HTML(highlightNote(h, v.URL) + h.HTML)
		}
	}
	return st.RenderPDFPage(v)
}
