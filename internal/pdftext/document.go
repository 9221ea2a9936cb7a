package pdftext

// Page is the text of one page.
type Page struct {
	Number int    // 1-based
	Text   string // words separated by spaces, lines by "\n"
	Err    string // why this page's text is incomplete ("" if fine); text read before the fault is kept
	NoText bool   // the page has no text layer (likely a scan)
}

// Document is the text of a whole PDF.
type Document struct {
	Pages         []Page
	Title, Author string // from the document info, may be ""
}

// NumPages reports the number of pages found in the page tree.
func (d *Document) NumPages() int { return len(d.Pages) }

// Scanned reports whether no page has any text, which for a real report means
// a scan without a text layer: it should be flagged, not indexed as empty.
func (d *Document) Scanned() bool {
	for _, p := range d.Pages {
		if !p.NoText {
			return false
		}
	}
	return true
}
