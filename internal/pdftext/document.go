package pdftext

import "time"

// Page is the text of one page.
type Page struct {
	Number int    // 1-based
	Text   string // words separated by spaces, lines by "\n"
	Err    string // why this page's text is incomplete ("" if fine); text read before the fault is kept
	// NoText: the page has no searchable text: no text layer, and OCR did
	// not read one from its image.
	NoText bool

	// Scan: the page is a picture of a page: fewer than 20 characters of
	// text over images covering half of it or more (scan.go). Its text is
	// read by OCR when Tesseract is there.
	Scan bool `json:",omitempty"`
	// OCR: Text was read from the page's images by Tesseract, with
	// languages OCRLang ("eng", "chi_sim+eng") and a mean word confidence
	// of Confidence (0 to 100, as Tesseract reports it).
	OCR        bool    `json:",omitempty"`
	OCRLang    string  `json:",omitempty"`
	Confidence float64 `json:",omitempty"`
	// OCRErr says why a Scan page was not (or not wholly) read by OCR: an
	// image it cannot decode, a time or memory limit, Tesseract missing.
	// "" when it was read, or when OCR was switched off.
	OCRErr string `json:",omitempty"`
}

// Document is the text of a whole PDF.
type Document struct {
	Pages         []Page
	Title, Author string // from the document info, may be ""
	// Created is the document info's CreationDate, zero if none.
	Created time.Time `json:",omitzero"`
}

// NumPages reports the number of pages found in the page tree.
func (d *Document) NumPages() int { return len(d.Pages) }

// Scanned reports whether no page has searchable text, which for a real
// report means a scan without a text layer that OCR did not read: it should
// be flagged, not indexed as empty. A scan whose pages OCR read has text and
// is not Scanned.
func (d *Document) Scanned() bool {
	for _, p := range d.Pages {
		if !p.NoText {
			return false
		}
	}
	return true
}
