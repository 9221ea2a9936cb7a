package search

import (
	"sort"

	"archive/internal/content"
)

// A PDF page's text is shown as a page of its own (PDFPageURL), for readers
// who should not or cannot open the PDF. The index holds that text, in
// memory or in the texts file of an index made by Open, so the server
// reads it from here rather than every build carrying it to the site.

// PDFPage is one page of a PDF attachment, as the index holds it.
type PDFPage struct {
	Publication *content.Publication
	Attachment  *content.Attachment
	Number      int
	Text        string
	OCR         bool // the text was read from a scan
	// Prev and Next are the nearest pages before and after with text; 0
	// for none.
	Prev, Next int
}

// PDFPage returns page n of the PDF attachment whose URL is attachment,
// or false when the index holds no text for it: no such attachment, a page
// out of range, or a page without a text layer.
func (x *Index) PDFPage(attachment string, n int) (PDFPage, bool, error) {
	x, done, err := x.current()
	if err != nil {
		return PDFPage{}, false, err
	}
	defer done()
	hits := x.docs.pdfPages[attachment]
	i := sort.Search(len(hits), func(i int) bool { return x.docs.entry[hits[i]].page >= n })
	if i == len(hits) || x.docs.entry[hits[i]].page != n {
		return PDFPage{}, false, nil
	}
	e := x.docs.entry[hits[i]]
	text, err := e.readSeg(0)
	if err != nil {
		return PDFPage{}, false, err
	}
	pg := PDFPage{Publication: e.pub, Attachment: e.att, Number: n, Text: text, OCR: e.ocr}
	if i > 0 {
		pg.Prev = x.docs.entry[hits[i-1]].page
	}
	if i+1 < len(hits) {
		pg.Next = x.docs.entry[hits[i+1]].page
	}
	return pg, true, nil
}
